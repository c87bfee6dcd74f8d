import type { AuditLogSource } from './sources/victorialogs/audit-log-source.js';

export interface AuditDeps {
  /** Null when no VictoriaLogs is configured: audit fields then fail with UPSTREAM_UNAVAILABLE. */
  source: AuditLogSource | null;
  /** The cluster name recorded on audit events forwarded by this deployment. */
  clusterName: string;
}

export interface AuditContext {
  deps: AuditDeps;
}

export function createAuditContextFactory(deps: AuditDeps) {
  return async (): Promise<AuditContext> => ({ deps });
}
