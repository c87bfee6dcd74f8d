import type { Clock } from '@vigil/lib/clock';
import type { HostDirectory, HostIdentity } from '@vigil/lib/host-directory';
import { matchNodesToHosts, type NodeHostMatch } from './node-host-match.js';
import type { NodeRecord, NodeRegistry } from './node-record.js';

/** One consistent view: the nodes, the published hosts and the matches between them. */
export interface NodeHostSnapshot {
  nodes: readonly NodeRecord[];
  hosts: readonly HostIdentity[];
  byNode(cluster: string, name: string): NodeHostMatch | undefined;
  node(cluster: string, name: string): NodeRecord | undefined;
  byHost(hostId: string): NodeHostMatch | undefined;
  host(hostId: string): HostIdentity | undefined;
}

export interface NodeHostIndexOptions {
  nodes: NodeRegistry;
  directory: HostDirectory;
  clock: Clock;
  /** How long the hosts read from the directory are reused before it is read again. @default 5000 */
  directoryTtlMs?: number;
}

/**
 * Node ↔ Host matches for the resolvers and the alert raisers. The directory is read at most once per
 * `directoryTtlMs` (a Falco burst raises many alerts; each must not read every host), and the match
 * is recomputed only when the nodes or the hosts changed.
 */
export class NodeHostIndex {
  private hosts: { at: number; list: HostIdentity[]; json: string } | null = null;
  private cached: { nodeRevision: number; hostsJson: string; snapshot: NodeHostSnapshot } | null = null;
  private reading: Promise<HostIdentity[]> | null = null;

  constructor(private readonly options: NodeHostIndexOptions) {}

  async snapshot(): Promise<NodeHostSnapshot> {
    const hosts = await this.readHosts();
    const { nodes } = this.options;
    if (this.cached && this.cached.nodeRevision === nodes.revision && this.cached.hostsJson === hosts.json) return this.cached.snapshot;
    const nodeList = nodes.list();
    const matches = matchNodesToHosts(nodeList, hosts.list);
    const byNode = new Map(matches.map((m) => [`${m.cluster}\u0000${m.nodeName}`, m]));
    const byHost = new Map(matches.map((m) => [m.hostId, m]));
    const hostById = new Map(hosts.list.map((h) => [h.hostId, h]));
    const nodeByKey = new Map(nodeList.map((n) => [`${n.cluster}\u0000${n.name}`, n]));
    const snapshot: NodeHostSnapshot = {
      nodes: nodeList,
      hosts: hosts.list,
      byNode: (cluster, name) => byNode.get(`${cluster}\u0000${name}`),
      node: (cluster, name) => nodeByKey.get(`${cluster}\u0000${name}`),
      byHost: (hostId) => byHost.get(hostId),
      host: (hostId) => hostById.get(hostId),
    };
    this.cached = { nodeRevision: nodes.revision, hostsJson: hosts.json, snapshot };
    return snapshot;
  }

  /** The inventory host a node is, with its labels; null when unmatched. For node-level alerts. */
  async hostOfNode(cluster: string, nodeName: string): Promise<HostIdentity | null> {
    const snapshot = await this.snapshot();
    const match = snapshot.byNode(cluster, nodeName);
    return match ? (snapshot.host(match.hostId) ?? null) : null;
  }

  private async readHosts(): Promise<{ list: HostIdentity[]; json: string }> {
    const now = this.options.clock().getTime();
    const ttl = this.options.directoryTtlMs ?? 5000;
    if (this.hosts && now - this.hosts.at < ttl && now >= this.hosts.at) return this.hosts;
    // Concurrent callers share one read.
    this.reading ??= this.options.directory.list().finally(() => {
      this.reading = null;
    });
    const list = await this.reading;
    this.hosts = { at: now, list, json: JSON.stringify(list) };
    return this.hosts;
  }
}
