import { systemClock, type Clock } from '@vigil/lib/clock';
import { VigilError } from '@vigil/lib/errors';
import type { Identity } from '@vigil/lib/identity';
import { tenantFilter } from '@vigil/lib/tenancy';
import type { AuditLogSource } from './sources/victorialogs/audit-log-source.js';
import type { AuditCoverageConfig } from './coverage-config.js';
import { createIdentityLoaders, type IdentityLoaders } from './identity-loaders.js';

export interface AuditDeps {
  /** Null when no VictoriaLogs is configured: audit fields then fail with UPSTREAM_UNAVAILABLE. */
  source: AuditLogSource | null;
  /** The same store read as another VictoriaLogs tenant (AccountID/ProjectID). */
  sourceForTenant?: (tenant: { accountId: number; projectId: number }) => AuditLogSource;
  /** The cluster name recorded on audit events forwarded by this deployment. */
  clusterName: string;
  /** "Now" for ranges that end now (auditHistogram without `to`). @default systemClock */
  clock?: Clock;
  /** What auditPolicyCoverage expects (audit.coverage). @default DEFAULT_COVERAGE_CONFIG */
  coverage?: AuditCoverageConfig;
}

export interface AuditContext {
  deps: AuditDeps;
  clock: Clock;
  /**
   * The caller's audit events: the configured VictoriaLogs tenant for unrestricted callers, the
   * tenant's own AccountID/ProjectID otherwise. Never chosen by an argument. Searches, counts and
   * histograms all read through it.
   */
  source(): AuditLogSource | null;
  /** The clusters the caller's tenants hold; null for unrestricted callers. */
  tenantClusters: readonly string[] | null;
  /** Identity.activity, batched per range over the identities of one response. */
  identityLoaders: IdentityLoaders;
}

export function createAuditContextFactory(deps: AuditDeps) {
  return async (request: { identity: Identity | null }): Promise<AuditContext> => {
    const tenants = tenantFilter(request.identity);
    const accounts = tenants.victoriaLogs;
    const context: AuditContext = {
      deps,
      clock: deps.clock ?? systemClock,
      tenantClusters: tenants.clusters === null ? null : [...tenants.clusters],
      identityLoaders: createIdentityLoaders(() => sourceOf(context)),
      source: () => {
        if (accounts === null) return deps.source;
        if (accounts.length === 0) throw new VigilError('FORBIDDEN', "Your tenants have no audit scope (no victoriaLogs account in the tenant's config).");
        // One VictoriaLogs query reads one tenant; merging pages across tenants is not built.
        if (accounts.length > 1) throw new VigilError('FORBIDDEN', 'Your tenants span several VictoriaLogs accounts; audit queries need a token scoped to one of them.');
        const [account] = accounts;
        if (!deps.source || !account) return null;
        if (!deps.sourceForTenant) throw new VigilError('FORBIDDEN', 'Per-tenant audit queries are not configured here.');
        return deps.sourceForTenant(account);
      },
    };
    return context;
  };
}

/** The caller's audit store, or UPSTREAM_UNAVAILABLE when no VictoriaLogs is configured. */
export function sourceOf(context: AuditContext): AuditLogSource {
  const source = context.source();
  if (!source) {
    throw new VigilError('UPSTREAM_UNAVAILABLE', 'No VictoriaLogs is configured: set audit.victoriaLogs.url or VICTORIALOGS_URL.');
  }
  return source;
}
