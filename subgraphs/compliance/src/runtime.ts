import { createVigilClient, type VigilClient } from '@vigil/sdk/index';
import type { SharedServices } from '@vigil/lib/shared-services';
import type { SubgraphDefinition } from '@vigil/lib/subgraph-server';
import { loadCatalogue } from './catalogue.js';
import type { ComplianceConfig } from './config.js';
import type { ComplianceContext } from './context.js';
import { GraphEvidenceSource } from './evidence-source.js';
import { createComplianceSubgraph } from './server.js';

/**
 * The compliance subgraph. `gatewayUrl` may be a function: in the one-process stack the gateway's
 * port is known only after the subgraphs it fronts have started.
 */
export function createComplianceRuntime(
  config: ComplianceConfig,
  shared: SharedServices,
  gatewayUrl: string | (() => string) = config.gatewayUrl,
  gatewayApiKey: string | undefined = config.gatewayApiKey,
): { definition: SubgraphDefinition<ComplianceContext> } {
  const catalogue = loadCatalogue(config.cataloguePath);
  let client: VigilClient | null = null;
  const lazyClient = (): VigilClient => (client ??= createVigilClient({ url: typeof gatewayUrl === 'function' ? gatewayUrl() : gatewayUrl, ...(gatewayApiKey ? { headers: { 'x-api-key': gatewayApiKey } } : {}) }));
  const evidence = new GraphEvidenceSource(lazyClient);
  const definition = createComplianceSubgraph({ catalogue, evidence, maxProbeAgeHours: config.maxProbeAgeHours, logger: shared.logger, now: shared.clock });
  return { definition: { ...definition, close: async () => client?.dispose() } };
}
