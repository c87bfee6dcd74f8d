import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryHostDirectory } from '@vigil/lib/host-directory';
import type { Identity } from '@vigil/lib/identity';
import { entitiesOf, executeSubgraph } from '../../../test/support/execute-subgraph.js';
import { NodeHostIndex } from '../src/nodes/node-host-index.js';
import { NodeRegistry } from '../src/nodes/node-record.js';
import { createClusterSubgraph } from '../src/server.js';
import { MemorySecurityEventStore } from '../src/store/memory-security-event-store.js';
import type { NormalisedSecurityEvent } from '../src/store/security-event-store.js';

// The SecurityEventFilter wherever security events are listed (top level, KubeObject, Host, Node),
// totalCount, and bad input named by its argument. Times are relative to an injected clock.

const NOW = Date.parse('2031-03-01T12:00:00.000Z');
const clock = () => new Date(NOW);
const minutesAgo = (n: number) => new Date(NOW - n * 60_000).toISOString();

function falco(key: string, options: { at: string; cluster?: string; pod?: string | null; node: string; severity?: 'CRITICAL' | 'HIGH' | 'LOW'; image?: [string, string] }): NormalisedSecurityEvent {
  const cluster = options.cluster ?? 'prod';
  const pod = options.pod === undefined ? 'web' : options.pod;
  return {
    dedupKey: key,
    source: 'FALCO',
    category: 'RUNTIME',
    severity: options.severity ?? 'HIGH',
    eventType: `Rule ${key}`,
    title: `title ${key}`,
    cluster,
    resource: pod === null ? null : { cluster, namespace: 'shop', kind: 'Pod', name: pod },
    hostname: options.node,
    occurredAt: options.at,
    details: {
      priority: options.severity === 'CRITICAL' ? 'Critical' : 'Error',
      rule: `Rule ${key}`,
      output: `output of ${key}`,
      source: 'syscall',
      tags: [],
      outputFields: options.image ? { 'container.image.repository': options.image[0], 'container.image.tag': options.image[1] } : {},
      time: options.at,
      hostname: options.node,
      containerId: null,
      containerImage: null,
      uuid: null,
    },
    raw: {},
  };
}

let definition: ReturnType<typeof createClusterSubgraph>;

const PAGE = 'totalCount edges { node { eventType } }';
type Page = { totalCount: number; edges: { node: Record<string, unknown> }[] };
/** Each connection of an entity as its totalCount and its events. */
const flatten = (entity: Record<string, Page | string>) =>
  Object.fromEntries(Object.entries(entity).map(([key, value]) => [key, typeof value === 'string' ? value : { totalCount: value.totalCount, events: value.edges.map((e) => e.node) }]));

async function run<T>(source: string, variables: Record<string, unknown> = {}, identity?: Identity): Promise<T> {
  const result = await executeSubgraph(definition, source, variables, identity);
  if (result.errors?.length) throw new Error(result.errors.map((e) => e.message).join('; '));
  return result.data as T;
}

async function errorOf(source: string): Promise<{ message: string; code: unknown }> {
  const result = await executeSubgraph(definition, source);
  const [error] = result.errors ?? [];
  if (!error) throw new Error('expected an error');
  return { message: error.message, code: error.extensions['code'] };
}

beforeEach(async () => {
  const store = new MemorySecurityEventStore({ retentionDays: 30, now: clock });
  const nodes = new NodeRegistry();
  nodes.upsert({ cluster: 'prod', name: 'ip-10-0-0-11', addresses: [], osImage: null, kernelVersion: null, kubeletVersion: null, containerRuntimeVersion: null, architecture: null, systemUuid: null, machineId: 'ab'.repeat(16) });
  const directory = new MemoryHostDirectory();
  await directory.publish({ hostId: 'web-1', machineId: 'ab'.repeat(16) });
  definition = createClusterSubgraph({ store, clusterNames: ['prod', 'staging'], sourceStates: () => [], nodeHostIndex: new NodeHostIndex({ nodes, directory, clock }) });
  await store.record(falco('shell', { at: minutesAgo(1), node: 'ip-10-0-0-11', severity: 'CRITICAL', image: ['docker.io/library/nginx', '1.25'] }));
  await store.record(falco('write', { at: minutesAgo(2), node: 'ip-10-0-0-11', image: ['docker.io/library/nginx', '1.24'] }));
  await store.record(falco('module', { at: minutesAgo(3), node: 'ip-10-0-0-11', pod: null, severity: 'LOW' }));
  await store.record(falco('other-node', { at: minutesAgo(4), node: 'ip-10-0-0-12', severity: 'CRITICAL' }));
  await store.record(falco('staging', { at: minutesAgo(5), node: 'ip-10-0-0-11', cluster: 'staging', severity: 'CRITICAL' }));
});

