import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { createRedis, keyPrefix } from '../redis.js';
import type { AlertLog } from './alert-log.js';
import { MemoryAlertLog } from './memory-alert-log.js';
import { RedisAlertLog } from './redis-alert-log.js';
import type { AlertStateStore } from './alert-state.js';
import { MemoryAlertStateStore } from './memory-alert-state-store.js';
import { RedisAlertStateStore } from './redis-alert-state-store.js';

/** The Redis Stream when Redis is configured, else the in-memory log (one-process embedded stack only). */
export function createAlertLog(options: { redisUrl?: string | undefined; namespace: string; maxLength: number; logger: Logger; clock?: Clock }): AlertLog {
  if (!options.redisUrl) return new MemoryAlertLog({ maxLength: options.maxLength, ...(options.clock ? { now: options.clock } : {}) });
  const redis = createRedis(options.redisUrl, options.logger, 'alerts');
  const blocking = createRedis(options.redisUrl, options.logger, 'alerts-tail');
  return new RedisAlertLog(redis, blocking, {
    prefix: keyPrefix(options.namespace, 'alerts'),
    maxLength: options.maxLength,
    logger: options.logger,
    ownsConnection: true,
  });
}

/** Lifecycle state (acks, resolutions, folds, silences) in Redis when configured, else in memory. */
export function createAlertStateStore(options: { redisUrl?: string | undefined; namespace: string; logger: Logger; clock: Clock }): AlertStateStore {
  if (!options.redisUrl) return new MemoryAlertStateStore(options.clock);
  return new RedisAlertStateStore(createRedis(options.redisUrl, options.logger, 'alerts-state'), {
    prefix: keyPrefix(options.namespace, 'alerts'),
    clock: options.clock,
    ownsConnection: true,
  });
}
