import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAlertLog } from '@vigil/lib/alerts/memory-alert-log';
import { AlertPublisher } from '@vigil/lib/alerts/publisher';
import { createLogger } from '@vigil/lib/logger';
import { createRedis, type Redis } from '@vigil/lib/redis';
import { startRedisServer, type RedisServer } from '../../../test/support/redis-server.js';
import type { KubeObject } from '../src/kube/kube-object.js';
import { createReportIngest } from '../src/report-ingest.js';
import { RedisSecurityEventStore } from '../src/store/redis-security-event-store.js';

// SecurityEvent.count is the number of times a finding was seen anew, not the number of times its
// report was read: informers relist, Vigil restarts and tools rewrite reports with the same findings.
// The store is Redis, so "a restart" is a second ingest (fresh in-process state) over the same keys.
// Fixture: the Trivy envtest VulnerabilityReport (test/fixtures/kube/README.md).

type JsonObject = Record<string, unknown>;
const base = JSON.parse(readFileSync(new URL('./fixtures/kube/vulnerabilityreport_envtest_fixture.json', import.meta.url), 'utf8')) as JsonObject;
const logger = createLogger('test', { level: 'silent' });
const NOW = Date.parse('2030-01-01T00:00:00.000Z');

/** The report at a resourceVersion, scanned at `scannedAt`, with or without a second (made-up) finding. */
function report(resourceVersion: string, withSecond: boolean, scannedAt: number): KubeObject {
  const body = base['report'] as JsonObject;
  const [first] = body['vulnerabilities'] as JsonObject[];
  const second = { ...first, vulnerabilityID: 'CVE-2099-0002', severity: 'MEDIUM', resource: 'libother', installedVersion: '2.0.0', fixedVersion: '2.0.1' };
  return {
    ...base,
    apiVersion: String(base['apiVersion']),
    kind: String(base['kind']),
    metadata: { ...(base['metadata'] as JsonObject), name: 'replicaset-coredns', namespace: 'kube-system', uid: 'uid-1', resourceVersion },
    report: { ...body, updateTimestamp: new Date(scannedAt).toISOString(), vulnerabilities: withSecond ? [first, second] : [first] },
  };
}

describe('report ingest counts occurrences, not reads', () => {
  let server: RedisServer;
  let redis: Redis;
  let clock = NOW;

  beforeAll(async () => {
    server = await startRedisServer();
    redis = createRedis(server.url, logger, 'report-counts test');
  });
  afterAll(async () => {
    await redis?.quit();
    await server?.stop();
  });

  const freshIngest = () => {
    const store = new RedisSecurityEventStore(redis, { retentionDays: 30, prefix: 'counts:', now: () => new Date(clock) });
    const alerts = new MemoryAlertLog({ maxLength: 100 });
    return { store, alerts, ingest: createReportIngest({ store, publisher: new AlertPublisher(alerts, logger, () => new Date(clock)), logger, clock: () => new Date(clock) }) };
  };
  const counts = async (store: RedisSecurityEventStore) =>
    Object.fromEntries((await store.list({ cluster: 'prod' }, { first: 10 })).events.map((e) => [(e.details as { vulnerabilityId: string }).vulnerabilityId, { count: e.count, lastSeen: e.lastSeen, resolved: e.resolvedAt !== null }]));

  it('a relist, a restart and a rewrite with the same findings never increment; a finding that returns does', async () => {
    const first = freshIngest();
    await first.ingest('prod', 'trivy-vulnerability-reports', { type: 'upsert', object: report('1', true, clock) });
    expect(Object.values(await counts(first.store)).map((c) => c.count)).toEqual([1, 1]);

    // Relist: the same object again.
    await first.ingest('prod', 'trivy-vulnerability-reports', { type: 'upsert', object: report('1', true, clock) });
    // Restart: the informer delivers the unchanged report to a new process.
    clock += 60_000;
    const restarted = freshIngest();
    await restarted.ingest('prod', 'trivy-vulnerability-reports', { type: 'upsert', object: report('1', true, clock) });
    // The tool rewrites the report (new resourceVersion) with the same findings.
    clock += 60_000;
    await restarted.ingest('prod', 'trivy-vulnerability-reports', { type: 'upsert', object: report('2', true, clock) });
    const afterRewrite = await counts(restarted.store);
    expect(Object.values(afterRewrite).map((c) => c.count)).toEqual([1, 1]);
    expect(Object.values(afterRewrite).every((c) => c.lastSeen === new Date(clock).toISOString())).toBe(true);
    expect(await restarted.alerts.listNewestFirst({ limit: 10 })).toEqual([]);

    // The second finding is fixed, then comes back: that is a new occurrence.
    clock += 60_000;
    await restarted.ingest('prod', 'trivy-vulnerability-reports', { type: 'upsert', object: report('3', false, clock) });
    expect((await counts(restarted.store))['CVE-2099-0002']).toMatchObject({ count: 1, resolved: true });
    clock += 60_000;
    await restarted.ingest('prod', 'trivy-vulnerability-reports', { type: 'upsert', object: report('4', true, clock) });
    const returned = await counts(restarted.store);
    expect(returned['CVE-2099-0002']).toMatchObject({ count: 2, resolved: false });
    expect(Object.values(returned).map((c) => c.count).sort()).toEqual([1, 2]);
  });
});
