import type { ExecutionResult } from 'graphql';
import { beforeEach, describe, expect, it } from 'vitest';
import { entitiesOf, executeSubgraph } from '../../../test/support/execute-subgraph.js';
import type { FactStore } from '../src/facts/fact-store.js';
import { MemoryFactStore } from '../src/facts/memory-fact-store.js';
import type { FactType, ProbeReport } from '../src/facts/types.js';
import type { InventoryHost } from '../src/inventory/build-inventory.js';
import { createHostsSubgraph } from '../src/server.js';

// CONVENTIONS §11: `_entities` is what the gateway sends, so it is tested on the subgraph schema itself,
// and N representations must cost one store call, not N.

/** Records each batch the resolvers ask the store for; the store is a dependency, not the unit under test. */
function countingStore(inner: FactStore) {
  const calls = { getProbeStates: [] as string[][], getFacts: [] as [FactType, string[]][] };
  const store: FactStore = {
    saveReport: (report) => inner.saveReport(report),
    getProbeStates: (ids) => {
      calls.getProbeStates.push([...ids]);
      return inner.getProbeStates(ids);
    },
    getFreshness: (ids) => inner.getFreshness(ids),
    getFacts: (type, ids) => {
      calls.getFacts.push([type, [...ids]]);
      return inner.getFacts(type, ids);
    },
    getChanges: (id, options) => inner.getChanges(id, options),
    countChanges: (id, options) => inner.countChanges(id, options),
    getBaselines: (ids) => inner.getBaselines(ids),
    getFactsAsOf: (type, id, time) => inner.getFactsAsOf(type, id, time),
    getMetrics: (id, from, to) => inner.getMetrics(id, from, to),
    hostsWithPackage: (name) => inner.hostsWithPackage(name),
    close: () => inner.close(),
  };
  return { store, calls };
}

const noScheduler = { refresh: async () => ({ status: 'QUEUED' as const, message: 'queued' }) };
const IDS = ['alpha', 'bravo', 'charlie', 'delta'] as const;

function sshHost(id: string): InventoryHost {
  return {
    id,
    transport: 'SSH',
    address: `${id}.example.test`,
    labels: { env: 'test' },
    target: { id, transport: 'ssh', address: `${id}.example.test`, port: 22, user: 'probe', privateKeyPath: '/dev/null', knownHostsPath: '/dev/null', connectTimeoutMs: 1000, commandTimeoutMs: 1000 },
  };
}

function okProbe(hostId: string, finishedAt: string): ProbeReport {
  return {
    hostId,
    status: 'OK',
    message: null,
    startedAt: finishedAt,
    finishedAt,
    packageManager: 'dpkg',
    collectors: { os: { status: 'OK', message: null }, packages: { status: 'OK', message: null } },
    facts: {
      os: [{ id: 'debian', idLike: [], name: 'Debian GNU/Linux', prettyName: `Debian for ${hostId}`, version: '12', versionId: '12', kernel: '6.1.0', arch: 'x86_64' }],
      packages: [
        { name: 'zlib1g', version: '1:1.2.13', arch: 'amd64' },
        { name: 'bash', version: '5.2.15', arch: 'amd64' },
      ],
    },
    metrics: null,
  };
}

const ENTITIES = /* GraphQL */ `
  query Entities($representations: [_Any!]!) {
    _entities(representations: $representations) {
      __typename
      ... on Host {
        id
        name
        transport
        os {
          prettyName
        }
        packageManager
        probeStatus {
          state
          message
          lastSuccessAt
        }
      }
    }
  }
`;

type HostEntity = {
  __typename: 'Host';
  id: string;
  name: string;
  transport: string;
  os: { prettyName: string } | null;
  packageManager: string | null;
  probeStatus: { state: string; message: string | null; lastSuccessAt: string | null };
} | null;

let store: FactStore;
let calls: ReturnType<typeof countingStore>['calls'];
let definition: ReturnType<typeof createHostsSubgraph>;

function entities(representations: unknown[], source = ENTITIES): Promise<ExecutionResult> {
  return executeSubgraph(definition, source, { representations });
}

const hostsOf = (result: ExecutionResult) => entitiesOf<HostEntity>(result);

