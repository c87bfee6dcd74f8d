import type { Severity } from '../alerts/alert.js';
import type { AuditRulesConfig } from './rules-config.js';
import type { AuditDetails } from './audit-event.js';
import { isRbacWrite, isSecretRead, podStreamOf, succeeded } from './details.js';

/**
 * The live audit alert rules, as pure functions over one audit record's details (normalise.ts
 * `auditDetails`). Pure so that any feed can drive them: the webhook intake today
 * (http/k8s-audit-ingest.ts), a VictoriaLogs live tail later (its rows are the same records without
 * bodies: parse with `auditEventSchema`, then `auditDetails`). What needs memory — once per request,
 * counts over a window, silence — is kept outside: the delivery ledger (once per auditID, see
 * delivery-ledger.ts) and the small stateful evaluator (rule-evaluator.ts).
 *
 * | rule               | fires for                                                                          | default severity |
 * |--------------------|------------------------------------------------------------------------------------|------------------|
 * | secretReadByPerson | get/list/watch of a Secret that succeeded, by a person (not system:*)              | HIGH             |
 * | rbacChange         | create/update/patch/delete(collection) of an RBAC object that succeeded            | HIGH             |
 * | podExec            | pods/exec, pods/attach, pods/portforward opened (101 or 2xx)                       | MEDIUM           |
 * | anonymousAllowed   | a request by system:anonymous that authorization allowed (health paths excepted)   | HIGH             |
 * | apiFailureRate     | ≥ threshold (20) responses 401/403 in a cluster within the window (300 s)          | MEDIUM           |
 * | silence            | no audit record from a cluster for N (10) minutes; resolved when records return    | HIGH             |
 *
 * Per-request rules look at a record once its response is known: ResponseStarted (an exec session
 * opening, a watch starting) or the final ResponseComplete / Panic. RequestReceived carries no outcome.
 * A request that matches at two stages (exec: ResponseStarted, then ResponseComplete when the session
 * closes) fires once, at the first: the caller dedups by `onceKey`.
 */

export const REQUEST_RULE_IDS = ['secretReadByPerson', 'rbacChange', 'podExec', 'anonymousAllowed'] as const;
export type RequestRuleId = (typeof REQUEST_RULE_IDS)[number];
export type AuditRuleId = RequestRuleId | 'apiFailureRate' | 'silence';

/** The name shown in alerts (`rule: k8s-audit: <name>`). */
export const AUDIT_RULE_NAMES: Readonly<Record<AuditRuleId, string>> = {
  secretReadByPerson: 'Secret read by a person',
  rbacChange: 'RBAC change',
  podExec: 'Pod exec, attach or port-forward',
  anonymousAllowed: 'Anonymous request allowed',
  apiFailureRate: 'API failure rate',
  silence: 'No audit events',
};

/** One audit record as the rules see it: its cluster and details. */
export interface AuditRuleInput {
  cluster: string;
  details: AuditDetails;
}

export interface RequestRuleMatch {
  rule: RequestRuleId;
  severity: Severity;
  /** Fires once per value: one API request (auditID) per rule, whichever stage shows it first. */
  onceKey: string;
}

/** The stages whose record carries the request's outcome. */
export function hasOutcome(d: Pick<AuditDetails, 'stage'>): boolean {
  return d.stage === 'ResponseStarted' || d.stage === 'ResponseComplete' || d.stage === 'Panic';
}

/** A request's last record: what rates count (one per request). */
export function isFinalRecord(d: Pick<AuditDetails, 'stage'>): boolean {
  return d.stage === 'ResponseComplete' || d.stage === 'Panic';
}

/** A person: authenticated, and neither a service account nor any other `system:` identity (nodes, control plane, anonymous). */
export function isPerson(d: Pick<AuditDetails, 'user'>): boolean {
  return d.user !== '' && !d.user.startsWith('system:');
}

export function isAnonymous(d: Pick<AuditDetails, 'user' | 'groups'>): boolean {
  return d.user === 'system:anonymous' || d.groups.includes('system:unauthenticated');
}

