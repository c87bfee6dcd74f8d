import { isRecord } from '@vigil/lib/is-record';
import type { KubeObject } from '../kube/kube-object.js';

/** One entry of a Node's status.addresses. */
export interface NodeAddress {
  /** InternalIP, ExternalIP, Hostname, InternalDNS or ExternalDNS. */
  type: string;
  address: string;
}

/** What Vigil keeps of a Kubernetes Node: identity and version evidence (io.k8s.api.core.v1.Node). */
export interface NodeRecord {
  cluster: string;
  name: string;
  addresses: NodeAddress[];
  osImage: string | null;
  kernelVersion: string | null;
  kubeletVersion: string | null;
  containerRuntimeVersion: string | null;
  architecture: string | null;
  /** status.nodeInfo.systemUUID, lowercased (the kubelet reports what the firmware says, in either case). */
  systemUuid: string | null;
  /** status.nodeInfo.machineID, lowercased. */
  machineId: string | null;
}

/** The Node entity key; also a reference to a Node that may no longer exist. */
export interface NodeRef {
  cluster: string;
  name: string;
}

const text = (value: unknown): string | null => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);

/**
 * Maps a Node object as the API server returns it (status.nodeInfo, status.addresses) to a record.
 * Pure. A Node without status (just registered) still yields a record, with nulls.
 */
export function parseNode(cluster: string, object: KubeObject): NodeRecord {
  const status = isRecord(object['status']) ? object['status'] : {};
  const info = isRecord(status['nodeInfo']) ? status['nodeInfo'] : {};
  const addresses: NodeAddress[] = Array.isArray(status['addresses'])
    ? status['addresses'].flatMap((entry: unknown) => {
        if (!isRecord(entry)) return [];
        const type = text(entry['type']);
        const address = text(entry['address']);
        return type && address ? [{ type, address }] : [];
      })
    : [];
  return {
    cluster,
    name: object.metadata.name,
    addresses,
    osImage: text(info['osImage']),
    kernelVersion: text(info['kernelVersion']),
    kubeletVersion: text(info['kubeletVersion']),
    containerRuntimeVersion: text(info['containerRuntimeVersion']),
    architecture: text(info['architecture']),
    systemUuid: text(info['systemUUID'])?.toLowerCase() ?? null,
    machineId: text(info['machineID'])?.toLowerCase() ?? null,
  };
}

/**
 * The Nodes the informers deliver, per cluster. In memory only: the informer lists every Node at start
 * and watches after, so the API server is the record and nothing needs to survive a restart.
 */
export class NodeRegistry {
  private readonly nodes = new Map<string, NodeRecord>();
  private version = 0;

  private static key(cluster: string, name: string): string {
    return `${cluster}\u0000${name}`;
  }

  upsert(node: NodeRecord): void {
    const key = NodeRegistry.key(node.cluster, node.name);
    // The kubelet rewrites its Node's status every few minutes (conditions, heartbeats): unchanged
    // evidence must not force the matches to be recomputed.
    const previous = this.nodes.get(key);
    if (previous && JSON.stringify(previous) === JSON.stringify(node)) return;
    this.nodes.set(key, node);
    this.version += 1;
  }

  delete(cluster: string, name: string): void {
    if (this.nodes.delete(NodeRegistry.key(cluster, name))) this.version += 1;
  }

  get(cluster: string, name: string): NodeRecord | undefined {
    return this.nodes.get(NodeRegistry.key(cluster, name));
  }

  /** Every node, sorted by cluster then name. */
  list(): NodeRecord[] {
    return [...this.nodes.values()].sort((a, b) => (a.cluster === b.cluster ? compare(a.name, b.name) : compare(a.cluster, b.cluster)));
  }

  /** Changes whenever a node is added, changed or removed: lets a matcher cache its result. */
  get revision(): number {
    return this.version;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
