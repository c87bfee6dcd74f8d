import { badInput } from '@vigil/lib/errors';
import type {
  FalcoDetailsResolvers,
  HostResolvers,
  KubeObjectResolvers,
  SecurityEventDetailsResolvers,
  SecurityEventResolvers,
} from '../__generated__/resolvers-types.js';

const MAX_NESTED = 100;

function nestedLimit(first: number | null | undefined): number {
  const limit = first ?? 20;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_NESTED) throw badInput(`first must be between 1 and ${MAX_NESTED}`);
  return limit;
}

export const SecurityEvent: SecurityEventResolvers = {
  __resolveReference: (ref, { eventsById }) => eventsById.load(ref.id),
  details: (event) => event.details,
};

export const SecurityEventDetails: SecurityEventDetailsResolvers = {
  // Falco is the only source so far; the union grows a branch per source.
  __resolveType: () => 'FalcoDetails',
};

export const FalcoDetails: FalcoDetailsResolvers = {
  output: (details) => details.output ?? '',
  falcoSource: (details) => details.source,
};

export const KubeObject: KubeObjectResolvers = {
  // Any reference resolves: the object's history outlives the object.
  __resolveReference: (ref) => ({ cluster: ref.cluster, namespace: ref.namespace, kind: ref.kind, name: ref.name }),
  securityEvents: (ref, { first }, { eventsForResource }) => eventsForResource(ref, nestedLimit(first)),
};

export const Host: HostResolvers = {
  __resolveReference: (ref) => ({ id: ref.id }),
  securityEvents: (host, { first }, { eventsForHost }) => eventsForHost(host.id, nestedLimit(first)),
};
