import type { AlertLog } from '@vigil/lib/alerts/alert-log';
import type { AlertLifecycle } from '@vigil/lib/alerts/alert-lifecycle';
import type { RoutingMetrics } from '@vigil/lib/alerts/routing-metrics';
import type { Clock } from '@vigil/lib/clock';
import type { AlertPublisher } from '@vigil/lib/alerts/publisher';
import type { Logger } from '@vigil/lib/logger';
import type { SubgraphDefinition } from '@vigil/lib/subgraph-server';
import type { AlertsConfig } from './config.js';
import type { AlertsContext } from './context.js';
import { createRouting } from './routing/create-router.js';
import { createAlertsSubgraph } from './server.js';
import { createCorrelation } from './correlation/create-correlation.js';
import { createTimelineUpstream } from './timeline/timeline-upstream.js';
import type { UpstreamName } from './timeline/signed-subgraph-client.js';

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
  services: {
    clock: Clock;
    logger: Logger;
    redisUrl: string | undefined;
    namespace: string;
    metrics?: RoutingMetrics;
    /** Raises correlation alerts (the process's publisher, with its metrics). */
    publisher: AlertPublisher;
    /** Where timelines read the other subgraphs, signing as the gateway does; absent: timelines hold alerts only. */
    upstream?: { urls: () => Record<UpstreamName, string>; signingSecret: string };
  },
): AlertsRuntime {
  const routing =
    config.routes.length > 0
      ? createRouting(config, { log, state: lifecycle.store, clock: services.clock, logger: services.logger.child({ component: 'alert-router' }), redisUrl: services.redisUrl, namespace: services.namespace, ...(services.metrics ? { metrics: services.metrics } : {}) })
      : undefined;
  const correlation = createCorrelation(config.correlation, { log, publisher: services.publisher, clock: services.clock, logger: services.logger.child({ component: 'correlation' }), redisUrl: services.redisUrl, namespace: services.namespace });
  return {
    definition: createAlertsSubgraph({
      log,
      maxBufferedPerSubscriber: config.maxBufferedPerSubscriber,
      lifecycle,
      clock: services.clock,
      ...(routing ? { routing } : {}),
      ...(services.upstream ? { timeline: createTimelineUpstream({ ...services.upstream, timeoutMs: config.timeline.upstreamTimeoutMs, logger: services.logger.child({ component: 'timeline' }) }) } : {}),
    }),
    start: async () => {
      await routing?.router.start();
      await correlation?.start();
    },
    stop: async () => {
      await routing?.close();
      await correlation?.close();
    },
  };
}
