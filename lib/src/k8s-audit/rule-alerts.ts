import type { AlertSubject, NewAlert, Severity } from '../alerts/alert.js';
import { auditTimeToMillis } from './audit-event.js';
import { headline, kubeObject } from './details.js';

/** The security event a request was counted on (the cluster subgraph's store): its id and count become labels. */
export interface CountedEventRef {
  id: string;
  count: number;
}
import { AUDIT_RULE_NAMES, type AuditRuleInput, type AuditRuleId, type RequestCounts, type RequestRuleMatch } from './rules.js';

/**
 * The alerts the audit rules raise: what a pager needs without joins. Source AUDIT, `rule` is
 * `k8s-audit: <rule name>` and `labels.auditRule` the rule's config key. Per-request alerts name the
 * object the request was about as their subject (a KubeObject in the cluster); cluster-wide alerts
 * (failure rate, silence) have no subject — the alert model has no Cluster subject — and carry the
 * cluster in `labels.cluster`.
 */

export function ruleName(rule: AuditRuleId): string {
  return `k8s-audit: ${AUDIT_RULE_NAMES[rule]}`;
}

/**
 * A per-request rule's alert. `stored`: the security event the request was counted on, when it is one
 * (its id and count are labels); an exec alert raised when the session opens has none yet.
 */
export function requestRuleAlert(match: RequestRuleMatch, input: AuditRuleInput, stored: CountedEventRef | null): NewAlert {
  const d = input.details;
  const subject = alertSubject(input);
  const binding = d.roleRef === null ? '' : ` (${d.roleRef}${d.subjects.length > 0 ? ` → ${d.subjects.join(', ')}` : ''})`;
  const description = [
    `${d.user || 'unauthenticated'}${d.impersonatedUser === null ? '' : ` as ${d.impersonatedUser}`} ${d.verb} ${d.requestUri}${binding}`,
    `response ${d.responseCode ?? 'unknown'}`,
    d.command.length > 0 ? `command ${d.command.join(' ')}` : null,
    d.container === null ? null : `container ${d.container}`,
    d.sourceIps.length > 0 ? `from ${d.sourceIps.join(', ')}` : null,
    d.userAgent === null ? null : `user agent ${d.userAgent}`,
    d.reason === null ? null : d.reason,
  ]
    .filter((part) => part !== null)
    .join('; ');
  return {
    source: 'AUDIT',
    severity: match.severity,
    title: headline(AUDIT_RULE_NAMES[match.rule], d),
    rule: ruleName(match.rule),
    description,
    ...(subject ? { subject } : {}),
    // When the request was made (an exec: when the session opened), not when its record arrived.
    occurredAt: new Date(auditTimeToMillis(d.requestReceivedAt)).toISOString(),
    labels: {
      cluster: input.cluster,
      auditRule: match.rule,
      auditId: d.auditId,
      stage: d.stage,
      user: d.user,
      verb: d.verb,
      ...(stored ? { securityEventId: stored.id, count: String(stored.count) } : {}),
    },
  };
}

function alertSubject(input: AuditRuleInput): AlertSubject | undefined {
  const resource = kubeObject(input.details, input.cluster);
  if (!resource) return undefined;
  const displayName = resource.namespace === '' ? `${resource.kind}/${resource.name}` : `${resource.namespace}/${resource.name}`;
  return { type: 'KubeObject', ...resource, displayName };
}

export function failureRateAlert(options: {
  cluster: string;
  counts: RequestCounts;
  threshold: number;
  windowSeconds: number;
  severity: Severity;
  atMs: number;
}): NewAlert {
  const { cluster, counts, threshold, windowSeconds } = options;
  const window = windowSeconds % 60 === 0 ? `${windowSeconds / 60} min` : `${windowSeconds} s`;
  return {
    source: 'AUDIT',
    severity: options.severity,
    title: `API failure rate: ${counts.failures} responses 401/403 in cluster ${cluster} within ${window}`,
    rule: ruleName('apiFailureRate'),
    description:
      `${counts.failures} of ${counts.requests} API requests in cluster ${cluster} were refused (401 Unauthorized or 403 Forbidden) ` +
      `within ${window}; the threshold is ${threshold}. Raised at most once per ${window}. Who: the audit subgraph's events with those response codes.`,
    occurredAt: new Date(options.atMs).toISOString(),
    labels: {
      cluster,
      auditRule: 'apiFailureRate',
      failures: String(counts.failures),
      requests: String(counts.requests),
      threshold: String(threshold),
      windowSeconds: String(windowSeconds),
    },
  };
}

export function silenceAlert(options: { cluster: string; lastSeenMs: number; minutes: number; severity: Severity }): NewAlert {
  const { cluster, lastSeenMs, minutes } = options;
  const lastSeen = new Date(lastSeenMs).toISOString();
  return {
    source: 'AUDIT',
    severity: options.severity,
    title: `No audit events from cluster ${cluster} for ${minutes} min: detection is blind`,
    rule: ruleName('silence'),
    description:
      `No audit record from cluster ${cluster} has reached Vigil since ${lastSeen}. The audit rules cannot fire for it until records arrive again. ` +
      `Check the API server's audit webhook (--audit-webhook-config-file, its logs for webhook errors), the network path, and POST /ingest/k8s-audit.`,
    occurredAt: lastSeen,
    labels: { cluster, auditRule: 'silence', state: 'firing', lastSeen },
  };
}

export function silenceResolvedAlert(options: { cluster: string; silentSinceMs: number; atMs: number }): NewAlert {
  const { cluster } = options;
  const since = new Date(options.silentSinceMs).toISOString();
  const at = new Date(options.atMs).toISOString();
  return {
    source: 'AUDIT',
    severity: 'INFO',
    title: `Audit events from cluster ${cluster} arrive again`,
    rule: ruleName('silence'),
    description: `Audit records from cluster ${cluster} arrive again (silent from ${since} to ${at}). What the API server did meanwhile may be missing from Vigil.`,
    occurredAt: at,
    labels: { cluster, auditRule: 'silence', state: 'resolved', lastSeen: since },
  };
}
