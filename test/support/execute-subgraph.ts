import { createRequire } from 'node:module';
import type * as GraphQLModule from 'graphql';
import type { ExecutionResult } from 'graphql';
import type { Identity } from '@vigil/lib/identity';
import type { SubgraphDefinition } from '@vigil/lib/subgraph-server';

/**
 * graphql-js as `@apollo/subgraph` sees it. graphql 16 ships both `index.js` (CJS, `main`) and
 * `index.mjs` (`module`): Node and `@apollo/subgraph` load the CJS build, but Vite resolves a test
 * file's `import 'graphql'` to the `.mjs` one, and a schema built by one copy is refused by the
 * other ("Cannot use GraphQLSchema ... from another module or realm"). Requiring it gives the copy
 * the schema was built with, exactly as in production.
 */
const graphqlJs = createRequire(import.meta.url)('graphql') as typeof GraphQLModule;

/** A caller restricted to no tenant, as the gateway forwards an unrestricted admin. */
export const UNRESTRICTED: Identity = { subject: 'test', kind: 'service', roles: ['admin'], tenants: null, expiresAt: null };

/**
 * Runs one operation directly on a subgraph's schema, with a fresh per-request context from its
 * definition, as `identity` (the gateway's verified caller; unrestricted unless a test says otherwise).
 */
export async function executeSubgraph<TContext extends object>(
  definition: SubgraphDefinition<TContext>,
  source: string,
  variableValues: Record<string, unknown> = {},
  identity: Identity | null = UNRESTRICTED,
): Promise<ExecutionResult> {
  const contextValue = await definition.context({ headers: {}, identity });
  return graphqlJs.graphql({ schema: definition.schema, source, variableValues, contextValue });
}

/** `_entities` data of a result that must have no errors. */
export function entitiesOf<T>(result: ExecutionResult): T[] {
  if (result.errors && result.errors.length > 0) {
    throw new Error(`_entities failed: ${result.errors.map((e) => e.message).join('; ')}`);
  }
  const data: unknown = result.data;
  if (typeof data !== 'object' || data === null || !('_entities' in data) || !Array.isArray(data._entities)) {
    throw new Error(`no _entities in ${JSON.stringify(result)}`);
  }
  return data._entities as T[];
}
