import { readFileSync } from 'node:fs';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import type { SubgraphDefinition } from '@vigil/lib/subgraph-server';
import { toResolverMap } from '@vigil/lib/resolver-map';
import type { Resolvers } from './__generated__/resolvers-types.js';
import { createAlertsContext, type AlertsContext, type AlertsDeps } from './context.js';
import { Alert, AlertSubjectRef } from './resolvers/alert.js';
import { Identity } from './resolvers/identity.js';
import { Query } from './resolvers/query.js';
import { Subscription } from './resolvers/subscription.js';
import { Mutation } from './resolvers/mutation.js';
import { Silence, SilenceMatchers } from './resolvers/silence.js';
import { AlertChange } from './resolvers/alert-change.js';
import { AlertOutput, DeadLetter } from './resolvers/routing.js';
import { Host, KubeObject, Node, TimelineEntry } from './resolvers/timeline.js';

const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

export const resolvers: Resolvers = { Query, Mutation, Subscription, Alert, AlertSubjectRef, AlertChange, Silence, SilenceMatchers, AlertOutput, DeadLetter, Identity, Host, KubeObject, Node, TimelineEntry };

/** The alerts subgraph, ready to serve; the alert log is created by the caller and closed by it. */
export function createAlertsSubgraph(deps: AlertsDeps): SubgraphDefinition<AlertsContext> {
  return {
    name: 'alerts',
    schema: buildSubgraphSchema([{ typeDefs, resolvers: toResolverMap(resolvers) }]),
    context: async ({ identity }) => createAlertsContext(deps, identity),
    subscriptions: true,
  };
}
