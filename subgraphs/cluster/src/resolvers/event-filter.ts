import { badInput } from '@vigil/lib/errors';
import type { SecurityEventFilter as GraphQLFilter } from '../__generated__/resolvers-types.js';
import { isImageName, isTag } from '../store/event-facets.js';
import type { SecurityEventFilter } from '../store/security-event-store.js';

/**
 * The GraphQL filter as the store's, checked: a malformed date or image name, or bounds that
 * contradict, are BAD_USER_INPUT naming the argument (`argument` is how the caller spelled it).
 */
export function toStoreFilter(filter: GraphQLFilter | null | undefined, argument = 'filter'): SecurityEventFilter {
  if (!filter) return {};
  const out: SecurityEventFilter = {};
  if (filter.sources) out.sources = filter.sources;
  if (filter.minSeverity) out.minSeverity = filter.minSeverity;
  if (filter.categories) out.categories = filter.categories;
  if (filter.cluster != null) out.cluster = filter.cluster;
  if (filter.namespace != null) out.namespace = filter.namespace;
  if (filter.resourceKind != null) out.resourceKind = filter.resourceKind;
  if (filter.resourceName != null) out.resourceName = filter.resourceName;
  if (filter.hostname != null) out.hostname = filter.hostname;
  if (filter.resolved != null) out.resolved = filter.resolved;
  if (filter.eventType != null) out.eventType = filter.eventType;
  if (filter.rule != null) out.rule = filter.rule;
  if (filter.vulnerabilityId != null) out.vulnerabilityId = filter.vulnerabilityId;
  if (filter.image != null) {
    if (!isImageName(filter.image)) throw badInput(`${argument}.image: "${filter.image.slice(0, 80)}" is not an image name ([registry/]repository, without tag or digest)`);
    out.image = filter.image;
  }
  if (filter.tag != null) {
    if (!isTag(filter.tag)) throw badInput(`${argument}.tag: "${filter.tag.slice(0, 80)}" is not an image tag`);
    out.tag = filter.tag;
  }
  if (filter.from != null) out.from = parseDate(`${argument}.from`, filter.from);
  if (filter.to != null) out.to = parseDate(`${argument}.to`, filter.to);
  if (out.from && out.to && out.from > out.to) throw badInput(`${argument}.from must not be after ${argument}.to`);
  return out;
}

function parseDate(name: string, value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw badInput(`${name}: "${value.slice(0, 40)}" is not an ISO-8601 date-time`);
  return date;
}

export type Constraint = Partial<Pick<SecurityEventFilter, 'cluster' | 'namespace' | 'resourceKind' | 'resourceName' | 'hostname'>>;

/**
 * The filter with the parent's identity (an object's key, a node's cluster and name) added. A filter
 * value that contradicts it selects nothing: null.
 */
export function narrowTo(filter: SecurityEventFilter, constraint: Constraint): SecurityEventFilter | null {
  const out: SecurityEventFilter = { ...filter };
  for (const key of Object.keys(constraint) as (keyof Constraint)[]) {
    const value = constraint[key];
    if (value === undefined) continue;
    if (filter[key] !== undefined && filter[key] !== value) return null;
    out[key] = value;
  }
  return out;
}
