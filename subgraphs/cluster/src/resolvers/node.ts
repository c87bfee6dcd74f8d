import type { HostIdentity } from '@vigil/lib/host-directory';
import type { NodeResolvers, QueryResolvers } from '../__generated__/resolvers-types.js';
import type { ClusterContext } from '../context.js';
import type { HostNodeMatchRecord, NodeHostMatchRecord } from '../models.js';
import type { NodeHostSnapshot } from '../nodes/node-host-index.js';
import type { NodeRecord } from '../nodes/node-record.js';
import { batchedHostPage, listedPage, nestedLimit, NO_EVENTS, parentFilter } from './nested-events.js';
import { keyedPage } from './workload-page.js';

/** A Node known only by its key (deleted, or not read): the reference still resolves, without status. */
function bareNode(cluster: string, name: string): NodeRecord {
  return { cluster, name, addresses: [], osImage: null, kernelVersion: null, kubeletVersion: null, containerRuntimeVersion: null, architecture: null, systemUuid: null, machineId: null };
}

const hostVisible = (context: ClusterContext, host: HostIdentity | undefined): host is HostIdentity => host !== undefined && context.tenants.hostLabels(host.labels);

/** Host.node for the caller: the match, when the matched Node's cluster is one of the caller's. */
export function nodeOfHost(snapshot: NodeHostSnapshot, context: ClusterContext, hostId: string): HostNodeMatchRecord | null {
  const match = snapshot.byHost(hostId);
  if (!match || !context.tenants.cluster(match.cluster)) return null;
  const node = snapshot.node(match.cluster, match.nodeName);
  return node ? { node, matchedBy: match.matchedBy, value: match.value } : null;
}

function hostOfNode(snapshot: NodeHostSnapshot, context: ClusterContext, node: NodeRecord): NodeHostMatchRecord | null {
  const match = snapshot.byNode(node.cluster, node.name);
  if (!match || !hostVisible(context, snapshot.host(match.hostId))) return null;
  return { host: { id: match.hostId }, matchedBy: match.matchedBy, value: match.value };
}

export const Node: NodeResolvers = {
  __resolveReference: async (ref, context) => {
    if (!context.tenants.cluster(ref.cluster)) return null;
    return (await context.nodeHosts()).node(ref.cluster, ref.name) ?? bareNode(ref.cluster, ref.name);
  },
  host: async (node, _args, context) => hostOfNode(await context.nodeHosts(), context, node),
  securityEvents: async (node, { filter, first, after }, context) => {
    const limit = nestedLimit(first);
    const selected = parentFilter(context, filter, { hostname: node.name, cluster: node.cluster });
    if (selected === null) return NO_EVENTS;
    if (filter == null && after == null) {
      const page = await batchedHostPage(context, node.name, node.cluster, limit, selected);
      if (page) return page;
    }
    return listedPage(context, selected, limit, after);
  },
};

/** Node pages by cluster, then name: the key sorts as that pair does (names never hold NUL). */
const nodeKey = (node: NodeRecord) => `${node.cluster}\u0000${node.name}`;

export const nodeQueries: Pick<QueryResolvers, 'nodes' | 'node' | 'unmatchedNodes' | 'unmatchedHosts'> = {
  nodes: async (_root, { cluster, first, after }, context) => {
    const { nodes } = await context.nodeHosts();
    return keyedPage(
      nodes.filter((n) => context.tenants.cluster(n.cluster) && (cluster == null || n.cluster === cluster)),
      nodeKey,
      first,
      after,
    );
  },
  node: async (_root, { cluster, name }, context) => {
    if (!context.tenants.cluster(cluster)) return null;
    return (await context.nodeHosts()).node(cluster, name) ?? null;
  },
  unmatchedNodes: async (_root, { first, after }, context) => {
    const snapshot = await context.nodeHosts();
    return keyedPage(
      snapshot.nodes.filter((n) => context.tenants.cluster(n.cluster) && hostOfNode(snapshot, context, n) === null),
      nodeKey,
      first,
      after,
    );
  },
  unmatchedHosts: async (_root, { first, after }, context) => {
    const snapshot = await context.nodeHosts();
    const hosts = snapshot.hosts.filter((h) => hostVisible(context, h) && nodeOfHost(snapshot, context, h.hostId) === null).map((h) => ({ id: h.hostId }));
    return keyedPage(hosts, (host) => host.id, first, after);
  },
};
