import { createVigilClient, type VigilClient } from '@vigil/sdk/index';
import type { SharedServices } from '@vigil/lib/shared-services';
import type { SubgraphDefinition } from '@vigil/lib/subgraph-server';
import { loadCatalogue, type Catalogue } from './catalogue.js';
import type { ComplianceConfig } from './config.js';
import type { ComplianceContext } from './context.js';
import { ComplianceEngine } from './engine.js';
import { GraphEvidenceSource, type EvidenceSource } from './evidence-source.js';
import { createComplianceSubgraph } from './server.js';
import { MemoryResultStore, type ResultStore } from './store/result-store.js';
import { MemoryWaiverStore } from './store/waiver-store.js';

/** compliance.maxProbeAgeHours is the older setting for CM-8's freshness: it still wins over the catalogue's param. */
function withProbeAge(catalogue: Catalogue, hours: number): Catalogue {
  return { ...catalogue, controls: catalogue.controls.map((c) => (c.evaluator === 'inventory-probed-within-24h' ? { ...c, params: { ...c.params, maxProbeAgeHours: hours } } : c)) };
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
  options: { evidence?: EvidenceSource; store?: ResultStore; autoStart?: boolean } = {},
): ComplianceRuntime {
  const catalogue = withProbeAge(loadCatalogue(config.cataloguePath), config.maxProbeAgeHours);
  let client: VigilClient | null = null;
  const lazyClient = (): VigilClient => (client ??= createVigilClient({ url: typeof gatewayUrl === 'function' ? gatewayUrl() : gatewayUrl, ...(gatewayApiKey ? { headers: { 'x-api-key': gatewayApiKey } } : {}) }));
  const evidence = options.evidence ?? new GraphEvidenceSource(lazyClient, { lookBackDays: config.evidenceLookBackDays });
  // Results are kept in memory (the Redis store is not built yet; see the README).
  const store = options.store ?? new MemoryResultStore();
  const engine = new ComplianceEngine({ catalogue, evidence, store, publisher: shared.publisher, logger: shared.logger, clock: shared.clock, scoreDropThreshold: config.scoreDropThreshold });
  if (options.autoStart !== false) engine.start(config.evaluateIntervalSeconds * 1000);
  const definition = createComplianceSubgraph({ catalogue, engine, store, waivers: new MemoryWaiverStore(), logger: shared.logger, clock: shared.clock });
  return {
    engine,
    definition: {
      ...definition,
      close: async () => {
        await engine.stop();
        await store.close();
        await client?.dispose();
      },
    },
  };
}
