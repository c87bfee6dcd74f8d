import { severityRank, type Alert } from '@vigil/lib/alerts/alert';
import type { AlertFilter } from './__generated__/resolvers-types.js';

/** One predicate for queries and subscriptions, so both filter exactly alike. */
export function matchesAlertFilter(alert: Alert, filter: AlertFilter | null | undefined): boolean {
  if (!filter) return true;
  if (filter.minSeverity && severityRank(alert.severity) < severityRank(filter.minSeverity)) return false;
  if (filter.sources && filter.sources.length > 0 && !filter.sources.includes(alert.source)) return false;
  if (filter.subjectType) {
    const type = alert.subject?.type === 'Host' ? 'HOST' : alert.subject?.type === 'KubeObject' ? 'KUBE_OBJECT' : null;
    if (type !== filter.subjectType) return false;
  }
  // A KubeObject subject carries hostId too when it is a node-level finding whose node matched a host.
  if (filter.hostId && alert.subject?.hostId !== filter.hostId) return false;
  return true;
}
