/** The alert record every source raises and the alerts subgraph serves. Self-contained: a pager needs no joins. */
export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const ALERT_SOURCES = ['HOSTS', 'CLUSTER', 'AUDIT', 'COMPLIANCE'] as const;
export type AlertSource = (typeof ALERT_SOURCES)[number];

/** What an alert is about, as a federation entity reference plus a name a human recognises. */
export type AlertSubject =
  | {
      type: 'Host';
      hostId: string;
      displayName: string;
      /** The host's inventory labels when the hosts subgraph raised it: tenants select hosts by label. */
      hostLabels?: Record<string, string>;
      /** The cluster of a node-level finding (Falco, kube-bench): tenants also select by cluster. */
      cluster?: string;
    }
  | { type: 'KubeObject'; cluster: string; namespace: string; kind: string; name: string; displayName: string };

/**
 * The label naming the Kubernetes identity (`user.username`) an alert is attributed to, on alerts of
 * sources AUDIT (the audit rules: the request's user) and CLUSTER (Falco's Kubernetes audit source:
 * `ka.user.name`). On HOSTS alerts a `user` label is a Unix account, not an identity.
 */
export const KUBERNETES_USER_LABEL = 'user';
/** Alert sources whose `user` label is a Kubernetes identity. */
export const KUBERNETES_USER_SOURCES: readonly AlertSource[] = ['AUDIT', 'CLUSTER'];

export interface NewAlert {
  source: AlertSource;
  severity: Severity;
  title: string;
  description?: string;
  /** The rule or check that fired, e.g. the Falco rule name. */
  rule?: string;
  subject?: AlertSubject;
  /** When the underlying event happened; defaults to when the alert was raised. */
  occurredAt?: string;
  labels?: Record<string, string>;
}

export interface Alert extends Omit<NewAlert, 'occurredAt'> {
  /** Position in the alert log; also the resume cursor for subscriptions. Ordered. */
  id: string;
  raisedAt: string;
  occurredAt: string;
}

export function severityRank(severity: Severity): number {
  return SEVERITIES.length - SEVERITIES.indexOf(severity);
}

/** Compares log ids of the form `<ms>-<seq>` (the Redis stream id format), numerically. */
export function compareAlertIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am !== bm ? am - bm : as - bs;
}

export function isAlertId(value: string): boolean {
  return /^\d{1,15}-\d{1,15}$/.test(value);
}
