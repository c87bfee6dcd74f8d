import type {
  FalcoDetailsResolvers,
  HostResolvers,
  IdentityResolvers,
  KubeObjectResolvers,
  SecurityEventResolvers,
} from '../__generated__/resolvers-types.js';
import { batchedHostPage, listedPage, nestedLimit, NO_EVENTS, pageOf, parentFilter } from './nested-events.js';
import { nodeOfHost } from './node.js';

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
  securityEvents: async (ref, { filter, first, after }, context) => {
    const limit = nestedLimit(first);
    if (!context.tenants.cluster(ref.cluster)) return NO_EVENTS;
    const selected = parentFilter(context, filter, { cluster: ref.cluster, namespace: ref.namespace, resourceKind: ref.kind, resourceName: ref.name });
    if (selected === null) return NO_EVENTS;
    // The first unfiltered page of N objects is one batched read of their indexes (limit + 1 each).
    if (filter == null && after == null) return pageOf(await context.eventsForResource(ref, limit + 1), limit, selected);
    return listedPage(context, selected, limit, after);
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
  securityEvents: async (host, { filter, first, after }, context) => {
    const limit = nestedLimit(first);
    const match = nodeOfHost(await context.nodeHosts(), context, host.id);
    // The matched Node's events, of its cluster only (a node name may repeat across clusters).
    const hostname = match ? match.node.name : host.id;
    const cluster = match ? match.node.cluster : null;
    const selected = parentFilter(context, filter, cluster === null ? { hostname } : { hostname, cluster });
    if (selected === null) return NO_EVENTS;
    if (filter == null && after == null) {
      const page = await batchedHostPage(context, hostname, cluster, limit, selected);
      if (page) return page;
    }
    return listedPage(context, selected, limit, after);
  },
  node: async (host, _args, context) => nodeOfHost(await context.nodeHosts(), context, host.id),
};

export const Identity: IdentityResolvers = {
  // Any username resolves: an identity without attributed events has an empty list.
  __resolveReference: (ref) => ({ username: ref.username }),
  securityEvents: (identity, { first, sources }, { eventsForIdentity }) => eventsForIdentity(identity.username, nestedLimit(first), sources ?? null),
};
