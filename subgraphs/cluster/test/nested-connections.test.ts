import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryHostDirectory } from '@vigil/lib/host-directory';
import type { Identity } from '@vigil/lib/identity';
import { entitiesOf, executeSubgraph } from '../../../test/support/execute-subgraph.js';
import { NodeHostIndex } from '../src/nodes/node-host-index.js';
import { NodeRegistry } from '../src/nodes/node-record.js';
import { createClusterSubgraph } from '../src/server.js';
import { MemorySecurityEventStore } from '../src/store/memory-security-event-store.js';
import type { NormalisedSecurityEvent } from '../src/store/security-event-store.js';

// The nested securityEvents of KubeObject, Host and Node are connections: paging at any size returns
// every event of the parent once, newest first, whether the first page came from the batched read
// or the store's list, and totalCount is the number of events paging returns. Times are relative to
// an injected clock.

const NOW = Date.parse('2031-03-01T12:00:00.000Z');
const clock = () => new Date(NOW);
const secondsAgo = (n: number) => new Date(NOW - n * 1000).toISOString();

function falco(key: string, at: string, cluster: string, node: string, pod: string | null): NormalisedSecurityEvent {
  return {
    dedupKey: key,
    source: 'FALCO',
    category: 'RUNTIME',
    severity: 'HIGH',
    eventType: `Rule ${key}`,
    title: key,
    cluster,
    resource: pod === null ? null : { cluster, namespace: 'shop', kind: 'Pod', name: pod },
    hostname: node,
    occurredAt: at,
    details: { priority: 'Error', rule: `Rule ${key}`, output: key, source: 'syscall', tags: [], outputFields: {}, time: at, hostname: node, containerId: null, containerImage: null, uuid: null },
    raw: {},
  };
}

let definition: ReturnType<typeof createClusterSubgraph>;
/** Titles of the events each parent has, newest first (ties: id descending, as the store orders). */
const expected: Record<string, string[]> = {};

beforeEach(async () => {
  const store = new MemorySecurityEventStore({ retentionDays: 30, now: clock });
  const nodes = new NodeRegistry();
  const bare = { addresses: [], osImage: null, kernelVersion: null, kubeletVersion: null, containerRuntimeVersion: null, architecture: null, systemUuid: null };
  nodes.upsert({ cluster: 'prod', name: 'node-a', ...bare, machineId: 'ab'.repeat(16) });
  const directory = new MemoryHostDirectory();
  await directory.publish({ hostId: 'web-1', machineId: 'ab'.repeat(16) });
  definition = createClusterSubgraph({ store, clusterNames: ['prod', 'staging'], sourceStates: () => [], nodeHostIndex: new NodeHostIndex({ nodes, directory, clock }) });
  const recorded: { title: string; at: string; cluster: string; node: string; pod: string | null }[] = [];
  // 12 events on node-a in prod (pairs share a second: ties), interleaved with 6 on a node of the same
  // name in staging (newest among them, so a batched first page of prod's events drops some), and 3 on
  // a host that is no Node.
  for (let i = 0; i < 12; i++) recorded.push({ title: `prod-${String(i).padStart(2, '0')}`, at: secondsAgo(10 + Math.floor(i / 2) * 10), cluster: 'prod', node: 'node-a', pod: i % 3 === 0 ? null : 'web' });
  for (let i = 0; i < 6; i++) recorded.push({ title: `staging-${i}`, at: secondsAgo(5 + i * 20), cluster: 'staging', node: 'node-a', pod: 'web' });
  for (let i = 0; i < 3; i++) recorded.push({ title: `bare-${i}`, at: secondsAgo(7 + i), cluster: 'prod', node: 'bare-1', pod: null });
  for (const e of recorded) await store.record(falco(e.title, e.at, e.cluster, e.node, e.pod));
  const page = await store.list({}, { first: 500 });
  const titles = (keep: (e: (typeof page.events)[number]) => boolean) => page.events.filter(keep).map((e) => e.title);
  expected['pod'] = titles((e) => e.cluster === 'prod' && e.resource?.name === 'web');
  expected['node'] = titles((e) => e.cluster === 'prod' && e.hostname === 'node-a');
  expected['bare'] = titles((e) => e.hostname === 'bare-1');
  expected['staging-pod'] = titles((e) => e.cluster === 'staging' && e.resource?.name === 'web');
});

