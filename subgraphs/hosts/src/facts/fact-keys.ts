import type { MovedStoreLayout } from '@vigil/lib/redis-layout-migration';
import { oneSlotPrefix } from '@vigil/lib/redis-slot';
import type { FactType } from './types.js';

/**
 * The first segment of every key of the fact store. Every key below is built on one of these, and
 * the layout migration moves exactly these: a key on a segment not listed here would be left behind
 * by an upgrade (test/fact-keys.test.ts builds each key to check).
 */
const FAMILY = { state: 'state:', freshness: 'freshness:', facts: 'facts:', meta: 'meta:', history: 'history:', metrics: 'metrics:', pkg: 'pkg:' } as const;

/** The store's keys moved under one hash tag (a save's MULTI spans a host's keys and the package index). */
export const FACT_STORE_LAYOUT: MovedStoreLayout = { subgraph: 'hosts', store: 'facts', families: Object.values(FAMILY) };

/** The keys of the fact store under `prefix` (the hosts subgraph's); see RedisFactStore for what each holds. */
export interface FactKeys {
  state(hostId: string): string;
  freshness(hostId: string): string;
  facts(hostId: string, type: FactType): string;
  meta(hostId: string): string;
  history(hostId: string, type: FactType): string;
  metrics(hostId: string): string;
  pkg(name: string): string;
}

export function factKeys(prefix: string): FactKeys {
  const base = oneSlotPrefix(prefix, FACT_STORE_LAYOUT.store);
  return {
    state: (hostId) => `${base}${FAMILY.state}${hostId}`,
    freshness: (hostId) => `${base}${FAMILY.freshness}${hostId}`,
    facts: (hostId, type) => `${base}${FAMILY.facts}${hostId}:${type}`,
    meta: (hostId) => `${base}${FAMILY.meta}${hostId}`,
    history: (hostId, type) => `${base}${FAMILY.history}${hostId}:${type}`,
    metrics: (hostId) => `${base}${FAMILY.metrics}${hostId}`,
    pkg: (name) => `${base}${FAMILY.pkg}${name}`,
  };
}
