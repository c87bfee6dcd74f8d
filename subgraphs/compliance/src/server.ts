import { readFileSync } from 'node:fs';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { toResolverMap } from '@vigil/lib/resolver-map';
import type { SubgraphDefinition } from '@vigil/lib/subgraph-server';
import type { Resolvers } from './__generated__/resolvers-types.js';
import { createComplianceContextFactory, type ComplianceContext, type ComplianceDeps } from './context.js';
import { ComplianceSubject, Control, ControlResult, ControlWaiver, Evidence, EvidenceReference, Host } from './resolvers/control.js';
import { complianceExport } from './resolvers/export.js';
import { Mutation, Query } from './resolvers/query.js';

const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

export const resolvers: Resolvers = { Query: { ...Query, complianceExport }, Mutation, Control, ControlResult, ComplianceSubject, Evidence, EvidenceReference, ControlWaiver, Host };

/** The compliance subgraph: stored results of the catalogue, evaluated off the query path by the engine. */
export function createComplianceSubgraph(deps: ComplianceDeps): SubgraphDefinition<ComplianceContext> {
  return {
    name: 'compliance',
    schema: buildSubgraphSchema([{ typeDefs, resolvers: toResolverMap(resolvers) }]),
    context: createComplianceContextFactory(deps),
  };
}
