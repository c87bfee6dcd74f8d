import type { ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { Identity } from '@vigil/lib/identity';
import { executeSubgraph, UNRESTRICTED } from '../../../test/support/execute-subgraph.js';
import { MemoryFactStore } from '../src/facts/memory-fact-store.js';
import type { ProbeReport } from '../src/facts/types.js';
import type { InventoryHost } from '../src/inventory/build-inventory.js';
import { createHostsSubgraph } from '../src/server.js';
import type { OsInfo } from '../src/sources/probe/types.js';

// hostsWithPackage, Vulnerability.affectedHosts and Host.changes are Relay connections: paging
// through one at any page size returns every item once, in one stable order, totalCount says how
// many there are, and a page size over the maximum or a foreign cursor is BAD_USER_INPUT naming it.

const T0 = Date.parse('2031-05-04T08:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const debian: OsInfo = { id: 'debian', idLike: [], name: 'Debian', prettyName: 'Debian 12', version: '12', versionId: '12', kernel: null, arch: null };

/** Hosts h00..h12; odd ones have openssl for two arches, every third is in another tenant. */
const IDS = Array.from({ length: 13 }, (_, i) => `h${String(i).padStart(2, '0')}`);
const inventoryHost = (id: string, i: number): InventoryHost => ({ id, transport: 'SSH', address: id, labels: { team: i % 3 === 0 ? 'blue' : 'red' }, target: { id, transport: 'local' } });

function report(hostId: string, i: number, finishedAt: string, extra: [string, string][] = []): ProbeReport {
  const openssl = [{ name: 'openssl', version: `3.0.${i}-1`, arch: 'amd64' }, ...(i % 2 === 1 ? [{ name: 'openssl', version: `3.0.${i}-1`, arch: 'i386' }] : [])];
  return {
    hostId,
    status: 'OK',
    message: null,
    startedAt: finishedAt,
    finishedAt,
    packageManager: 'dpkg',
    collectors: { os: { status: 'OK', message: null }, packages: { status: 'OK', message: null } },
    facts: { os: [debian], packages: [...openssl, ...extra.map(([name, version]) => ({ name, version, arch: 'amd64' }))] },
    metrics: null,
  };
}

async function stack() {
  const store = new MemoryFactStore({ now: () => new Date(at(120)) });
  for (const [i, id] of IDS.entries()) await store.saveReport(report(id, i, at(0)));
  // h00's history: a baseline, then three reports of several changes each.
  await store.saveReport(report('h00', 0, at(10), [['curl', '1'], ['wget', '1'], ['zsh', '1']]));
  await store.saveReport(report('h00', 0, at(20), [['curl', '2'], ['wget', '1'], ['vim', '1']]));
  await store.saveReport(report('h00', 0, at(30), [['curl', '3']]));
  const definition = createHostsSubgraph({ inventory: IDS.map(inventoryHost), store, scheduler: { refresh: async () => ({ status: 'QUEUED' as const, message: '' }) }, clock: () => new Date(at(120)) });
  return { definition };
}

type Definition = Awaited<ReturnType<typeof stack>>['definition'];
interface Page<T> {
  totalCount: number;
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

function dataOf(result: ExecutionResult): Record<string, unknown> {
  if (result.errors?.length) throw new Error(result.errors.map((e) => e.message).join('; '));
  return result.data as Record<string, unknown>;
}

/** Every page of a connection at `size`, checking that pageInfo and the cursors agree. */
async function pageThrough<T>(size: number, read: (first: number, after: string | null) => Promise<Page<T>>): Promise<{ nodes: T[]; totals: number[] }> {
  const nodes: T[] = [];
  const totals: number[] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 1000; guard++) {
    const page = await read(size, after);
    totals.push(page.totalCount);
    expect(page.edges.length).toBeLessThanOrEqual(size);
    nodes.push(...page.edges.map((edge) => edge.node));
    expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
    if (!page.pageInfo.hasNextPage) return { nodes, totals };
    expect(page.edges).toHaveLength(size);
    after = page.pageInfo.endCursor;
  }
  throw new Error('never reached the last page');
}

function expectBadInput(result: ExecutionResult, argument: string) {
  expect(result.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  expect(result.errors?.[0]?.message).toMatch(new RegExp(`^${argument}\\b`));
}

const HOSTS_WITH_PACKAGE = `query ($first: Int, $after: String, $range: VersionRange) {
  hostsWithPackage(name: "openssl", version: $range, first: $first, after: $after) {
    totalCount edges { cursor node { host { id } package { version arch } } } pageInfo { hasNextPage endCursor }
  }
}`;
type HostPackageNode = { host: { id: string }; package: { version: string; arch: string | null } };

const AFFECTED = `query ($r: [_Any!]!, $first: Int, $after: String) {
  _entities(representations: $r) { ... on Vulnerability { affectedHosts(first: $first, after: $after) {
    totalCount edges { cursor node { host { id } package { version arch } status } } pageInfo { hasNextPage endCursor }
  } } }
}`;
const CVE = { __typename: 'Vulnerability', id: 'CVE-2031-0001', packages: [{ name: 'openssl', fixedVersion: '3.0.9-1', osFamily: 'debian' }] };

const CHANGES = `query ($first: Int, $after: String, $baseline: Boolean, $since: DateTime) {
  host(id: "h00") { changes(first: $first, after: $after, includeBaseline: $baseline, since: $since) {
    totalCount edges { cursor node { type key change at baseline } } pageInfo { hasNextPage endCursor }
  } }
}`;
type ChangeNode = { type: string; key: string; change: string; at: string; baseline: boolean };

async function hostsWithPackage(definition: Definition, variables: Record<string, unknown>, identity: Identity = UNRESTRICTED) {
  return dataOf(await executeSubgraph(definition, HOSTS_WITH_PACKAGE, variables, identity))['hostsWithPackage'] as Page<HostPackageNode>;
}

describe('connections of the hosts subgraph', () => {
  it('hostsWithPackage: every (host, arch) once, by host then arch, at any page size; totalCount is the count', async () => {
    const { definition } = await stack();
    const all = await hostsWithPackage(definition, { first: 1000 });
    const expected = IDS.flatMap((id, i) => (i % 2 === 1 ? [`${id}/amd64`, `${id}/i386`] : [`${id}/amd64`]));
    expect(all.edges.map((e) => `${e.node.host.id}/${e.node.package.arch}`)).toEqual(expected);
    expect(all.totalCount).toBe(expected.length);
    for (const size of [1, 2, 5, 19, 100]) {
      const { nodes, totals } = await pageThrough(size, (first, after) => hostsWithPackage(definition, { first, after }));
      expect(nodes).toEqual(all.edges.map((e) => e.node));
      expect(new Set(totals)).toEqual(new Set([expected.length]));
    }
    // The range and the caller's hosts are applied before counting and paging.
    const older = await pageThrough(2, (first, after) => hostsWithPackage(definition, { first, after, range: { lt: '3.0.5-1' } }));
    expect(older.nodes.map((n) => n.package.version)).toEqual(['3.0.0-1', '3.0.1-1', '3.0.1-1', '3.0.2-1', '3.0.3-1', '3.0.3-1', '3.0.4-1']);
    expect(older.totals[0]).toBe(7);
    const blue: Identity = { ...UNRESTRICTED, tenants: [{ name: 'blue', clusters: [], hostLabels: { team: 'blue' }, victoriaLogs: null }] };
    const visible = await pageThrough(2, (first, after) => hostsWithPackage(definition, { first, after }, blue));
    expect([...new Set(visible.nodes.map((n) => n.host.id))]).toEqual(['h00', 'h03', 'h06', 'h09', 'h12']);
    expect(visible.totals[0]).toBe(visible.nodes.length);
  });

  it('Vulnerability.affectedHosts: by host id, every affected (host, package, arch) once', async () => {
    const { definition } = await stack();
    const read = async (first: number, after: string | null) => {
      const [entity] = dataOf(await executeSubgraph(definition, AFFECTED, { r: [CVE], first, after }))['_entities'] as { affectedHosts: Page<HostPackageNode & { status: string }> }[];
      if (!entity) throw new Error('no entity');
      return entity.affectedHosts;
    };
    const all = await read(1000, null);
    // Hosts h00..h08 have 3.0.0 to 3.0.8: older than the fix 3.0.9; the odd ones in two arches.
    expect(all.edges.map((e) => `${e.node.host.id}/${e.node.package.arch}`)).toEqual(IDS.slice(0, 9).flatMap((id, i) => (i % 2 === 1 ? [`${id}/amd64`, `${id}/i386`] : [`${id}/amd64`])));
    expect(all.totalCount).toBe(13);
    for (const size of [1, 3, 4, 13]) {
      const { nodes, totals } = await pageThrough(size, read);
      expect(nodes).toEqual(all.edges.map((e) => e.node));
      expect(new Set(totals)).toEqual(new Set([13]));
    }
  });

  it('Host.changes: newest first, every change once across pages (pages split reports), totalCount from the history', async () => {
    const { definition } = await stack();
    const read = (variables: Record<string, unknown>) => async (first: number, after: string | null) =>
      (dataOf(await executeSubgraph(definition, CHANGES, { ...variables, first, after }))['host'] as { changes: Page<ChangeNode> }).changes;
    for (const variables of [{}, { baseline: true }, { since: at(20) }]) {
      const all = await read(variables)(1000, null);
      expect(all.totalCount).toBe(all.edges.length);
      for (const size of [1, 2, 3, 7]) {
        const { nodes, totals } = await pageThrough(size, read(variables));
        expect(nodes, `${JSON.stringify(variables)} by ${size}`).toEqual(all.edges.map((e) => e.node));
        expect(new Set(totals)).toEqual(new Set([all.totalCount]));
      }
    }
    const news = await read({})(1000, null);
    // at(10): curl, wget, zsh added; at(20): curl changed, vim added, zsh removed; at(30): curl changed, vim and wget removed.
    expect(news.edges.map((e) => `${e.node.at === at(30) ? 30 : e.node.at === at(20) ? 20 : 10} ${e.node.key} ${e.node.change}`)).toEqual([
      '30 curl:amd64 CHANGED',
      '30 vim:amd64 REMOVED',
      '30 wget:amd64 REMOVED',
      '20 curl:amd64 CHANGED',
      '20 vim:amd64 ADDED',
      '20 zsh:amd64 REMOVED',
      '10 curl:amd64 ADDED',
      '10 wget:amd64 ADDED',
      '10 zsh:amd64 ADDED',
    ]);
    const withBaseline = await read({ baseline: true })(1000, null);
    expect(withBaseline.totalCount).toBe(9 + 2);
    expect(withBaseline.edges.slice(9).map((e) => e.node.baseline)).toEqual([true, true]);
  });

  it('a page size over the maximum, or a cursor this API did not hand out, is BAD_USER_INPUT naming the argument', async () => {
    const { definition } = await stack();
    const run = (query: string, variables: Record<string, unknown>) => executeSubgraph(definition, query, variables);
    expectBadInput(await run(HOSTS_WITH_PACKAGE, { first: 1001 }), 'first');
    expectBadInput(await run(HOSTS_WITH_PACKAGE, { first: 0 }), 'first');
    expectBadInput(await run(HOSTS_WITH_PACKAGE, { after: 'not a cursor!' }), 'after');
    expectBadInput(await run(AFFECTED, { r: [CVE], first: 1001 }), 'first');
    expectBadInput(await run(AFFECTED, { r: [CVE], after: '***' }), 'after');
    expectBadInput(await run(CHANGES, { first: 1001 }), 'first');
    expectBadInput(await run(CHANGES, { after: 'not a cursor!' }), 'after');
    // Well-formed base64url that is not a change position (another connection's cursor, or junk).
    const packageCursor = (await hostsWithPackage(definition, { first: 1 })).pageInfo.endCursor;
    expectBadInput(await run(CHANGES, { after: packageCursor }), 'after');
    expectBadInput(await run(CHANGES, { after: Buffer.from('["c1","x","packages","k"]').toString('base64url') }), 'after');
  });
});
