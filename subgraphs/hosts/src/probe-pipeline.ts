import type { AlertPublisher } from '@vigil/lib/alerts/publisher';
import type { HostDirectory } from '@vigil/lib/host-directory';
import type { Logger } from '@vigil/lib/logger';
import { hostAlerts, type AlertRuleSettings } from './alert-rules.js';
import type { FactStore } from './facts/fact-store.js';
import { probedIdentity } from './host-identity.js';
import { FACT_TYPES, type CollectorName, type ProbeReport } from './facts/types.js';
import type { InventoryHost } from './inventory/build-inventory.js';
import type { HostTarget } from './sources/probe/types.js';

export type ReportProbe = (
  target: HostTarget,
  options: { kind: 'facts' | 'metrics'; sudo?: ReadonlySet<CollectorName> },
) => Promise<ProbeReport>;

export interface ProbePipelineOptions {
  hosts: readonly InventoryHost[];
  store: FactStore;
  publisher: AlertPublisher;
  probe: ReportProbe;
  /** Collectors run with `sudo -n` (off unless configured). */
  sudo: ReadonlySet<CollectorName>;
  alertRules: AlertRuleSettings;
  logger: Logger;
  /** Where the host's identifying evidence goes, for the cluster subgraph's Node matching. */
  hostDirectory?: HostDirectory;
}

/**
 * One scheduled probe of one host, end to end: probe, store write-on-change, raise the alerts the
 * changes call for. The scheduler calls this and guarantees one run per host at a time.
 */
export function createProbePipeline(options: ProbePipelineOptions) {
  const byId = new Map(options.hosts.map((host) => [host.id, host]));
  return async (hostId: string, kind: 'facts' | 'metrics'): Promise<{ ok: boolean }> => {
    const host = byId.get(hostId);
    if (!host) return { ok: false };
    const report = await options.probe(host.target, { kind, sudo: options.sudo });
    // What had been collected before this probe decides which changes are news and which a baseline.
    const [before] = await options.store.getFreshness([hostId]);
    const saved = await options.store.saveReport(report);
    const identity = options.hostDirectory ? probedIdentity(host, report) : null;
    if (identity) await options.hostDirectory?.publish(identity);
    const alerts = hostAlerts(
      {
        hostId,
        status: report.status,
        previousStatus: saved.previous?.lastAttempt.status ?? null,
        message: report.message,
        consecutiveFailures: saved.state.consecutiveFailures,
        changes: saved.changes,
        previouslyCollected: new Set(FACT_TYPES.filter((type) => before?.[type]?.lastSuccessAt)),
        at: report.finishedAt,
      },
      options.alertRules,
    );
    // Labels travel with the alert: the alerts subgraph filters by tenant without asking hosts.
    for (const alert of alerts) await options.publisher.raise(alert.subject?.type === 'Host' ? { ...alert, subject: { ...alert.subject, hostLabels: { ...host.labels } } } : alert);
    options.logger.info(
      { host: hostId, kind, status: report.status, changes: saved.changes.length, alerts: alerts.length },
      report.status === 'OK' ? 'host probed' : 'host probe failed',
    );
    return { ok: report.status === 'OK' };
  };
}
