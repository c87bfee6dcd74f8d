import { VigilError, badInput } from '@vigil/lib/errors';
import type {
  ResolversTypes,
  AuditEventFilter,
  AuditEventResolvers,
  IdentityResolvers,
  KubeObjectResolvers,
  QueryResolvers,
} from '../__generated__/resolvers-types.js';
import type { AuditContext } from '../context.js';
import { kindOfResource, resourceOfKind } from '../kinds.js';
import type { AuditFilter } from '../sources/victorialogs/audit-log-source.js';

async function search(
  context: AuditContext,
  filter: AuditFilter,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<ResolversTypes['AuditEventConnection']> {
  const source = context.source();
  if (!source) {
    throw new VigilError('UPSTREAM_UNAVAILABLE', 'No VictoriaLogs is configured: set audit.victoriaLogs.url or VICTORIALOGS_URL.');
  }
  const page = await source.search(filter, { first: first ?? 50, ...(after != null ? { after } : {}) });
  return {
    edges: page.events.map((node, index) => ({ cursor: page.cursors[index] ?? '', node })),
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
  };
}

function toFilter(filter: AuditEventFilter | null | undefined): AuditFilter {
  const out: AuditFilter = {};
  if (!filter) return out;
  if (filter.user != null) out.user = filter.user;
  if (filter.userGroup != null) out.userGroups = filter.userGroup;
  if (filter.verb != null) out.verb = filter.verb;
  if (filter.resource != null) out.resource = filter.resource;
  if (filter.namespace != null) out.namespace = filter.namespace;
  if (filter.name != null) out.name = filter.name;
  if (filter.responseCode != null) out.responseCode = filter.responseCode;
  if (filter.sourceIp != null) out.sourceIp = filter.sourceIp;
  if (filter.from != null) out.from = parseDate('filter.from', filter.from);
  if (filter.to != null) out.to = parseDate('filter.to', filter.to);
  return out;
}

function parseDate(name: string, value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw badInput(`${name}: "${value.slice(0, 40)}" is not an ISO-8601 date-time`);
  return date;
}

export const Query: QueryResolvers = {
  auditEvents: (_parent, { filter, first, after }, context) => search(context, toFilter(filter), first, after),
};

export const AuditEvent: AuditEventResolvers = {
  user: (event) => ({ username: event.user }),
  object: (event, _args, { deps }) => {
    const kind = event.resource ? kindOfResource(event.resource) : null;
    if (!kind || !event.name) return null;
    return { cluster: event.cluster ?? deps.clusterName, namespace: event.namespace ?? '', kind, name: event.name };
  },
};

export const Identity: IdentityResolvers = {
  __resolveReference: (ref) => ({ username: ref.username }),
  isServiceAccount: (identity) => identity.username.startsWith('system:serviceaccount:'),
  auditEvents: (identity, { first, after }, context) => search(context, { user: identity.username }, first, after),
};

export const KubeObject: KubeObjectResolvers = {
  __resolveReference: (ref) => ({ cluster: ref.cluster, namespace: ref.namespace, kind: ref.kind, name: ref.name }),
  auditTrail: (object, { first, after }, context) =>
    search(
      context,
      { resource: resourceOfKind(object.kind), name: object.name, ...(object.namespace ? { namespace: object.namespace } : {}) },
      first,
      after,
    ),
};
