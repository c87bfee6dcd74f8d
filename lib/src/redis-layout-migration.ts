import type { Logger } from './logger.js';
import { createRedis, keyPrefix } from './redis.js';
import { oneSlotPrefix } from './redis-slot.js';

/**
 * A store whose keys moved under one hash tag (redis-slot.ts), so its multi-key writes are valid on
 * Redis Cluster: `<prefix><family>…` became `oneSlotPrefix(<prefix>, store)<family>…`, where
 * `<prefix>` is the subgraph's key prefix. Each store exports its own from the module that builds its
 * keys (the security-event store in subgraphs/cluster, the fact store in subgraphs/hosts), so a family
 * a store adds is moved too; this module knows no store. Without the move, an upgrade would leave every
 * stored event and fact under the old names, unread: events (with their occurrence counts) lost,
 * hosts' inventories and histories starting over as baselines.
 */
export interface MovedStoreLayout {
  /** The subgraph whose key prefix (`keyPrefix(namespace, subgraph)`) the store is under. */
  subgraph: string;
  /** The store's name in its hash tag. */
  store: string;
  /** The first segment of every key the store writes, with its separator (`event:`). */
  families: readonly string[];
}

export interface LayoutMigration {
  /** Keys renamed to their one-slot name. */
  moved: number;
  /** Old keys left because a key of the new name already existed (written after the upgrade). */
  kept: number;
}

/** `*`, `?`, `[` and `\` are glob syntax in SCAN MATCH; a namespace may contain them. */
function globLiteral(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/**
 * The one-slot name of a key of the old layout under `prefix`, or null when none of the store's
 * families covers it (the key is another store's and stays).
 */
export function movedKeyName(layout: MovedStoreLayout, prefix: string, key: string): string | null {
  if (!key.startsWith(prefix)) return null;
  const rest = key.slice(prefix.length);
  return layout.families.some((family) => rest.startsWith(family)) ? oneSlotPrefix(prefix, layout.store) + rest : null;
}

/**
 * Renames the keys of the given stores' old layouts under `namespace` to the one-slot layout, before
 * any store reads or writes them; each caller passes the layouts its stores export. Idempotent: once
 * moved, nothing matches the old names. RENAMENX, so a key already written under the new name is
 * never overwritten (the old one is left and counted as kept).
 * Runs on a standalone Redis (where this layout change happened); a Redis Cluster deployment starts on
 * the new layout.
 */
export async function migrateRedisLayout(options: { redisUrl: string; namespace: string; logger: Logger; stores: readonly MovedStoreLayout[] }): Promise<LayoutMigration> {
  const result: LayoutMigration = { moved: 0, kept: 0 };
  // Most subgraph processes have no moved layout: no connection for them.
  if (options.stores.length === 0) return result;
  const redis = createRedis(options.redisUrl, options.logger, 'layout-migration');
  try {
    for (const store of options.stores) {
      const from = keyPrefix(options.namespace, store.subgraph);
      for (const family of store.families) {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${globLiteral(from + family)}*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length === 0) continue;
          const pipeline = redis.pipeline();
          for (const key of keys) {
            // Matched by the family's pattern, so it has a new name; one function names it (tested against the stores).
            const to = movedKeyName(store, from, key);
            if (to !== null) pipeline.renamenx(key, to);
          }
          for (const [error, renamed] of (await pipeline.exec()) ?? []) {
            // Another replica starting at the same moment renamed it first.
            if (error && /no such key/i.test(error.message)) continue;
            if (error) throw error;
            if (renamed === 1) result.moved += 1;
            else result.kept += 1;
          }
        } while (cursor !== '0');
      }
    }
  } finally {
    redis.disconnect();
  }
  if (result.moved > 0 || result.kept > 0) {
    options.logger.info({ moved: result.moved, kept: result.kept, stores: options.stores.map((s) => `${s.subgraph}/${s.store}`) }, 'moved stored keys to the one-slot key layout (Redis Cluster ready)');
  }
  return result;
}
