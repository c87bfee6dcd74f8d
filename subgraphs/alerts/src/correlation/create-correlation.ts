import type { AlertLog } from '@vigil/lib/alerts/alert-log';
import type { AlertLifecycle } from '@vigil/lib/alerts/alert-lifecycle';
import { AlertPublisher } from '@vigil/lib/alerts/publisher';
import type { Clock } from '@vigil/lib/clock';
import type { Logger } from '@vigil/lib/logger';
import { createRedis, keyPrefix } from '@vigil/lib/redis';
import type { CorrelationConfig } from './correlation-config.js';
import { CorrelationEngine } from './correlation-engine.js';
import { MemoryCorrelationState, RedisCorrelationState } from './correlation-state.js';

/**
 * The correlation engine of the alerts subgraph, or null when off or without enabled rules. It raises
 * through a publisher over the same log and lifecycle every other source uses, so correlation alerts
 * are routed, folded, silenced and subscribed to like any other.
 */
export function createCorrelation(
  config: CorrelationConfig,
  services: { log: AlertLog; lifecycle: AlertLifecycle; publisher?: AlertPublisher; clock: Clock; logger: Logger; redisUrl: string | undefined; namespace: string },
): CorrelationEngine | null {
  const rules = config.rules.filter((rule) => rule.enabled);
  if (!config.enabled || rules.length === 0) return null;
  const state = services.redisUrl
    ? new RedisCorrelationState(createRedis(services.redisUrl, services.logger, 'alerts-correlation'), `${keyPrefix(services.namespace, 'alerts')}correlation:`, { ownsConnection: true })
    : new MemoryCorrelationState();
  return new CorrelationEngine({
    log: services.log,
    publisher: services.publisher ?? new AlertPublisher(services.log, services.logger, undefined, services.lifecycle),
    state,
    rules,
    consumer: config.consumer,
    clock: services.clock,
    logger: services.logger,
  });
}
