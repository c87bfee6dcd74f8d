import { badInput } from '@vigil/lib/errors';
import { isAlertId } from '@vigil/lib/alerts/alert';
import type { IdentityResolvers } from '../__generated__/resolvers-types.js';
import { identityTimeline } from './timeline.js';

export const Identity: IdentityResolvers = {
  // Any username resolves: an identity without attributed alerts has an empty page.
  __resolveReference: (ref) => ({ username: ref.username }),
  alerts: async (identity, { first, after }, { alertsForIdentity }) => {
    const size = first ?? 20;
    if (!Number.isInteger(size) || size < 1 || size > 500) throw badInput('first must be between 1 and 500');
    if (after != null && !isAlertId(after)) throw badInput('after must be an alert id such as 1732270309000-0');
    const page = await alertsForIdentity(identity.username, size, after ?? null);
    return {
      edges: page.alerts.map((node) => ({ cursor: node.id, node })),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.alerts.at(-1)?.id ?? null },
    };
  },
  timeline: (identity, args, context) => identityTimeline(identity.username, args, context),
};
