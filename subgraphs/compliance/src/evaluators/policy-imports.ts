import { severityRank } from '@vigil/lib/alerts/alert';
import type { EvidenceSnapshot, SecurityEventEvidence } from '../evidence.js';
import { clusterSubject, namespaceSubject, workloadSubject, type Subject, type SubjectResult } from '../results.js';
import { item, type ImportEvaluator, type ImportedControl } from './types.js';

export type KyvernoEvent = SecurityEventEvidence & { details: Extract<SecurityEventEvidence['details'], { kind: 'KYVERNO' }> };
type TrivyComplianceEvent = SecurityEventEvidence & { details: Extract<SecurityEventEvidence['details'], { kind: 'TRIVY_COMPLIANCE' }> };

const KYVERNO_SOURCE = 'cluster.securityEvents (KYVERNO)';

/** The subject a policy result is about: a namespaced object is a workload, a Namespace a namespace, anything else its cluster. */
export function policySubject(event: SecurityEventEvidence): Subject {
  const r = event.resource;
  if (r === null) return clusterSubject(event.cluster);
  if (r.kind === 'Namespace') return namespaceSubject(r.cluster, r.name);
  if (r.namespace === '') return clusterSubject(r.cluster);
  return workloadSubject(r.cluster, r.namespace, r.kind, r.name);
}

/**
 * Kyverno results for one policy (or a set of policies), per subject: an open `fail` (or `warn`)
 * fails, an open `error` is ERROR, a result that was resolved (left the report) passes. Namespaces
 * roll up their workloads: a namespace fails when one of its workloads does. PolicyReports' `pass`
 * results are not kept by the cluster subgraph, so a workload that never failed has no result.
 */
export function kyvernoResults(events: readonly KyvernoEvent[], label: string): SubjectResult[] {
  const bySubject = new Map<string, { subject: Subject; events: KyvernoEvent[] }>();
  for (const e of events) {
    const subject = policySubject(e);
    const key = JSON.stringify([subject.kind, subject.cluster, subject.namespace, subject.objectKind, subject.name]);
    const entry = bySubject.get(key) ?? { subject, events: [] };
    entry.events.push(e);
    bySubject.set(key, entry);
  }
  const results: SubjectResult[] = [];
  const namespaces = new Map<string, SubjectResult>();
  for (const { subject, events: subjectEvents } of bySubject.values()) {
    const open = subjectEvents.filter((e) => e.resolvedAt === null);
    const failing = open.filter((e) => e.details.result !== 'error');
    const status = failing.length > 0 ? 'FAIL' : open.length > 0 ? 'ERROR' : 'PASS';
    const shown = open.length > 0 ? open : subjectEvents;
    const result: SubjectResult = {
      subject,
      status,
      severity: [...shown].sort((a, b) => severityRank(b.severity) - severityRank(a.severity))[0]?.severity ?? 'MEDIUM',
      evidence: shown.slice(0, 20).map((e) =>
        item({
          source: KYVERNO_SOURCE,
          summary:
            e.resolvedAt === null
              ? `${label}: ${e.details.policy}${e.details.rule ? `/${e.details.rule}` : ''} ${e.details.result} on ${describe(e)}${e.details.message ? `: ${e.details.message}` : ''}`
              : `${label}: ${e.details.policy}${e.details.rule ? `/${e.details.rule}` : ''} no longer fails on ${describe(e)} (resolved ${e.resolvedAt}).`,
          satisfied: e.resolvedAt !== null,
          observed: e.resolvedAt === null ? e.details.result : 'resolved',
          expected: 'pass',
          observedAt: e.resolvedAt ?? e.lastSeen,
          reference: { kind: 'SECURITY_EVENT', securityEventId: e.id },
        }),
      ),
    };
    results.push(result);
    if (subject.kind === 'WORKLOAD' && subject.cluster && subject.namespace) {
      const key = `${subject.cluster}/${subject.namespace}`;
      const rollup = namespaces.get(key) ?? { subject: namespaceSubject(subject.cluster, subject.namespace), status: 'PASS', severity: result.severity, evidence: [] };
      if (result.status === 'FAIL' || (result.status === 'ERROR' && rollup.status === 'PASS')) rollup.status = result.status;
      if (severityRank(result.severity) > severityRank(rollup.severity)) rollup.severity = result.severity;
      if (rollup.evidence.length < 20) rollup.evidence.push(...result.evidence.slice(0, 20 - rollup.evidence.length));
      namespaces.set(key, rollup);
    }
  }
  // A Namespace object's own result and its workloads' roll-up are one subject: the worse wins.
  for (const rollup of namespaces.values()) {
    const own = results.find((r) => r.subject?.kind === 'NAMESPACE' && r.subject.cluster === rollup.subject?.cluster && r.subject.name === rollup.subject?.name);
    if (!own) results.push(rollup);
    else if (own.status !== 'FAIL' && rollup.status === 'FAIL') Object.assign(own, { status: 'FAIL', evidence: [...own.evidence, ...rollup.evidence] });
  }
  return results;
}

