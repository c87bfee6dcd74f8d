import type { Registry } from 'prom-client';
import { counter, gauge } from '@vigil/lib/metrics';
import type { InformerStatus } from './report-informer.js';

/**
 * vigil_kube_informer_relists_total{cluster, resource} and vigil_kube_informer_synced{cluster,
 * resource}. `resource` is the pulled source's name (pulled-source-specs.ts, a closed set) and
 * `cluster` a configured cluster name: operator-chosen and few, never from a request.
 */
export interface InformerMetrics {
  /** A full list started (the first at start, then after an expired or failed watch). */
  relisted(cluster: string, resource: string): void;
  /** Synced after a list or watch event; not synced after an error until the next sync. */
  observe(cluster: string, resource: string, status: InformerStatus): void;
  /** The informer stopped (its CRD went away): its series end. */
  forget(cluster: string, resource: string): void;
}

export function informerMetrics(registry: Registry): InformerMetrics {
  const relists = counter(registry, {
    name: 'vigil_kube_informer_relists_total',
    help: 'Full lists of a watched Kubernetes collection (the first included; more mean watches expired or failed).',
    labelNames: ['cluster', 'resource'] as const,
  });
  const synced = gauge(registry, {
    name: 'vigil_kube_informer_synced',
    help: '1 while a Kubernetes informer is in sync with the API server, 0 from an error until it syncs again.',
    labelNames: ['cluster', 'resource'] as const,
  });
  return {
    relisted(cluster, resource) {
      relists.inc({ cluster, resource });
      synced.set({ cluster, resource }, 0);
    },
    observe(cluster, resource, status) {
      if (status.type === 'synced') synced.set({ cluster, resource }, 1);
      else if (status.type === 'error') synced.set({ cluster, resource }, 0);
    },
    forget(cluster, resource) {
      synced.remove({ cluster, resource });
    },
  };
}
