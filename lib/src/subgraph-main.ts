import { migrateRedisLayout, type MovedStoreLayout } from './redis-layout-migration.js';
import { systemClock } from './clock.js';
import type { BaseContext } from '@apollo/server';
import { z } from 'zod';
import type { AlertLog } from './alerts/alert-log.js';
import { createAlertLog, createAlertStateStore } from './alerts/create-alert-log.js';
import { AlertLifecycle } from './alerts/alert-lifecycle.js';
import { foldWindowMsOf } from './alerts/lifecycle-config.js';
import { registerRoutingMetrics } from './alerts/routing-metrics.js';
import { AlertPublisher } from './alerts/publisher.js';
import { baseConfigShape, baseOverrides, configValueAt, type BaseConfig } from './base-config.js';
import { ConfigError, loadConfig, type EnvOverride } from './config.js';
import { createServiceRegistry } from './metrics.js';
import { resolveSigningSecret, runService } from './service-main.js';
import type { SharedServices } from './shared-services.js';
import { serveSubgraph, type SubgraphDefinition } from './subgraph-server.js';
import { startTracing } from './telemetry/tracing.js';

/** Every top-level section a Vigil config file may hold; a service checks its own and tolerates the rest. */
export const SECTION_NAMES = ['gateway', 'hosts', 'cluster', 'audit', 'compliance', 'alerts'] as const;
export type SectionName = (typeof SECTION_NAMES)[number];

/**
 * Base settings plus every section as "not mine": a service spreads this, adds its own section
 * (strict), then `.strict().superRefine(requireSecretInProduction)`. The shape is concrete so zod's
 * types stay precise.
 */
export const serviceConfigShape = {
  ...baseConfigShape,
  ...(Object.fromEntries(SECTION_NAMES.map((name) => [name, z.unknown().optional()])) as Record<SectionName, z.ZodOptional<z.ZodUnknown>>),
};

export interface SubgraphBuild<TContext extends BaseContext> {
  definition: SubgraphDefinition<TContext>;
  /** Called once the subgraph serves (e.g. start probing). */
  start?: () => void | Promise<void>;
  /** Called on shutdown after the server drained, before the alert log closes (e.g. stop delivering). */
  stop?: () => Promise<void>;
}

/**
 * Process entry of one subgraph as its own service (docker-compose): config, the alert log its
 * publisher writes to (Redis; in memory only when none is configured, where alerts stay local),
 * the subgraph server on its port, and a drain on SIGTERM.
 */
export async function runSubgraphService<TConfig extends BaseConfig, TSection extends { port: number }, TContext extends BaseContext>(
  key: SectionName,
  schema: z.ZodType<TConfig>,
  overrides: EnvOverride[],
  sectionOf: (config: TConfig) => TSection,
  /** `signingSecret`: the one this process verifies with (resolved once), for a subgraph that calls others as the caller. */
  build: (section: TSection, shared: SharedServices, alertLog: AlertLog, service: { signingSecret: string }) => SubgraphBuild<TContext>,
  /** The subgraph's stores whose keys moved to the one-slot layout, as each store's key module exports it. */
  movedStores: readonly MovedStoreLayout[] = [],
): Promise<void> {
  await runService(
    key,
    () => {
      const config = loadConfig({ schema, env: process.env, overrides: [...baseOverrides, ...overrides, { env: 'VIGIL_PORT', path: [key, 'port'] }, METRICS_TOKEN_OVERRIDE] });
      metricsTokenOf(config);
      return config;
    },
    async (config, logger) => {
      const own = sectionOf(config);
      // Before any Redis client or request: the process's one tracer provider (off unless configured).
      const tracing = await startTracing(config.tracing, { serviceName: `vigil-${key}`, logger });
      if (!config.redis.url) logger.warn('no Redis configured: alerts raised by this process stay in its memory');
      const alertLog = createAlertLog({ redisUrl: config.redis.url, namespace: config.redis.namespace, maxLength: 100_000, logger });
      const metrics = createServiceRegistry({ processMetricsPrefix: `vigil_${key}_` });
      // Every process that raises alerts folds repeats against the same (Redis) lifecycle state.
      const alertState = createAlertStateStore({ redisUrl: config.redis.url, namespace: config.redis.namespace, logger, clock: systemClock });
      const lifecycle = new AlertLifecycle(alertLog, alertState, { clock: systemClock, foldWindowMs: foldWindowMsOf(configValueAt(config, 'alerts')), logger, metrics: registerRoutingMetrics(metrics) });
      const shared: SharedServices = { logger, publisher: new AlertPublisher(alertLog, logger, systemClock, metrics, lifecycle), redisUrl: config.redis.url, namespace: config.redis.namespace, clock: systemClock, metrics };
      // Resolved once: in development without a configured secret each call makes a new random one.
      const signingSecret = resolveSigningSecret(config, logger);
      // Before any store touches Redis: keys of an older layout move to the current one.
      if (config.redis.url) await migrateRedisLayout({ redisUrl: config.redis.url, namespace: config.redis.namespace, logger, stores: movedStores });
      const built = build(own, shared, alertLog, { signingSecret });
      const running = await serveSubgraph(built.definition, {
        port: own.port,
        portSetting: `${key}.port (or env VIGIL_PORT)`,
        signingSecret,
        development: config.env === 'development',
        logger,
        metrics,
        metricsToken: metricsTokenOf(config),
      });
      await built.start?.();
      return {
        stop: async () => {
          await running.stop();
          await built.stop?.();
          await alertLog.close();
          await alertState.close();
          await tracing.stop();
        },
      };
    },
  );
}

/**
 * A subgraph's /metrics asks for the gateway's token (one setting for every scrape target). The
 * gateway section is not a subgraph's to check, so this one key is read and checked here.
 */
const METRICS_TOKEN_OVERRIDE: EnvOverride = { env: 'VIGIL_METRICS_TOKEN', path: ['gateway', 'auth', 'metricsToken'] };

function metricsTokenOf(config: unknown): string | undefined {
  const token = configValueAt(config, 'gateway', 'auth', 'metricsToken');
  if (token === undefined) return undefined;
  if (typeof token !== 'string' || token.length < 16) throw new ConfigError(['gateway.auth.metricsToken (or env VIGIL_METRICS_TOKEN): must be a string of at least 16 characters']);
  return token;
}
