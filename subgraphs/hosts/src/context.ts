import DataLoader from 'dataloader';
import type { Clock } from '@vigil/lib/clock';
import type { Identity } from '@vigil/lib/identity';
import { tenantFilter } from '@vigil/lib/tenancy';
import type { CollectorFreshness, FactStore, ProbeState } from './facts/fact-store.js';
import type { CollectorName, FactItems, FactType } from './facts/types.js';
import type { InventoryHost } from './inventory/build-inventory.js';
import type { ProbeScheduler } from './scheduling/probe-scheduler.js';

export interface HostsDeps {
  inventory: readonly InventoryHost[];
  store: FactStore;
  scheduler: Pick<ProbeScheduler, 'refresh'>;
  /** "Now" for windows that end at the present (Host.metrics without `to`). @default systemClock */
  clock?: Clock;
  /** Default window of Host.metrics when no `from` is given. @default 24 h */
  defaultMetricsWindowMs?: number;
}

/** Per request: one DataLoader per fact type actually asked for, so N hosts cost one store call per type. */
export interface HostsContext {
  deps: HostsDeps;
  inventory: ReadonlyMap<string, InventoryHost>;
  sortedInventory: readonly InventoryHost[];
  states: DataLoader<string, ProbeState | null>;
  freshness: DataLoader<string, Partial<Record<CollectorName, CollectorFreshness>> | null>;
  /** When each fact type was first collected per host (its baseline), batched. */
  baselines: DataLoader<string, Partial<Record<FactType, string>> | null>;
  facts<T extends FactType>(type: T, hostId: string): Promise<FactItems[T][] | null>;
}

export function createHostsContextFactory(deps: HostsDeps) {
  const byId = new Map(deps.inventory.map((host) => [host.id, host]));
  return async (request: { identity: Identity | null }): Promise<HostsContext> => {
    const factLoaders = new Map<FactType, DataLoader<string, unknown[] | null>>();
    // Tenancy: every resolver (lists, lookups, entity references, the mutation) reads hosts only
    // through these two, so a host outside the caller's tenants does not exist for this request.
    const tenants = tenantFilter(request.identity);
    const visible = tenants.unrestricted ? deps.inventory : deps.inventory.filter((host) => tenants.hostLabels(host.labels));
    return {
      deps,
      inventory: tenants.unrestricted ? byId : new Map(visible.map((host) => [host.id, host])),
      sortedInventory: visible,
      states: new DataLoader((ids) => deps.store.getProbeStates(ids)),
      freshness: new DataLoader((ids) => deps.store.getFreshness(ids)),
      baselines: new DataLoader((ids) => deps.store.getBaselines(ids)),
      facts<T extends FactType>(type: T, hostId: string): Promise<FactItems[T][] | null> {
        let loader = factLoaders.get(type);
        if (!loader) {
          loader = new DataLoader<string, unknown[] | null>((ids) => deps.store.getFacts(type, ids));
          factLoaders.set(type, loader);
        }
        // The loader for `type` only ever holds FactItems[type] lists (it is keyed by type above).
        return loader.load(hostId) as Promise<FactItems[T][] | null>;
      },
    };
  };
}
