import type { NormalisedSecurityEvent } from '@vigil/subgraph-cluster/store/security-event-store';
import { clusterOf, nodeNameOf } from './simulated-nodes.js';

export interface FalcoEventOptions {
  /** Event i is on the Node of host i % hosts (lib/simulated-nodes.ts). */
  hosts: number;
  /** occurredAt lies within this many minutes before now, spread by i. */
  withinMinutes: number;
  /** Every criticalEvery-th event (i = 0, n, 2n…) is a Critical terminal shell; 0: none is. */
  criticalEvery: number;
}

/**
 * Falco event i as the cluster store keeps it once the intake has normalised it, written straight
 * through the store by benchmarks whose subject is reading events, not taking them in. Each has its
 * own dedup key, so n events are n SecurityEvents.
 */
export function falcoEvent(i: number, now: number, options: FalcoEventOptions): NormalisedSecurityEvent {
  const h = i % options.hosts;
  const cluster = clusterOf(h);
  const node = nodeNameOf(h);
  const at = new Date(now - ((i * 7919) % options.withinMinutes) * 60_000).toISOString();
  const critical = options.criticalEvery > 0 && i % options.criticalEvery === 0;
  const rule = critical ? 'Terminal shell in container' : 'Read sensitive file untrusted';
  return {
    dedupKey: `falco/${cluster}/${rule}/${node}/${i}`,
    source: 'FALCO',
    category: 'RUNTIME',
    severity: critical ? 'CRITICAL' : 'MEDIUM',
    eventType: rule,
    title: rule,
    cluster,
    resource: { cluster, namespace: 'default', kind: 'Pod', name: `pod-${i % 50}` },
    hostname: node,
    occurredAt: at,
    details: { priority: critical ? 'Critical' : 'Warning', rule, output: `${rule} on ${node}`, source: 'syscall', tags: [], outputFields: {}, time: at, hostname: node, containerId: null, containerImage: null, uuid: null },
    raw: {},
  };
}
