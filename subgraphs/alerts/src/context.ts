import DataLoader from 'dataloader';
import type { AlertLog } from '@vigil/lib/alerts/alert-log';
import type { Alert } from '@vigil/lib/alerts/alert';
import type { Identity } from '@vigil/lib/identity';
import { tenantFilter, type TenantFilter } from '@vigil/lib/tenancy';
import { createIdentityAlertLoaders, type IdentityAlertPage } from './identity-alerts.js';

export interface AlertsDeps {
  log: AlertLog;
  maxBufferedPerSubscriber: number;
}

export interface AlertsContext {
  deps: AlertsDeps;
  alertById: DataLoader<string, Alert | null>;
  /** Whether the caller's tenants cover the alert's subject (queries, references and every subscription event). */
  visible(alert: Alert): boolean;
  /** Identity.alerts: the caller's alerts attributed to a Kubernetes identity, one log walk per page shape for all identities. */
  alertsForIdentity(username: string, first: number, after: string | null): Promise<IdentityAlertPage>;
}

/**
 * An alert belongs to its subject's tenant: a KubeObject's cluster, a host's inventory labels (or
 * the cluster of a node-level finding). An alert about nothing in particular is for unrestricted
 * callers only.
 */
export function alertVisible(tenants: TenantFilter, alert: Alert): boolean {
  if (tenants.unrestricted) return true;
  const subject = alert.subject;
  if (!subject) return false;
  if (subject.type === 'KubeObject') return tenants.cluster(subject.cluster);
  return (subject.hostLabels !== undefined && tenants.hostLabels(subject.hostLabels)) || (subject.cluster !== undefined && tenants.cluster(subject.cluster));
}

export function createAlertsContext(deps: AlertsDeps, identity: Identity | null): AlertsContext {
  const tenants = tenantFilter(identity);
  const visible = (alert: Alert) => alertVisible(tenants, alert);
  return {
    deps,
    visible,
    alertsForIdentity: createIdentityAlertLoaders(deps.log, visible),
    alertById: new DataLoader(async (ids) => (await deps.log.get(ids)).map((alert) => (alert && visible(alert) ? alert : null))),
  };
}
