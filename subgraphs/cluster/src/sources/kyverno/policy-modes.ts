import { isEnforcePolicy } from './policy.js';

/** What PolicyModes needs of a ClusterPolicy / Policy: its identity; the rest is read by `isEnforcePolicy`. */
export interface PolicyObject {
  metadata: { name: string; namespace?: string | undefined };
  [key: string]: unknown;
}

export type PolicyUpsertResult = { ok: true } | { ok: false; reason: string };

/**
 * The Kyverno policies of each cluster as last read (ClusterPolicy and Policy, kyverno.io/v1), so a
 * report result can be asked "does its policy enforce?" — policy reports do not say. In memory only:
 * the informers re-list every policy at start, so nothing needs to survive a restart.
 *
 * Names as reports give them: a ClusterPolicy by its name; a namespaced Policy as `<namespace>/<name>`
 * (openreports output, and recent Kyverno) or, in older wgpolicyk8s reports, by its bare name (the
 * report lives in the Policy's namespace, and a Policy only matches resources there).
 */
export class PolicyModes {
  /** cluster → key (`name` for a ClusterPolicy, `<namespace>/<name>` for a Policy) → policy object. */
  private readonly clusters = new Map<string, Map<string, PolicyObject>>();

  /**
   * Records (or replaces) a policy. One that `isEnforcePolicy` cannot read is dropped, and any earlier
   * version forgotten: its mode is then unknown rather than stale.
   */
  upsert(cluster: string, policy: PolicyObject): PolicyUpsertResult {
    const key = keyOf(policy);
    try {
      isEnforcePolicy(policy);
    } catch (error) {
      this.clusters.get(cluster)?.delete(key);
      return { ok: false, reason: error instanceof Error ? error.message : String(error) };
    }
    let policies = this.clusters.get(cluster);
    if (!policies) this.clusters.set(cluster, (policies = new Map()));
    policies.set(key, policy);
    return { ok: true };
  }

  delete(cluster: string, policy: Pick<PolicyObject, 'metadata'>): void {
    this.clusters.get(cluster)?.delete(keyOf(policy));
  }

  /**
   * Whether a failure of `policyName` (as a report names it) on a resource in `namespace` blocks the
   * request; `undefined` when the policy is not known (not read yet, deleted, or unreadable).
   * A bare name is looked up as a ClusterPolicy first, then as a Policy in `namespace`.
   */
  isEnforce(cluster: string, policyName: string, query: { namespace?: string | null; rule?: string | null } = {}): boolean | undefined {
    const policies = this.clusters.get(cluster);
    if (!policies) return undefined;
    const namespace = query.namespace || undefined;
    const policy = policyName.includes('/') ? policies.get(policyName) : (policies.get(policyName) ?? (namespace ? policies.get(`${namespace}/${policyName}`) : undefined));
    if (!policy) return undefined;
    try {
      return isEnforcePolicy(policy, { rule: query.rule ?? null, ...(namespace !== undefined ? { namespace } : {}) });
    } catch {
      // Checked at upsert; unreachable unless the object was changed in place.
      return undefined;
    }
  }

  /** How many policies are known for a cluster (for tests and diagnostics). */
  size(cluster: string): number {
    return this.clusters.get(cluster)?.size ?? 0;
  }
}

function keyOf(policy: Pick<PolicyObject, 'metadata'>): string {
  const { name, namespace } = policy.metadata;
  return namespace ? `${namespace}/${name}` : name;
}
