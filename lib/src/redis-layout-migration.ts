import type { Logger } from './logger.js';
import { createRedis, keyPrefix } from './redis.js';
import { oneSlotPrefix } from './redis-slot.js';

/**
 * Key layouts that moved, and the families of keys each move covers. The security-event store
 * (subgraphs/cluster/src/store/redis-security-event-store.ts) and the fact store
 * (subgraphs/hosts/src/facts/redis-fact-store.ts) put all their keys under one hash tag so their
 * multi-key writes are valid on Redis Cluster (redis-slot.ts). Without this move, an upgrade would
 * leave every stored event and fact under the old names, unread: events (with their occurrence counts)
 * lost, hosts' inventories and histories starting over as baselines.
 */
const MOVES: readonly { subgraph: string; store: string; families: readonly string[] }[] = [
  { subgraph: 'cluster', store: 'events', families: ['event:', 'events:', 'vulnerabilities:', 'report-keys:'] },
  { subgraph: 'hosts', store: 'facts', families: ['state:', 'freshness:', 'facts:', 'meta:', 'history:', 'metrics:', 'pkg:'] },
];

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
 * Renames the keys of the old layouts under `namespace` to the one-slot layout, before any store
 * reads or writes them. Idempotent: once moved, nothing matches the old names. RENAMENX, so a key
 * already written under the new name is never overwritten (the old one is left and counted as kept).
 * Runs on a standalone Redis (where this layout change happened); a Redis Cluster deployment starts on
 * the new layout.
 */
export async function migrateRedisLayout(options: { redisUrl: string; namespace: string; logger: Logger; subgraphs: readonly string[] }): Promise<LayoutMigration> {
  const result: LayoutMigration = { moved: 0, kept: 0 };
  const moves = MOVES.filter((m) => options.subgraphs.includes(m.subgraph));
  // Most subgraph processes have no moved layout: no connection for them.
  if (moves.length === 0) return result;
  const redis = createRedis(options.redisUrl, options.logger, 'layout-migration');
  try {
    for (const move of moves) {
      const from = keyPrefix(options.namespace, move.subgraph);
      const to = oneSlotPrefix(from, move.store);
      for (const family of move.families) {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${globLiteral(from + family)}*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length === 0) continue;
          const pipeline = redis.pipeline();
          for (const key of keys) pipeline.renamenx(key, to + key.slice(from.length));
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
    options.logger.info({ moved: result.moved, kept: result.kept }, 'moved stored events and facts to the one-slot key layout (Redis Cluster ready)');
  }
  return result;
}
