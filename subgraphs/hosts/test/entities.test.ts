import type { ExecutionResult } from 'graphql';
import { beforeEach, describe, expect, it } from 'vitest';
import { entitiesOf, executeSubgraph } from '../../../test/support/execute-subgraph.js';
import type { InventoryHost } from '../src/inventory.js';
import { createHostsSubgraph } from '../src/server.js';
import type { ProbeResult } from '../src/sources/probe/types.js';
import type { HostState, HostStore } from '../src/store/host-store.js';
import { MemoryHostStore } from '../src/store/memory-host-store.js';

// CONVENTIONS §11: `_entities` is what the gateway sends, so it is tested on the subgraph schema itself,
// and N representations must cost one store call, not N.

/** Records each batch the resolvers ask the store for; the store is a dependency, not the unit under test. */
class CountingHostStore implements HostStore {
  readonly getStatesCalls: string[][] = [];
  readonly getPackagesCalls: string[][] = [];
  constructor(private readonly inner: HostStore) {}
  saveProbe(result: ProbeResult): Promise<void> {
    return this.inner.saveProbe(result);
  }
  getStates(hostIds: readonly string[]): Promise<(HostState | null)[]> {
    this.getStatesCalls.push([...hostIds]);
    return this.inner.getStates(hostIds);
  }
  getPackages(hostIds: readonly string[]) {
    this.getPackagesCalls.push([...hostIds]);
    return this.inner.getPackages(hostIds);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

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

function okProbe(hostId: string, finishedAt: string): ProbeResult {
  return {
    hostId,
    status: 'OK',
    message: null,
    startedAt: finishedAt,
    finishedAt,
    os: { id: 'debian', idLike: [], name: 'Debian GNU/Linux', prettyName: `Debian for ${hostId}`, version: '12', versionId: '12', kernel: '6.1.0', arch: 'x86_64' },
    packageManager: 'dpkg',
    packages: [
      { name: 'zlib1g', version: '1:1.2.13', arch: 'amd64' },
      { name: 'bash', version: '5.2.15', arch: 'amd64' },
    ],
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

let store: CountingHostStore;
let definition: ReturnType<typeof createHostsSubgraph>;

function entities(representations: unknown[], source = ENTITIES): Promise<ExecutionResult> {
  return executeSubgraph(definition, source, { representations });
}

const hostsOf = (result: ExecutionResult) => entitiesOf<HostEntity>(result);

beforeEach(async () => {
  store = new CountingHostStore(new MemoryHostStore());
  definition = createHostsSubgraph({ inventory: IDS.map(sshHost), store });
  // charlie has never been probed; the others succeeded once; delta then failed.
  await store.saveProbe(okProbe('alpha', '2026-01-01T00:00:00.000Z'));
  await store.saveProbe(okProbe('bravo', '2026-01-01T00:01:00.000Z'));
  await store.saveProbe(okProbe('delta', '2026-01-01T00:02:00.000Z'));
  await store.saveProbe({ ...okProbe('delta', '2026-01-01T00:03:00.000Z'), status: 'TIMEOUT', message: 'no answer within 1000 ms', os: null, packageManager: null, packages: null });
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

    // os, packageManager and probeStatus of four hosts: one batch, each known id once, never the unknown one.
    expect(store.getStatesCalls).toHaveLength(1);
    expect([...(store.getStatesCalls[0] ?? [])].sort()).toEqual(['alpha', 'bravo', 'charlie', 'delta']);
    expect(store.getPackagesCalls).toHaveLength(0);
  });

  it('reference resolution alone does not touch the store', async () => {
    const result = await entities(
      IDS.map((id) => ({ __typename: 'Host', id })),
      'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Host { id name } } }',
    );
    expect(hostsOf(result).map((h) => h?.id)).toEqual([...IDS]);
    expect(store.getStatesCalls).toHaveLength(0);
    expect(store.getPackagesCalls).toHaveLength(0);
  });

  it('packages of N hosts cost one getPackages call', async () => {
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
    expect(store.getPackagesCalls).toHaveLength(1);
    expect([...(store.getPackagesCalls[0] ?? [])].sort()).toEqual([...IDS]);
  });

  it('loaders are per request: a second request asks the store again', async () => {
    await entities([{ __typename: 'Host', id: 'alpha' }]);
    await entities([{ __typename: 'Host', id: 'alpha' }]);
    expect(store.getStatesCalls).toEqual([['alpha'], ['alpha']]);
  });
});
