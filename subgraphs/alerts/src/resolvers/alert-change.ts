import type { AlertChangeResolvers } from '../__generated__/resolvers-types.js';

export const AlertChange: AlertChangeResolvers = {
  id: ({ change }) => change.id,
  kind: ({ change }) => change.kind,
  at: ({ change }) => change.at,
  by: ({ change }) => change.by,
  comment: ({ change }) => change.comment ?? null,
  alert: ({ alert }) => alert,
};
