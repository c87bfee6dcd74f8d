import DataLoader from 'dataloader';
import type { InventoryHost } from './inventory.js';
import type { HostState, HostStore } from './store/host-store.js';
import type { InstalledPackage } from './sources/probe/types.js';

export interface HostsDeps {
  inventory: readonly InventoryHost[];
  store: HostStore;
}

export interface HostsContext {
  inventory: ReadonlyMap<string, InventoryHost>;
  sortedInventory: readonly InventoryHost[];
  states: DataLoader<string, HostState | null>;
  packages: DataLoader<string, InstalledPackage[] | null>;
}

export function createHostsContextFactory(deps: HostsDeps) {
  const byId = new Map(deps.inventory.map((host) => [host.id, host]));
  return async (): Promise<HostsContext> => ({
    inventory: byId,
    sortedInventory: deps.inventory,
    states: new DataLoader((ids) => deps.store.getStates(ids)),
    packages: new DataLoader((ids) => deps.store.getPackages(ids)),
  });
}
