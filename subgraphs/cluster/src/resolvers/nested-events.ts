import { badInput } from '@vigil/lib/errors';
import type { SecurityEventFilter as GraphQLFilter } from '../__generated__/resolvers-types.js';
import type { ClusterContext } from '../context.js';
import type { SecurityEventConnectionRecord } from '../models.js';
import { pageSize } from '@vigil/lib/cursor';
import { compareNewestFirst, decodeCursor, encodeCursor, isAfterCursor, MAX_PAGE_SIZE, type SecurityEvent, type SecurityEventFilter } from '../store/security-event-store.js';
import { narrowTo, toStoreFilter, type Constraint } from './event-filter.js';

/** Largest page of a nested `securityEvents` (Host, KubeObject, Node): a page per parent, so lower than the top level's. */
const MAX_NESTED = 100;

export function nestedLimit(first: number | null | undefined): number {
  const limit = first ?? 20;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_NESTED) throw badInput(`first: must be between 1 and ${MAX_NESTED}`);
  return limit;
}

export interface NestedArgs {
  filter?: GraphQLFilter | null;
  first?: number | null;
  after?: string | null;
}

/** A parent the caller may not see, or a filter that contradicts the parent: no events, and a count of 0. */
export const NO_EVENTS: SecurityEventConnectionRecord = { edges: [], pageInfo: { hasNextPage: false, endCursor: null }, filter: null };

/** The parent's events as the store filter that selects them (the caller's clusters included); null: none. */
export function parentFilter(context: ClusterContext, filter: GraphQLFilter | null | undefined, constraint: Constraint): SecurityEventFilter | null {
  const narrowed = narrowTo(toStoreFilter(filter), constraint);
  if (narrowed === null) return null;
  const clusters = context.tenantClusters;
  return { ...narrowed, ...(clusters ? { clusters } : {}) };
}

/** A page from `limit + 1` events read newest first: the extra one only says that another page follows. */
export function pageOf(events: readonly SecurityEvent[], limit: number, filter: SecurityEventFilter | null): SecurityEventConnectionRecord {
  const page = events.slice(0, limit);
  const last = page.at(-1);
  return {
    edges: page.map((node) => ({ cursor: encodeCursor(node), node })),
    pageInfo: { hasNextPage: events.length > limit, endCursor: last ? encodeCursor(last) : null },
    filter,
  };
}

/**
 * A page of events already read whole (a vulnerability's findings), in the store's order and with
 * its cursors, so that a page means the same here as from the store.
 */
export function pageOfRead(events: readonly SecurityEvent[], first: number | null | undefined, after: string | null | undefined): SecurityEventConnectionRecord {
  const size = pageSize(first, 100, MAX_PAGE_SIZE);
  const position = after != null ? decodeCursor(after) : null;
  const sorted = [...events].sort(compareNewestFirst);
  const rest = position === null ? sorted : sorted.filter((event) => isAfterCursor(event, position));
  return { ...pageOf(rest.slice(0, size + 1), size, null), totalCount: sorted.length };
}

/** Any page of the parent's events: one store list over its index, the filter applied there. */
export async function listedPage(context: ClusterContext, filter: SecurityEventFilter, limit: number, after: string | null | undefined): Promise<SecurityEventConnectionRecord> {
  const page = await context.store.list(filter, { first: limit, ...(after != null ? { after } : {}) });
  return {
    edges: page.events.map((node) => ({ cursor: encodeCursor(node), node })),
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
    filter,
  };
}

/**
 * The first page of a node's events from the batched per-hostname read (one store call for every
 * parent of a response), when that read is exact: the store indexes node-level events by hostname
 * across clusters, so events of another cluster (a reused node name, or one not the caller's) are
 * dropped here, and a read that dropped some and was cut at `limit + 1` says nothing about what
 * follows. null then: the caller lists from the store instead.
 */
export async function batchedHostPage(context: ClusterContext, hostname: string, cluster: string | null, limit: number, filter: SecurityEventFilter): Promise<SecurityEventConnectionRecord | null> {
  const read = await context.eventsForHost(hostname, limit + 1);
  const kept = read.filter((e) => context.tenants.cluster(e.cluster) && (cluster === null || e.cluster === cluster));
  return kept.length === read.length || read.length <= limit ? pageOf(kept, limit, filter) : null;
}
