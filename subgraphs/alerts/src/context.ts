import DataLoader from 'dataloader';
import type { AlertLog } from '@vigil/lib/alerts/alert-log';
import type { Alert } from '@vigil/lib/alerts/alert';
import type { AlertLifecycle } from '@vigil/lib/alerts/alert-lifecycle';
import type { AlertState, Silence } from '@vigil/lib/alerts/alert-state';
import { alertVisible } from '@vigil/lib/alerts/alert-visibility';
import type { Clock } from '@vigil/lib/clock';
import type { Identity } from '@vigil/lib/identity';
import { tenantFilter } from '@vigil/lib/tenancy';
import { createIdentityAlertLoaders, type IdentityAlertPage } from './identity-alerts.js';
import type { Routing } from './routing/create-router.js';
import type { TimelineUpstream } from './timeline/timeline-upstream.js';

export { alertVisible };

export interface AlertsDeps {
  log: AlertLog;
  maxBufferedPerSubscriber: number;
  lifecycle: AlertLifecycle;
  clock: Clock;
  /** The router's outputs and dead letters; absent where this process does not route (tests). */
  routing?: Routing;
  /** The other subgraphs the timelines read, as the caller; absent: timelines hold alerts only. */
  timeline?: TimelineUpstream;
}

export interface AlertsContext {
  deps: AlertsDeps;
  /** The verified caller; null only for requests that reached the subgraph without one (they see nothing). */
  identity: Identity | null;
  alertById: DataLoader<string, Alert | null>;
  /** Lifecycle state per alert id, one store read per request for all alerts of a response. */
  stateById: DataLoader<string, AlertState>;
  /** Every silence (not only active ones); re-read at most once a second, so a long subscription sees new silences. */
  silences(): Promise<Silence[]>;
  /** Whether the caller's tenants cover the alert's subject (queries, references and every subscription event). */
  visible(alert: Alert): boolean;
  /** True when the caller is restricted to no tenant. */
  unrestricted: boolean;
  /** Whether the caller may see and end a silence: unrestricted callers all, others those created within their own tenants. */
  silenceVisible(silence: Silence): boolean;
  /** Identity.alerts: the caller's alerts attributed to a Kubernetes identity, one log walk per page shape for all identities. */
  alertsForIdentity(username: string, first: number, after: string | null): Promise<IdentityAlertPage>;
}

const SILENCE_CACHE_MS = 1000;

export function createAlertsContext(deps: AlertsDeps, identity: Identity | null): AlertsContext {
  const tenants = tenantFilter(identity);
  const visible = (alert: Alert) => alertVisible(tenants, alert);
  const ownTenants = new Set(identity?.tenants?.map((t) => t.name) ?? []);
  let cached: { at: number; silences: Promise<Silence[]> } | null = null;
  return {
    deps,
    identity,
    visible,
    unrestricted: identity !== null && tenants.unrestricted,
    silenceVisible: (silence) => identity !== null && (tenants.unrestricted || (silence.scope !== null && silence.scope.every((t) => ownTenants.has(t.name)))),
    silences: () => {
      const now = performance.now();
      if (!cached || now - cached.at > SILENCE_CACHE_MS) cached = { at: now, silences: deps.lifecycle.store.silences() };
      return cached.silences;
    },
    alertsForIdentity: createIdentityAlertLoaders(deps.log, visible),
    alertById: new DataLoader(async (ids) => (await deps.log.get(ids)).map((alert) => (alert && visible(alert) ? alert : null))),
    // Not cached across loads: a subscription's context lives as long as the subscription.
    stateById: new DataLoader((ids) => deps.lifecycle.store.states(ids), { cache: false }),
  };
}
