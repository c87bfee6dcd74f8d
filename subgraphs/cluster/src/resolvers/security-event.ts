import { badInput } from '@vigil/lib/errors';
import type {
  FalcoDetailsResolvers,
  HostResolvers,
  IdentityResolvers,
  KubeObjectResolvers,
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
  securityEvents: (ref, { first }, { eventsForResource }) => eventsForResource(ref, nestedLimit(first)),
  vulnerabilities: async (ref, { first }, { eventsForResource }) =>
    (await eventsForResource(ref, SCAN_PER_OBJECT)).filter((e) => e.category === 'VULNERABILITY' && !e.resolvedAt).slice(0, nestedLimit(first)),
  policyResults: async (ref, { first }, { eventsForResource }) =>
    (await eventsForResource(ref, SCAN_PER_OBJECT))
      .filter((e) => (e.category === 'POLICY' || e.category === 'MISCONFIGURATION') && !e.resolvedAt)
      .slice(0, nestedLimit(first)),
};

export const Host: HostResolvers = {
  __resolveReference: (ref) => ({ id: ref.id }),
  securityEvents: (host, { first }, { eventsForHost }) => eventsForHost(host.id, nestedLimit(first)),
};

export const Identity: IdentityResolvers = {
  // Any username resolves: an identity without attributed events has an empty list.
  __resolveReference: (ref) => ({ username: ref.username }),
  securityEvents: (identity, { first, sources }, { eventsForIdentity }) => eventsForIdentity(identity.username, nestedLimit(first), sources ?? null),
};
