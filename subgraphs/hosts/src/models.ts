/** Parent types of the hosts subgraph's resolvers (codegen mappers). */
export type { InventoryHost as HostRecord } from './inventory.js';
export type { InstalledPackage, OsInfo } from './sources/probe/types.js';
import type { HostState } from './store/host-store.js';

/** ProbeStatus is derived from the stored state; null state means never probed. */
export type ProbeStatusRecord = { state: HostState | null };
