import { pageAfter, pageSize } from '@vigil/lib/cursor';
import type { QueryResolvers } from '../__generated__/resolvers-types.js';

export const Query: QueryResolvers = {
  hosts(_parent, { first, after }, { sortedInventory }) {
    const page = pageAfter(sortedInventory, (host) => host.id, pageSize(first, 50, 500), after);
    return { ...page, totalCount: sortedInventory.length };
  },
  host: (_parent, { id }, { inventory }) => inventory.get(id) ?? null,
};
