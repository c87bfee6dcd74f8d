import { systemClock } from './clock.js';
import type { BaseContext } from '@apollo/server';
import { z } from 'zod';
import type { AlertLog } from './alerts/alert-log.js';
import { createAlertLog } from './alerts/create-alert-log.js';
import { AlertPublisher } from './alerts/publisher.js';
import { baseConfigShape, baseOverrides, type BaseConfig } from './base-config.js';
import { loadConfig, type EnvOverride } from './config.js';
import { resolveSigningSecret, runService } from './service-main.js';
import type { SharedServices } from './shared-services.js';
import { serveSubgraph, type SubgraphDefinition } from './subgraph-server.js';

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
  build: (section: TSection, shared: SharedServices, alertLog: AlertLog) => SubgraphBuild<TContext>,
): Promise<void> {
  await runService(
    key,
    () => loadConfig({ schema, env: process.env, overrides: [...baseOverrides, ...overrides, { env: 'VIGIL_PORT', path: [key, 'port'] }] }),
    async (config, logger) => {
      const own = sectionOf(config);
      if (!config.redis.url) logger.warn('no Redis configured: alerts raised by this process stay in its memory');
      const alertLog = createAlertLog({ redisUrl: config.redis.url, namespace: config.redis.namespace, maxLength: 100_000, logger });
      const shared: SharedServices = { logger, publisher: new AlertPublisher(alertLog, logger), redisUrl: config.redis.url, namespace: config.redis.namespace, clock: systemClock };
      const built = build(own, shared, alertLog);
      const running = await serveSubgraph(built.definition, {
        port: own.port,
        portSetting: `${key}.port (or env VIGIL_PORT)`,
        signingSecret: resolveSigningSecret(config, logger),
        development: config.env === 'development',
        logger,
      });
      await built.start?.();
      return {
        stop: async () => {
          await running.stop();
          await alertLog.close();
        },
      };
    },
  );
}
