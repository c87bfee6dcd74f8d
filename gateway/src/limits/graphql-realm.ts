import { createRequire } from 'node:module';
import type * as GraphQL from 'graphql';

/**
 * graphql-js exactly as the gateway runtime loads it. graphql 16 ships a CommonJS build (`main`) and
 * an ESM one (`module`). Node resolves both `import` and `require` to the CommonJS build, so in
 * production there is one copy; Vite (vitest) resolves our own `import 'graphql'` to the ESM build
 * while Yoga and Hive still get the CommonJS one. Two copies break Yoga's `instanceof GraphQLError`
 * (a refusal would be masked as "Unexpected error.") and graphql-js's schema checks ("Cannot use
 * GraphQLObjectType from another module or realm"). Whatever meets the runtime comes from here.
 */
export const graphql: typeof GraphQL = createRequire(import.meta.url)('graphql');
