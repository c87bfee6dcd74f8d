import { describe, expect, it } from 'vitest';
import { executeSubgraph } from '../../../test/support/execute-subgraph.js';
import { MemoryFactStore } from '../src/facts/memory-fact-store.js';
import type { ProbeReport } from '../src/facts/types.js';
import type { InventoryHost } from '../src/inventory/build-inventory.js';
import { createHostsSubgraph } from '../src/server.js';

// A new host's first collection is its baseline: Host.changes starts empty, not with its whole
// inventory as ADDED. Times relative to an injected clock.

const NOW = Date.parse('2031-05-04T08:00:00.000Z');
const at = (minutesAgo: number) => new Date(NOW - minutesAgo * 60_000).toISOString();

const host: InventoryHost = {
  id: 'web-9',
  transport: 'SSH',
  address: 'web-9.example.test',
  labels: {},
  target: { id: 'web-9', transport: 'ssh', address: 'web-9.example.test', port: 22, user: 'probe', knownHostsPath: '/dev/null', connectTimeoutMs: 1000, commandTimeoutMs: 1000 },
};

function probe(finishedAt: string, packages: [string, string][]): ProbeReport {
  return {
    hostId: host.id,
    status: 'OK',
    message: null,
    startedAt: finishedAt,
    finishedAt,
    packageManager: 'dpkg',
    collectors: { packages: { status: 'OK', message: null } },
    facts: { packages: packages.map(([name, version]) => ({ name, version, arch: 'amd64' })) },
    metrics: null,
  };
}

type Change = { type: string; key: string; change: string; baseline: boolean };

describe('Host.changes and the baseline', () => {
  it('leaves the first collection out unless includeBaseline, marks it, and says when it was taken', async () => {
    const store = new MemoryFactStore({ now: () => new Date(NOW) });
    const definition = createHostsSubgraph({ inventory: [host], store, scheduler: { refresh: async () => ({ status: 'QUEUED' as const, message: 'queued' }) }, clock: () => new Date(NOW) });
    const query = async () => {
      const result = await executeSubgraph(
        definition,
        '{ host(id: "web-9") { baselineAt changes { edges { node { type key change baseline } } } all: changes(includeBaseline: true) { edges { node { type key change baseline } } } } }',
      );
      if (result.errors?.length) throw new Error(result.errors.map((e) => e.message).join('; '));
      type Page = { edges: { node: Change }[] };
      const { host } = result.data as { host: { baselineAt: string | null; changes: Page; all: Page } };
      return { baselineAt: host.baselineAt, changes: host.changes.edges.map((e) => e.node), all: host.all.edges.map((e) => e.node) };
    };

    expect(await query()).toEqual({ baselineAt: null, changes: [], all: [] });

    await store.saveReport(probe(at(60), [['bash', '5.2.15'], ['openssl', '3.0.11']]));
    const first = await query();
    expect(first.baselineAt).toBe(at(60));
    expect(first.changes).toEqual([]);
    expect(first.all).toEqual([
      { type: 'PACKAGES', key: 'bash:amd64', change: 'ADDED', baseline: true },
      { type: 'PACKAGES', key: 'openssl:amd64', change: 'ADDED', baseline: true },
    ]);

    await store.saveReport(probe(at(10), [['bash', '5.2.15'], ['openssl', '3.0.13']]));
    const second = await query();
    expect(second.changes).toEqual([{ type: 'PACKAGES', key: 'openssl:amd64', change: 'CHANGED', baseline: false }]);
    expect(second.all.map((c) => c.baseline)).toEqual([false, true, true]);
  });
});
