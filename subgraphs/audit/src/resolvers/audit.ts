import { badInput } from '@vigil/lib/errors';
import type {
  ResolversTypes,
  AuditEventResolvers,
  IdentityResolvers,
  KubeObjectResolvers,
  QueryResolvers,
} from '../__generated__/resolvers-types.js';
import { sourceOf, type AuditContext } from '../context.js';
import { checkedTop, groupKeysOf, levelOf, toAuditFilter } from '../filter-input.js';
import { kindOfResource, resourceOfKind } from '../kinds.js';
import type { AuditFilter, AuditStatsGroup as SourceGroup } from '../sources/victorialogs/audit-log-source.js';
import { bucketCount, parseStep } from '../sources/victorialogs/histogram.js';

/** auditHistogram without `from`: this long before its end. */
const DEFAULT_HISTOGRAM_RANGE_MS = 24 * 60 * 60 * 1000;

async function search(
  context: AuditContext,
  filter: AuditFilter,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<ResolversTypes['AuditEventConnection']> {
  const page = await sourceOf(context).search(filter, { first: first ?? 50, ...(after != null ? { after } : {}) });
  return {
    edges: page.events.map((node, index) => ({ cursor: page.cursors[index] ?? '', node })),
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
  };
}

function toGroup({ values, count }: SourceGroup): ResolversTypes['AuditStatsGroup'] {
  const code = values.responseCode;
  return {
    count,
    user: values.user == null ? null : { username: values.user },
    verb: values.verb ?? null,
    resource: values.resource ?? null,
    subresource: values.subresource ?? null,
    apiGroup: values.apiGroup ?? null,
    namespace: values.namespace ?? null,
    name: values.name ?? null,
    responseCode: code != null && /^\d{1,3}$/.test(code) ? Number(code) : null,
    sourceIp: values.sourceIp ?? null,
    userAgent: values.userAgent ?? null,
    cluster: values.cluster ?? null,
    level: levelOf(values.level),
  };
}

export const Query: QueryResolvers = {
  auditEvents: (_parent, { filter, first, after }, context) => search(context, toAuditFilter(filter), first, after),

  auditStats: async (_parent, { filter, groupBy, top }, context) => {
    const auditFilter = toAuditFilter(filter);
    const keys = groupKeysOf(groupBy);
    const limit = checkedTop(top);
    const { groups, total } = await sourceOf(context).stats(auditFilter, { groupBy: keys, top: limit });
    return { groupBy: [...new Set(groupBy)], groups: groups.map(toGroup), total };
  },

  auditHistogram: async (_parent, { filter, step }, context) => {
    const auditFilter = toAuditFilter(filter);
    const stepSeconds = parseStep(step);
    if (stepSeconds === undefined) {
      throw badInput(`step: ${JSON.stringify(step.slice(0, 20))} is not a step: write a whole number of s, m, h or d (30s, 1m, 5m, 1h, 1d), at most 3650d`);
    }
    const to = auditFilter.to ?? context.clock();
    const from = auditFilter.from ?? new Date(to.getTime() - DEFAULT_HISTOGRAM_RANGE_MS);
    if (from.getTime() > to.getTime()) throw badInput('filter.from: must not be after filter.to (now, when not given)');
    // Before anything is asked of VictoriaLogs: a step too small for the range is the caller's to fix.
    bucketCount({ from, to, stepSeconds });
    const { buckets, total } = await sourceOf(context).histogram({ ...auditFilter, from, to }, { stepSeconds });
    return { from: from.toISOString(), to: to.toISOString(), stepSeconds, total, buckets };
  },
};

export const AuditEvent: AuditEventResolvers = {
  user: (event) => ({ username: event.user }),
  impersonatedUser: (event) => (event.impersonatedUser ? { username: event.impersonatedUser } : null),
  level: (event) => levelOf(event.level),
  object: (event, _args, { deps }) => {
    const kind = event.resource ? kindOfResource(event.resource) : null;
    if (!kind || !event.name) return null;
    return { cluster: event.cluster ?? deps.clusterName, namespace: event.namespace ?? '', kind, name: event.name };
  },
};

export const Identity: IdentityResolvers = {
  __resolveReference: (ref) => ({ username: ref.username }),
  isServiceAccount: (identity) => identity.username.startsWith('system:serviceaccount:'),
  auditEvents: (identity, { first, after }, context) => search(context, { users: [identity.username] }, first, after),
};

export const KubeObject: KubeObjectResolvers = {
  __resolveReference: (ref) => ({ cluster: ref.cluster, namespace: ref.namespace, kind: ref.kind, name: ref.name }),
  auditTrail: (object, { first, after }, context) =>
    search(
      context,
      {
        resources: [resourceOfKind(object.kind)],
        names: [object.name],
        ...(object.namespace ? { namespaces: [object.namespace] } : {}),
        clusters: [object.cluster],
        // AuditEvent.object places an event without a cluster in this subgraph's own: its trail must find it there.
        ...(object.cluster === context.deps.clusterName ? { orNoCluster: true } : {}),
      },
      first,
      after,
    ),
};
