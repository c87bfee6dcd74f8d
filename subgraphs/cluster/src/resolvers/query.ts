import { badInput } from '@vigil/lib/errors';
import { pageSize } from '@vigil/lib/cursor';
import type { QueryResolvers, SecurityEventFilter as GraphQLFilter } from '../__generated__/resolvers-types.js';
import { encodeCursor, type SecurityEventFilter } from '../store/security-event-store.js';

export const Query: QueryResolvers = {
  clusters: (_parent, _args, { clusterNames }) => clusterNames.map((name) => ({ name })),
  sources: (_parent, { cluster }, { sourceStates }) => sourceStates().filter((s) => cluster == null || s.cluster === cluster),
  vulnerability: async (_parent, { id }, { vulnerabilityFindings }) => {
    const findings = await vulnerabilityFindings.load(id);
    return findings.length > 0 ? { id, findings } : null;
  },
  async securityEvents(_parent, { filter, first, after }, { store, tenantClusters }) {
    const page = await store.list({ ...toStoreFilter(filter), ...(tenantClusters ? { clusters: tenantClusters } : {}) }, { first: pageSize(first, 50, 500), ...(after != null ? { after } : {}) });
    return {
      edges: page.events.map((node) => ({ cursor: encodeCursor(node), node })),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
    };
  },
};

function toStoreFilter(filter: GraphQLFilter | null | undefined): SecurityEventFilter {
  if (!filter) return {};
  const out: SecurityEventFilter = {};
  if (filter.sources) out.sources = filter.sources;
  if (filter.minSeverity) out.minSeverity = filter.minSeverity;
  if (filter.categories) out.categories = filter.categories;
  if (filter.cluster != null) out.cluster = filter.cluster;
  if (filter.namespace != null) out.namespace = filter.namespace;
  if (filter.resourceKind != null) out.resourceKind = filter.resourceKind;
  if (filter.resourceName != null) out.resourceName = filter.resourceName;
  if (filter.hostname != null) out.hostname = filter.hostname;
  if (filter.resolved != null) out.resolved = filter.resolved;
  if (filter.from != null) out.from = parseDate('filter.from', filter.from);
  if (filter.to != null) out.to = parseDate('filter.to', filter.to);
  if (out.from && out.to && out.from > out.to) throw badInput('filter.from must not be after filter.to');
  return out;
}

function parseDate(name: string, value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw badInput(`${name}: "${value.slice(0, 40)}" is not an ISO-8601 date-time`);
  return date;
}
