import { createVigilClient, type VigilClient } from '@vigil/sdk/index';
import type { SharedServices } from '@vigil/lib/shared-services';
import type { SubgraphDefinition } from '@vigil/lib/subgraph-server';
import { loadCatalogue, type Catalogue } from './catalogue.js';
import type { ComplianceConfig } from './config.js';
import type { ComplianceContext } from './context.js';
import { ComplianceEngine } from './engine.js';
import { GraphEvidenceSource, type EvidenceSource } from './evidence-source.js';
import { createComplianceSubgraph } from './server.js';
import { StartupError } from '@vigil/lib/listen';
import { createRedis, keyPrefix } from '@vigil/lib/redis';
import { RedisResultStore } from './store/redis-result-store.js';
import { RedisWaiverStore } from './store/redis-waiver-store.js';
import { MemoryResultStore, type ResultStore } from './store/result-store.js';
import { MemoryWaiverStore, type WaiverStore } from './store/waiver-store.js';

/** compliance.maxProbeAgeHours is the older setting for CM-8's freshness: it still wins over the catalogue's param. */
function withProbeAge(catalogue: Catalogue, hours: number): Catalogue {
  return { ...catalogue, controls: catalogue.controls.map((c) => (c.evaluator === 'inventory-probed-within-24h' ? { ...c, params: { ...c.params, maxProbeAgeHours: hours } } : c)) };
}

/**
 * The catalogue, or a StartupError: its problems are the operator's to fix in a file, so the process
 * prints them on stderr, naming each entry, and exits 1 without a stack trace (service-main.ts).
 */
function startupCatalogue(path: string | undefined): Catalogue {
  try {
    return loadCatalogue(path);
  } catch (error) {
    throw new StartupError(error instanceof Error ? error.message : String(error), { cause: error });
  }
}

export interface ComplianceRuntime {
  definition: SubgraphDefinition<ComplianceContext>;
  engine: ComplianceEngine;
}

/**
 * The compliance subgraph and its evaluation engine (started here: first run a second after start,
 * then every evaluateIntervalSeconds). `gatewayUrl` may be a function: in the one-process stack the
 * gateway's port is known only after the subgraphs it fronts have started. A bad catalogue throws
 * here, naming the entry, so the process exits 1 at start.
 */
export function createComplianceRuntime(
  config: ComplianceConfig,
  shared: SharedServices,
  gatewayUrl: string | (() => string) = config.gatewayUrl,
  gatewayApiKey: string | undefined = config.gatewayApiKey,
  options: { evidence?: EvidenceSource; store?: ResultStore; waivers?: WaiverStore; autoStart?: boolean } = {},
): ComplianceRuntime {
  const catalogue = withProbeAge(startupCatalogue(config.cataloguePath), config.maxProbeAgeHours);
  let client: VigilClient | null = null;
  const lazyClient = (): VigilClient => (client ??= createVigilClient({ url: typeof gatewayUrl === 'function' ? gatewayUrl() : gatewayUrl, ...(gatewayApiKey ? { headers: { 'x-api-key': gatewayApiKey } } : {}) }));
  const evidence = options.evidence ?? new GraphEvidenceSource(lazyClient, { lookBackDays: config.evidenceLookBackDays });
  // Redis when configured (results, history, scores and waivers survive a restart and are shared by
  // replicas); in the process otherwise (the embedded stack). One connection serves both stores.
  const redis = shared.redisUrl && (!options.store || !options.waivers) ? createRedis(shared.redisUrl, shared.logger, 'compliance') : null;
  const prefix = keyPrefix(shared.namespace, 'compliance');
  const retention = { historyMs: config.historyRetentionDays * 86_400_000, now: shared.clock };
  const store = options.store ?? (redis ? new RedisResultStore(redis, prefix, retention, false) : new MemoryResultStore());
  const waivers = options.waivers ?? (redis ? new RedisWaiverStore(redis, prefix, false) : new MemoryWaiverStore());
  const engine = new ComplianceEngine({ catalogue, evidence, store, publisher: shared.publisher, logger: shared.logger, clock: shared.clock, scoreDropThreshold: config.scoreDropThreshold });
  if (options.autoStart !== false) engine.start(config.evaluateIntervalSeconds * 1000);
  const definition = createComplianceSubgraph({ catalogue, engine, store, waivers, logger: shared.logger, clock: shared.clock });
  return {
    engine,
    definition: {
      ...definition,
      close: async () => {
        await engine.stop();
        await store.close();
        await waivers.close();
        if (redis) await redis.quit().catch(() => redis.disconnect());
        await client?.dispose();
      },
    },
  };
}
