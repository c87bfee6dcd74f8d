/** Parent types of the audit subgraph's resolvers (codegen mappers). */
export type { AuditEvent } from './sources/victorialogs/audit-fields.js';
export interface IdentityRef {
  username: string;
  /** Listed by `identities(filter:)`: the range it counted, which Identity.activity defaults to. */
  range?: { from: Date; to: Date };
}
/** Identity.activity: whose, and over which range. */
export interface IdentityActivityRecord {
  username: string;
  range: { from: Date; to: Date };
}
export interface KubeObjectRef {
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
}