function describe(e: SecurityEventEvidence): string {
  const r = e.resource;
  if (r === null) return `cluster ${e.cluster}`;
  return `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name} (${r.cluster})`;
}

const kyvernoEvents = (evidence: EvidenceSnapshot): KyvernoEvent[] | { error: string } =>
  evidence.events.ok ? (evidence.events.value.filter((e) => e.details.kind === 'KYVERNO') as KyvernoEvent[]) : { error: evidence.events.error };

/** Pod Security / workload policies: every Kyverno policy with results, per namespace and workload. */
export const kyvernoPolicies: ImportEvaluator = {
  kind: 'import',
  name: 'kyverno-policy-results',
  subjectKinds: ['WORKLOAD', 'NAMESPACE', 'CLUSTER'],
  evaluate(evidence) {
    const events = kyvernoEvents(evidence);
    if (!Array.isArray(events)) return events;
    const byPolicy = new Map<string, KyvernoEvent[]>();
    for (const e of events) byPolicy.set(e.details.policy, [...(byPolicy.get(e.details.policy) ?? []), e]);
    return [...byPolicy.entries()].map(([policy, policyEvents]): ImportedControl => ({
      id: policy,
      title: `Kyverno policy ${policy}`,
      description: `Results of the Kyverno policy ${policy}${policyEvents[0]?.details.category ? ` (category ${policyEvents[0].details.category})` : ''}, per workload and namespace, from PolicyReports.`,
      version: null,
      results: kyvernoResults(policyEvents, 'Kyverno'),
    }));
  },
};

/**
 * Trivy Operator ClusterComplianceReport (NSA/CISA, CIS, Pod Security Standards): each control as
 * Trivy reports it, per cluster, under `<spec id>/<control id>`. A failing control is FAIL (a manual
 * one, which Trivy cannot check, is ERROR: verify by hand); one that stopped failing passes. Passing
 * controls are not kept by the cluster subgraph, so a control that never failed has no result.
 */
export const trivyCompliance: ImportEvaluator = {
  kind: 'import',
  name: 'trivy-compliance-controls',
  subjectKinds: ['CLUSTER'],
  evaluate(evidence) {
    if (!evidence.events.ok) return { error: evidence.events.error };
    const controls = new Map<string, TrivyComplianceEvent[]>();
    for (const e of evidence.events.value) {
      if (e.details.kind !== 'TRIVY_COMPLIANCE') continue;
      const id = `${e.details.specId}/${e.details.controlId}`;
      controls.set(id, [...(controls.get(id) ?? []), e as TrivyComplianceEvent]);
    }
    return [...controls.entries()].map(([id, events]): ImportedControl => {
      const first = events[0]!;
      const byCluster = new Map<string, TrivyComplianceEvent[]>();
      for (const e of events) byCluster.set(e.cluster, [...(byCluster.get(e.cluster) ?? []), e]);
      return {
        id,
        title: first.details.controlName,
        description: `${first.details.specTitle ?? first.details.specId} control ${first.details.controlId}, as Trivy Operator's ClusterComplianceReport reports it.`,
        version: first.details.specId,
        results: [...byCluster.entries()].map(([cluster, clusterEvents]): SubjectResult => {
          const open = clusterEvents.find((e) => e.resolvedAt === null);
          const shown = open ?? clusterEvents[0]!;
          const status = open ? (open.details.manual ? 'ERROR' : 'FAIL') : 'PASS';
          return {
            subject: clusterSubject(cluster),
            status,
            severity: shown.severity,
            evidence: [
              item({
                source: 'cluster.securityEvents (TRIVY)',
                summary: open
                  ? open.details.manual
                    ? `${id} is a manual control: Trivy cannot check it; verify by hand.`
                    : `${id} ${first.details.controlName}: FAIL${open.details.totalFail !== null ? ` (${open.details.totalFail} failing checks)` : ''} in ${cluster}.`
                  : `${id} no longer fails in ${cluster} (resolved ${shown.resolvedAt}).`,
                satisfied: !open,
                observed: open ? (open.details.manual ? 'MANUAL' : `FAIL${open.details.totalFail !== null ? ` (${open.details.totalFail})` : ''}`) : 'resolved',
                expected: 'PASS',
                observedAt: shown.resolvedAt ?? shown.lastSeen,
                reference: { kind: 'SECURITY_EVENT', securityEventId: shown.id },
              }),
            ],
          };
        }),
      };
    });
  },
};
