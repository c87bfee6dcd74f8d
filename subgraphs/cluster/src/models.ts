/** Parent types of the cluster subgraph's resolvers (codegen mappers). */
export type { SecurityEvent, KubeObjectRef } from './store/security-event-store.js';
export type { FalcoDetails } from './sources/falco/falco-event.js';
export interface HostRef {
  id: string;
}
