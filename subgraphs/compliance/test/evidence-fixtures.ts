import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { EvidenceSnapshot, HostEvidence, SecurityEventEvidence } from '../src/evidence.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const hoursBefore = (now: Date, h: number) => new Date(now.getTime() - h * 3_600_000).toISOString();

interface KubeBenchJson {
  Controls: { version: string; node_type: string; tests: { results: { test_number: string; test_desc: string; status: string; scored: boolean; remediation: string }[] }[] }[];
}

/** kube-bench's node run as the cluster subgraph serves it: one event per FAIL/WARN check, about the node. */
export function kubeBenchEvents(now: Date, cluster: string, node: string): SecurityEventEvidence[] {
  const report = JSON.parse(fixture('kube-bench_cis-1.6_node_trimmed.json')) as KubeBenchJson;
  const out: SecurityEventEvidence[] = [];
  for (const target of report.Controls)
    for (const group of target.tests)
      for (const check of group.results) {
        if (check.status !== 'FAIL' && check.status !== 'WARN') continue;
        out.push({
          id: `kb-${cluster}-${node}-${check.test_number}`,
          source: 'KUBE_BENCH',
          severity: check.status === 'WARN' ? 'LOW' : check.scored ? 'HIGH' : 'MEDIUM',
          eventType: check.test_number,
          title: `${check.test_number} ${check.test_desc}`,
          cluster,
          resource: { cluster, namespace: '', kind: 'Node', name: node },
          hostname: node,
          firstSeen: hoursBefore(now, 2),
          lastSeen: hoursBefore(now, 1),
          resolvedAt: null,
          details: { kind: 'KUBE_BENCH', testNumber: check.test_number, description: check.test_desc, status: check.status, scored: check.scored, version: target.version, nodeType: target.node_type, remediation: check.remediation },
        });
      }
  return out;
}

/** The NSA ClusterComplianceReport summary: one event per control with failures (and the manual one), about the cluster. */
export function trivyComplianceEvents(now: Date, cluster: string): SecurityEventEvidence[] {
  const report = parse(fixture('clustercompliancereport_nsa_summary_docs.yaml')) as { spec: { compliance: { id: string; title: string; version: string; controls: { id: string; name: string; defaultStatus?: string }[] } }; status: { summaryReport: { controlCheck: { id: string; name: string; severity: string; totalFail?: number }[] } } };
  const spec = report.spec.compliance;
  const specId = `${spec.title}-${spec.version}`;
  return report.status.summaryReport.controlCheck
    .filter((c) => (c.totalFail ?? 0) > 0 || spec.controls.find((s) => s.id === c.id)?.defaultStatus === 'FAIL')
    .map((c) => ({
      id: `ccr-${cluster}-${c.id}`,
      source: 'TRIVY',
      severity: c.severity as SecurityEventEvidence['severity'],
      eventType: c.id,
      title: c.name,
      cluster,
      resource: null,
      hostname: null,
      firstSeen: hoursBefore(now, 3),
      lastSeen: hoursBefore(now, 1),
      resolvedAt: null,
      details: { kind: 'TRIVY_COMPLIANCE', specId, specTitle: spec.title, controlId: c.id, controlName: c.name, manual: spec.controls.find((s) => s.id === c.id)?.defaultStatus === 'FAIL', totalFail: c.totalFail ?? null },
    }));
}

/** The Kyverno PolicyReport: its failing results as events on the report's Pod; `category` as given (or overridden). */
export function kyvernoEvents(now: Date, cluster: string, category?: string): SecurityEventEvidence[] {
  const report = parse(fixture('policyreport_pod_pass_fail_docs.yaml')) as { scope: { kind: string; namespace: string; name: string }; results: { policy: string; rule: string; result: string; category: string; message: string; severity: string }[] };
  return report.results
    .filter((r) => r.result !== 'pass' && r.result !== 'skip')
    .map((r) => ({
      id: `ky-${cluster}-${r.policy}-${r.rule}`,
      source: 'KYVERNO',
      severity: r.severity.toUpperCase() as SecurityEventEvidence['severity'],
      eventType: r.policy,
      title: r.message,
      cluster,
      resource: { cluster, namespace: report.scope.namespace, kind: report.scope.kind, name: report.scope.name },
      hostname: null,
      firstSeen: hoursBefore(now, 5),
      lastSeen: hoursBefore(now, 1),
      resolvedAt: null,
      details: { kind: 'KYVERNO', policy: r.policy, rule: r.rule, result: r.result, category: category ?? r.category, message: r.message },
    }));
}

/** The documented Falco alert, re-timed `hoursAgo` before now, from `node`, with extra tags. */
export function falcoEvent(now: Date, cluster: string, node: string, hoursAgo: number, extraTags: string[] = []): SecurityEventEvidence {
  const event = JSON.parse(fixture('terminal_shell_in_container.json')) as { rule: string; priority: string; tags: string[]; output_fields: Record<string, string> };
  return {
    id: `falco-${cluster}-${node}-${hoursAgo}`,
    source: 'FALCO',
    severity: 'CRITICAL',
    eventType: event.rule,
    title: event.rule,
    cluster,
    resource: { cluster, namespace: event.output_fields['k8s.ns.name'] ?? '', kind: 'Pod', name: event.output_fields['k8s.pod.name'] ?? '' },
    hostname: node,
    firstSeen: hoursBefore(now, hoursAgo),
    lastSeen: hoursBefore(now, hoursAgo),
    resolvedAt: null,
    details: { kind: 'FALCO', rule: event.rule, priority: event.priority, tags: [...event.tags, ...extraTags] },
  };
}

/** The captured Debian 12 host: users from getent passwd, sockets from ss -tuln, policies from nft -j. */
export function debianHost(now: Date, id: string, labels: Record<string, string> = {}, extraUsers: { name: string; uid: number }[] = []): HostEvidence {
  const users = fixture('getent_passwd.txt')
    .trim()
    .split('\n')
    .map((line) => line.split(':'))
    .map(([name, , uid]) => ({ name: name ?? '', uid: Number(uid) }));
  const listeningPorts = fixture('ss_-H_-tuln.txt')
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .map(([protocol, , , , local]) => {
      const at = (local ?? '').lastIndexOf(':');
      return { protocol: protocol ?? '', address: (local ?? '').slice(0, at).replace(/%.*$/, ''), port: Number((local ?? '').slice(at + 1)), process: null };
    });
  const nft = JSON.parse(fixture('nft_-j_list_ruleset.json')) as { nftables: { chain?: { family: string; table: string; name: string; hook?: string; policy?: string } }[] };
  const policies = nft.nftables.flatMap((x) => (x.chain?.policy ? [{ family: x.chain.family, table: x.chain.table, chain: x.chain.name, hook: x.chain.hook ?? null, policy: x.chain.policy }] : []));
  return { id, labels, probeState: 'OK', message: null, lastAttemptAt: hoursBefore(now, 1), lastSuccessAt: hoursBefore(now, 1), users: [...users, ...extraUsers], listeningPorts, firewall: { backend: 'nftables', policies } };
}

export function snapshot(now: Date, parts: Partial<Omit<EvidenceSnapshot, 'gatheredAt'>>): EvidenceSnapshot {
  return {
    gatheredAt: now.toISOString(),
    hosts: { ok: true, value: [] },
    clusters: { ok: true, value: [] },
    events: { ok: true, value: [] },
    hostVulnerabilities: { ok: true, value: [] },
    auditCoverage: { ok: true, value: { from: hoursBefore(now, 24), to: now.toISOString(), clusters: [] } },
    ...parts,
  };
}
