import { z } from 'zod';
import type { HostEvidence } from '../evidence.js';
import { clusterSubject, hostSubject, nodeSubject, type SubjectResult } from '../results.js';
import { kubeBenchRuns } from './kube-bench.js';
import { gatherError, item, type ControlEvaluator } from './types.js';

const configurationParams = z
  .object({
    /** Default policies an input chain may have (anything else lets unsolicited traffic in). */
    inputPolicies: z.array(z.string().min(1)).min(1).default(['drop', 'reject']),
  })
  .strict();

const isInputChain = (p: { chain: string; hook: string | null }) => p.hook?.toLowerCase() === 'input' || p.chain.toUpperCase() === 'INPUT';

function firewallResult(host: HostEvidence, allowed: readonly string[], severity: SubjectResult['severity']): SubjectResult {
  const subject = hostSubject(host.id, host.labels);
  const reference = { kind: 'HOST_FACT' as const, hostId: host.id, fact: 'firewall' as const, key: null };
  const expected = `input chains default to ${allowed.join(' or ')}`;
  if (host.firewall === null) {
    return { subject, status: 'ERROR', severity, evidence: [item({ source: 'hosts.firewall', summary: `No firewall facts were collected for ${host.id} (collector denied, failed or not run).`, satisfied: false, expected, hostId: host.id, observedAt: host.lastSuccessAt, reference })] };
  }
  const inputs = host.firewall.policies.filter(isInputChain);
  const open = inputs.filter((p) => !allowed.includes(p.policy.toLowerCase()));
  const observed = inputs.length === 0 ? 'no input chain' : inputs.map((p) => `${p.family} ${p.table}/${p.chain}: ${p.policy}`).join(', ');
  const satisfied = inputs.length > 0 && open.length === 0;
  return {
    subject,
    status: satisfied ? 'PASS' : 'FAIL',
    severity,
    evidence: [
      item({
        source: 'hosts.firewall',
        summary: satisfied
          ? `${host.id}: every input chain (${host.firewall.backend}) defaults to ${allowed.join('/')}.`
          : inputs.length === 0
            ? `${host.id}: the ${host.firewall.backend} ruleset has no input chain, so inbound traffic is not filtered by default.`
            : `${host.id}: input chain default policy ${open.map((p) => `${p.family} ${p.table}/${p.chain} = ${p.policy}`).join(', ')}.`,
        satisfied,
        observed,
        expected,
        hostId: host.id,
        observedAt: host.lastSuccessAt,
        reference,
      }),
    ],
  };
}

/**
 * CM-6 Configuration Settings: kube-bench's scored configuration checks per node (no open scored
 * FAIL), and each host's firewall input default policy.
 */
export const configurationSettings: ControlEvaluator<z.infer<typeof configurationParams>> = {
  kind: 'control',
  name: 'configuration-settings',
  subjectKinds: ['HOST', 'NODE'],
  params: configurationParams,
  evaluate({ evidence, params, control }) {
    const results: SubjectResult[] = [];
    if (evidence.hosts.ok) for (const host of evidence.hosts.value) results.push(firewallResult(host, params.inputPolicies, control.severity));
    else results.push(gatherError('hosts', evidence.hosts, control.severity));
    if (evidence.events.ok) {
      for (const run of kubeBenchRuns(evidence.events.value)) {
        const failing = [...run.byTest.values()].flatMap((events) => events.filter((e) => e.resolvedAt === null && e.details.status === 'FAIL' && e.details.scored));
        const worst = failing.find((e) => e.severity === 'HIGH') ?? failing[0];
        results.push({
          subject: nodeSubject(run.cluster, run.node),
          status: failing.length === 0 ? 'PASS' : 'FAIL',
          severity: worst?.severity ?? control.severity,
          evidence:
            failing.length === 0
              ? [item({ source: 'cluster.securityEvents (KUBE_BENCH)', summary: `kube-bench (CIS ${run.version}) reports no scored configuration check failing on node ${run.node}.`, satisfied: true, observed: '0 scored FAIL', expected: '0 scored FAIL', hostId: run.node, observedAt: run.lastSeen, reference: { kind: 'CLUSTER_SOURCE', cluster: run.cluster, source: 'kube-bench' } })]
              : failing.map((e) =>
                  item({ source: 'cluster.securityEvents (KUBE_BENCH)', summary: `kube-bench ${e.details.testNumber} FAIL on node ${run.node}: ${e.details.description}.`, satisfied: false, observed: 'FAIL', expected: 'PASS', hostId: run.node, observedAt: e.lastSeen, reference: { kind: 'SECURITY_EVENT', securityEventId: e.id } }),
                ),
        });
      }
    } else results.push(gatherError('cluster.securityEvents', evidence.events, control.severity));
    return results;
  },
};

const portParams = z
  .object({
    /** Listening ports every host may have, as protocol/port, e.g. tcp/22. */
    allowedPorts: z.array(z.string().regex(/^(tcp|udp)6?\/\d{1,5}$/, 'must be protocol/port, e.g. tcp/22')).default(['tcp/22']),
    /** Sockets bound to loopback only are not reachable from the network. */
    ignoreLoopback: z.boolean().default(true),
  })
  .strict();

