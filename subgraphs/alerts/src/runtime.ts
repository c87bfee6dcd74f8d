import type { AlertLog } from '@vigil/lib/alerts/alert-log';
import type { AlertLifecycle } from '@vigil/lib/alerts/alert-lifecycle';
import type { RoutingMetrics } from '@vigil/lib/alerts/routing-metrics';
import type { Clock } from '@vigil/lib/clock';
import type { Logger } from '@vigil/lib/logger';
import type { SubgraphDefinition } from '@vigil/lib/subgraph-server';
import type { AlertsConfig } from './config.js';
import type { AlertsContext } from './context.js';
import { createRouting } from './routing/create-router.js';
import { createAlertsSubgraph } from './server.js';

export interface AlertsRuntime {
  definition: SubgraphDefinition<AlertsContext>;
  /** Starts delivering to the configured outputs (no-op without routes). */
  start(): Promise<void>;
  /** Stops delivery; what was not delivered stays pending in the outputs' consumer groups. Before the log closes. */
  stop(): Promise<void>;
}

/** The alerts subgraph and its router, over an alert log and lifecycle owned by the caller (shared with the publishers in one process). */
export function createAlertsRuntime(
  config: AlertsConfig,
  log: AlertLog,
  lifecycle: AlertLifecycle,
  services: { clock: Clock; logger: Logger; redisUrl: string | undefined; namespace: string; metrics?: RoutingMetrics },
): AlertsRuntime {
  const routing =
    config.routes.length > 0
      ? createRouting(config, { log, state: lifecycle.store, clock: services.clock, logger: services.logger.child({ component: 'alert-router' }), redisUrl: services.redisUrl, namespace: services.namespace, ...(services.metrics ? { metrics: services.metrics } : {}) })
      : undefined;
  return {
    definition: createAlertsSubgraph({ log, maxBufferedPerSubscriber: config.maxBufferedPerSubscriber, lifecycle, clock: services.clock, ...(routing ? { routing } : {}) }),
    start: async () => {
      await routing?.router.start();
    },
    stop: async () => {
      await routing?.close();
    },
  };
}