describe('SecurityEventFilter at the top level', () => {
  it('filters by rule, event type, image and tag, and totalCount counts every page', async () => {
    const data = await run<Record<string, { totalCount: number; edges: { node: { eventType: string } }[] }>>(`{
      byRule: securityEvents(filter: { rule: "Rule shell" }) { totalCount edges { node { eventType } } }
      byType: securityEvents(filter: { eventType: "Rule module" }) { totalCount edges { node { eventType } } }
      byImage: securityEvents(filter: { image: "nginx" }, first: 1) { totalCount edges { node { eventType } } }
      byTag: securityEvents(filter: { image: "docker.io/library/nginx", tag: "1.24" }) { totalCount edges { node { eventType } } }
      critical: securityEvents(filter: { minSeverity: CRITICAL }, first: 1) { totalCount edges { node { eventType } } }
    }`);
    const types = (key: string) => data[key]?.edges.map((e) => e.node.eventType);
    expect(types('byRule')).toEqual(['Rule shell']);
    expect(types('byType')).toEqual(['Rule module']);
    expect(types('byImage')).toEqual(['Rule shell']);
    expect(data['byImage']?.totalCount).toBe(2);
    expect(types('byTag')).toEqual(['Rule write']);
    expect(data['critical']?.totalCount).toBe(3);
  });

  it('totalCount counts only the caller’s clusters', async () => {
    const tenant: Identity = { subject: 't', kind: 'user', roles: ['viewer'], tenants: [{ name: 't', clusters: ['staging'], hostLabels: null, victoriaLogs: null }], expiresAt: null };
    const data = await run<{ securityEvents: { totalCount: number } }>('{ securityEvents(filter: { minSeverity: CRITICAL }) { totalCount } }', {}, tenant);
    expect(data.securityEvents.totalCount).toBe(1);
  });
});

describe('SecurityEventFilter on nested fields', () => {
  it('KubeObject.securityEvents(filter:) narrows the object’s events; a contradicting value selects nothing', async () => {
    const result = await executeSubgraph(
      definition,
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on KubeObject {
        critical: securityEvents(filter: { minSeverity: CRITICAL }) { ${PAGE} }
        tagged: securityEvents(filter: { tag: "1.24" }) { ${PAGE} }
        elsewhere: securityEvents(filter: { namespace: "kube-system" }) { ${PAGE} }
        all: securityEvents { ${PAGE} }
      } } }`,
      { r: [{ __typename: 'KubeObject', cluster: 'prod', namespace: 'shop', kind: 'Pod', name: 'web' }] },
    );
    expect(entitiesOf<Record<string, Page>>(result).map(flatten)).toEqual([
      {
        critical: { totalCount: 2, events: [{ eventType: 'Rule shell' }, { eventType: 'Rule other-node' }] },
        tagged: { totalCount: 1, events: [{ eventType: 'Rule write' }] },
        elsewhere: { totalCount: 0, events: [] },
        all: { totalCount: 3, events: [{ eventType: 'Rule shell' }, { eventType: 'Rule write' }, { eventType: 'Rule other-node' }] },
      },
    ]);
  });

  it('Host.securityEvents(filter:) and Node.securityEvents(filter:) read the matched Node’s events of its cluster', async () => {
    const result = await executeSubgraph(
      definition,
      `query ($r: [_Any!]!) { _entities(representations: $r) {
        ... on Host { id securityEvents(filter: { minSeverity: HIGH }) { totalCount edges { node { eventType cluster } } } }
        ... on Node { name securityEvents(filter: { resourceKind: "Pod", from: "${minutesAgo(90)}" }, first: 1) { ${PAGE} } }
      } }`,
      { r: [{ __typename: 'Host', id: 'web-1' }, { __typename: 'Node', cluster: 'prod', name: 'ip-10-0-0-11' }] },
    );
    expect(entitiesOf<Record<string, Page | string>>(result).map(flatten)).toEqual([
      // Not the staging event on a node of the same name, nor the LOW one.
      { id: 'web-1', securityEvents: { totalCount: 2, events: [{ eventType: 'Rule shell', cluster: 'prod' }, { eventType: 'Rule write', cluster: 'prod' }] } },
      { name: 'ip-10-0-0-11', securityEvents: { totalCount: 2, events: [{ eventType: 'Rule shell' }] } },
    ]);
  });
});

describe('bad input is named', () => {
  it('contradicting bounds, first over the maximum and a malformed image name are BAD_USER_INPUT naming the argument', async () => {
    expect(await errorOf(`{ securityEvents(filter: { from: "${minutesAgo(1)}", to: "${minutesAgo(60)}" }) { totalCount } }`)).toEqual({
      message: 'filter.from must not be after filter.to',
      code: 'BAD_USER_INPUT',
    });
    expect(await errorOf('{ securityEvents(first: 501) { totalCount } }')).toMatchObject({ message: expect.stringMatching(/^first/), code: 'BAD_USER_INPUT' });
    expect(await errorOf('{ securityEvents(filter: { image: "nginx:1.25" }) { totalCount } }')).toMatchObject({ message: expect.stringMatching(/^filter\.image: /), code: 'BAD_USER_INPUT' });
    expect(await errorOf('{ securityEvents(filter: { image: "nginx", tag: "-bad tag" }) { totalCount } }')).toMatchObject({ message: expect.stringMatching(/^filter\.tag: /), code: 'BAD_USER_INPUT' });
    expect(await errorOf('{ node(cluster: "prod", name: "ip-10-0-0-11") { securityEvents(first: 101) { totalCount } } }')).toMatchObject({ message: expect.stringMatching(/^first: /), code: 'BAD_USER_INPUT' });
    expect(await errorOf('{ node(cluster: "prod", name: "ip-10-0-0-11") { securityEvents(after: "bm90IGEgY3Vyc29y") { totalCount } } }')).toMatchObject({ message: expect.stringMatching(/^after: /), code: 'BAD_USER_INPUT' });
    expect(await errorOf(`{ node(cluster: "prod", name: "ip-10-0-0-11") { securityEvents(filter: { from: "${minutesAgo(1)}", to: "${minutesAgo(2)}" }) { totalCount } } }`)).toMatchObject({
      message: 'filter.from must not be after filter.to',
      code: 'BAD_USER_INPUT',
    });
  });
});
