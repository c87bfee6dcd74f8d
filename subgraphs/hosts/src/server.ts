import { readFileSync } from 'node:fs';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { toResolverMap } from '@vigil/lib/resolver-map';
import type { SubgraphDefinition } from '@vigil/lib/subgraph-server';
import type { Resolvers } from './__generated__/resolvers-types.js';
import { createHostsContextFactory, type HostsContext, type HostsDeps } from './context.js';
import { Host, ProbeStatus } from './resolvers/host.js';
import { Query } from './resolvers/query.js';

const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

export const resolvers: Resolvers = { Query, Host, ProbeStatus };

/** The hosts subgraph over stored probe results. Probing happens in the ProbeScheduler, never in a query. */
export function createHostsSubgraph(deps: HostsDeps): SubgraphDefinition<HostsContext> {
  return {
    name: 'hosts',
    schema: buildSubgraphSchema([{ typeDefs, resolvers: toResolverMap(resolvers) }]),
    context: createHostsContextFactory(deps),
  };
}
