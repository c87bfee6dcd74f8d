import type { ExecutionResult } from 'graphql';
import { beforeEach, describe, expect, it } from 'vitest';
import { entitiesOf, executeSubgraph } from '../../../test/support/execute-subgraph.js';
import { createClusterSubgraph } from '../src/server.js';
import { MemorySecurityEventStore } from '../src/store/memory-security-event-store.js';
import {
  securityEventId,
  type KubeObjectRef,
  type NormalisedSecurityEvent,
  type PageRequest,
  type SecurityEvent,
  type SecurityEventFilter,
  type SecurityEventStore,
} from '../src/store/security-event-store.js';

// CONVENTIONS §11: every entity the cluster subgraph resolves, through `_entities` on its own schema,
// with N representations costing one store call.

/** Records every batch the resolvers ask for. */
class CountingStore implements SecurityEventStore {
  readonly getCalls: string[][] = [];
  readonly forResourcesCalls: { refs: KubeObjectRef[]; limit: number }[] = [];
  readonly forHostsCalls: { hostnames: string[]; limit: number }[] = [];
  readonly forIdentitiesCalls: { usernames: string[]; limit: number }[] = [];
  readonly listCalls: number[] = [];
  constructor(private readonly inner: SecurityEventStore) {}
  record(event: NormalisedSecurityEvent) {
    return this.inner.record(event);
  }
  retention() {
    return this.inner.retention();
  }
  list(filter: SecurityEventFilter, page: PageRequest) {
    this.listCalls.push(page.first);
    return this.inner.list(filter, page);
  }
  count(filter: SecurityEventFilter) {
    return this.inner.count(filter);
  }
  get(ids: readonly string[]): Promise<(SecurityEvent | null)[]> {
    this.getCalls.push([...ids]);
    return this.inner.get(ids);
  }
  forResources(refs: readonly KubeObjectRef[], limitPerResource: number) {
    this.forResourcesCalls.push({ refs: [...refs], limit: limitPerResource });
    return this.inner.forResources(refs, limitPerResource);
  }
  forHosts(hostnames: readonly string[], limitPerHost: number) {
    this.forHostsCalls.push({ hostnames: [...hostnames], limit: limitPerHost });
    return this.inner.forHosts(hostnames, limitPerHost);
  }
  forIdentities(usernames: readonly string[], limitPerIdentity: number) {
    this.forIdentitiesCalls.push({ usernames: [...usernames], limit: limitPerIdentity });
    return this.inner.forIdentities(usernames, limitPerIdentity);
  }
  resolve(keys: readonly string[], at: string) {
    return this.inner.resolve(keys, at);
  }
  getReportKeys(reportId: string) {
    return this.inner.getReportKeys(reportId);
  }
  setReportKeys(reportId: string, keys: readonly string[]) {
    return this.inner.setReportKeys(reportId, keys);
  }
  deleteReportKeys(reportId: string) {
    return this.inner.deleteReportKeys(reportId);
  }
  forVulnerabilities(ids: readonly string[], options?: Parameters<SecurityEventStore['forVulnerabilities']>[1]) {
    return this.inner.forVulnerabilities(ids, options);
  }
  vulnerabilityIds(...args: Parameters<SecurityEventStore['vulnerabilityIds']>) {
    return this.inner.vulnerabilityIds(...args);
  }
}

const BASE = Date.now();
const minutesAgo = (n: number) => new Date(BASE - n * 60_000).toISOString();

function occurrence(key: string, options: { pod?: string | null; hostname?: string | null; at: string }): NormalisedSecurityEvent {
  const pod = options.pod === undefined ? 'web-1' : options.pod;
  return {
    dedupKey: key,
    source: 'FALCO',
    category: 'RUNTIME',
    severity: 'HIGH',
    eventType: `rule ${key}`,
    title: `title ${key}`,
    cluster: 'prod',
    resource: pod === null ? null : { cluster: 'prod', namespace: 'shop', kind: 'Pod', name: pod },
    hostname: options.hostname === undefined ? 'node-1' : options.hostname,
    occurredAt: options.at,
    details: {
      priority: 'Error',
      rule: `rule ${key}`,
      output: `output of ${key}`,
      source: 'syscall',
      tags: ['container'],
      outputFields: { 'proc.name': 'sh' },
      time: options.at,
      hostname: options.hostname ?? null,
      containerId: null,
      containerImage: null,
      uuid: null,
    },
    raw: { key },
  };
}

const pod = (name: string) => ({ __typename: 'KubeObject', cluster: 'prod', namespace: 'shop', kind: 'Pod', name });

let store: CountingStore;
let definition: ReturnType<typeof createClusterSubgraph>;

function run(source: string, representations: unknown[]): Promise<ExecutionResult> {
  return executeSubgraph(definition, source, { representations });
}

