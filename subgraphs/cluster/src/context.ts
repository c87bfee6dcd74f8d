import DataLoader from 'dataloader';
import type { Identity } from '@vigil/lib/identity';
import { tenantFilter, type TenantFilter } from '@vigil/lib/tenancy';
import type { NodeHostIndex, NodeHostSnapshot } from './nodes/node-host-index.js';
import { canonicalReference, type ImageReference } from './images/image-reference.js';
import type { KubeObjectRef, SecurityEvent, SecurityEventStore, SecuritySource } from './store/security-event-store.js';
import { MAX_PAGE_SIZE, resourceKey } from './store/security-event-store.js';
import type { SourceStateRecord } from './models.js';

export interface ClusterDeps {
  store: SecurityEventStore;
  /** Every cluster this deployment reads or receives from. */
  clusterNames: readonly string[];
  /** Pulled sources' state across clusters (empty when no Kubernetes context is configured). */
  sourceStates: () => SourceStateRecord[];
  /** Node ↔ Host matches; absent: no Node is read (no Kubernetes context) and no host is known. */
  nodeHostIndex?: NodeHostIndex;
}

const NO_NODES: NodeHostSnapshot = { nodes: [], hosts: [], byNode: () => undefined, node: () => undefined, byHost: () => undefined, host: () => undefined };

/** Per-object and per-host lookups are batched: N objects in one response cost one store call per limit. */
export interface ClusterContext {
  store: SecurityEventStore;
  eventsById: DataLoader<string, SecurityEvent | null>;
  eventsForResource: (ref: KubeObjectRef, limit: number) => Promise<SecurityEvent[]>;
  /** Newest first, at most `limit`, of every cluster: not filtered by the caller's tenants (resolvers/nested-events.ts does). */
  eventsForHost: (hostname: string, limit: number) => Promise<SecurityEvent[]>;
  /**
   * The caller's clusters' events attributed to a Kubernetes identity, newest first, at most `limit`,
   * of the `sources` given (all when null). Batched per (limit, sources) over every identity of a response.
   */
  eventsForIdentity: (username: string, limit: number, sources: readonly SecuritySource[] | null) => Promise<SecurityEvent[]>;
  /** Open findings per vulnerability id, batched. */
  vulnerabilityFindings: DataLoader<string, SecurityEvent[]>;
  clusterNames: readonly string[];
  sourceStates: () => SourceStateRecord[];
  /** The clusters the caller's tenants allow; null = every cluster. */
  tenantClusters: string[] | null;
  /** The caller's tenant filter (clusters, host labels). */
  tenants: TenantFilter;
  /** Nodes, published hosts and their matches, read once per request (not yet filtered by tenant). */
  nodeHosts: () => Promise<NodeHostSnapshot>;
  /** The caller's open Trivy vulnerability findings of an image, read once per image per request. */
  imageFindings: (image: ImageReference) => Promise<SecurityEvent[]>;
}

/** Pages read for one image: 20 × 500 findings. */
const IMAGE_PAGES = 20;

export function createClusterContextFactory(deps: ClusterDeps) {
  return async (request: { identity: Identity | null }): Promise<ClusterContext> => {
    const byResource = new Map<number, DataLoader<KubeObjectRef, SecurityEvent[], string>>();
    const byHost = new Map<number, DataLoader<string, SecurityEvent[]>>();
    const byIdentity = new Map<string, DataLoader<string, SecurityEvent[]>>();
    // Tenancy: every read below keeps only events of the caller's clusters, so lists, entity
    // references (SecurityEvent, Vulnerability, KubeObject, Host) and counts agree.
    const tenants = tenantFilter(request.identity);
    const visible = (events: SecurityEvent[]) => (tenants.unrestricted ? events : events.filter((e) => tenants.cluster(e.cluster)));
    let nodeHosts: Promise<NodeHostSnapshot> | undefined;
    const byImage = new Map<string, Promise<SecurityEvent[]>>();
    // No index by image: the walk of the TRIVY source index is filtered in the store (see list()).
    const readImage = async (image: ImageReference): Promise<SecurityEvent[]> => {
      const filter = {
        sources: ['TRIVY' as const],
        categories: ['VULNERABILITY' as const],
        resolved: false,
        image: image.name,
        ...(image.digest !== null ? { imageDigest: image.digest } : image.tag !== null ? { tag: image.tag } : {}),
        ...(tenants.clusters === null ? {} : { clusters: [...tenants.clusters] }),
      };
      const events: SecurityEvent[] = [];
      let after: string | undefined;
      for (let page = 0; page < IMAGE_PAGES; page++) {
        const read = await deps.store.list(filter, { first: MAX_PAGE_SIZE, ...(after === undefined ? {} : { after }) });
        events.push(...read.events);
        if (!read.hasNextPage || read.endCursor === null) break;
        after = read.endCursor;
      }
      return events;
    };
    return {
      imageFindings: (image) => {
        const key = canonicalReference(image);
        let found = byImage.get(key);
        if (!found) byImage.set(key, (found = readImage(image)));
        return found;
      },
      store: deps.store,
      tenants,
      nodeHosts: () => (nodeHosts ??= deps.nodeHostIndex ? deps.nodeHostIndex.snapshot() : Promise.resolve(NO_NODES)),
      tenantClusters: tenants.clusters === null ? null : [...tenants.clusters],
      clusterNames: deps.clusterNames.filter((name) => tenants.cluster(name)),
      sourceStates: () => deps.sourceStates().filter((s) => tenants.cluster(s.cluster)),
      vulnerabilityFindings: new DataLoader(async (ids) => (await deps.store.forVulnerabilities(ids)).map(visible)),
      eventsById: new DataLoader(async (ids) => (await deps.store.get(ids)).map((e) => (e && tenants.cluster(e.cluster) ? e : null))),
      eventsForResource: (ref, limit) => {
        if (!tenants.cluster(ref.cluster)) return Promise.resolve([]);
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
          // Unfiltered by tenant: the caller drops other clusters' events and knows whether it dropped any (nested-events.ts).
          loader = new DataLoader((names) => deps.store.forHosts(names, limit));
          byHost.set(limit, loader);
        }
        return loader.load(hostname);
      },
      eventsForIdentity: (username, limit, sources) => {
        const key = `${String(limit)} ${sources === null ? '*' : [...new Set(sources)].sort().join(',')}`;
        let loader = byIdentity.get(key);
        if (!loader) {
          // Filtering after the store's limit would leave pages short: read as far as the store lets one read, then filter.
          const narrowed = sources !== null || !tenants.unrestricted;
          const fetch = narrowed ? MAX_PAGE_SIZE : limit;
          const keep = (event: SecurityEvent) => (sources === null || sources.includes(event.source)) && tenants.cluster(event.cluster);
          loader = new DataLoader(async (names) => (await deps.store.forIdentities(names, fetch)).map((events) => events.filter(keep).slice(0, limit)));
          byIdentity.set(key, loader);
        }
        return loader.load(username);
      },
    };
  };
}
