import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAlertLog } from '@vigil/lib/alerts/memory-alert-log';
import { AlertPublisher } from '@vigil/lib/alerts/publisher';
import type { Identity } from '@vigil/lib/identity';
import { createLogger } from '@vigil/lib/logger';
import { createRedis } from '@vigil/lib/redis';
import { startRedisServer, type RedisServer } from '../../../test/support/redis-server.js';
import { executeSubgraph } from '../../../test/support/execute-subgraph.js';
import { complianceConfig } from '../src/config.js';
import type { EvidenceSnapshot } from '../src/evidence.js';
import type { EvidenceSource } from '../src/evidence-source.js';
import { createComplianceRuntime, type ComplianceRuntime } from '../src/runtime.js';
import { RedisResultStore } from '../src/store/redis-result-store.js';
import { RedisWaiverStore } from '../src/store/redis-waiver-store.js';
import { MemoryResultStore } from '../src/store/result-store.js';
import { MemoryWaiverStore } from '../src/store/waiver-store.js';
import { debianHost, kubeBenchEvents, snapshot } from './evidence-fixtures.js';
import { keyOf, result, resultStoreContract, T, waiverStoreContract } from './store.contract.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

const logger = createLogger('compliance-store-test', { level: 'silent' });
/** Retention is measured against the store's clock: pinned beside the changes' times, not today. */
const retention = { historyMs: 400 * 86_400_000, now: () => new Date(T(30)) };

resultStoreContract('memory', async () => new MemoryResultStore());
resultStoreContract('redis', async () => new RedisResultStore(createRedis(server.url, logger, 'test'), `${server.uniquePrefix()}:compliance:`, retention));
waiverStoreContract('memory', async () => new MemoryWaiverStore());
waiverStoreContract('redis', async () => new RedisWaiverStore(createRedis(server.url, logger, 'test'), `${server.uniquePrefix()}:compliance:`));

describe('RedisResultStore', () => {
  it('keeps every key of the results and waivers in one hash tag each (Redis Cluster: one slot per MULTI or script)', async () => {
    const redis = createRedis(server.url, logger, 'test');
    const prefix = `${server.uniquePrefix()}:compliance:`;
    const store = new RedisResultStore(redis, prefix, retention, false);
    const waivers = new RedisWaiverStore(redis, prefix, false);
    const r = result('CM-8', 'web-1', 'FAIL', T(0));
    await store.applyChanges([{ key: keyOf(r), result: r }], T(0));
    await store.appendScores([{ framework: 'NIST_800_53', at: T(0), score: 0, passed: 0, failed: 1 }]);
    const w = await waivers.grant({ framework: 'NIST_800_53', controlId: 'CM-8', subjectKey: 'host:web-1', reason: 'r', owner: 'o', expiresAt: T(60), createdBy: 'ada', createdAt: T(0) });
    await waivers.revoke(w.id, 'ada', T(1));
    const keys = await redis.keys(`${prefix}*`);
    const tags = new Set(keys.map((k) => /\{([^}]*)\}/.exec(k)?.[1]));
    expect(tags).toEqual(new Set([`${prefix}results`, `${prefix}waivers`]));
    expect(keys.every((k) => k.startsWith(prefix))).toBe(true);
    await redis.quit();
  });

  it('trims history and score points older than the retention, by its clock', async () => {
    const redis = createRedis(server.url, logger, 'test');
    let now = new Date(T(0));
    const store = new RedisResultStore(redis, `${server.uniquePrefix()}:compliance:`, { historyMs: 15 * 60_000, now: () => now }, true);
    const a = result('CM-8', 'web-1', 'PASS', T(0));
    await store.applyChanges([{ key: keyOf(a), result: a }], T(0));
    await store.appendScores([{ framework: 'NIST_800_53', at: T(0), score: 1, passed: 1, failed: 0 }]);
    now = new Date(T(20));
    const b = result('CM-8', 'web-1', 'FAIL', T(20));
    await store.applyChanges([{ key: keyOf(b), result: b }], T(20));
    await store.appendScores([{ framework: 'NIST_800_53', at: T(20), score: 0, passed: 0, failed: 1 }]);
    expect((await store.scores('NIST_800_53', T(0), T(30))).map((p) => p.at)).toEqual([T(20)]);
    // The change at T(0) is gone: before T(20) only its undo remains, the current state is exact.
    expect(await store.resultsAt(T(25))).toEqual(new Map([[keyOf(b), b]]));
    await store.close();
  });
});

// --- A restart: the subgraph over Redis, stopped and started again on the same keys. ---

