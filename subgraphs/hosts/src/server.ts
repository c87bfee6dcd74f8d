import { readFileSync } from 'node:fs';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { GraphQLScalarType, parse } from 'graphql';
import { toResolverMap } from '@vigil/lib/resolver-map';
import type { SubgraphDefinition } from '@vigil/lib/subgraph-server';
import type { Resolvers } from './__generated__/resolvers-types.js';
import { createHostsContextFactory, type HostsContext, type HostsDeps } from './context.js';
import { CollectorFreshness, FactChange, FactChangeConnection, Host, HostPackage, HostSnapshot, ProbeStatus } from './resolvers/host.js';
import { Mutation } from './resolvers/mutation.js';
import { Query } from './resolvers/query.js';
import { Vulnerability } from './resolvers/vulnerability.js';

const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

/** Fact items before and after a change pass through as JSON values; clients never send this scalar. */
const JSON = new GraphQLScalarType({ name: 'JSON', serialize: (value) => value });

export const resolvers: Resolvers = { Query, Mutation, Host, HostSnapshot, HostPackage, ProbeStatus, CollectorFreshness, FactChange, FactChangeConnection, Vulnerability, JSON };

/** The hosts subgraph over stored facts. Probing happens in the scheduler, never in a query. */
export function createHostsSubgraph(deps: HostsDeps): SubgraphDefinition<HostsContext> {
  return {
    name: 'hosts',
    schema: buildSubgraphSchema([{ typeDefs, resolvers: toResolverMap(resolvers) }]),
    context: createHostsContextFactory(deps),
  };
}
