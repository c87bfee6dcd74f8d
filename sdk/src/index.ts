export { createVigilClient, VigilGraphQLError, type VigilClient, type VigilClientOptions } from './client.js';
export * from './__generated__/graphql.js';
export { graphql } from './__generated__/gql.js';
