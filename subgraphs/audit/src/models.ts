/** Parent types of the audit subgraph's resolvers (codegen mappers). */
export type { AuditEvent } from './sources/victorialogs/audit-fields.js';
export interface IdentityRef {
  username: string;
}
export interface KubeObjectRef {
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
}
