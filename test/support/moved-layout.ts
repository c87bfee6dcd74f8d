import { expect } from 'vitest';
import { movedKeyName, type MovedStoreLayout } from '@vigil/lib/redis-layout-migration';
import { keyPrefix } from '@vigil/lib/redis';
import { oneSlotPrefix } from '@vigil/lib/redis-slot';

/** One argument list per key builder of a store: a builder added without one does not compile. */
export type KeySamples<TKeys> = { [K in keyof TKeys]: TKeys[K] extends (...args: infer A) => string ? A : never };

/**
 * Builds every kind of key of a store with its own builder and checks that the layout migration
 * moves the key's old name (the same key without the hash-tag segment, which is what the store
 * wrote before the move) to exactly that key: a key on a segment the store's layout does not list
 * would be left behind by an upgrade, and fails here.
 */
export function expectEveryKeyMoved<TKeys extends object>(layout: MovedStoreLayout, keysOf: (prefix: string) => TKeys, samples: KeySamples<TKeys>): void {
  const prefix = keyPrefix('vigil', layout.subgraph);
  const current = oneSlotPrefix(prefix, layout.store);
  const keys = keysOf(prefix);
  // The type makes a sample per builder; this catches a builder the type cannot see (an untyped spread).
  expect(Object.keys(samples).sort()).toEqual(Object.keys(keys).sort());
  for (const [kind, args] of Object.entries(samples) as [keyof TKeys & string, unknown[]][]) {
    const key = (keys[kind] as (...args: unknown[]) => string)(...args);
    expect(key.startsWith(current), `${kind}: ${key} is not under ${current}`).toBe(true);
    const old = prefix + key.slice(current.length);
    expect(movedKeyName(layout, prefix, old), `${kind}: ${old} is in no family of ${layout.subgraph}/${layout.store}`).toBe(key);
  }
}
