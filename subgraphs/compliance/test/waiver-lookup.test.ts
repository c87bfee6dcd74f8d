import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryAlertLog } from '@vigil/lib/alerts/memory-alert-log';
import { AlertPublisher } from '@vigil/lib/alerts/publisher';
import type { Identity } from '@vigil/lib/identity';
import { createLogger } from '@vigil/lib/logger';
import { executeSubgraph } from '../../../test/support/execute-subgraph.js';
import { complianceConfig } from '../src/config.js';
import type { EvidenceSource } from '../src/evidence-source.js';
import { createComplianceRuntime, type ComplianceRuntime } from '../src/runtime.js';
import { MemoryWaiverStore, type Waiver, type WaiverChange, type WaiverGrant, type WaiverStore } from '../src/store/waiver-store.js';
import { kubeBenchEvents, snapshot } from './evidence-fixtures.js';

// ControlResult.waiver looks each result's waiver up in one map per request: a page of many waived
// results reads the waivers from the store once, and each result gets its own waiver.

const START = new Date('2026-03-01T12:00:00.000Z');
const ADMIN: Identity = { subject: 'alice@example.org', kind: 'user', roles: ['admin'], tenants: null, expiresAt: null };
/** kube-bench fails CIS 4.2.1 on every one of these nodes. */
const NODES = Array.from({ length: 60 }, (_, i) => `node-${String(i).padStart(2, '0')}`);

/** The in-process store, counting the reads of the whole list. */
class CountingWaiverStore implements WaiverStore {
  lists = 0;
  constructor(private readonly inner: WaiverStore) {}
  grant(input: WaiverGrant): Promise<Waiver> {
    return this.inner.grant(input);
  }
  revoke(id: string, by: string, at: string): Promise<Waiver | null> {
    return this.inner.revoke(id, by, at);
  }
  list(): Promise<Waiver[]> {
    this.lists++;
    return this.inner.list();
  }
  log(): Promise<WaiverChange[]> {
    return this.inner.log();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

const evidence: EvidenceSource = {
  gather: async (at: Date) =>
    snapshot(at, {
      clusters: { ok: true, value: [{ name: 'prod', sources: [] }] },
      events: { ok: true, value: NODES.flatMap((node) => kubeBenchEvents(at, 'prod', node)) },
    }),
};

let runtime: ComplianceRuntime;
let waivers: CountingWaiverStore;

beforeEach(async () => {
  const logger = createLogger('compliance-test', { level: 'silent' });
  waivers = new CountingWaiverStore(new MemoryWaiverStore());
  runtime = createComplianceRuntime(complianceConfig.parse({}), { logger, publisher: new AlertPublisher(new MemoryAlertLog(), logger, () => START), redisUrl: undefined, namespace: 'test', clock: () => START, metrics: undefined as never } as Parameters<typeof createComplianceRuntime>[1], 'http://unused.invalid/graphql', undefined, { evidence, waivers, autoStart: false });
  await runtime.engine.evaluate();
});

describe('ControlResult.waiver', () => {
  it('a page of many waived results reads the waivers once, and each result gets the waiver covering it', async () => {
    const granted = new Map<string, { id: string; subject: string; owner: string }>();
    for (const [i, node] of NODES.entries()) {
      const subject = `node:prod/${node}`;
      const waiver = await waivers.grant({ framework: 'CIS_KUBERNETES', controlId: '4.2.1', subjectKey: subject, reason: `kubelet of ${node} replaced`, owner: `team-${i}`, expiresAt: '2026-04-01T00:00:00.000Z', createdBy: 'alice@example.org', createdAt: '2026-03-01T00:00:00.000Z' });
      granted.set(subject, { id: waiver.id, subject, owner: waiver.owner });
    }
    const before = waivers.lists;
    const result = await executeSubgraph(runtime.definition, `{ control(framework: CIS_KUBERNETES, id: "4.2.1") { results(first: 1000) { subject { key } status waiver { id subject owner } } } }`, {}, ADMIN);
    expect(result.errors).toBeUndefined();
    const results = (result.data as { control: { results: { subject: { key: string }; status: string; waiver: { id: string; subject: string; owner: string } | null }[] } }).control.results;
    expect(results).toHaveLength(NODES.length);
    for (const r of results) {
      expect(r.status).toBe('WAIVED');
      expect(r.waiver).toEqual(granted.get(r.subject.key));
    }
    expect(waivers.lists - before).toBe(1);
  });

  it('a result without a waiver has none, and a request reads the waivers again (one map per request, not per process)', async () => {
    const query = `{ control(framework: CIS_KUBERNETES, id: "4.2.1") { results(first: 5) { status waiver { id } } } }`;
    const first = await executeSubgraph(runtime.definition, query, {}, ADMIN);
    expect((first.data as { control: { results: { status: string; waiver: unknown }[] } }).control.results).toEqual(Array.from({ length: 5 }, () => ({ status: 'FAIL', waiver: null })));
    const before = waivers.lists;
    await executeSubgraph(runtime.definition, query, {}, ADMIN);
    expect(waivers.lists - before).toBe(1);
  });
});