beforeEach(async () => {
  store = new CountingStore(new MemorySecurityEventStore({ retentionDays: 30 }));
  definition = createClusterSubgraph({ store, clusterNames: ['prod'], sourceStates: () => [] });
  await store.record(occurrence('shell-web-1', { pod: 'web-1', hostname: 'node-1', at: minutesAgo(30) }));
  await store.record(occurrence('write-web-1', { pod: 'web-1', hostname: 'node-1', at: minutesAgo(20) }));
  await store.record(occurrence('shell-web-2', { pod: 'web-2', hostname: 'node-2', at: minutesAgo(10) }));
  await store.record(occurrence('kernel-module', { pod: null, hostname: 'node-2', at: minutesAgo(5) }));
  // A repeat: one event with count 2, not two events.
  await store.record(occurrence('shell-web-2', { pod: 'web-2', hostname: 'node-2', at: minutesAgo(1) }));
});

describe('cluster _entities', () => {
  it('SecurityEvent: N ids resolve through one store.get, unknown ids are null', async () => {
    const known = ['shell-web-1', 'shell-web-2', 'kernel-module'].map(securityEventId);
    const unknown = securityEventId('never-recorded');
    const result = await run(
      'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on SecurityEvent { id title count resource { kind name } hostname details { ... on FalcoDetails { rule output } } } } }',
      [...known, unknown].map((id) => ({ __typename: 'SecurityEvent', id })),
    );
    const events = entitiesOf<{ id: string; title: string; count: number; resource: { kind: string; name: string } | null; hostname: string | null; details: { rule: string; output: string } } | null>(result);
    expect(events.map((e) => e?.id ?? null)).toEqual([...known, null]);
    expect(events[1]).toMatchObject({ title: 'title shell-web-2', count: 2, resource: { kind: 'Pod', name: 'web-2' }, details: { rule: 'rule shell-web-2', output: 'output of shell-web-2' } });
    expect(events[2]).toMatchObject({ resource: null, hostname: 'node-2' });
    expect(store.getCalls).toEqual([[...known, unknown]]);
  });

  it('KubeObject: any reference resolves, and securityEvents for N objects is one forResources call', async () => {
    const refs = [pod('web-1'), pod('web-2'), pod('deleted-long-ago')];
    const result = await run(
      'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on KubeObject { name securityEvents(first: 5) { edges { node { title } } pageInfo { hasNextPage } } } } }',
      refs,
    );
    const objects = entitiesOf<{ name: string; securityEvents: { edges: { node: { title: string } }[] } }>(result);
    expect(objects.map((o) => ({ name: o.name, titles: o.securityEvents.edges.map((e) => e.node.title) }))).toEqual([
      // Newest first per object.
      { name: 'web-1', titles: ['title write-web-1', 'title shell-web-1'] },
      { name: 'web-2', titles: ['title shell-web-2'] },
      { name: 'deleted-long-ago', titles: [] },
    ]);
    expect(store.forResourcesCalls).toHaveLength(1);
    // One more than the page: whether another page follows.
    expect(store.forResourcesCalls[0]?.limit).toBe(6);
    expect(store.forResourcesCalls[0]?.refs.map((r) => r.name)).toEqual(['web-1', 'web-2', 'deleted-long-ago']);
    expect(store.getCalls).toHaveLength(0);
  });

  it('KubeObject: the same object twice is asked for once', async () => {
    const result = await run(
      'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on KubeObject { name securityEvents { edges { node { title } } } } } }',
      [pod('web-1'), pod('web-1'), pod('web-2')],
    );
    expect(entitiesOf<{ name: string }>(result).map((o) => o.name)).toEqual(['web-1', 'web-1', 'web-2']);
    expect(store.forResourcesCalls).toHaveLength(1);
    expect(store.forResourcesCalls[0]?.refs.map((r) => r.name)).toEqual(['web-1', 'web-2']);
    // The schema's default page size (and one more) reaches the store.
    expect(store.forResourcesCalls[0]?.limit).toBe(21);
  });

  it('Host: securityEvents for N hosts is one forHosts call', async () => {
    const result = await run(
      'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Host { id securityEvents(first: 10) { edges { node { title hostname } } } } } }',
      ['node-1', 'node-2', 'node-3'].map((id) => ({ __typename: 'Host', id })),
    );
    const hosts = entitiesOf<{ id: string; securityEvents: { edges: { node: { title: string; hostname: string } }[] } }>(result);
    expect(hosts.map((h) => [h.id, h.securityEvents.edges.map((e) => e.node.title)])).toEqual([
      ['node-1', ['title write-web-1', 'title shell-web-1']],
      ['node-2', ['title shell-web-2', 'title kernel-module']],
      ['node-3', []],
    ]);
    expect(store.forHostsCalls).toEqual([{ hostnames: ['node-1', 'node-2', 'node-3'], limit: 11 }]);
  });

  it('a nested page size out of range is BAD_USER_INPUT and never reaches the store', async () => {
    const result = await run(
      'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Host { id securityEvents(first: 1000) { edges { node { title } } } } } }',
      [{ __typename: 'Host', id: 'node-1' }],
    );
    expect(result.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(store.forHostsCalls).toHaveLength(0);
  });
});
