import type { AlertLog } from '@vigil/lib/alerts/alert-log';
import type { AlertPublisher } from '@vigil/lib/alerts/publisher';
import type { Clock } from '@vigil/lib/clock';
import type { Logger } from '@vigil/lib/logger';
import { createRedis, keyPrefix } from '@vigil/lib/redis';
import type { CorrelationConfig } from './correlation-config.js';
import { CorrelationEngine } from './correlation-engine.js';
import { MemoryCorrelationState, RedisCorrelationState } from './correlation-state.js';

/**
 * The correlation engine of the alerts subgraph, or null when off or without enabled rules. It raises
 * through the publisher every other source uses, so correlation alerts
 * are routed, folded, silenced and subscribed to like any other.
 */
export function createCorrelation(
  config: CorrelationConfig,
  services: { log: AlertLog; publisher: AlertPublisher; clock: Clock; logger: Logger; redisUrl: string | undefined; namespace: string },
): CorrelationEngine | null {
  // The engine evaluates only the enabled rules.
  if (!config.enabled || !config.rules.some((rule) => rule.enabled)) return null;
  const state = services.redisUrl
    ? new RedisCorrelationState(createRedis(services.redisUrl, services.logger, 'alerts-correlation'), `${keyPrefix(services.namespace, 'alerts')}correlation:`, { ownsConnection: true })
    : new MemoryCorrelationState();
  return new CorrelationEngine({
    log: services.log,
    publisher: services.publisher,
    state,
    rules: config.rules,
    consumer: config.consumer,
    clock: services.clock,
    logger: services.logger,
  });
}
