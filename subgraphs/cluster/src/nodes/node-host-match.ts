import type { HostIdentity } from '@vigil/lib/host-directory';
import type { NodeRecord } from './node-record.js';

/** The evidence a Node ↔ Host match rests on, most trusted first. */
export const MATCH_EVIDENCE = ['MACHINE_ID', 'SYSTEM_UUID', 'ADDRESS', 'HOSTNAME'] as const;
export type MatchEvidence = (typeof MATCH_EVIDENCE)[number];

export interface NodeHostMatch {
  cluster: string;
  nodeName: string;
  hostId: string;
  matchedBy: MatchEvidence;
  /** The value both sides share (the machine ID, the address…). */
  value: string;
}

/** The values a node or a host offers as evidence of one kind, normalised for comparison. */
function nodeEvidence(node: NodeRecord, kind: MatchEvidence): string[] {
  switch (kind) {
    case 'MACHINE_ID':
      return node.machineId ? [node.machineId] : [];
    case 'SYSTEM_UUID':
      return node.systemUuid ? [node.systemUuid] : [];
    case 'ADDRESS':
      // IPs and DNS names the node is reached at; its Hostname entry is host-name evidence, below.
      return node.addresses.filter((a) => a.type !== 'Hostname').map((a) => a.address.toLowerCase());
    case 'HOSTNAME':
      return names([node.name, ...node.addresses.filter((a) => a.type === 'Hostname').map((a) => a.address)]);
  }
}

function hostEvidence(host: HostIdentity, kind: MatchEvidence): string[] {
  switch (kind) {
    case 'MACHINE_ID':
      return host.machineId ? [host.machineId.toLowerCase()] : [];
    case 'SYSTEM_UUID':
      return host.systemUuid ? [host.systemUuid.toLowerCase()] : [];
    case 'ADDRESS':
      return host.addresses.map((a) => a.toLowerCase());
    case 'HOSTNAME':
      // The kernel's host name, and the inventory name (what the old "host id equals node name" rule used).
      return names([...(host.hostname ? [host.hostname] : []), host.hostId]);
  }
}

/**
 * Host names compare case-insensitively, and a short name also matches the first label of a fully
 * qualified one (`ip-10-0-0-11` and `ip-10-0-0-11.ec2.internal`): kubelets register either form.
 */
function names(values: readonly string[]): string[] {
  const out = new Set<string>();
  for (const value of values) {
    const lower = value.toLowerCase();
    out.add(lower);
    const short = lower.split('.')[0];
    if (short) out.add(`short:${short}`);
  }
  return [...out];
}

/**
 * Matches Nodes to inventory hosts by evidence, in order of trust: machine ID, then system UUID, then
 * an address, then a host name. Pure and deterministic.
 *
 * At each level, a node and a host are matched only when each is the other's only candidate among
 * those still unmatched: evidence shared by several (a cloned machine ID, an address every host has,
 * a host name reused across clusters) is ambiguous, and a guess would put one machine's alerts on
 * another. Such a node or host stays unmatched at that level and may still match on weaker, unique
 * evidence. A host is at most one node and a node at most one host.
 */
export function matchNodesToHosts(nodes: readonly NodeRecord[], hosts: readonly HostIdentity[]): NodeHostMatch[] {
  const matches: NodeHostMatch[] = [];
  const matchedNodes = new Set<number>();
  const matchedHosts = new Set<number>();
  for (const kind of MATCH_EVIDENCE) {
    const hostsByValue = new Map<string, Set<number>>();
    hosts.forEach((host, h) => {
      if (matchedHosts.has(h)) return;
      for (const value of hostEvidence(host, kind)) {
        let set = hostsByValue.get(value);
        if (!set) hostsByValue.set(value, (set = new Set()));
        set.add(h);
      }
    });
    // node → its candidate hosts (and the value that made each one a candidate), host → its candidate nodes
    const nodeCandidates = new Map<number, Map<number, string>>();
    const hostCandidates = new Map<number, Set<number>>();
    nodes.forEach((node, n) => {
      if (matchedNodes.has(n)) return;
      const candidates = new Map<number, string>();
      for (const value of nodeEvidence(node, kind)) for (const h of hostsByValue.get(value) ?? []) if (!candidates.has(h)) candidates.set(h, value);
      if (candidates.size === 0) return;
      nodeCandidates.set(n, candidates);
      for (const h of candidates.keys()) {
        let set = hostCandidates.get(h);
        if (!set) hostCandidates.set(h, (set = new Set()));
        set.add(n);
      }
    });
    for (const [n, candidates] of nodeCandidates) {
      if (candidates.size !== 1) continue;
      const [[h, value]] = [...candidates] as [[number, string]];
      if (hostCandidates.get(h)?.size !== 1) continue;
      const node = nodes[n];
      const host = hosts[h];
      if (!node || !host) continue;
      matchedNodes.add(n);
      matchedHosts.add(h);
      matches.push({ cluster: node.cluster, nodeName: node.name, hostId: host.hostId, matchedBy: kind, value: value.replace(/^short:/, '') });
    }
  }
  return matches;
}
