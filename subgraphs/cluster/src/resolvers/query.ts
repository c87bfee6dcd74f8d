import { pageSize } from '@vigil/lib/cursor';
import type { QueryResolvers, SecurityEventConnectionResolvers } from '../__generated__/resolvers-types.js';
import { encodeCursor } from '../store/security-event-store.js';
import { toStoreFilter } from './event-filter.js';
import { nodeQueries } from './node.js';
import { imageQueries } from './image.js';

export const Query: QueryResolvers = {
  ...nodeQueries,
  ...imageQueries,
  clusters: (_parent, _args, { clusterNames }) => clusterNames.map((name) => ({ name })),
  sources: (_parent, { cluster }, { sourceStates }) => sourceStates().filter((s) => cluster == null || s.cluster === cluster),
  vulnerability: async (_parent, { id }, { vulnerabilityFindings }) => {
    const findings = await vulnerabilityFindings.load(id);
    return findings.length > 0 ? { id, findings } : null;
  },
  async securityEvents(_parent, { filter, first, after }, { store, tenantClusters }) {
    const storeFilter = { ...toStoreFilter(filter), ...(tenantClusters ? { clusters: tenantClusters } : {}) };
    const page = await store.list(storeFilter, { first: pageSize(first, 50, 500), ...(after != null ? { after } : {}) });
    return {
      edges: page.events.map((node) => ({ cursor: encodeCursor(node), node })),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
      filter: storeFilter,
    };
  },
};

export const SecurityEventConnection: SecurityEventConnectionResolvers = {
  // Only when selected: a count may walk an index.
  totalCount: (connection, _args, { store }) => connection.totalCount ?? (connection.filter === null ? 0 : store.count(connection.filter)),
};
