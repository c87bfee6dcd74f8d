import DataLoader from 'dataloader';
import type { KubeObjectRef, SecurityEvent, SecurityEventStore } from './store/security-event-store.js';
import { resourceKey } from './store/security-event-store.js';

export interface ClusterDeps {
  store: SecurityEventStore;
}

/** Per-object and per-host lookups are batched: N objects in one response cost one store call per limit. */
export interface ClusterContext {
  store: SecurityEventStore;
  eventsById: DataLoader<string, SecurityEvent | null>;
  eventsForResource: (ref: KubeObjectRef, limit: number) => Promise<SecurityEvent[]>;
  eventsForHost: (hostname: string, limit: number) => Promise<SecurityEvent[]>;
}

export function createClusterContextFactory(deps: ClusterDeps) {
  return async (): Promise<ClusterContext> => {
    const byResource = new Map<number, DataLoader<KubeObjectRef, SecurityEvent[], string>>();
    const byHost = new Map<number, DataLoader<string, SecurityEvent[]>>();
    return {
      store: deps.store,
      eventsById: new DataLoader((ids) => deps.store.get(ids)),
      eventsForResource: (ref, limit) => {
        let loader = byResource.get(limit);
        if (!loader) {
          loader = new DataLoader((refs) => deps.store.forResources(refs, limit), { cacheKeyFn: resourceKey });
          byResource.set(limit, loader);
        }
        return loader.load(ref);
      },
      eventsForHost: (hostname, limit) => {
        let loader = byHost.get(limit);
        if (!loader) {
          loader = new DataLoader((names) => deps.store.forHosts(names, limit));
          byHost.set(limit, loader);
        }
        return loader.load(hostname);
      },
    };
  };
}
