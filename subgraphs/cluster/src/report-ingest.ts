import type { NewAlert } from '@vigil/lib/alerts/alert';
import { systemClock, type Clock } from '@vigil/lib/clock';
import type { AlertPublisher } from '@vigil/lib/alerts/publisher';
import type { HostIdentity } from '@vigil/lib/host-directory';
import type { Logger } from '@vigil/lib/logger';
import type { KubeObject } from './kube/kube-object.js';
import type { PulledChange, PulledSourceHandler } from './kube/pulled-sources.js';
import type { PulledSourceName } from './kube/pulled-source-specs.js';
import { normaliseCheckov } from './sources/checkov/normalise.js';
import { normaliseKubeBench } from './sources/kube-bench/normalise.js';
import { normaliseKyvernoReport } from './sources/kyverno/normalise.js';
import { PolicyModes } from './sources/kyverno/policy-modes.js';
import type { ReportNormaliseResult, ReportRef } from './sources/report-common.js';
import { resolvedKeys } from './sources/resolution.js';
import { normaliseTrivyReport } from './sources/trivy/normalise.js';
import type { NormalisedSecurityEvent, SecurityEvent, SecurityEventStore } from './store/security-event-store.js';

/**
 * What happens to a report read through the Kubernetes API: normalise it, record each finding
 * (repeats counted), mark findings that left the report resolved, and raise the alerts for new
 * ones. The open keys of each report are kept in the store, so a finding fixed while Vigil was
 * down is still resolved when its report is next read.
 *
 * Kyverno ClusterPolicies and Policies are not reports: they only update `policyModes`, which tells
 * whether a Kyverno failure is of an Enforce policy (reports do not say).
 */
export function createReportIngest(deps: {
  store: SecurityEventStore;
  publisher: AlertPublisher;
  logger: Logger;
  policyModes?: PolicyModes;
  clock?: Clock;
  /** The inventory host a node was matched to (nodes/node-host-index.ts), put on node-level alerts (kube-bench). */
  hostOfNode?: (cluster: string, nodeName: string) => Promise<HostIdentity | null>;
}): PulledSourceHandler {
  const clock = deps.clock ?? systemClock;
  // An informer re-delivers an unchanged object after a relist: skipping it saves the work (the
  // stored report keys below keep counts right even without this, e.g. after a restart).
  const lastVersion = new Map<string, string>();
  const policyModes = deps.policyModes ?? new PolicyModes();
  return async (cluster: string, source: PulledSourceName, change: PulledChange) => {
    if (source === 'kyverno-cluster-policies' || source === 'kyverno-policies') {
      if (change.type === 'delete') {
        policyModes.delete(cluster, change.object);
        return;
      }
      const upserted = policyModes.upsert(cluster, change.object);
      if (!upserted.ok) deps.logger.warn({ cluster, source, policy: describe(change.object), reason: upserted.reason }, 'policy not understood; its mode is unknown');
      return;
    }
    const reportId = `${cluster}/${source}/${change.object.metadata.uid}`;
    const observedAt = clock();
    const now = observedAt.toISOString();
    if (change.type === 'delete') {
      // The report went away (the workload was deleted, or the tool re-created it): its findings are resolved.
      const open = (await deps.store.getReportKeys(reportId)) ?? [];
      if (open.length > 0) await deps.store.resolve(open, now);
      await deps.store.deleteReportKeys(reportId);
      lastVersion.delete(reportId);
      return;
    }
    if (lastVersion.get(reportId) === change.object.metadata.resourceVersion) return;
    const result = normaliseReport(source, change.object, { cluster, observedAt });
    if (!result.ok) {
      // A malformed report is the tool's problem, not a reason to stop reading the others.
      deps.logger.warn({ cluster, source, report: describe(change.object), reason: result.reason }, 'report skipped');
      lastVersion.set(reportId, change.object.metadata.resourceVersion);
      return;
    }
    const previous = (await deps.store.getReportKeys(reportId)) ?? [];
    // The report's open keys are stored, so this holds across restarts and relists: a finding the
    // report already stated is a restatement (lastSeen moves, count does not); one that is new to
    // the report, or came back after it left, is an occurrence.
    const stated = new Set(previous);
    for (const occurrence of result.events) {
      const { event, isNew } = await deps.store.record(occurrence, { restatement: stated.has(occurrence.dedupKey) });
      const alert = reportAlert(occurrence, event, isNew, policyModes);
      if (alert) await deps.publisher.raise(await withHost(alert, occurrence));
    }
    const open = result.events.map((e) => e.dedupKey);
    const gone = resolvedKeys(previous, open);
    if (gone.length > 0) await deps.store.resolve(gone, now);
    await deps.store.setReportKeys(reportId, open);
    lastVersion.set(reportId, change.object.metadata.resourceVersion);
  };

  /** A node-level finding's alert names the host its node was matched to (alerts(filter: { hostId }) finds it). */
  async function withHost(alert: NewAlert, occurrence: NormalisedSecurityEvent): Promise<NewAlert> {
    if (occurrence.hostname === null || !deps.hostOfNode || alert.subject?.type !== 'KubeObject') return alert;
    const host = await deps.hostOfNode(occurrence.cluster, occurrence.hostname);
    return host ? { ...alert, subject: { ...alert.subject, hostId: host.hostId } } : alert;
  }
}

