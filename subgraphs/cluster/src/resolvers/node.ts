import { badInput } from '@vigil/lib/errors';
import type { HostIdentity } from '@vigil/lib/host-directory';
import type { NodeResolvers, QueryResolvers } from '../__generated__/resolvers-types.js';
import type { ClusterContext } from '../context.js';
import type { HostNodeMatchRecord, NodeHostMatchRecord } from '../models.js';
import type { NodeHostSnapshot } from '../nodes/node-host-index.js';
import type { NodeRecord } from '../nodes/node-record.js';
import { filteredEvents, toStoreFilter } from './event-filter.js';

const MAX_NESTED = 100;

function nestedLimit(first: number | null | undefined): number {
  const limit = first ?? 20;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_NESTED) throw badInput(`first: must be between 1 and ${MAX_NESTED}`);
  return limit;
}

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
  securityEvents: async (node, { filter, first }, context) => {
    const limit = nestedLimit(first);
    if (filter != null) return filteredEvents(context, toStoreFilter(filter), { hostname: node.name, cluster: node.cluster }, limit);
    const { eventsForHost } = context;
    // The store indexes node-level events by hostname across clusters; a node name reused in another
    // cluster is filtered out here (a page may then be short, never foreign).
    return (await eventsForHost(node.name, limit)).filter((e) => e.cluster === node.cluster);
  },
};

export const nodeQueries: Pick<QueryResolvers, 'nodes' | 'node' | 'unmatchedNodes' | 'unmatchedHosts'> = {
  nodes: async (_root, { cluster }, context) => {
    const { nodes } = await context.nodeHosts();
    return nodes.filter((n) => context.tenants.cluster(n.cluster) && (cluster == null || n.cluster === cluster));
  },
  node: async (_root, { cluster, name }, context) => {
    if (!context.tenants.cluster(cluster)) return null;
    return (await context.nodeHosts()).node(cluster, name) ?? null;
  },
  unmatchedNodes: async (_root, _args, context) => {
    const snapshot = await context.nodeHosts();
    return snapshot.nodes.filter((n) => context.tenants.cluster(n.cluster) && hostOfNode(snapshot, context, n) === null);
  },
  unmatchedHosts: async (_root, _args, context) => {
    const snapshot = await context.nodeHosts();
    return snapshot.hosts.filter((h) => hostVisible(context, h) && nodeOfHost(snapshot, context, h.hostId) === null).map((h) => ({ id: h.hostId }));
  },
};
