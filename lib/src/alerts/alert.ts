/** The alert record every source raises and the alerts subgraph serves. Self-contained: a pager needs no joins. */
export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const ALERT_SOURCES = ['HOSTS', 'CLUSTER', 'AUDIT', 'COMPLIANCE', 'CORRELATION'] as const;
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
  | {
      type: 'KubeObject';
      cluster: string;
      namespace: string;
      kind: string;
      name: string;
      displayName: string;
      /**
       * Node-level findings about an object (a Falco event in a pod on a node, a kube-bench result of
       * a Node): the inventory host that node was matched to by evidence, so a host's alerts include them.
       */
      hostId?: string;
    };

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
  /** When the underlying event happened; AlertPublisher stamps its process's clock when the source gives none. */
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

/**
 * What can happen to an alert after it was raised. REPEATED: the same rule fired on the same
 * subject again within the fold window and was folded into this alert instead of paging again.
 */
export const ALERT_CHANGE_KINDS = ['ACKNOWLEDGED', 'RESOLVED', 'REPEATED'] as const;
export type AlertChangeKind = (typeof ALERT_CHANGE_KINDS)[number];

export interface AlertChange {
  kind: AlertChangeKind;
  /** The alert changed. */
  alertId: string;
  at: string;
  /** The verified identity (subject) that acted; null for REPEATED, which no one does. */
  by: string | null;
  comment?: string;
  /** REPEATED: how many times the alert has now been raised. */
  count?: number;
}

/** A change as it sits in the alert log: `id` is its own log position (a resume cursor for alertChanged). */
export interface AlertChangeEvent extends AlertChange {
  id: string;
}

/** One entry of the alert log: a raised alert or a change to one, in the order they happened. */
export type AlertLogEvent = { id: string; type: 'raised'; alert: Alert } | { id: string; type: 'changed'; change: AlertChangeEvent };
