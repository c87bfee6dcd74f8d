import { badInput } from '@vigil/lib/errors';
import { decodeCursor, encodeCursor } from '@vigil/lib/cursor';
import type { Clock } from '@vigil/lib/clock';
import type { IdentityActivityResolvers, IdentityResolvers, QueryResolvers } from '../__generated__/resolvers-types.js';
import { sourceOf } from '../context.js';
import { parseDateArgument } from '../date-argument.js';
import { toAuditFilter } from '../filter-input.js';
import type { ActivityRange } from '../identity-loaders.js';
import { MAX_IDENTITIES_OFFSET, MAX_IDENTITIES_PAGE, MAX_RESOURCES_PER_IDENTITY } from '../sources/victorialogs/identity-queries.js';
import { MAX_FILTER_VALUE_LENGTH } from '../sources/victorialogs/logsql.js';

/** `identities` without filter.from, and Identity.activity without a range: this long before the end. */
export const IDENTITY_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;

const CURSOR = /^identities:(\d{1,6})$/;

export const identityQueries: Pick<QueryResolvers, 'identities' | 'identity'> = {
  identity: (_parent, { username }) => {
    if (username.length === 0 || username.length > MAX_FILTER_VALUE_LENGTH) throw badInput(`username: must be 1 to ${String(MAX_FILTER_VALUE_LENGTH)} characters`);
    return { username };
  },

  identities: async (_parent, { filter, first, after }, context) => {
    const auditFilter = toAuditFilter(filter);
    const size = first ?? 50;
    if (!Number.isInteger(size) || size < 1 || size > MAX_IDENTITIES_PAGE) throw badInput(`first: must be an integer from 1 to ${String(MAX_IDENTITIES_PAGE)}`);
    const offset = after == null ? 0 : offsetOf(after);
    const to = auditFilter.to ?? context.clock();
    const from = auditFilter.from ?? new Date(to.getTime() - IDENTITY_WINDOW_MS);
    if (from.getTime() > to.getTime()) throw badInput('filter.from: must not be after filter.to (now, when not given)');
    const range = { from, to };
    const page = await sourceOf(context).identities({ ...auditFilter, ...range }, { first: size, offset });
    const edges = page.identities.map((identity, index) => ({
      cursor: encodeCursor(`identities:${String(offset + index + 1)}`),
      node: { username: identity.username, range },
      count: identity.count,
      firstSeen: identity.firstSeen,
      lastSeen: identity.lastSeen,
    }));
    return {
      edges,
      pageInfo: { hasNextPage: page.hasNextPage && offset + edges.length < MAX_IDENTITIES_OFFSET, endCursor: edges.at(-1)?.cursor ?? null },
      totalCount: page.totalIdentities,
      totalEvents: page.totalEvents,
      from: from.toISOString(),
      to: to.toISOString(),
    };
  },
};

export const identityFields: Pick<IdentityResolvers, 'activity'> = {
  activity: (identity, { from, to }, context) => ({ username: identity.username, range: activityRange(identity.range, from ?? null, to ?? null, context.clock) }),
};

export const IdentityActivity: IdentityActivityResolvers = {
  from: (activity) => activity.range.from.toISOString(),
  to: (activity) => activity.range.to.toISOString(),
  total: async (activity, _args, { identityLoaders }) => (await identityLoaders.summary(activity.username, activity.range))?.count ?? 0,
  firstSeen: async (activity, _args, { identityLoaders }) => (await identityLoaders.summary(activity.username, activity.range))?.firstSeen ?? null,
  lastSeen: async (activity, _args, { identityLoaders }) => (await identityLoaders.summary(activity.username, activity.range))?.lastSeen ?? null,
  byVerb: (activity, _args, { identityLoaders }) => identityLoaders.verbs(activity.username, activity.range),
  byResource: (activity, { top }, { identityLoaders }) => {
    const limit = top ?? 20;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RESOURCES_PER_IDENTITY) throw badInput(`top: must be an integer from 1 to ${String(MAX_RESOURCES_PER_IDENTITY)}`);
    return identityLoaders.resources(activity.username, activity.range, limit);
  },
};

/**
 * The range of Identity.activity: the arguments; without either, the range the identity was listed
 * with (identities(filter:)); otherwise the week before `to` (now).
 */
export function activityRange(listed: ActivityRange | undefined, fromArg: string | null, toArg: string | null, clock: Clock): ActivityRange {
  if (fromArg === null && toArg === null && listed) return listed;
  const to = toArg === null ? clock() : parseDateArgument('to', toArg);
  const from = fromArg === null ? new Date(to.getTime() - IDENTITY_WINDOW_MS) : parseDateArgument('from', fromArg);
  if (from.getTime() > to.getTime()) throw badInput('from: must not be after to (now, when not given)');
  return { from, to };
}

function offsetOf(after: string): number {
  const match = CURSOR.exec(decodeCursor(after));
  const offset = match ? Number(match[1]) : Number.NaN;
  if (!Number.isInteger(offset) || offset < 1 || offset > MAX_IDENTITIES_OFFSET) throw badInput('after: not a cursor returned by identities');
  return offset;
}
