/** Parent types of the alerts subgraph's resolvers (codegen mappers). */
export type { Alert } from '@vigil/lib/alerts/alert';
export type { AlertSubject } from '@vigil/lib/alerts/alert';
export interface IdentityRef {
  username: string;
}
