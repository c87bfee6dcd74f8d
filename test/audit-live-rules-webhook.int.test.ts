import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Alert } from '@vigil/lib/alerts/alert';
import { MemoryAlertLog } from '@vigil/lib/alerts/memory-alert-log';
import { AlertPublisher } from '@vigil/lib/alerts/publisher';
import { auditIngestParams } from '@vigil/lib/audit-log-format';
import { RedisDeliveryLedger } from '@vigil/lib/k8s-audit/redis-delivery-ledger';
import { createLogger } from '@vigil/lib/logger';
import { createServiceRegistry } from '@vigil/lib/metrics';
import { createRedis, keyPrefix } from '@vigil/lib/redis';
import { auditConfig } from '@vigil/subgraph-audit/config';
import { createLiveRules } from '@vigil/subgraph-audit/live-rules';
import { VictoriaLogsClient } from '@vigil/subgraph-audit/sources/victorialogs/client';
import { clusterAuditConfig } from '@vigil/subgraph-cluster/config-audit';
import { createK8sAuditIntake } from '@vigil/subgraph-cluster/http/k8s-audit-ingest';
import { MemorySecurityEventStore } from '@vigil/subgraph-cluster/store/memory-security-event-store';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { startVictoriaLogs, type VictoriaLogsServer } from './support/victorialogs.js';

// Both feeds at once: the API server's webhook (the cluster subgraph, which forwards every record to
// VictoriaLogs) and the audit subgraph's live tail of that same VictoriaLogs tenant. A request both see
// raises one alert per rule: the dedupe key is the delivery ledger's `<auditID>/rule:<rule>` in scope
// `<cluster>`, in the same Redis keys (`<namespace>:cluster:audit:ledger:{<cluster>}:…`). A record that
// reaches VictoriaLogs without the webhook still alerts, from the tail.

const CLUSTER = 'prod';
const TENANT = { accountId: 31, projectId: 0 };
const fixture = (name: string) =>
  readFileSync(new URL(`../subgraphs/cluster/test/fixtures/k8s-audit/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
const minikube = fixture('audit-log_minikube_k8s-1.29.jsonl');

let victoriaLogs: VictoriaLogsServer;
let redis: RedisServer;
let serverBaseMs = 0;
let started = 0;
const serverNowMs = () => serverBaseMs + (performance.now() - started);
const clock = () => new Date(serverNowMs());

beforeAll(async () => {
  [victoriaLogs, redis] = await Promise.all([startVictoriaLogs(), startRedisServer()]);
  serverBaseMs = (await new VictoriaLogsClient({ baseUrl: victoriaLogs.url, timeoutMs: 5_000 }).serverTimeMs()) ?? Date.now();
  started = performance.now();
}, 60_000);

afterAll(async () => {
  await Promise.all([victoriaLogs?.stop(), redis?.stop()]);
});

const microTime = (ms: number) => `${new Date(ms).toISOString().slice(0, 23)}123Z`;

/** A person's secret read (the minikube ServiceAccount read, made by a person) as a new request, now by VictoriaLogs' clock. */
function secretRead(username: string): Record<string, unknown> {
  const nowMs = Math.floor(serverNowMs());
  const { responseObject: _body, ...template } = minikube[6] ?? {};
  return { ...template, auditID: randomUUID(), user: { username, groups: ['system:authenticated'] }, requestReceivedTimestamp: microTime(nowMs - 10), stageTimestamp: microTime(nowMs) };
}

it('a request seen by the webhook and by the tail alerts once; one only in VictoriaLogs alerts from the tail', async () => {
  const namespace = `t-${randomUUID().slice(0, 8)}`;
  const logger = createLogger('test', { level: 'silent' });
  const alertLog = new MemoryAlertLog({ maxLength: 1000 });
  const publisher = new AlertPublisher(alertLog, logger, clock);
  const clusterRedis = createRedis(redis.url, logger, 'cluster');
  const intake = createK8sAuditIntake({
    config: clusterAuditConfig.parse({ forward: { victoriaLogsUrl: victoriaLogs.url, accountId: TENANT.accountId, flushMs: 20 } }),
    cluster: CLUSTER,
    store: new MemorySecurityEventStore({ retentionDays: 30, now: clock }),
    publisher,
    redis: clusterRedis,
    prefix: keyPrefix(namespace, 'cluster'),
    clock,
    logger,
  });
  const app = express().use(intake.router);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const webhookUrl = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/ingest/k8s-audit`;
  const live = createLiveRules({
    config: auditConfig.parse({
      victoriaLogs: { url: victoriaLogs.url, ...TENANT },
      liveRules: { enabled: true, offsetSeconds: 2, backoff: { initialMs: 100, maxMs: 500 } },
    }),
    shared: { logger, publisher, redisUrl: redis.url, namespace, clock, metrics: createServiceRegistry() },
    clusterName: CLUSTER,
  });
  if (!live) throw new Error('liveRules not created');
  live.start();
  try {
    const both = [secretRead('alice'), secretRead('bob')];
    const response = await fetch(webhookUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: both }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ alerts: 2, queued: 2 });
    // Shipped by something else (no webhook): only the tail can see it.
    const tailOnly = secretRead('carol');
    await new VictoriaLogsClient({ baseUrl: victoriaLogs.url, timeoutMs: 5_000, tenant: TENANT }).ingest([tailOnly], auditIngestParams({ cluster: CLUSTER }));
    await victoriaLogs.flush();

    const alerts = async () => (await alertLog.listNewestFirst({ limit: 1000 })).reverse();
    const deadline = performance.now() + 30_000;
    let list: Alert[] = await alerts();
    while (list.length < 3 && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      list = await alerts();
    }
    // Long enough for the tail to have read the forwarded records too (offset 2 s, refresh 1 s).
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    await intake.forwarder?.flush();
    list = await alerts();
    expect(list.map((alert) => [alert.labels?.['auditId'], alert.labels?.['auditRule']])).toEqual([
      [both[0]?.['auditID'], 'secretReadByPerson'],
      [both[1]?.['auditID'], 'secretReadByPerson'],
      [tailOnly['auditID'], 'secretReadByPerson'],
    ]);
    // The tail did read and evaluate the forwarded records (its own ledger keys are done): they were dropped
    // by the shared rule key, not unseen.
    const ledger = new RedisDeliveryLedger(clusterRedis, { prefix: keyPrefix(namespace, 'cluster'), windowMs: 3_600_000, clock });
    const evaluated = await ledger.claim(`tail:${String(TENANT.accountId)}:${String(TENANT.projectId)}`, [...both, tailOnly].map((event) => `${String(event['auditID'])}/ResponseComplete`), 'probe');
    expect(evaluated).toEqual([{ state: 'done' }, { state: 'done' }, { state: 'done' }]);
  } finally {
    await live.stop();
    await new Promise((resolve) => server.close(resolve));
    await intake.stop();
    await clusterRedis.quit();
  }
}, 90_000);
