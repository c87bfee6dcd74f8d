import { Redis } from 'ioredis';
import type { Logger } from './logger.js';
import { redactUrl } from './logger.js';

export type { Redis };

/**
 * One long-lived ioredis client per purpose, created at start and passed in. Always with an
 * `error` listener: without one ioredis reports connection errors as unhandled 'error' events.
 * Blocking reads (XREAD BLOCK) need a connection of their own: call this again for that.
 */
export function createRedis(url: string, logger: Logger, purpose: string): Redis {
  const client = new Redis(url, {
    lazyConnect: false,
    maxRetriesPerRequest: 3,
    enableAutoPipelining: true,
    connectionName: `vigil:${purpose}`,
  });
  let lastLogged = 0;
  client.on('error', (error: Error) => {
    // A down Redis emits an error per reconnect attempt; one line every 10 s is enough.
    const now = Date.now();
    if (now - lastLogged > 10_000) {
      lastLogged = now;
      logger.error({ err: error.message, redis: redactUrl(url), purpose }, 'redis connection error');
    }
  });
  return client;
}

/** Key prefix for one subgraph's keys: `vigil:<subgraph>:`, so several deployments can share a Redis. */
export function keyPrefix(namespace: string, subgraph: string): string {
  return `${namespace}:${subgraph}:`;
}

/**
 * The replies of a MULTI's or a pipeline's `exec()`, throwing the first command's error; a discarded
 * transaction (null: a WATCHed key changed) throws naming `what` wrote it.
 */
export function execReplies(results: [error: Error | null, value: unknown][] | null, what: string): unknown[] {
  if (results === null) throw new Error(`${what} transaction was discarded`);
  return results.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}