/**
 * Authorization let it through: the `authorization.k8s.io/decision` annotation says allow, or (a
 * record without it) the response is known and neither 401 nor 403. A 404 after an allow is still
 * allowed: anonymous may look.
 */
export function wasAllowed(d: Pick<AuditDetails, 'decision' | 'responseCode'>): boolean {
  if (d.decision !== null) return d.decision === 'allow';
  return d.responseCode !== null && d.responseCode !== 401 && d.responseCode !== 403;
}

/** What the failure-rate rule counts: failed authentication or authorization. */
export function isAuthFailure(d: Pick<AuditDetails, 'responseCode'>): boolean {
  return d.responseCode === 401 || d.responseCode === 403;
}

/** `ignoreUsers` entries: exact, or a prefix ending in `*`. */
export function userMatches(user: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith('*') ? user.startsWith(p.slice(0, -1)) : user === p));
}

/** `/healthz` matches `/healthz`, `/healthz/etcd` and `/healthz?verbose`, not `/healthzz`. */
export function pathMatches(requestUri: string, paths: readonly string[]): boolean {
  const path = requestUri.split('?')[0] ?? requestUri;
  return paths.some((p) => {
    const base = p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
    return path === base || path.startsWith(base === '/' ? '/' : `${base}/`);
  });
}

/** Whether each per-request rule matches the record, ignoring its config. */
const MATCHES: Readonly<Record<RequestRuleId, (d: AuditDetails, config: AuditRulesConfig) => boolean>> = {
  secretReadByPerson: (d) => isSecretRead(d) && isPerson(d) && succeeded(d),
  rbacChange: (d) => isRbacWrite(d) && succeeded(d),
  podExec: (d) => podStreamOf(d) !== null && succeeded(d),
  // Non-resource requests only: the health paths are public by design; a resource request never is.
  anonymousAllowed: (d, config) => isAnonymous(d) && wasAllowed(d) && !(d.resource === null && pathMatches(d.requestUri, config.anonymousAllowed.ignorePaths)),
};

/**
 * The per-request rules this record matches (enabled, user not ignored), in REQUEST_RULE_IDS order.
 * Only records that carry an outcome can match. Several rules may match one request (an anonymous RBAC
 * write): each fires, once.
 */
export function matchRequestRules(input: AuditRuleInput, config: AuditRulesConfig): RequestRuleMatch[] {
  const d = input.details;
  if (!hasOutcome(d)) return [];
  const matches: RequestRuleMatch[] = [];
  for (const rule of REQUEST_RULE_IDS) {
    const settings = config[rule];
    if (!settings.enabled || userMatches(d.user, settings.ignoreUsers)) continue;
    if (!MATCHES[rule](d, config)) continue;
    matches.push({ rule, severity: settings.severity, onceKey: ruleOnceKey(d.auditId, rule) });
  }
  return matches;
}

/** The delivery ledger's key for one record. */
export function recordKey(d: Pick<AuditDetails, 'auditId' | 'stage'>): string {
  return `${d.auditId}/${d.stage}`;
}

/** The delivery ledger's key for "this rule fired for this request". Stages never contain `:`, so it cannot collide with a record key. */
export function ruleOnceKey(auditId: string, rule: RequestRuleId): string {
  return `${auditId}/rule:${rule}`;
}

/** Counts of one cluster's final records in one time bucket: the failure-rate rule's input. */
export interface RequestCounts {
  requests: number;
  failures: number;
}

/** Adds the final records among `details` to request/failure counts; other stages do not count (one record per request). */
export function countRequests(details: readonly AuditDetails[]): RequestCounts {
  let requests = 0;
  let failures = 0;
  for (const d of details) {
    if (!isFinalRecord(d)) continue;
    requests += 1;
    if (isAuthFailure(d)) failures += 1;
  }
  return { requests, failures };
}

/** Whether a window's counts fire the failure-rate rule. */
export function failureRateExceeded(counts: RequestCounts, config: AuditRulesConfig['apiFailureRate']): boolean {
  return config.enabled && counts.failures >= config.threshold;
}
