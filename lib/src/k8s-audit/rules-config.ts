import { z } from 'zod';
import { SEVERITIES } from '../alerts/alert.js';

/**
 * `ignoreUsers` entries: an exact username, or a prefix ending in `*`
 * (`system:serviceaccount:argocd:*`). Matched against the authenticated user, not the impersonated one.
 */
const userPatterns = z.array(z.string().min(1).max(256)).max(1000);
const severity = z.enum(SEVERITIES);

/** What every per-request rule has: on or off, the alert's severity, users it never fires for. */
function requestRule(defaults: { severity: (typeof SEVERITIES)[number]; ignoreUsers?: string[] }) {
  return {
    /** @default true */
    enabled: z.boolean().default(true),
    severity: severity.default(defaults.severity),
    ignoreUsers: userPatterns.default(defaults.ignoreUsers ?? []),
  };
}

/**
 * The live audit alert rules (rules.ts), evaluated on the cluster subgraph's webhook intake
 * (`cluster.audit.rules`) and on the audit subgraph's VictoriaLogs live tail (`audit.liveRules.rules`). Per-request
 * rules fire once per API request (by auditID); the failure-rate rule at most once per window per
 * cluster; the silence rule once per silence, resolved (an INFO alert) when events arrive again.
 */
export const auditRulesConfig = z
  .object({
    /** A person (not a service account, not any `system:` identity) got, listed or watched a Secret, and it succeeded. */
    secretReadByPerson: z.object(requestRule({ severity: 'HIGH' })).strict().prefault({}),
    /**
     * create, update, patch, delete or deletecollection of a Role, RoleBinding, ClusterRole or
     * ClusterRoleBinding that succeeded. Ignored by default: the control plane reconciling its own roles
     * (the API server's bootstrap policy at every start, the controller manager and its
     * clusterrole-aggregation-controller updating aggregated ClusterRoles when a CRD is installed).
     */
    rbacChange: z
      .object(
        requestRule({
          severity: 'HIGH',
          ignoreUsers: ['system:apiserver', 'system:kube-controller-manager', 'system:serviceaccount:kube-system:clusterrole-aggregation-controller'],
        }),
      )
      .strict()
      .prefault({}),
    /** pods/exec, pods/attach or pods/portforward opened (101 or 2xx): fires when the session opens (ResponseStarted), not when it ends. */
    podExec: z.object(requestRule({ severity: 'MEDIUM' })).strict().prefault({}),
    /**
     * A request by `system:anonymous` (or group `system:unauthenticated`) that authorization allowed.
     * `ignorePaths`: non-resource paths anonymous may read by design (the default
     * system:public-info-viewer binding); a path matches itself and everything below it, query ignored.
     */
    anonymousAllowed: z
      .object({
        ...requestRule({ severity: 'HIGH' }),
        ignorePaths: z.array(z.string().regex(/^\//, 'a path such as /healthz')).max(1000).default(['/healthz', '/livez', '/readyz', '/version']),
      })
      .strict()
      .prefault({}),
    /**
     * Failed authentication or authorization (responses 401 and 403) counted per cluster over a sliding
     * window: `threshold` or more within `windowSeconds` fires, at most once per window. A count of
     * 401/403, not a share of 4xx/5xx: controllers answer themselves 404 and 409 all day (optimistic
     * concurrency, deletes of what is gone), which would drown a share, and a share hides a burst of
     * denials in a busy cluster. Counted on each request's final record (ResponseComplete or Panic).
     */
    apiFailureRate: z
      .object({
        /** @default true */
        enabled: z.boolean().default(true),
        severity: severity.default('MEDIUM'),
        /** 401 + 403 responses within the window that fire. @default 20 */
        threshold: z.coerce.number().int().min(1).max(10_000_000).default(20),
        /** @default 300 */
        windowSeconds: z.coerce.number().int().min(10).max(86_400).default(300),
      })
      .strict()
      .prefault({}),
    /**
     * No audit record at all from a cluster for `minutes` (detection went blind: API server webhook
     * misconfigured, network cut, Vigil unreachable). Armed by the cluster's first record; raised once,
     * resolved by an INFO alert when records arrive again, then armed again.
     */
    silence: z
      .object({
        /** @default true */
        enabled: z.boolean().default(true),
        severity: severity.default('HIGH'),
        /** @default 10 */
        minutes: z.coerce.number().int().min(1).max(10_080).default(10),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});
export type AuditRulesConfig = z.infer<typeof auditRulesConfig>;
