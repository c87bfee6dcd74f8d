import type { TenantFilter } from '../tenancy.js';
import type { Alert } from './alert.js';

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