const FIELDS = 'totalCount edges { cursor node { title } } pageInfo { hasNextPage endCursor }';
type Page = { totalCount: number; edges: { cursor: string; node: { title: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };

const PARENTS = {
  pod: { __typename: 'KubeObject', cluster: 'prod', namespace: 'shop', kind: 'Pod', name: 'web' },
  'staging-pod': { __typename: 'KubeObject', cluster: 'staging', namespace: 'shop', kind: 'Pod', name: 'web' },
  // Matched to node-a by machine ID: prod's node-a events, never staging's.
  node: { __typename: 'Host', id: 'web-1' },
  bare: { __typename: 'Host', id: 'bare-1' },
} as const;

async function page(parent: keyof typeof PARENTS | 'node-entity', first: number, after: string | null, identity?: Identity): Promise<Page> {
  const representation = parent === 'node-entity' ? { __typename: 'Node', cluster: 'prod', name: 'node-a' } : PARENTS[parent];
  const result = await executeSubgraph(
    definition,
    `query ($r: [_Any!]!, $first: Int, $after: String) { _entities(representations: $r) {
      ... on KubeObject { securityEvents(first: $first, after: $after) { ${FIELDS} } }
      ... on Host { securityEvents(first: $first, after: $after) { ${FIELDS} } }
      ... on Node { securityEvents(first: $first, after: $after) { ${FIELDS} } }
    } }`,
    { r: [representation], first, after },
    identity,
  );
  const [entity] = entitiesOf<{ securityEvents: Page } | null>(result);
  if (!entity) throw new Error(`no ${parent}`);
  return entity.securityEvents;
}

async function pageThrough(parent: keyof typeof PARENTS | 'node-entity', size: number, identity?: Identity): Promise<{ titles: string[]; totals: Set<number> }> {
  const titles: string[] = [];
  const totals = new Set<number>();
  let after: string | null = null;
  for (let guard = 0; guard < 100; guard++) {
    const current = await page(parent, size, after, identity);
    totals.add(current.totalCount);
    titles.push(...current.edges.map((e) => e.node.title));
    expect(current.pageInfo.endCursor).toBe(current.edges.at(-1)?.cursor ?? null);
    if (!current.pageInfo.hasNextPage) return { titles, totals };
    expect(current.edges).toHaveLength(size);
    after = current.pageInfo.endCursor;
  }
  throw new Error('never reached the last page');
}

describe('nested securityEvents connections', () => {
  it('every event of the parent once, newest first, at any page size; totalCount is their number', async () => {
    expect(expected['node']).toHaveLength(12);
    expect(expected['pod']).toHaveLength(8);
    for (const [parent, key] of [['pod', 'pod'], ['staging-pod', 'staging-pod'], ['node', 'node'], ['node-entity', 'node'], ['bare', 'bare']] as const) {
      const want = expected[key] ?? [];
      for (const size of [1, 2, 3, 5, 100]) {
        const { titles, totals } = await pageThrough(parent, size);
        expect(titles, `${parent} by ${size}`).toEqual(want);
        expect(totals, `${parent} by ${size}`).toEqual(new Set([want.length]));
      }
    }
  });

  it('a caller sees only its clusters’ events: none of an object in another cluster, and a count of 0', async () => {
    const staging: Identity = { subject: 's', kind: 'user', roles: ['viewer'], tenants: [{ name: 's', clusters: ['staging'], hostLabels: null, victoriaLogs: null }], expiresAt: null };
    expect(await page('pod', 5, null, staging)).toEqual({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
    const own = await pageThrough('staging-pod', 4, staging);
    expect(own.titles).toEqual(expected['staging-pod']);
    // bare-1 is no Node: its events are read by hostname, of the caller's clusters only (these are prod's).
    expect((await pageThrough('bare', 2, staging)).titles).toEqual([]);
  });

  it('first over 100, or a cursor this API did not hand out, is BAD_USER_INPUT naming the argument', async () => {
    for (const [first, after, argument] of [[101, null, 'first'], [0, null, 'first'], [5, 'bm90IGEgY3Vyc29y', 'after'], [5, '%%%', 'after']] as const) {
      for (const parent of ['pod', 'node', 'node-entity'] as const) {
        const error = await page(parent, first, after).then(
          () => null,
          (e: unknown) => (e instanceof Error ? e.message : String(e)),
        );
        expect(error, `${parent} ${first} ${after}`).toMatch(new RegExp(`_entities failed: ${argument}: `));
      }
    }
  });
});
