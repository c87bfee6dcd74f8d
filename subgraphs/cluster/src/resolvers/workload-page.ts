import { pageAfter, pageSize } from '@vigil/lib/cursor';
import { resourceKey, type KubeObjectRef } from '../store/security-event-store.js';

/**
 * A page of `items` in the order of their keys (each computed once): the same key sorts the list and
 * positions the cursor, so pages never overlap. The keys must be unique.
 */
export function keyedPage<T>(items: readonly T[], keyOf: (item: T) => string, first: number | null | undefined, after: string | null | undefined) {
  const size = pageSize(first, 100, 1000);
  const sorted = items.map((node) => ({ key: keyOf(node), node })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const page = pageAfter(sorted, (entry) => entry.key, size, after);
  return { edges: page.edges.map(({ cursor, node }) => ({ cursor, node: node.node })), pageInfo: page.pageInfo, totalCount: sorted.length };
}

/**
 * A page of the distinct objects among `refs`, in resourceKey order (cluster, namespace, kind, name,
 * each escaped).
 */
export function workloadPage(refs: readonly KubeObjectRef[], first: number | null | undefined, after: string | null | undefined) {
  const distinct = [...new Map(refs.map((ref) => [resourceKey(ref), ref] as const)).values()];
  return keyedPage(distinct, resourceKey, first, after);
}