beforeEach(async () => {
  ({ store, calls } = countingStore(new MemoryFactStore()));
  definition = createHostsSubgraph({ inventory: IDS.map(sshHost), store, scheduler: noScheduler });
  // charlie has never been probed; the others succeeded once; delta then failed.
  await store.saveReport(okProbe('alpha', '2026-01-01T00:00:00.000Z'));
  await store.saveReport(okProbe('bravo', '2026-01-01T00:01:00.000Z'));
  await store.saveReport(okProbe('delta', '2026-01-01T00:02:00.000Z'));
  await store.saveReport({ ...okProbe('delta', '2026-01-01T00:03:00.000Z'), status: 'TIMEOUT', message: 'no answer within 1000 ms', collectors: {}, facts: {} });
});

describe('hosts _entities', () => {
  it('resolves known ids in order, answers null for unknown ones, and loads state in one store call', async () => {
    const representations = [
      { __typename: 'Host', id: 'delta' },
      { __typename: 'Host', id: 'no-such-host' },
      { __typename: 'Host', id: 'alpha' },
      { __typename: 'Host', id: 'charlie' },
      { __typename: 'Host', id: 'bravo' },
    ];
    const hosts = hostsOf(await entities(representations));

    expect(hosts.map((h) => h?.id ?? null)).toEqual(['delta', null, 'alpha', 'charlie', 'bravo']);
    expect(hosts[2]).toEqual({
      __typename: 'Host',
      id: 'alpha',
      name: 'alpha',
      transport: 'SSH',
      os: { prettyName: 'Debian for alpha' },
      packageManager: 'DPKG',
      probeStatus: { state: 'OK', message: null, lastSuccessAt: '2026-01-01T00:00:00.000Z' },
    });
    // A failed probe keeps the facts of the last success.
    expect(hosts[0]?.os?.prettyName).toBe('Debian for delta');
    expect(hosts[0]?.probeStatus).toEqual({ state: 'TIMEOUT', message: 'no answer within 1000 ms', lastSuccessAt: '2026-01-01T00:02:00.000Z' });
    expect(hosts[3]?.os).toBeNull();
    expect(hosts[3]?.probeStatus).toEqual({ state: 'NEVER_PROBED', message: null, lastSuccessAt: null });

    // os, packageManager and probeStatus of four hosts: one batch each, each known id once, never the unknown one.
    expect(calls.getProbeStates).toHaveLength(1);
    expect([...(calls.getProbeStates[0] ?? [])].sort()).toEqual(['alpha', 'bravo', 'charlie', 'delta']);
    expect(calls.getFacts.map(([type]) => type)).toEqual(['os']);
    expect([...(calls.getFacts[0]?.[1] ?? [])].sort()).toEqual(['alpha', 'bravo', 'charlie', 'delta']);
  });

  it('reference resolution alone does not touch the store', async () => {
    const result = await entities(
      IDS.map((id) => ({ __typename: 'Host', id })),
      'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Host { id name } } }',
    );
    expect(hostsOf(result).map((h) => h?.id)).toEqual([...IDS]);
    expect(calls.getProbeStates).toHaveLength(0);
    expect(calls.getFacts).toHaveLength(0);
  });

  it('packages of N hosts cost one getFacts call', async () => {
    const result = await entities(
      IDS.map((id) => ({ __typename: 'Host', id })),
      'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Host { id packages(first: 10) { totalCount edges { node { name } } } } } }',
    );
    const rows = entitiesOf<{ id: string; packages: { totalCount: number; edges: { node: { name: string } }[] } }>(result);
    expect(rows.map((r) => [r.id, r.packages.totalCount])).toEqual([
      ['alpha', 2],
      ['bravo', 2],
      ['charlie', 0],
      ['delta', 2],
    ]);
    expect(rows[0]?.packages.edges.map((e) => e.node.name)).toEqual(['bash', 'zlib1g']);
    expect(calls.getFacts.map(([type]) => type)).toEqual(['packages']);
    expect([...(calls.getFacts[0]?.[1] ?? [])].sort()).toEqual([...IDS]);
  });

  it('loaders are per request: a second request asks the store again', async () => {
    await entities([{ __typename: 'Host', id: 'alpha' }]);
    await entities([{ __typename: 'Host', id: 'alpha' }]);
    expect(calls.getProbeStates).toEqual([['alpha'], ['alpha']]);
  });
});
