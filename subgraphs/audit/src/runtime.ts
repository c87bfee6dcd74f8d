import type { SharedServices } from '@vigil/lib/shared-services';
import type { SubgraphDefinition } from '@vigil/lib/subgraph-server';
import { layoutsOf, type AuditConfig } from './config.js';
import type { AuditContext } from './context.js';
import { createAuditSubgraph } from './server.js';
import { VictoriaLogsAuditLogSource } from './sources/victorialogs/audit-log-source.js';
import { VictoriaLogsClient } from './sources/victorialogs/client.js';

export function createAuditRuntime(config: AuditConfig, shared: SharedServices, clusterName = 'default'): { definition: SubgraphDefinition<AuditContext> } {
  const vl = config.victoriaLogs;
  if (!vl.url) shared.logger.warn('no VictoriaLogs configured: Query.auditEvents will answer UPSTREAM_UNAVAILABLE');
  // Each VictoriaLogs tenant's records are read in its own layout (audit.victoriaLogs.layout / tenantLayouts).
  const layoutOf = layoutsOf(vl);
  const client = vl.url ? new VictoriaLogsClient({ baseUrl: vl.url, timeoutMs: vl.timeoutMs, tenant: { accountId: vl.accountId, projectId: vl.projectId } }) : null;
  return {
    definition: createAuditSubgraph({
      source: client ? new VictoriaLogsAuditLogSource(client, layoutOf({ accountId: vl.accountId, projectId: vl.projectId })) : null,
      ...(client ? { sourceForTenant: (tenant: { accountId: number; projectId: number }) => new VictoriaLogsAuditLogSource(client.forTenant(tenant), layoutOf(tenant)) } : {}),
      clusterName,
      clock: shared.clock,
      coverage: config.coverage,
    }),
  };
}
