import { readFileSync } from 'node:fs';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { GraphQLScalarType, parse } from 'graphql';
import type { Express } from 'express';
import { toResolverMap } from '@vigil/lib/resolver-map';
import type { SubgraphDefinition } from '@vigil/lib/subgraph-server';
import type { Resolvers } from './__generated__/resolvers-types.js';
import { createClusterContextFactory, type ClusterContext, type ClusterDeps } from './context.js';
import { Query, SecurityEventConnection } from './resolvers/query.js';
import { AffectedPackage, AuditDetails, KubeBenchDetails, KyvernoPolicyDetails, SecurityEventDetails, TrivyVulnerabilityDetails } from './resolvers/details.js';
import { FalcoDetails, Host, Identity, KubeObject, SecurityEvent } from './resolvers/security-event.js';
import { Cluster, Vulnerability } from './resolvers/vulnerability.js';
import { Node } from './resolvers/node.js';
import { Image, ImageRef } from './resolvers/image.js';

const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

/** Raw source records pass through as JSON values; clients never send this scalar. */
const JSON = new GraphQLScalarType({ name: 'JSON', serialize: (value) => value });

export const resolvers: Resolvers = {
  Query,
  SecurityEvent,
  SecurityEventDetails,
  FalcoDetails,
  AuditDetails,
  TrivyVulnerabilityDetails,
  AffectedPackage,
  KyvernoPolicyDetails,
  KubeBenchDetails,
  KubeObject,
  Host,
  Identity,
  Vulnerability,
  Cluster,
  Node,
  Image,
  ImageRef,
  SecurityEventConnection,
  JSON,
};

/** The cluster subgraph: stored security events, plus the webhook intake routes given by the runtime. */
export function createClusterSubgraph(deps: ClusterDeps, routes?: (app: Express) => void): SubgraphDefinition<ClusterContext> {
  return {
    name: 'cluster',
    schema: buildSubgraphSchema([{ typeDefs, resolvers: toResolverMap(resolvers) }]),
    context: createClusterContextFactory(deps),
    ...(routes ? { routes } : {}),
  };
}
