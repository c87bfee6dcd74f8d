import type { GraphQLResolverMap } from '@apollo/subgraph';

/**
 * The generated `Resolvers` type is precise per field; Apollo's resolver map is a loose
 * string-indexed record. Every generated map is structurally a valid GraphQLResolverMap, but
 * TypeScript cannot see that through the mapped types, so the one widening lives here.
 */
export function toResolverMap<T extends object>(resolvers: T): GraphQLResolverMap<unknown> {
  return resolvers as GraphQLResolverMap<unknown>;
}
