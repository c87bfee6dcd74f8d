import { badInput } from './errors.js';

/** Opaque cursors: base64url of a string key, so clients treat them as tokens, not data. */
export function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, argument = 'after'): string {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw badInput(`${argument}: not a cursor returned by this API`);
  return Buffer.from(cursor, 'base64url').toString('utf8');
}

export function pageSize(first: number | null | undefined, fallback: number, max: number): number {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 1 || size > max) throw badInput(`first must be between 1 and ${max}`);
  return size;
}

/** Relay page over a list already sorted by `keyOf`, starting after the item whose key is `after`. */
export function pageAfter<T>(items: readonly T[], keyOf: (item: T) => string, first: number, after: string | null | undefined) {
  let start = 0;
  if (after != null) {
    const key = decodeCursor(after);
    // Keyset, not offset: the page starts after the first item whose key sorts past the cursor.
    const index = items.findIndex((item) => keyOf(item) > key);
    start = index === -1 ? items.length : index;
  }
  const slice = items.slice(start, start + first);
  return {
    edges: slice.map((node) => ({ cursor: encodeCursor(keyOf(node)), node })),
    pageInfo: { hasNextPage: start + first < items.length, endCursor: slice.length > 0 ? encodeCursor(keyOf(slice[slice.length - 1] as T)) : null },
  };
}