const isLoopback = (address: string) => address.startsWith('127.') || address === '::1' || address === '[::1]' || address.startsWith('localhost');

/** CM-7 Least Functionality: each host listens only on allow-listed ports. */
export const listeningPortsAllowListed: ControlEvaluator<z.infer<typeof portParams>> = {
  kind: 'control',
  name: 'listening-ports-allow-listed',
  subjectKinds: ['HOST'],
  params: portParams,
  evaluate({ evidence, params, control }) {
    if (!evidence.hosts.ok) return [gatherError('hosts', evidence.hosts, control.severity)];
    const allowed = new Set(params.allowedPorts.map((p) => p.replace(/6\//, '/')));
    return evidence.hosts.value.map((host): SubjectResult => {
      const exposed = host.listeningPorts.filter((p) => !(params.ignoreLoopback && isLoopback(p.address)));
      const unexpected = exposed.filter((p) => !allowed.has(`${p.protocol.replace(/6$/, '')}/${p.port}`));
      const ok = unexpected.length === 0;
      const describe = (p: HostEvidence['listeningPorts'][number]) => `${p.protocol}/${p.port} on ${p.address}${p.process ? ` (${p.process})` : ''}`;
      return {
        subject: hostSubject(host.id, host.labels),
        status: ok ? 'PASS' : 'FAIL',
        severity: control.severity,
        evidence: [
          item({
            source: 'hosts.listeningPorts',
            summary: ok ? `${host.id} listens only on allow-listed ports (${exposed.length} non-loopback sockets).` : `${host.id} listens on ports outside the allow-list: ${unexpected.map(describe).join(', ')}.`,
            satisfied: ok,
            observed: unexpected.length > 0 ? unexpected.map(describe).join(', ') : exposed.map(describe).join(', ') || 'no non-loopback listener',
            expected: `only ${[...allowed].join(', ')}`,
            hostId: host.id,
            observedAt: host.lastSuccessAt,
            reference: { kind: 'HOST_FACT', hostId: host.id, fact: 'listeningPorts', key: null },
          }),
        ],
      };
    });
  },
};

const privilegeParams = z
  .object({
    /** Accounts allowed to have uid 0. */
    allowedUid0Users: z.array(z.string().min(1)).min(1).default(['root']),
  })
  .strict();

/**
 * AC-6 Least Privilege: no unexpected uid-0 account on a host; cluster-admin bindings limited to an
 * allow-list. The cluster subgraph does not read (Cluster)RoleBindings, so the cluster part has no
 * evidence: each cluster's result is ERROR saying so, never a guess.
 */
export const leastPrivilege: ControlEvaluator<z.infer<typeof privilegeParams>> = {
  kind: 'control',
  name: 'least-privilege',
  subjectKinds: ['HOST', 'CLUSTER'],
  params: privilegeParams,
  evaluate({ evidence, params, control }) {
    const results: SubjectResult[] = [];
    if (evidence.hosts.ok) {
      for (const host of evidence.hosts.value) {
        const root = host.users.filter((u) => u.uid === 0).map((u) => u.name);
        const unexpected = root.filter((name) => !params.allowedUid0Users.includes(name));
        results.push({
          subject: hostSubject(host.id, host.labels),
          status: unexpected.length === 0 ? 'PASS' : 'FAIL',
          severity: unexpected.length === 0 ? control.severity : 'HIGH',
          evidence: [
            item({
              source: 'hosts.users',
              summary: unexpected.length === 0 ? `${host.id}: uid 0 is held only by ${root.join(', ') || 'no account'}.` : `${host.id}: unexpected uid-0 accounts: ${unexpected.join(', ')}.`,
              satisfied: unexpected.length === 0,
              observed: `uid 0: ${root.join(', ') || 'none'}`,
              expected: `uid 0: ${params.allowedUid0Users.join(', ')} only`,
              hostId: host.id,
              observedAt: host.lastSuccessAt,
              reference: { kind: 'HOST_FACT', hostId: host.id, fact: 'users', key: unexpected[0] ?? null },
            }),
          ],
        });
      }
    } else results.push(gatherError('hosts', evidence.hosts, control.severity));
    if (evidence.clusters.ok) {
      for (const cluster of evidence.clusters.value) {
        results.push({
          subject: clusterSubject(cluster.name),
          status: 'ERROR',
          severity: control.severity,
          evidence: [
            item({
              source: 'cluster',
              summary: `cluster-admin bindings of ${cluster.name} cannot be checked against the allow-list: the cluster subgraph does not read ClusterRoleBindings (not built).`,
              satisfied: false,
              expected: 'cluster-admin bound only to allow-listed subjects',
              reference: { kind: 'CLUSTER_SOURCE', cluster: cluster.name, source: 'rbac' },
            }),
          ],
        });
      }
    }
    return results;
  },
};
