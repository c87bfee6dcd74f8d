/** Parent types of the hosts subgraph's resolvers (codegen mappers). */
import type { FactChange as StoredFactChange } from './facts/types.js';
import type { CollectorFreshness, ProbeState } from './facts/fact-store.js';
import type { CollectorName } from './facts/types.js';
import type { InventoryHost } from './inventory/build-inventory.js';
import type { InstalledPackage, PackageManager } from './sources/probe/types.js';

export type { InventoryHost as HostRecord } from './inventory/build-inventory.js';
export type { InstalledPackage, OsInfo } from './sources/probe/types.js';

/** ProbeStatus is derived from the stored probe state; null means never probed. */
export type ProbeStatusRecord = { state: ProbeState | null };
/** A history entry, and whether it is its type's baseline (the first collection's ADDED items). */
export type FactChangeRecord = StoredFactChange & { baseline: boolean };
/** A page of Host.changes; its total is counted only when asked for. */
export type FactChangeConnectionRecord = {
  edges: { cursor: string; node: FactChangeRecord }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  count: () => Promise<number>;
};
export type CollectorFreshnessRecord = { collector: CollectorName; freshness: CollectorFreshness | null };
export type HostSnapshotRecord = { host: InventoryHost; time: string };
export type HostPackageRecord = { host: InventoryHost; package: InstalledPackage; packageManager: PackageManager | null };
/** A vulnerability reference with the package fields the cluster subgraph provides (@requires). */
export type VulnerabilityRef = { id: string; packages: { name: string; fixedVersion: string | null; osFamily: string | null }[] };
export type AffectedHostRecord = { host: InventoryHost; package: InstalledPackage; fixedVersion: string | null; status: 'OLDER_THAN_FIX' | 'UNFIXED' };
export type RefreshResultRecord = { status: 'QUEUED' | 'ALREADY_QUEUED' | 'RECENTLY_PROBED' | 'RUNNING' | 'UNKNOWN_HOST'; message: string; host: InventoryHost | null };
