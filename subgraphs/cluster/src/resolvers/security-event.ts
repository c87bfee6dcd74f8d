import { badInput } from '@vigil/lib/errors';
import type {
  FalcoDetailsResolvers,
  HostResolvers,
  IdentityResolvers,
  KubeObjectResolvers,
  SecurityEventResolvers,
} from '../__generated__/resolvers-types.js';
import { filteredEvents, toStoreFilter } from './event-filter.js';
import { nodeOfHost } from './node.js';

const MAX_NESTED = 100;

function nestedLimit(first: number | null | undefined): number {
  const limit = first ?? 20;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_NESTED) throw badInput(`first: must be between 1 and ${MAX_NESTED}`);
  return limit;
}

export const SecurityEvent: SecurityEventResolvers = {
  __resolveReference: (ref, { eventsById }) => eventsById.load(ref.id),
  details: (event) => event.details,
  host: async (event, _args, context) => {
    if (event.hostname === null) return null;
    const snapshot = await context.nodeHosts();
    const match = snapshot.byNode(event.cluster, event.hostname);
    const host = match ? snapshot.host(match.hostId) : undefined;
    return host && context.tenants.hostLabels(host.labels) ? { id: host.hostId } : null;
  },
  resolvedAt: (event) => event.resolvedAt ?? null,
};

/** Of an object's recent events, the open ones of some categories (the store indexes by object, not category). */
const SCAN_PER_OBJECT = 500;

export const FalcoDetails: FalcoDetailsResolvers = {
  output: (details) => details.output ?? '',
  falcoSource: (details) => details.source,
};

export const KubeObject: KubeObjectResolvers = {
  // Any reference resolves: the object's history outlives the object.
  __resolveReference: (ref) => ({ cluster: ref.cluster, namespace: ref.namespace, kind: ref.kind, name: ref.name }),
  securityEvents: (ref, { filter, first }, context) => {
    const limit = nestedLimit(first);
    if (filter == null) return context.eventsForResource(ref, limit);
    if (!context.tenants.cluster(ref.cluster)) return [];
    return filteredEvents(context, toStoreFilter(filter), { cluster: ref.cluster, namespace: ref.namespace, resourceKind: ref.kind, resourceName: ref.name }, limit);
  },
  vulnerabilities: async (ref, { first }, { eventsForResource }) =>
    (await eventsForResource(ref, SCAN_PER_OBJECT)).filter((e) => e.category === 'VULNERABILITY' && !e.resolvedAt).slice(0, nestedLimit(first)),
  policyResults: async (ref, { first }, { eventsForResource }) =>
    (await eventsForResource(ref, SCAN_PER_OBJECT))
      .filter((e) => (e.category === 'POLICY' || e.category === 'MISCONFIGURATION') && !e.resolvedAt)
      .slice(0, nestedLimit(first)),
};

export const Host: HostResolvers = {
  __resolveReference: (ref) => ({ id: ref.id }),
  securityEvents: async (host, { filter, first }, context) => {
    const limit = nestedLimit(first);
    const storeFilter = filter == null ? null : toStoreFilter(filter);
    const match = nodeOfHost(await context.nodeHosts(), context, host.id);
    if (storeFilter) return filteredEvents(context, storeFilter, match ? { hostname: match.node.name, cluster: match.node.cluster } : { hostname: host.id }, limit);
    if (!match) return context.eventsForHost(host.id, limit);
    // The matched Node's events, of its cluster only (a node name may repeat across clusters).
    return (await context.eventsForHost(match.node.name, limit)).filter((e) => e.cluster === match.node.cluster);
  },
  node: async (host, _args, context) => nodeOfHost(await context.nodeHosts(), context, host.id),
};

export const Identity: IdentityResolvers = {
  // Any username resolves: an identity without attributed events has an empty list.
  __resolveReference: (ref) => ({ username: ref.username }),
  securityEvents: (identity, { first, sources }, { eventsForIdentity }) => eventsForIdentity(identity.username, nestedLimit(first), sources ?? null),
};
