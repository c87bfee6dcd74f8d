import type { QueryResolvers } from '../__generated__/resolvers-types.js';

export const Query: QueryResolvers = {
  controls: (_parent, { framework }, { catalogue, record }) =>
    Promise.all(catalogue.controls.filter((c) => framework == null || c.framework === framework).map(record)),
  control: async (_parent, { framework, id }, { catalogue, record }) => {
    const control = catalogue.controls.find((c) => c.framework === framework && c.id === id);
    return control ? record(control) : null;
  },
};