function normaliseReport(source: PulledSourceName, object: KubeObject, context: { cluster: string; observedAt: Date }): ReportNormaliseResult {
  switch (source) {
    case 'trivy-vulnerability-reports':
    case 'trivy-config-audit-reports':
    case 'trivy-cluster-compliance-reports':
      return normaliseTrivyReport(object, context);
    case 'kyverno-policy-reports':
    case 'kyverno-cluster-policy-reports':
      return normaliseKyvernoReport(object, context);
    case 'kyverno-cluster-policies':
    case 'kyverno-policies':
      // Routed to PolicyModes before normalising; never reaches here.
      return { ok: false, reason: `${source} holds policies, not reports` };
    case 'kubernetes-nodes':
      // Routed to the NodeRegistry by the runtime; never reaches here.
      return { ok: false, reason: 'Nodes are not reports' };
    case 'kube-bench': {
      const json = configMapJson(object);
      if (!json.ok) return json;
      // kube-bench runs per node; the job that publishes its JSON labels the ConfigMap with the node.
      const node = object.metadata.labels?.['node'] ?? object.metadata.labels?.['kubernetes.io/hostname'] ?? object.metadata.name;
      return normaliseKubeBench(json.value, { ...context, node, configMap: refOf(object) });
    }
    case 'checkov': {
      const json = configMapJson(object);
      if (!json.ok) return json;
      return normaliseCheckov(json.value, { ...context, configMap: refOf(object) });
    }
  }
}

/** The tool's JSON, from whichever data key holds it (the publishing job names the key). */
function configMapJson(object: KubeObject): { ok: true; value: unknown } | { ok: false; reason: string } {
  const data = object['data'];
  if (typeof data !== 'object' || data === null) return { ok: false, reason: 'ConfigMap has no data' };
  for (const value of Object.values(data)) {
    if (typeof value !== 'string') continue;
    try {
      return { ok: true, value: JSON.parse(value) as unknown };
    } catch {
      // Not this key; another may hold the JSON.
    }
  }
  return { ok: false, reason: 'no data key of the ConfigMap holds JSON' };
}

function refOf(object: KubeObject): ReportRef {
  const { namespace, name, uid, resourceVersion } = object.metadata;
  return { apiVersion: object.apiVersion, kind: object.kind, namespace: namespace ?? null, name, uid, resourceVersion };
}

function describe(object: KubeObject): string {
  return `${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;
}

/**
 * Alerts for pulled findings: a newly found Critical vulnerability, a new kube-bench FAIL, and a new
 * Kyverno failure of an Enforce policy. A finding already stored (seen before a restart, with Redis)
 * is not new.
 *
 * Kyverno: the report does not say whether the policy enforces; `policyModes` does, from the
 * ClusterPolicy / Policy informers. Those run concurrently with the report informers, so a report
 * can be read before its policy (at start, or a policy created with its first report). Then the mode
 * is unknown and no alert is raised: guessing either way would be wrong for Audit policies or miss
 * Enforce ones, and unknown is not Enforce. Nor is the failure alerted when the policy arrives later
 * (no retro-alert): by then the finding is stored and not new, and re-reading reports when a policy
 * changes would turn a mode change (Audit → Enforce) into a burst of alerts for old failures. The
 * finding itself is recorded either way.
 */
function reportAlert(occurrence: NormalisedSecurityEvent, stored: SecurityEvent, isNew: boolean, policyModes: PolicyModes): NewAlert | null {
  if (!isNew) return null;
  const subject = occurrence.resource
    ? {
        type: 'KubeObject' as const,
        ...occurrence.resource,
        displayName: occurrence.resource.namespace ? `${occurrence.resource.namespace}/${occurrence.resource.name}` : occurrence.resource.name,
      }
    : undefined;
  const base = { source: 'CLUSTER' as const, occurredAt: stored.lastSeen, ...(subject ? { subject } : {}), labels: { cluster: occurrence.cluster, securityEventId: stored.id } };
  const details = occurrence.details;
  if ('kind' in details && details.kind === 'TRIVY_VULNERABILITY' && occurrence.severity === 'CRITICAL') {
    return { ...base, severity: 'CRITICAL', rule: 'new-critical-vulnerability', title: `Critical ${details.vulnerabilityId} in ${subject?.displayName ?? 'a workload'} (${details.pkgName} ${details.installedVersion})`, description: details.title ?? undefined };
  }
  if ('kind' in details && details.kind === 'KUBE_BENCH' && details.status === 'FAIL') {
    return {
      ...base,
      // The event's own severity (kubeBenchSeverity: HIGH scored, MEDIUM unscored), so alert and event agree.
      severity: occurrence.severity,
      rule: 'new-kube-bench-fail',
      title: `kube-bench ${details.testNumber} FAIL on ${subject?.name ?? 'a node'}: ${details.description}`.slice(0, 500),
      ...(details.remediation ? { description: details.remediation } : {}),
    };
  }
  if ('kind' in details && details.kind === 'KYVERNO_POLICY' && details.result === 'fail') {
    const enforce = policyModes.isEnforce(occurrence.cluster, details.policy, { namespace: occurrence.resource?.namespace ?? null, rule: details.rule });
    // undefined: the policy has not been read (yet); see above.
    if (enforce !== true) return null;
    const what = details.rule === null ? details.policy : `${details.policy}/${details.rule}`;
    const where = occurrence.resource ? `${occurrence.resource.kind} ${subject?.displayName ?? occurrence.resource.name}` : 'a resource';
    return {
      ...base,
      severity: 'HIGH',
      rule: 'kyverno-enforce-failure',
      title: `Kyverno Enforce policy ${what} failed on ${where}`.slice(0, 500),
      ...(details.message ? { description: details.message } : {}),
    };
  }
  return null;
}
