import type { MutationResolvers } from '../__generated__/resolvers-types.js';

export const Mutation: MutationResolvers = {
  async refreshHost(_parent, { id }, { deps, inventory }) {
    const host = inventory.get(id) ?? null;
    if (!host) return { status: 'UNKNOWN_HOST', message: `no host has id ${JSON.stringify(id.slice(0, 128))}`, host: null };
    const result = await deps.scheduler.refresh(id);
    return { status: result.status, message: result.message, host };
  },
};
