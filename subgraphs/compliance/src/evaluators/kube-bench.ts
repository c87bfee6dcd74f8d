import { z } from 'zod';
import type { ClusterEvidence, EvidenceSnapshot, SecurityEventEvidence } from '../evidence.js';
import { nodeSubject, type SubjectResult } from '../results.js';
import { gatherError, item, notApplicable, type ControlEvaluator, type ImportEvaluator, type ImportedControl } from './types.js';

type KubeBenchEvent = SecurityEventEvidence & { details: Extract<SecurityEventEvidence['details'], { kind: 'KUBE_BENCH' }> };

const SOURCE = 'cluster.securityEvents (KUBE_BENCH)';

/** A node kube-bench reported on, with its events per check and the targets (1 master, 4 node...) it ran. */
interface NodeRun {
  cluster: string;
  node: string;
  byTest: Map<string, KubeBenchEvent[]>;
  targets: Set<string>;
  version: string;
  lastSeen: string;
}

const targetOf = (testNumber: string) => testNumber.split('.')[0] ?? testNumber;

/**
 * The nodes kube-bench reported on. The cluster subgraph keeps only FAIL and WARN checks as events
 * (a PASS is no event), so a node is known from its failing or warning checks, open or resolved; a
 * node whose every check ever passed is not visible here (see the README).
 */
export function kubeBenchRuns(events: readonly SecurityEventEvidence[]): NodeRun[] {
  const runs = new Map<string, NodeRun>();
  for (const event of events) {
    if (event.details.kind !== 'KUBE_BENCH' || event.hostname === null) continue;
    const e = event as KubeBenchEvent;
    const key = `${e.cluster}/${e.hostname}`;
    let run = runs.get(key);
    if (!run) runs.set(key, (run = { cluster: e.cluster, node: e.hostname as string, byTest: new Map(), targets: new Set(), version: e.details.version, lastSeen: e.lastSeen }));
    const list = run.byTest.get(e.details.testNumber) ?? [];
    list.push(e);
    run.byTest.set(e.details.testNumber, list);
    run.targets.add(targetOf(e.details.testNumber));
    if (e.lastSeen > run.lastSeen) {
      run.lastSeen = e.lastSeen;
      run.version = e.details.version;
    }
  }
  return [...runs.values()];
}

/**
 * One kube-bench check on one node: an open FAIL fails; an open WARN is ERROR (kube-bench could not
 * decide: a manual check); a finding that was resolved (left the node's report) passes; no finding
 * at all passes when kube-bench ran the check's target (4.x, 1.x...) on the node, and is not a
 * result otherwise.
 */
export function checkResult(run: NodeRun, testNumber: string, fallbackSeverity: SubjectResult['severity']): SubjectResult | null {
  const subject = nodeSubject(run.cluster, run.node);
  const events = run.byTest.get(testNumber) ?? [];
  const open = events.find((e) => e.resolvedAt === null);
  if (open) {
    const fail = open.details.status === 'FAIL';
    return {
      subject,
      status: fail ? 'FAIL' : 'ERROR',
      severity: open.severity,
      evidence: [
        item({
          source: SOURCE,
          summary: fail
            ? `kube-bench (CIS ${open.details.version}) reports ${testNumber} FAIL on node ${run.node}: ${open.details.description}.`
            : `kube-bench (CIS ${open.details.version}) could not decide ${testNumber} on node ${run.node} (WARN: a manual check); verify by hand.`,
          satisfied: false,
          observed: open.details.status,
          expected: 'PASS',
          hostId: run.node,
          observedAt: open.lastSeen,
          reference: { kind: 'SECURITY_EVENT', securityEventId: open.id },
        }),
      ],
    };
  }
  const resolved = [...events].sort((a, b) => (b.resolvedAt ?? '').localeCompare(a.resolvedAt ?? ''))[0];
  if (resolved) {
    return {
      subject,
      status: 'PASS',
      severity: resolved.severity,
      evidence: [
        item({
          source: SOURCE,
          summary: `kube-bench reported ${testNumber} ${resolved.details.status} on node ${run.node} until ${resolved.resolvedAt}; it is no longer failing.`,
          satisfied: true,
          observed: 'no longer reported failing',
          expected: 'PASS',
          hostId: run.node,
          observedAt: resolved.resolvedAt,
          reference: { kind: 'SECURITY_EVENT', securityEventId: resolved.id },
        }),
      ],
    };
  }
  if (!run.targets.has(targetOf(testNumber))) return null;
  return {
    subject,
    status: 'PASS',
    severity: fallbackSeverity,
    evidence: [
      item({
        source: SOURCE,
        summary: `kube-bench (CIS ${run.version}) ran the ${targetOf(testNumber)}.x checks on node ${run.node} (last reported ${run.lastSeen}) and does not report ${testNumber} failing.`,
        satisfied: true,
        observed: 'not reported failing',
        expected: 'PASS',
        hostId: run.node,
        observedAt: run.lastSeen,
        reference: { kind: 'CLUSTER_SOURCE', cluster: run.cluster, source: 'kube-bench' },
      }),
    ],
  };
}

function kubeBenchInstalled(clusters: readonly ClusterEvidence[]): boolean {
  return clusters.some((c) => c.sources.some((s) => s.name === 'kube-bench' && s.installed));
}

/** CIS Kubernetes Benchmark: every check kube-bench reports, per node, with the benchmark version. */
export const kubeBenchChecks: ImportEvaluator = {
  kind: 'import',
  name: 'kube-bench-checks',
  subjectKinds: ['NODE'],
  evaluate(evidence: EvidenceSnapshot) {
    if (!evidence.events.ok) return { error: evidence.events.error };
    const runs = kubeBenchRuns(evidence.events.value);
    const tests = new Map<string, KubeBenchEvent>();
    for (const run of runs) for (const [test, events] of run.byTest) if (events[0] && !tests.has(test)) tests.set(test, events[0]);
    return [...tests.entries()].map(([test, event]): ImportedControl => ({
      id: test,
      title: event.details.description,
      description: `CIS Kubernetes Benchmark ${test} (${event.details.nodeType} target), as kube-bench checks it on each node.${event.details.remediation ? ` Remediation: ${event.details.remediation}` : ''}`,
      version: event.details.version,
      results: runs.map((run) => checkResult(run, test, event.severity)).filter((r): r is SubjectResult => r !== null),
    }));
  },
};

/** One CIS check the catalogue lists by id (its title and severity from the catalogue). */
export const kubeBenchCheck: ControlEvaluator<Record<string, never>> = {
  kind: 'control',
  name: 'kube-bench-check',
  subjectKinds: ['NODE'],
  params: z.object({}).strict(),
  evaluate({ evidence, control }) {
    if (!evidence.events.ok) return [gatherError(SOURCE, evidence.events, control.severity)];
    const results = kubeBenchRuns(evidence.events.value)
      .map((run) => checkResult(run, control.id, control.severity))
      .filter((r): r is SubjectResult => r !== null);
    if (results.length > 0) return results;
    const installed = evidence.clusters.ok && kubeBenchInstalled(evidence.clusters.value);
    return [notApplicable(SOURCE, installed ? `No node has kube-bench results for the ${targetOf(control.id)}.x checks.` : 'kube-bench results are not read from any cluster (no kube-bench ConfigMaps found).', control.severity)];
  },
};
