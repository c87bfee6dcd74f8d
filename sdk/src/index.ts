export { createVigilClient, VigilGraphQLError, type VigilClient, type VigilClientOptions } from './client.js';
export * from './__generated__/graphql.js';
// Not re-exported: the client preset's `graphql()` tag (__generated__/gql.ts). It knows only the
// SDK's own operations and returns an empty object for any other text, so it cannot serve a
// consumer's documents; a consumer generates its own tag against the shipped schema (README.md).
