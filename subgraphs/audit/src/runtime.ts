import type { SharedServices } from '@vigil/lib/shared-services';
import type { SubgraphDefinition } from '@vigil/lib/subgraph-server';
import type { AuditConfig } from './config.js';
import type { AuditContext } from './context.js';
import { createAuditSubgraph } from './server.js';
import { VictoriaLogsAuditLogSource } from './sources/victorialogs/audit-log-source.js';
import { VictoriaLogsClient } from './sources/victorialogs/client.js';

export function createAuditRuntime(config: AuditConfig, shared: SharedServices, clusterName = 'default'): { definition: SubgraphDefinition<AuditContext> } {
  const vl = config.victoriaLogs;
  if (!vl.url) shared.logger.warn('no VictoriaLogs configured: Query.auditEvents will answer UPSTREAM_UNAVAILABLE');
  const client = vl.url ? new VictoriaLogsClient({ baseUrl: vl.url, timeoutMs: vl.timeoutMs, tenant: { accountId: vl.accountId, projectId: vl.projectId } }) : null;
  return {
    definition: createAuditSubgraph({
      source: client ? new VictoriaLogsAuditLogSource(client) : null,
      ...(client ? { sourceForTenant: (tenant: { accountId: number; projectId: number }) => new VictoriaLogsAuditLogSource(client.forTenant(tenant)) } : {}),
      clusterName,
    }),
  };
}
