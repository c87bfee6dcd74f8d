import { z } from 'zod';
import { clusterSubject, nodeSubject, type SubjectResult } from '../results.js';
import { gatherError, item, notApplicable, type ControlEvaluator } from './types.js';

const falcoParams = z.object({ windowHours: z.number().positive().default(24) }).strict();

/**
 * SI-4 System Monitoring: Falco events arrive from every node within `windowHours`. The nodes are
 * those any node-level source reported (Falco or kube-bench events in the evidence look-back); a
 * cluster with none is itself a failure (no runtime monitoring evidence at all).
 */
export const falcoFromEveryNode: ControlEvaluator<z.infer<typeof falcoParams>> = {
  kind: 'control',
  name: 'falco-events-from-every-node',
  subjectKinds: ['NODE', 'CLUSTER'],
  params: falcoParams,
  evaluate({ evidence, params, now, control }) {
    if (!evidence.events.ok) return [gatherError('cluster.securityEvents (FALCO)', evidence.events, control.severity)];
    const cutoff = new Date(now.getTime() - params.windowHours * 3_600_000).toISOString();
    const nodes = new Map<string, { cluster: string; node: string; lastFalco: { id: string; at: string } | null }>();
    for (const e of evidence.events.value) {
      if (e.hostname === null || (e.source !== 'FALCO' && e.source !== 'KUBE_BENCH')) continue;
      const key = `${e.cluster}/${e.hostname}`;
      const node = nodes.get(key) ?? { cluster: e.cluster, node: e.hostname, lastFalco: null };
      if (e.source === 'FALCO' && (node.lastFalco === null || e.lastSeen > node.lastFalco.at)) node.lastFalco = { id: e.id, at: e.lastSeen };
      nodes.set(key, node);
    }
    const results: SubjectResult[] = [...nodes.values()].map((n) => {
      const ok = n.lastFalco !== null && n.lastFalco.at >= cutoff;
      return {
        subject: nodeSubject(n.cluster, n.node),
        status: ok ? 'PASS' : 'FAIL',
        severity: control.severity,
        evidence: [
          item({
            source: 'cluster.securityEvents (FALCO)',
            summary: n.lastFalco === null ? `No Falco event from node ${n.node} in the look-back window.` : `Last Falco event from node ${n.node} at ${n.lastFalco.at}${ok ? '' : `, more than ${params.windowHours} h ago`}.`,
            satisfied: ok,
            observed: n.lastFalco ? `last event ${n.lastFalco.at}` : 'no event',
            expected: `a Falco event within ${params.windowHours} h`,
            hostId: n.node,
            observedAt: n.lastFalco?.at ?? null,
            reference: n.lastFalco ? { kind: 'SECURITY_EVENT', securityEventId: n.lastFalco.id } : { kind: 'CLUSTER_SOURCE', cluster: n.cluster, source: 'falco' },
          }),
        ],
      };
    });
    if (evidence.clusters.ok) {
      for (const cluster of evidence.clusters.value) {
        if ([...nodes.values()].some((n) => n.cluster === cluster.name)) continue;
        results.push({
          subject: clusterSubject(cluster.name),
          status: 'FAIL',
          severity: control.severity,
          evidence: [item({ source: 'cluster.securityEvents (FALCO)', summary: `No node of ${cluster.name} sent a Falco event (or kube-bench result) in the look-back window: runtime monitoring is not evidenced.`, satisfied: false, observed: 'no node reporting', expected: `Falco events from every node within ${params.windowHours} h`, reference: { kind: 'CLUSTER_SOURCE', cluster: cluster.name, source: 'falco' } })],
        });
      }
    }
    return results.length > 0 ? results : [notApplicable('cluster', 'No cluster is configured and no node reported: there is nothing to monitor.', control.severity)];
  },
};

const noParams = z.object({}).strict();
const AUDIT_SOURCE = 'audit.auditPolicyCoverage';

/** AU-12 Audit Record Generation: audit events arrive from every expected cluster. */
export const auditEventsFromEveryCluster: ControlEvaluator<Record<string, never>> = {
  kind: 'control',
  name: 'audit-events-from-every-cluster',
  subjectKinds: ['CLUSTER'],
  params: noParams,
  evaluate({ evidence, control }) {
    if (!evidence.auditCoverage.ok) return [gatherError(AUDIT_SOURCE, evidence.auditCoverage, control.severity)];
    const { from, to, clusters } = evidence.auditCoverage.value;
    const expected = clusters.filter((c) => c.expected);
    if (expected.length === 0) return [notApplicable(AUDIT_SOURCE, 'No cluster is expected to send audit records (audit.coverage.expectedClusters is empty).', control.severity)];
    return expected.map((c) => ({
      subject: clusterSubject(c.cluster),
      status: c.total > 0 ? 'PASS' : 'FAIL',
      severity: control.severity,
      evidence: [item({ source: AUDIT_SOURCE, summary: c.total > 0 ? `${c.cluster} sent ${c.total} audit records between ${from} and ${to}.` : `${c.cluster} sent no audit record between ${from} and ${to}.`, satisfied: c.total > 0, observed: `${c.total} records`, expected: 'audit records in the window', observedAt: to, reference: { kind: 'AUDIT_QUERY', query: 'auditPolicyCoverage', from, to } })],
    }));
  },
};

/** AU-2 Event Logging: the audit policy records what audit.coverage expects, per cluster (its findings). */
export const auditPolicyCoverage: ControlEvaluator<Record<string, never>> = {
  kind: 'control',
  name: 'audit-policy-coverage',
  subjectKinds: ['CLUSTER'],
  params: noParams,
  evaluate({ evidence, control }) {
    if (!evidence.auditCoverage.ok) return [gatherError(AUDIT_SOURCE, evidence.auditCoverage, control.severity)];
    const { from, to, clusters } = evidence.auditCoverage.value;
    if (clusters.length === 0) return [notApplicable(AUDIT_SOURCE, 'No cluster sent audit records and none is expected to.', control.severity)];
    return clusters.map((c) => ({
      subject: clusterSubject(c.cluster),
      status: c.satisfied ? 'PASS' : 'FAIL',
      severity: control.severity,
      evidence:
        c.findings.length === 0
          ? [item({ source: AUDIT_SOURCE, summary: `${c.cluster}: every resource group is recorded at its expected level.`, satisfied: true, observed: 'no finding', expected: 'no coverage finding', observedAt: to, reference: { kind: 'AUDIT_QUERY', query: 'auditPolicyCoverage', from, to } })]
          : c.findings.map((f) => item({ source: AUDIT_SOURCE, summary: f.message, satisfied: false, observed: f.kind, expected: 'no coverage finding', observedAt: to, reference: { kind: 'AUDIT_QUERY', query: 'auditPolicyCoverage', from, to } })),
    }));
  },
};
