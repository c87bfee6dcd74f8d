import type { Identity } from './identity.js';

/**
 * Row filters every subgraph applies from the caller's verified identity (never from an argument).
 * Deny by default: a request that reached a subgraph without an identity sees no tenant data.
 */
export interface TenantFilter {
  /** True when the caller is not restricted to tenants. */
  readonly unrestricted: boolean;
  /** Cluster names the caller may see; null = every cluster. */
  readonly clusters: ReadonlySet<string> | null;
  cluster(name: string): boolean;
  /** Whether a host with these inventory labels is visible (one tenant's selector must match all its pairs). */
  hostLabels(labels: Readonly<Record<string, string>>): boolean;
  /** VictoriaLogs tenants the caller's audit queries run in; null = the configured default tenant. */
  readonly victoriaLogs: readonly { accountId: number; projectId: number }[] | null;
}

const NOTHING: TenantFilter = {
  unrestricted: false,
  clusters: new Set(),
  cluster: () => false,
  hostLabels: () => false,
  victoriaLogs: [],
};

const EVERYTHING: TenantFilter = {
  unrestricted: true,
  clusters: null,
  cluster: () => true,
  hostLabels: () => true,
  victoriaLogs: null,
};

export function tenantFilter(identity: Identity | null): TenantFilter {
  if (identity === null) return NOTHING;
  if (identity.tenants === null) return EVERYTHING;
  const clusters = new Set(identity.tenants.flatMap((t) => t.clusters));
  const selectors = identity.tenants.flatMap((t) => (t.hostLabels ? [Object.entries(t.hostLabels)] : []));
  const accounts = new Map<string, { accountId: number; projectId: number }>();
  for (const t of identity.tenants) if (t.victoriaLogs) accounts.set(`${t.victoriaLogs.accountId}:${t.victoriaLogs.projectId}`, t.victoriaLogs);
  return {
    unrestricted: false,
    clusters,
    cluster: (name) => clusters.has(name),
    hostLabels: (labels) => selectors.some((pairs) => pairs.every(([key, value]) => labels[key] === value)),
    victoriaLogs: [...accounts.values()],
  };
}
