import type { AlertLog } from '@vigil/lib/alerts/alert-log';
import type { AlertStateStore } from '@vigil/lib/alerts/alert-state';
import type { RoutingMetrics } from '@vigil/lib/alerts/routing-metrics';
import type { Clock } from '@vigil/lib/clock';
import type { Logger } from '@vigil/lib/logger';
import { createRedis, keyPrefix, type Redis } from '@vigil/lib/redis';
import { AlertRouter } from './alert-router.js';
import { MemoryDeadLetterStore, RedisDeadLetterStore, type DeadLetterStore } from './dead-letters.js';
import { createOutput } from './outputs.js';
import type { DeliveryConfig, OutputConfig, RouteFilter } from './routing-config.js';

export interface RoutingSettings {
  publicUrl: string;
  outputs: Readonly<Record<string, OutputConfig>>;
  routes: readonly { output: string; filter: RouteFilter }[];
  delivery: DeliveryConfig;
}

export interface Routing {
  router: AlertRouter;
  deadLetters: DeadLetterStore;
  /** Output names and types, in config order (for the API). */
  outputs: { name: string; type: OutputConfig['type'] }[];
  close(): Promise<void>;
}

/** The router of the configured outputs and routes; dead letters in Redis when configured (beside the log's consumer groups). */
export function createRouting(
  settings: RoutingSettings,
  deps: { log: AlertLog; state: AlertStateStore; clock: Clock; logger: Logger; metrics?: RoutingMetrics; redisUrl: string | undefined; namespace: string },
): Routing {
  let redis: Redis | null = null;
  let deadLetters: DeadLetterStore;
  if (deps.redisUrl) {
    redis = createRedis(deps.redisUrl, deps.logger, 'alerts-routing');
    deadLetters = new RedisDeadLetterStore(redis, keyPrefix(deps.namespace, 'alerts'));
  } else {
    deadLetters = new MemoryDeadLetterStore();
  }
  const outputs = Object.entries(settings.outputs).map(([name, config]) => createOutput(name, config, { publicUrl: settings.publicUrl, clock: deps.clock, timeoutMs: settings.delivery.timeoutMs }));
  const routes = new Map<string, RouteFilter[]>();
  for (const route of settings.routes) routes.set(route.output, [...(routes.get(route.output) ?? []), route.filter]);
  // An output no route names would read the log and send nothing: leave it out.
  const routed = outputs.filter((output) => routes.has(output.name));
  const router = new AlertRouter({
    log: deps.log,
    silences: () => deps.state.silences(),
    deadLetters,
    outputs: routed,
    routes,
    delivery: settings.delivery,
    clock: deps.clock,
    logger: deps.logger,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
  });
  return {
    router,
    deadLetters,
    outputs: Object.entries(settings.outputs).map(([name, config]) => ({ name, type: config.type })),
    close: async () => {
      await router.close();
      await redis?.quit().catch(() => redis?.disconnect());
    },
  };
}
