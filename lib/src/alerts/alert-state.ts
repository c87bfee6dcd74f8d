import type { TenantScope } from '../identity.js';
import type { AlertSource, Severity } from './alert.js';

/** Who did something to an alert or a silence, and when: the caller's verified identity and the Clock's time. */
export interface AlertAction {
  by: string;
  at: string;
  comment: string | null;
}

/** What happened to an alert after it was raised (the alert itself is immutable in the log). */
export interface AlertState {
  acknowledged: AlertAction | null;
  resolved: AlertAction | null;
  /** How many times the alert was raised: 1, plus every repeat folded into it. */
  count: number;
  /** When the last repeat was folded in; null = never repeated (the alert's raisedAt). */
  lastSeen: string | null;
}

export const INITIAL_STATE: AlertState = { acknowledged: null, resolved: null, count: 1, lastSeen: null };

/** Which alerts a silence covers: every given condition must hold; within a list, any value. At least one is required. */
export interface SilenceMatchers {
  sources: AlertSource[];
  rules: string[];
  severities: Severity[];
  /** A host id, or a subject's display name (a host name, `namespace/name` of a Kubernetes object). */
  subjects: string[];
  labels: Record<string, string>;
}

export interface Silence {
  id: string;
  matchers: SilenceMatchers;
  comment: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  /** Set when someone ended it before its expiry. */
  expired: AlertAction | null;
  /**
   * The tenants of whoever created it (null = every tenant): a silence covers only alerts its
   * creator could see, so a tenant cannot silence another tenant's alerts.
   */
  scope: TenantScope[] | null;
}

/** Durable alert lifecycle state: acknowledgements, resolutions, fold windows and silences. In memory or Redis; one contract suite. */
export interface AlertStateStore {
  /** The state of each alert, INITIAL_STATE for one never acted on. */
  states(ids: readonly string[]): Promise<AlertState[]>;
  acknowledge(id: string, action: AlertAction): Promise<AlertState>;
  /** Records the resolution and closes the alert's fold window: the next repeat raises a new alert. */
  resolve(id: string, action: AlertAction): Promise<AlertState>;
  /**
   * When an unresolved alert with this fold key was last seen within `windowMs` of `at`, counts the
   * repeat into it and returns it; else null (the caller raises a new alert and calls openFold).
   */
  fold(key: string, at: Date, windowMs: number): Promise<{ alertId: string; count: number } | null>;
  /** Makes `alertId` the alert repeats of `key` fold into, for `windowMs` after each sighting. */
  openFold(key: string, alertId: string, at: Date, windowMs: number): Promise<void>;
  addSilence(silence: Silence): Promise<void>;
  /** Every silence, newest first, expired ones included (until they are purged a while after expiry). */
  silences(): Promise<Silence[]>;
  /** Ends a silence now; null when there is none with that id. */
  expireSilence(id: string, action: AlertAction): Promise<Silence | null>;
  close(): Promise<void>;
}
