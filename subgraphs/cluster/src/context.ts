import DataLoader from 'dataloader';
import type { KubeObjectRef, SecurityEvent, SecurityEventStore } from './store/security-event-store.js';
import { resourceKey } from './store/security-event-store.js';
import type { SourceStateRecord } from './models.js';

export interface ClusterDeps {
  store: SecurityEventStore;
  /** Every cluster this deployment reads or receives from. */
  clusterNames: readonly string[];
  /** Pulled sources' state across clusters (empty when no Kubernetes context is configured). */
  sourceStates: () => SourceStateRecord[];
}

/** Per-object and per-host lookups are batched: N objects in one response cost one store call per limit. */
export interface ClusterContext {
  store: SecurityEventStore;
  eventsById: DataLoader<string, SecurityEvent | null>;
  eventsForResource: (ref: KubeObjectRef, limit: number) => Promise<SecurityEvent[]>;
  eventsForHost: (hostname: string, limit: number) => Promise<SecurityEvent[]>;
  /** Open findings per vulnerability id, batched. */
  vulnerabilityFindings: DataLoader<string, SecurityEvent[]>;
  clusterNames: readonly string[];
  sourceStates: () => SourceStateRecord[];
}

export function createClusterContextFactory(deps: ClusterDeps) {
  return async (): Promise<ClusterContext> => {
    const byResource = new Map<number, DataLoader<KubeObjectRef, SecurityEvent[], string>>();
    const byHost = new Map<number, DataLoader<string, SecurityEvent[]>>();
    return {
      store: deps.store,
      clusterNames: deps.clusterNames,
      sourceStates: deps.sourceStates,
      vulnerabilityFindings: new DataLoader((ids) => deps.store.forVulnerabilities(ids)),
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
