import type { SharedServices } from '@vigil/lib/shared-services';
import type { SubgraphDefinition } from '@vigil/lib/subgraph-server';
import { layoutsOf, type AuditConfig } from './config.js';
import type { AuditContext } from './context.js';
import { createLiveRules, type LiveRules, type WebhookRuleMemory } from './live-rules.js';
import { createAuditSubgraph } from './server.js';
import { VictoriaLogsAuditLogSource } from './sources/victorialogs/audit-log-source.js';
import { VictoriaLogsClient } from './sources/victorialogs/client.js';

/**
 * `options.webhook`: the cluster subgraph's webhook memory, when both run in one process without Redis
 * (so a request both feeds see alerts once; see live-rules.ts).
 */
export function createAuditRuntime(
  config: AuditConfig,
  shared: SharedServices,
  clusterName = 'default',
  options: { webhook?: WebhookRuleMemory } = {},
): { definition: SubgraphDefinition<AuditContext>; liveRules: LiveRules | null } {
  const vl = config.victoriaLogs;
  if (!vl.url) shared.logger.warn('no VictoriaLogs configured: Query.auditEvents will answer UPSTREAM_UNAVAILABLE');
  // Each VictoriaLogs tenant's records are read in its own layout (audit.victoriaLogs.layout / tenantLayouts).
  const layoutOf = layoutsOf(vl);
  const client = vl.url ? new VictoriaLogsClient({ baseUrl: vl.url, timeoutMs: vl.timeoutMs, tenant: { accountId: vl.accountId, projectId: vl.projectId } }) : null;
  // Tails start with the runtime, as the webhook's silence timer does; they stop when the subgraph closes.
  const liveRules = createLiveRules({ config, shared, clusterName, ...(options.webhook ? { webhook: options.webhook } : {}) });
  liveRules?.start();
  const subgraph = createAuditSubgraph({
    source: client ? new VictoriaLogsAuditLogSource(client, layoutOf({ accountId: vl.accountId, projectId: vl.projectId })) : null,
    ...(client ? { sourceForTenant: (tenant: { accountId: number; projectId: number }) => new VictoriaLogsAuditLogSource(client.forTenant(tenant), layoutOf(tenant)) } : {}),
    clusterName,
    clock: shared.clock,
    coverage: config.coverage,
  });
  if (!liveRules) return { definition: subgraph, liveRules };
  const close = async () => {
    await subgraph.close?.();
    await liveRules.stop();
  };
  return { definition: { ...subgraph, close }, liveRules };
}
