import { pageAfter, pageSize } from '@vigil/lib/cursor';
import { resourceKey, type KubeObjectRef } from '../store/security-event-store.js';

/**
 * A page of the distinct objects among `refs`, in resourceKey order (cluster, namespace, kind, name,
 * each escaped): the same key sorts the list and positions the cursor, so pages never overlap.
 */
export function workloadPage(refs: readonly KubeObjectRef[], first: number | null | undefined, after: string | null | undefined) {
  const size = pageSize(first, 100, 1000);
  const byKey = new Map(refs.map((ref) => [resourceKey(ref), ref] as const));
  const sorted = [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, node]) => ({ key, node }));
  const page = pageAfter(sorted, (entry) => entry.key, size, after);
  return { edges: page.edges.map(({ cursor, node }) => ({ cursor, node: node.node })), pageInfo: page.pageInfo, totalCount: sorted.length };
}