const START = new Date('2026-03-01T12:00:00.000Z');
let now = START;
const clock = () => now;
const ADMIN: Identity = { subject: 'alice@example.org', kind: 'user', roles: ['admin'], tenants: null, expiresAt: null };

class SnapshotEvidence implements EvidenceSource {
  constructor(private readonly state: { fixed: boolean }) {}
  async gather(at: Date): Promise<EvidenceSnapshot> {
    return snapshot(at, {
      hosts: { ok: true, value: [debianHost(at, 'node-a', { env: 'prod' })] },
      clusters: { ok: true, value: [{ name: 'prod', sources: [] }] },
      events: { ok: true, value: kubeBenchEvents(at, 'prod', 'node-a').map((e) => (this.state.fixed && e.eventType === '4.2.1' ? { ...e, resolvedAt: at.toISOString() } : e)) },
    });
  }
}

describe('compliance over Redis', () => {
  it('restart: a new engine on the same Redis answers asOf and keeps waivers and the waiver log', async () => {
    const namespace = server.uniquePrefix();
    const state = { fixed: true };
    const alerts = new MemoryAlertLog();
    const start = (): ComplianceRuntime =>
      createComplianceRuntime(
        complianceConfig.parse({}),
        { logger, publisher: new AlertPublisher(alerts, logger, clock), redisUrl: server.url, namespace, clock, metrics: undefined as never } as Parameters<typeof createComplianceRuntime>[1],
        'http://unused.invalid/graphql',
        undefined,
        { evidence: new SnapshotEvidence(state), autoStart: false },
      );
    const run = (runtime: ComplianceRuntime, query: string, variables: Record<string, unknown> = {}) => executeSubgraph(runtime.definition, query, variables, ADMIN);

    now = START;
    const first = start();
    await first.engine.evaluate();
    const passedAt = now.toISOString();
    now = new Date(START.getTime() + 10 * 60_000);
    state.fixed = false;
    await first.engine.evaluate();
    const waived = await run(first, `mutation ($input: WaiveControlInput!) { waiveControl(input: $input) { id } }`, {
      input: { framework: 'CIS_KUBERNETES', controlId: '4.2.1', subject: 'node:prod/node-a', reason: 'kubelet replaced next sprint', owner: 'platform', expiresAt: new Date(now.getTime() + 3_600_000).toISOString() },
    });
    expect(waived.errors).toBeUndefined();
    const regressions = (await alerts.listNewestFirst({ limit: 100 })).filter((a) => a.rule === 'compliance-regression').length;
    expect(regressions).toBeGreaterThan(0);
    await first.definition.close?.();

    now = new Date(START.getTime() + 20 * 60_000);
    const second = start();
    const q = `query ($t: DateTime) { control(framework: CIS_KUBERNETES, id: "4.2.1", asOf: $t) { status evaluatedAt } }`;
    // Before any evaluation of the new engine: the past from Redis's history...
    expect((await run(second, q, { t: passedAt })).data).toEqual({ control: { status: 'PASS', evaluatedAt: passedAt } });
    // ...the waiver and its log from Redis's waivers.
    const log = await run(second, `{ complianceWaiverLog { action by } complianceWaivers(activeOnly: true) { control { id } subject createdBy } }`);
    expect(log.data).toEqual({ complianceWaiverLog: [{ action: 'GRANTED', by: 'alice@example.org' }], complianceWaivers: [{ control: { id: '4.2.1' }, subject: 'node:prod/node-a', createdBy: 'alice@example.org' }] });
    // The first evaluation after the restart compares against the stored results: nothing changed, nothing re-raised.
    await second.engine.evaluate();
    expect(second.engine.status.changed).toBe(0);
    expect((await alerts.listNewestFirst({ limit: 100 })).filter((a) => a.rule === 'compliance-regression').length).toBe(regressions);
    expect((await run(second, q, { t: null })).data).toMatchObject({ control: { status: 'WAIVED' } });
    const history = await run(second, `{ complianceScoreHistory(framework: CIS_KUBERNETES) { at } }`);
    expect((history.data as { complianceScoreHistory: { at: string }[] }).complianceScoreHistory.map((p) => p.at)).toEqual([passedAt, new Date(START.getTime() + 10 * 60_000).toISOString()]);
    // And it knows the host's failing controls from the stored index, waived ones excepted.
    const host = await run(second, `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Host { failedControls { framework id } } } }`, { r: [{ __typename: 'Host', id: 'node-a' }] });
    expect((host.data as { _entities: { failedControls: { id: string }[] }[] })._entities[0]?.failedControls.map((c) => c.id)).not.toContain('4.2.1');
    await second.definition.close?.();
  });
});
