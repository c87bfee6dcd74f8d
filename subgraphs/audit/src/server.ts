import { readFileSync } from 'node:fs';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { toResolverMap } from '@vigil/lib/resolver-map';
import type { SubgraphDefinition } from '@vigil/lib/subgraph-server';
import type { Resolvers } from './__generated__/resolvers-types.js';
import { createAuditContextFactory, type AuditContext, type AuditDeps } from './context.js';
import { AuditEvent, Identity, KubeObject, Query } from './resolvers/audit.js';
import { coverageQueries } from './resolvers/coverage.js';
import { IdentityActivity, identityFields, identityQueries } from './resolvers/identities.js';

const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

export const resolvers: Resolvers = {
  // Field maps of one type from several files; no field is defined twice.
  Query: { ...Query, ...identityQueries, ...coverageQueries },
  AuditEvent,
  Identity: { ...Identity, ...identityFields },
  IdentityActivity,
  KubeObject,
};

/** The audit subgraph: Kubernetes audit events in VictoriaLogs, every filter value quoted, never pasted. */
export function createAuditSubgraph(deps: AuditDeps): SubgraphDefinition<AuditContext> {
  return {
    name: 'audit',
    schema: buildSubgraphSchema([{ typeDefs, resolvers: toResolverMap(resolvers) }]),
    context: createAuditContextFactory(deps),
  };
}
