import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import express from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NewAlert } from '@vigil/lib/alerts/alert';
import { MemoryAlertLog } from '@vigil/lib/alerts/memory-alert-log';
import { AlertPublisher } from '@vigil/lib/alerts/publisher';
import { systemClock } from '@vigil/lib/clock';
import { auditIngestParams } from '@vigil/lib/audit-log-format';
import { createLogger } from '@vigil/lib/logger';
import { createRedis, type Redis } from '@vigil/lib/redis';
import { startRedisServer, type RedisServer } from '../../../test/support/redis-server.js';
import { startVictoriaLogs, type VictoriaLogsServer } from '../../../test/support/victorialogs.js';
// The audit subgraph's own reader, to prove both subgraphs agree on the stored format (test-only import).
import { VictoriaLogsAuditLogSource, type AuditEvent as StoredAuditEvent } from '../../audit/src/sources/victorialogs/audit-log-source.js';
import { VictoriaLogsClient } from '../../audit/src/sources/victorialogs/client.js';
import { clusterAuditConfig } from '../src/config-audit.js';
import { AUDIT_SIGNATURE_HEADER, createK8sAuditIntake, type K8sAuditIntake } from '../src/http/k8s-audit-ingest.js';
import { ForwardError, VictoriaLogsJsonLineSink } from '../src/sources/k8s-audit/victorialogs-forwarder.js';
import { MemorySecurityEventStore } from '../src/store/memory-security-event-store.js';
import { RedisSecurityEventStore } from '../src/store/redis-security-event-store.js';
import type { SecurityEvent, SecurityEventStore } from '../src/store/security-event-store.js';
import { manualClock } from './k8s-audit-rule-stores.contract.js';

// Samples: test/fixtures/k8s-audit/README.md (copied from the shared fixtures; sources in SOURCES.md).
// Forwarded records land in a real VictoriaLogs (test/support/victorialogs.ts), whose retention covers the
// fixtures' own timestamps on any date; the security-event store runs on a fixed clock (below).
const fixture = (name: string) => readFileSync(new URL(`./fixtures/k8s-audit/${name}`, import.meta.url), 'utf8');
const jsonLines = (name: string) =>
  fixture(name)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

const logger = createLogger('test', { level: 'silent' });
const TOKEN = 'audit-webhook-token-value';
const HMAC_SECRET = 'an-hmac-secret-of-at-least-32-characters';
// Fixture times are from 2018 to 2025. The store's clock is fixed just after them and its retention
// reaches back past the oldest, so no record expires while the test looks, whatever today's date is.
const STORE_NOW = new Date('2026-01-01T00:00:00Z');
const MINUTE = 60_000;
const RETENTION_DAYS = 365 * 10;

const minikube = jsonLines('audit-log_minikube_k8s-1.29.jsonl');
const saSecretGet = minikube[6] ?? {};
/** No captured record shows a person reading a secret: the ServiceAccount's read with only the user (and auditID) changed. */
const userSecretGet = {
  ...saSecretGet,
  auditID: '0b4c2f8e-derived-user-secret-get',
  user: { username: 'alice@example.com', groups: ['developers', 'system:authenticated'] },
};
const rbacBinding = JSON.parse(fixture('falco-trace-fixtures/attach_cluster_admin_role.json')) as Record<string, unknown>;
const rbacBinding133 = JSON.parse(fixture('event_clusterrolebinding_create_k8s-1.33.json')) as Record<string, unknown>;

/**
 * A batch-mode webhook body: kube-apiserver's `processEvents` wraps events in an EventList whose items
 * carry no kind/apiVersion (no captured multi-item POST exists; see the fixtures README).
 */
function webhookBody(events: readonly Record<string, unknown>[]): string {
  const items = events.map(({ kind: _kind, apiVersion: _apiVersion, ...item }) => item);
  return JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items });
}

/** The test batch: the minikube log (8 records, 4 of interest), two RBAC changes, a secret read by a person. */
const BATCH = [...minikube, rbacBinding133, rbacBinding, userSecretGet];

let redisServer: RedisServer;
let victoriaLogs: VictoriaLogsServer;
let vlClient: VictoriaLogsClient;
const servers: Server[] = [];
const intakes: K8sAuditIntake[] = [];
const clients: Redis[] = [];

beforeAll(async () => {
  [redisServer, victoriaLogs] = await Promise.all([startRedisServer(), startVictoriaLogs()]);
  vlClient = new VictoriaLogsClient({ baseUrl: victoriaLogs.url, timeoutMs: 5_000 });
});

afterAll(async () => {
  await Promise.all([redisServer?.stop(), victoriaLogs?.stop()]);
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  await Promise.all(intakes.splice(0).map((intake) => intake.stop()));
  for (const client of clients.splice(0)) client.disconnect();
});

interface Harness {
  url: string;
  /** Each test its own cluster name: its records in the shared VictoriaLogs are its own. */
  cluster: string;
  intake: K8sAuditIntake;
  store: RedisSecurityEventStore;
  /** The same Redis data through another connection: what another process would read. */
  peer: RedisSecurityEventStore;
  alerts: MemoryAlertLog;
  /** The clock of the delivery ledger and the alert rules (the store's is fixed at STORE_NOW). */
  clock: ReturnType<typeof manualClock>;
  /** Another replica: its own intake and connections, the same Redis data and cluster. */
  replica(): Promise<{ url: string; intake: K8sAuditIntake }>;
}

interface StartOptions {
  /** The store's retention (its clock is STORE_NOW). @default RETENTION_DAYS */
  retentionDays?: number;
  wrapStore?: (store: RedisSecurityEventStore) => SecurityEventStore;
  /** Raise alerts through this instead (to inject faults). */
  wrapPublisher?: (publisher: AlertPublisher) => AlertPublisher;
}

async function listen(router: express.Router): Promise<string> {
  const app = express();
  app.use(router);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}/ingest/k8s-audit`;
}

async function start(config: Record<string, unknown> = {}, options: StartOptions = {}): Promise<Harness> {
  const prefix = `${redisServer.uniquePrefix()}:`;
  const writer = createRedis(redisServer.url, logger, 'test-writer');
  const reader = createRedis(redisServer.url, logger, 'test-reader');
  clients.push(writer, reader);
  const store = new RedisSecurityEventStore(writer, { prefix, retentionDays: options.retentionDays ?? RETENTION_DAYS, now: () => STORE_NOW });
  const peer = new RedisSecurityEventStore(reader, { prefix, retentionDays: RETENTION_DAYS, now: () => STORE_NOW });
  const alerts = new MemoryAlertLog({ maxLength: 1000 });
  const clock = manualClock(STORE_NOW.getTime());
  const cluster = `c-${randomUUID().slice(0, 8)}`;
  // Through the real config model: defaults and coercion as in production.
  const parsed = clusterAuditConfig.parse({ token: TOKEN, ...config, forward: { victoriaLogsUrl: victoriaLogs.url, flushMs: 60_000, ...(config['forward'] as object) } });
  const publisher = new AlertPublisher(alerts, logger, clock);
  const intakeOn = (redis: Redis, eventStore: SecurityEventStore) => {
    const intake = createK8sAuditIntake({
      config: parsed,
      cluster,
      store: eventStore,
      publisher: options.wrapPublisher ? options.wrapPublisher(publisher) : publisher,
      redis,
      prefix,
      clock,
      logger,
    });
    intakes.push(intake);
    return intake;
  };
  const intake = intakeOn(writer, options.wrapStore ? options.wrapStore(store) : store);
  const replica = async () => {
    const other = createRedis(redisServer.url, logger, 'test-replica');
    clients.push(other);
    const otherIntake = intakeOn(other, new RedisSecurityEventStore(other, { prefix, retentionDays: RETENTION_DAYS, now: () => STORE_NOW }));
    return { url: await listen(otherIntake.router), intake: otherIntake };
  };
  return { url: await listen(intake.router), cluster, intake, store, peer, alerts, clock, replica };
}

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

async function post(url: string, body: string | Uint8Array, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    body: typeof body === 'string' ? body : new Uint8Array(body),
    // client-go's request headers (NOTES.md): JSON in, JSON or anything out.
    headers: { 'content-type': 'application/json', accept: 'application/json, */*', 'user-agent': 'kube-apiserver/v1.29.3 (linux/amd64) kubernetes/6813625', ...headers },
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text) };
}

async function storedEvents(store: SecurityEventStore): Promise<SecurityEvent[]> {
  return (await store.list({}, { first: 500 })).events;
}

const alertsOf = (log: MemoryAlertLog) => log.listNewestFirst({ limit: 100 });

/** Everything the audit subgraph finds for a cluster, through its own source and LogsQL, once what VictoriaLogs received is searchable. */
async function auditSubgraphSees(cluster: string): Promise<StoredAuditEvent[]> {
  await victoriaLogs.flush();
  const page = await new VictoriaLogsAuditLogSource(vlClient).search({ clusters: [cluster] }, { first: 1000 });
  return page.events;
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const key = (event: { auditID?: unknown; auditId?: unknown; stage?: unknown }) => `${String(event.auditID ?? event.auditId)}/${String(event.stage)}`;

describe('POST /ingest/k8s-audit', () => {
  it('stores the security events of a webhook batch in Redis before answering 200', async () => {
    const h = await start();
    const answer = await post(h.url, webhookBody(BATCH));
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ accepted: 11, stored: 7, duplicates: 0, ignored: 4, redelivered: 0, alerts: 4, queued: 11 });

    // Read right after the answer, through another connection: durable when acknowledged.
    const events = await storedEvents(h.peer);
    expect(events.map((e) => [e.eventType, e.severity, e.details && 'auditId' in e.details ? e.details.auditId : null]).sort()).toEqual(
      [
        ['Forbidden request', 'MEDIUM', 'a02486f1-3a7c-4bca-8bcb-9019fa43dac4'],
        ['Forbidden request', 'MEDIUM', '24444640-7e57-4ac9-b7e8-c3bf5a2942d9'],
        ['Secret read', 'INFO', 'c59d6a7c-1e07-43cb-8bf6-4d41a9c98ddb'],
        ['Pod exec', 'MEDIUM', '927fcde7-74e5-4a57-af53-dceacefaf47c'],
        ['RBAC change', 'HIGH', '31416919-e3a2-4a39-bd0b-1f6ee055a0a8'],
        ['RBAC change', 'HIGH', 'c97244c7-4aec-4714-946a-8204d00ecdca'],
        ['Secret read', 'HIGH', '0b4c2f8e-derived-user-secret-get'],
      ].sort(),
    );
    for (const event of events) expect(event).toMatchObject({ source: 'K8S_AUDIT', category: 'AUDIT', cluster: h.cluster, count: 1 });
    // The Secret in the ServiceAccount read's responseObject is not copied into Redis.
    expect(JSON.stringify(events)).not.toContain('dockerconfigjson');

    const [exec] = await h.peer.forResources([{ cluster: h.cluster, namespace: 'wareville', kind: 'Pod', name: 'morality-checker' }], 5);
    expect(exec?.map((e) => e.dedupKey)).toEqual([`k8s-audit/${h.cluster}/927fcde7-74e5-4a57-af53-dceacefaf47c`]);
  });

  it('raises alerts for the RBAC changes, the secret read by a person and the exec (once for its two stages), none for the service account', async () => {
    const h = await start();
    await post(h.url, webhookBody(BATCH));
    const alerts = await alertsOf(h.alerts);
    expect(alerts.map((a) => [a.rule, a.severity, a.labels?.['auditId'], a.labels?.['stage']]).sort()).toEqual(
      [
        ['k8s-audit: RBAC change', 'HIGH', '31416919-e3a2-4a39-bd0b-1f6ee055a0a8', 'ResponseComplete'],
        ['k8s-audit: RBAC change', 'HIGH', 'c97244c7-4aec-4714-946a-8204d00ecdca', 'ResponseComplete'],
        ['k8s-audit: Secret read by a person', 'HIGH', '0b4c2f8e-derived-user-secret-get', 'ResponseComplete'],
        // The session opened (ResponseStarted) and closed (ResponseComplete) in this batch: one alert, at the opening.
        ['k8s-audit: Pod exec, attach or port-forward', 'MEDIUM', '927fcde7-74e5-4a57-af53-dceacefaf47c', 'ResponseStarted'],
      ].sort(),
    );
    const [stored] = await h.peer.forResources([{ cluster: h.cluster, namespace: '', kind: 'ClusterRoleBinding', name: 'some-reader-binding' }], 1);
    const rbac = alerts.find((a) => a.labels?.['auditId'] === 'c97244c7-4aec-4714-946a-8204d00ecdca');
    expect(rbac).toMatchObject({
      source: 'AUDIT',
      title: 'RBAC change: minikube-user create clusterrolebindings some-reader-binding',
      description:
        'minikube-user create /apis/rbac.authorization.k8s.io/v1/clusterrolebindings (ClusterRole/cluster-admin → User/minikube); response 201; from 192.168.99.1',
      occurredAt: '2018-10-26T14:26:34.238Z',
      subject: { type: 'KubeObject', cluster: h.cluster, namespace: '', kind: 'ClusterRoleBinding', name: 'some-reader-binding', displayName: 'ClusterRoleBinding/some-reader-binding' },
      labels: { cluster: h.cluster, auditRule: 'rbacChange', user: 'minikube-user', verb: 'create', securityEventId: stored?.[0]?.id, count: '1' },
    });
    const secret = alerts.find((a) => a.rule === 'k8s-audit: Secret read by a person');
    expect(secret).toMatchObject({
      title: 'Secret read by a person: alice@example.com get secrets wareville/pull-creds',
      subject: { type: 'KubeObject', namespace: 'wareville', kind: 'Secret', name: 'pull-creds', displayName: 'wareville/pull-creds' },
    });
    // The service account's read of the same secret is stored (INFO) but alerts nobody.
    expect(alerts.some((a) => a.labels?.['user']?.startsWith('system:serviceaccount:'))).toBe(false);
  });

  it('accepts the blocking-mode EventLists as the webhook sends them, one per stage', async () => {
    const h = await start();
    const results = [];
    for (const line of fixture('webhook_eventlist_blocking_mode.jsonl').split('\n').filter((l) => l !== '')) {
      results.push((await post(h.url, line)).body);
    }
    // A pod create is not of interest: accepted, forwarded, not a security event.
    expect(results).toEqual([
      { accepted: 1, stored: 0, duplicates: 0, ignored: 1, redelivered: 0, alerts: 0, queued: 1 },
      { accepted: 1, stored: 0, duplicates: 0, ignored: 1, redelivered: 0, alerts: 0, queued: 1 },
    ]);
  });

  describe('redelivery', () => {
    /** A record no other test posts: the person's secret read under another auditID. */
    const another = (id: string) => ({ ...userSecretGet, auditID: `0b4c2f8e-derived-${id}` });

    it('a batch delivered again after its 200 is neither counted, alerted nor forwarded again, by this replica or another', async () => {
      const h = await start();
      expect((await post(h.url, webhookBody(BATCH))).body).toMatchObject({ stored: 7, alerts: 4, queued: 11 });
      const again = await post(h.url, webhookBody(BATCH));
      expect(again).toMatchObject({ status: 200, body: { accepted: 11, stored: 0, duplicates: 0, ignored: 0, redelivered: 11, alerts: 0, queued: 0 } });
      // Another process sharing the Redis: the ledger is durable and shared.
      const replica = await h.replica();
      expect((await post(replica.url, webhookBody(BATCH))).body).toMatchObject({ redelivered: 11, alerts: 0, queued: 0 });
      // A proxy that re-batches: old records, a repeat within the batch, and one new record.
      const mixed = await post(h.url, webhookBody([rbacBinding, rbacBinding, another('redelivery'), userSecretGet]));
      expect(mixed.body).toEqual({ accepted: 4, stored: 1, duplicates: 0, ignored: 0, redelivered: 3, alerts: 1, queued: 1 });

      expect((await storedEvents(h.peer)).map((e) => e.count)).toEqual(Array(8).fill(1));
      const alerts = await alertsOf(h.alerts);
      expect(alerts.map((a) => `${a.rule}/${a.labels?.['auditId']}`).sort()).toEqual([...new Set(alerts.map((a) => `${a.rule}/${a.labels?.['auditId']}`))].sort());
      expect(alerts).toHaveLength(5);
      await Promise.all([h.intake.forwarder?.flush(), replica.intake.forwarder?.flush()]);
      const seen = await auditSubgraphSees(h.cluster);
      expect(seen.map(key).sort()).toEqual([...BATCH, another('redelivery')].map(key).sort());
    });

    it('is remembered for the window, then a delivery is new again (the in-memory ledger, by its clock)', async () => {
      const clock = manualClock(STORE_NOW.getTime());
      const alerts = new MemoryAlertLog({ maxLength: 100 });
      const store = new MemorySecurityEventStore({ retentionDays: RETENTION_DAYS, now: () => STORE_NOW });
      const intake = createK8sAuditIntake({
        config: clusterAuditConfig.parse({ token: TOKEN, redelivery: { windowSeconds: 60 } }),
        cluster: 'embedded',
        store,
        publisher: new AlertPublisher(alerts, logger, clock),
        clock,
        logger,
      });
      intakes.push(intake);
      const url = await listen(intake.router);
      expect((await post(url, webhookBody([rbacBinding]))).body).toMatchObject({ stored: 1, alerts: 1 });
      clock.advance(59_000);
      expect((await post(url, webhookBody([rbacBinding]))).body).toMatchObject({ redelivered: 1, alerts: 0 });
      clock.advance(1_000);
      // Past the window: counted on the stored event (same auditID) and alerted again.
      expect((await post(url, webhookBody([rbacBinding]))).body).toMatchObject({ duplicates: 1, redelivered: 0, alerts: 1 });
      expect((await storedEvents(store)).map((e) => e.count)).toEqual([2]);
    });

    it('a retry after a failed store loses nothing and counts nothing twice', async () => {
      let calls = 0;
      const h = await start({}, {
        wrapStore: (store) => {
          const record = store.record.bind(store);
          store.record = async (event) => {
            calls += 1;
            if (calls === 3) throw new Error('redis down');
            return record(event);
          };
          return store;
        },
      });
      const failed = await post(h.url, webhookBody(BATCH));
      expect(failed).toMatchObject({ status: 503, body: { error: 'could not store the events; retry later' } });
      expect(failed.headers.get('retry-after')).toBe('1');
      expect((await storedEvents(h.peer)).length).toBe(2);
      expect(await alertsOf(h.alerts)).toEqual([]);

      const retry = await post(h.url, webhookBody(BATCH));
      // The two stored by the failed attempt are not stored (counted) again.
      expect(retry).toMatchObject({ status: 200, body: { accepted: 11, stored: 7, duplicates: 0, ignored: 4, redelivered: 0, alerts: 4, queued: 11 } });
      expect(calls).toBe(3 + 5);
      expect((await storedEvents(h.peer)).map((e) => e.count)).toEqual(Array(7).fill(1));
      await h.intake.forwarder?.flush();
      expect((await auditSubgraphSees(h.cluster)).map(key).sort()).toEqual(BATCH.map(key).sort());
      // Alerts for events the failed attempt stored still carry their event.
      const alerts = await alertsOf(h.alerts);
      expect(alerts.every((a) => a.labels?.['stage'] === 'ResponseStarted' || a.labels?.['securityEventId'] !== undefined)).toBe(true);
    });

    it('a retry after failed alerts raises only the alerts not raised yet', async () => {
      let raised = 0;
      const h = await start({}, {
        wrapPublisher: (publisher) => {
          const real = publisher.raise.bind(publisher);
          const wrapped = new AlertPublisher(new MemoryAlertLog(), logger, systemClock);
          wrapped.raise = async (alert: NewAlert) => {
            raised += 1;
            if (raised === 3) throw new Error('alert log down');
            return real(alert);
          };
          return wrapped;
        },
      });
      const failed = await post(h.url, webhookBody(BATCH));
      expect(failed).toMatchObject({ status: 503, body: { error: 'events stored, but raising alerts failed; retry later' } });
      expect(failed.headers.get('retry-after')).toBe('1');
      expect(await alertsOf(h.alerts)).toHaveLength(2);
      const retry = await post(h.url, webhookBody(BATCH));
      expect(retry).toMatchObject({ status: 200, body: { stored: 7, duplicates: 0, alerts: 2, redelivered: 0 } });
      const alerts = await alertsOf(h.alerts);
      expect(alerts).toHaveLength(4);
      expect(new Set(alerts.map((a) => a.labels?.['auditId'])).size).toBe(4);
      expect((await storedEvents(h.peer)).map((e) => e.count)).toEqual(Array(7).fill(1));
    });

    it('a batch whose records another request is processing is answered 429, and its retry is a redelivery', async () => {
      let release = () => {};
      const gate = new Promise<void>((resolve) => (release = resolve));
      let entered = () => {};
      const inStore = new Promise<void>((resolve) => (entered = resolve));
      const h = await start({ retryAfterSeconds: 3 }, {
        wrapStore: (store) => {
          const record = store.record.bind(store);
          store.record = async (event) => {
            entered();
            await gate;
            return record(event);
          };
          return store;
        },
      });
      const first = post(h.url, webhookBody([rbacBinding]));
      await inStore;
      // A proxy timed out and sent the batch again, to another replica.
      const replica = await h.replica();
      const concurrent = await post(replica.url, webhookBody([rbacBinding, rbacBinding133]));
      expect(concurrent).toMatchObject({ status: 429, body: { error: 'records of this batch are being processed by another request; retry after 3 s' } });
      expect(concurrent.headers.get('retry-after')).toBe('3');
      release();
      expect((await first).status).toBe(200);
      expect((await post(replica.url, webhookBody([rbacBinding, rbacBinding133]))).body).toMatchObject({ stored: 1, redelivered: 1, alerts: 1 });
      expect((await storedEvents(h.peer)).map((e) => e.count)).toEqual([1, 1]);
    });

    it('an exec alerts when the session opens; its closing record, later, is stored without a second alert', async () => {
      const h = await start();
      const [opened, closed] = [minikube[5] ?? {}, minikube[7] ?? {}];
      expect((await post(h.url, webhookBody([opened]))).body).toMatchObject({ stored: 0, ignored: 1, alerts: 1 });
      expect((await post(h.url, webhookBody([closed]))).body).toMatchObject({ stored: 1, alerts: 0 });
      const [alert] = await alertsOf(h.alerts);
      expect(alert).toMatchObject({ rule: 'k8s-audit: Pod exec, attach or port-forward', labels: { stage: 'ResponseStarted' } });
      // The session was still open: no security event to point at yet.
      expect(alert?.labels?.['securityEventId']).toBeUndefined();
    });
  });

  describe('alert rules on intake', () => {
    /** The minikube log's secrets list refused with 403, as another request each time. */
    const denied = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ ...(minikube[1] ?? {}), auditID: `a02486f1-${tag}-${i}` }));

    it('API failure rate: 401/403 responses reaching the threshold within the window raise one alert per window', async () => {
      const h = await start({ rules: { apiFailureRate: { threshold: 5 } } });
      expect((await post(h.url, webhookBody(denied(4, 'a')))).body).toMatchObject({ alerts: 0 });
      h.clock.advance(MINUTE);
      expect((await post(h.url, webhookBody(denied(1, 'b')))).body).toMatchObject({ alerts: 1 });
      expect((await post(h.url, webhookBody(denied(10, 'c')))).body).toMatchObject({ alerts: 0 });
      // A redelivered batch does not count again.
      expect((await post(h.url, webhookBody(denied(10, 'c')))).body).toMatchObject({ redelivered: 10, alerts: 0 });
      expect(await alertsOf(h.alerts)).toMatchObject([
        { rule: 'k8s-audit: API failure rate', severity: 'MEDIUM', labels: { cluster: h.cluster, failures: '5', requests: '5', threshold: '5', windowSeconds: '300' } },
      ]);
      h.clock.advance(10 * MINUTE);
      expect((await post(h.url, webhookBody(denied(5, 'd')))).body).toMatchObject({ alerts: 1 });
    });

    it('silence: raised once when a cluster stops sending (once between replicas), resolved when it sends again', async () => {
      const h = await start({ rules: { silence: { minutes: 15 } } });
      await post(h.url, webhookBody([rbacBinding]));
      h.clock.advance(15 * MINUTE);
      expect(await h.intake.evaluator.checkSilence()).toBe(1);
      expect(await h.intake.evaluator.checkSilence()).toBe(0);
      const replica = await h.replica();
      expect(await replica.intake.evaluator.checkSilence()).toBe(0);
      h.clock.advance(5 * MINUTE);
      expect((await post(replica.url, webhookBody([rbacBinding133]))).body).toMatchObject({ alerts: 2 });
      const alerts = await alertsOf(h.alerts);
      expect(alerts.filter((a) => a.rule === 'k8s-audit: No audit events').map((a) => [a.severity, a.labels?.['state'], a.labels?.['cluster']])).toEqual([
        ['INFO', 'resolved', h.cluster],
        ['HIGH', 'firing', h.cluster],
      ]);
    });

    it('anonymous request allowed: alerted though it is no security event', async () => {
      const h = await start();
      const anonymous = JSON.parse(fixture('falco-trace-fixtures/anonymous_creates_namespace_foo.json')) as Record<string, unknown>;
      expect((await post(h.url, webhookBody([anonymous]))).body).toMatchObject({ stored: 0, ignored: 1, alerts: 1 });
      expect(await alertsOf(h.alerts)).toMatchObject([
        {
          rule: 'k8s-audit: Anonymous request allowed',
          severity: 'HIGH',
          title: 'Anonymous request allowed: system:anonymous create namespaces foo',
          subject: { type: 'KubeObject', cluster: h.cluster, namespace: '', kind: 'Namespace', name: 'foo' },
          labels: { user: 'system:anonymous' },
        },
      ]);
    });
  });

  describe('authentication', () => {
    it('answers 401 for a missing or wrong token, storing nothing', async () => {
      const h = await start();
      const missing = await post(h.url, webhookBody(BATCH), {});
      expect(missing).toMatchObject({ status: 401, body: { error: 'missing credentials: send a bearer token' } });
      expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="vigil"');
      for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Token ${TOKEN}`]) {
        const wrong = await post(h.url, webhookBody(BATCH), { authorization });
        expect(wrong.status, authorization).toBe(401);
        expect(JSON.stringify(wrong.body)).not.toContain(TOKEN.slice(0, 8));
      }
      expect(await storedEvents(h.peer)).toEqual([]);
      expect(await alertsOf(h.alerts)).toEqual([]);
    });

    it('accepts the token as the Basic password (a kubeconfig user with username/password)', async () => {
      const h = await start();
      const basic = Buffer.from(`kube-apiserver:${TOKEN}`).toString('base64');
      expect((await post(h.url, webhookBody([rbacBinding]), { authorization: `Basic ${basic}` })).status).toBe(200);
    });

    it('accepts an HMAC-SHA256 signature of the body instead of a token', async () => {
      const h = await start({ hmacSecret: HMAC_SECRET });
      const body = webhookBody([rbacBinding]);
      const sign = (text: string) => `sha256=${createHmac('sha256', HMAC_SECRET).update(text).digest('hex')}`;
      const signed = await post(h.url, body, { [AUDIT_SIGNATURE_HEADER]: sign(body) });
      expect(signed.status).toBe(200);
      expect(signed.body).toMatchObject({ stored: 1, alerts: 1 });

      // Signed, then compressed by a proxy: the signature covers the body as decoded.
      const compressed = await post(h.url, gzipSync(body), { [AUDIT_SIGNATURE_HEADER]: sign(body), 'content-encoding': 'gzip' });
      expect(compressed.status).toBe(200);

      const tampered = await post(h.url, body.replace('cluster-admin', 'view'), { [AUDIT_SIGNATURE_HEADER]: sign(body) });
      expect(tampered).toMatchObject({ status: 401, body: { error: 'invalid signature' } });
      const malformed = await post(h.url, body, { [AUDIT_SIGNATURE_HEADER]: 'md5=abc' });
      expect(malformed).toMatchObject({ status: 401, body: { error: `malformed ${AUDIT_SIGNATURE_HEADER}: expected sha256=<64 hex digits>` } });
      const neither = await post(h.url, body, {});
      expect(neither.body).toEqual({ error: `missing credentials: send a bearer token or an ${AUDIT_SIGNATURE_HEADER} signature` });
      // The compressed post was the same record again: a redelivery, not counted twice.
      expect(compressed.body).toMatchObject({ redelivered: 1, stored: 0 });
      expect((await storedEvents(h.peer)).map((e) => e.count)).toEqual([1]);
    });
  });

  it('answers 413 naming the limit for an oversized body, storing nothing', async () => {
    const h = await start({ maxBodyBytes: 4096 });
    const body = webhookBody(BATCH);
    expect(Buffer.byteLength(body)).toBeGreaterThan(4096);
    const answer = await post(h.url, body);
    expect(answer).toMatchObject({ status: 413, body: { error: 'body exceeds the limit of 4096 bytes' } });
    // Measured after decompression: a small gzip cannot expand past it.
    const compressed = gzipSync(body);
    expect(compressed.length).toBeLessThan(4096);
    expect((await post(h.url, compressed, { authorization: `Bearer ${TOKEN}`, 'content-encoding': 'gzip' })).status).toBe(413);
    expect(await storedEvents(h.peer)).toEqual([]);
  });

  it.each([
    ['a bad item anywhere', webhookBody([...BATCH.slice(0, 3), { ...rbacBinding, stage: 'Done' }, ...BATCH.slice(3)]), 'items[3].stage must be one of RequestReceived, ResponseStarted, ResponseComplete, Panic'],
    ['not JSON', '{"kind":"EventList","items":[', 'body is not JSON'],
    ['a single Event', JSON.stringify(rbacBinding133), 'body is a single audit Event: the webhook sends an EventList ({"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[...]})'],
  ])('answers 400 naming the problem for %s: nothing stored, alerted or forwarded', async (_what, body, reason) => {
    const h = await start();
    const answer = await post(h.url, body);
    expect(answer).toMatchObject({ status: 400, body: { error: reason } });
    expect(await storedEvents(h.peer)).toEqual([]);
    expect(await alertsOf(h.alerts)).toEqual([]);
    expect(h.intake.forwarder?.stats().buffered).toBe(0);
  });

  it('answers 415 for a body that is not JSON by its Content-Type', async () => {
    const h = await start();
    const answer = await post(h.url, webhookBody(BATCH), { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' });
    expect(answer).toMatchObject({ status: 415, body: { error: 'unsupported Content-Type "text/plain": send application/json' } });
  });

  it('answers 429 with Retry-After while maxInFlight batches are being processed', async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered = () => {};
    const inStore = new Promise<void>((resolve) => (entered = resolve));
    const h = await start(
      { maxInFlight: 1, retryAfterSeconds: 2 },
      {
        wrapStore: (store) => {
          // A slow store: the first batch holds its slot until released.
          const record = store.record.bind(store);
          store.record = async (event) => {
            entered();
            await gate;
            return record(event);
          };
          return store;
        },
      },
    );
    const first = post(h.url, webhookBody([rbacBinding]));
    await inStore;
    const second = await post(h.url, webhookBody([rbacBinding133]));
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('2');
    expect(second.body).toEqual({ error: 'too many requests in progress (limit 1); retry after 2 s' });
    release();
    expect((await first).status).toBe(200);
    // The slot is free again.
    expect((await post(h.url, webhookBody([rbacBinding133]))).status).toBe(200);
    expect((await storedEvents(h.peer)).length).toBe(2);
  });

  it('answers 422 naming the record, its time and the window for a batch holding a security event older than retention: nothing stored, alerted or forwarded', async () => {
    const h = await start({}, { retentionDays: 30 });
    const recent = (event: Record<string, unknown>, daysAgo: number) => {
      const at = new Date(STORE_NOW.getTime() - daysAgo * 86_400_000).toISOString();
      return { ...event, requestReceivedTimestamp: at, stageTimestamp: at };
    };
    // rbacBinding133 (item 2) is from 2025-10-09: 84 days before STORE_NOW.
    const answer = await post(h.url, webhookBody([recent(rbacBinding, 1), rbacBinding133, recent(userSecretGet, 2)]));
    expect(answer.status).toBe(422);
    expect(answer.body).toEqual({
      error:
        'item 2 (auditID 31416919-e3a2-4a39-bd0b-1f6ee055a0a8) occurred at 2025-10-09T01:22:42.079Z, outside the retention window of 30 days ' +
        '(events after 2025-12-02T00:00:00.000Z are kept): it would expire at once, so nothing of this body was stored',
    });
    expect(await storedEvents(h.peer)).toEqual([]);
    expect(await alertsOf(h.alerts)).toEqual([]);
    expect(h.intake.forwarder?.stats().buffered).toBe(0);
    // Within the window: stored, and the refused batch's records were not claimed (a fixed resend is not a redelivery).
    const fixed = await post(h.url, webhookBody([recent(rbacBinding, 1), recent(rbacBinding133, 3), recent(userSecretGet, 2)]));
    expect(fixed).toMatchObject({ status: 200, body: { stored: 3, redelivered: 0 } });
    expect((await storedEvents(h.peer)).map((e) => e.count)).toEqual([1, 1, 1]);
  });

  it('decodes a body in the charset its Content-Type declares (UTF-16, ISO-8859-1) and answers 415 for one it does not know', async () => {
    const h = await start();
    const person = { ...userSecretGet, user: { username: 'zoë@exämple.com', groups: ['system:authenticated'] } };
    const body = webhookBody([person]);
    const answer = await post(h.url, Buffer.from(body, 'utf16le'), { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json; charset=utf-16le' });
    expect(answer).toMatchObject({ status: 200, body: { stored: 1 } });
    const again = await post(h.url, Buffer.from(body, 'latin1'), { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json;charset=ISO-8859-1' });
    expect(again).toMatchObject({ status: 200, body: { redelivered: 1 } });
    const [event] = await h.peer.forIdentities(['zoë@exämple.com'], 5);
    expect(event?.map((e) => e.eventType)).toEqual(['Secret read']);
    const unknown = await post(h.url, body, { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json; charset=shift_jis' });
    expect(unknown).toMatchObject({ status: 415, body: { error: 'unsupported charset "shift_jis" in Content-Type: send UTF-8 (UTF-16 and ISO-8859-1 are decoded too)' } });
  });

  it('refuses a 100,000-deep requestObject with a 400 naming the depth limit, without parsing it', async () => {
    const h = await start({ maxBodyBytes: 1024 * 1024 });
    const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    const body = webhookBody([{ ...rbacBinding, requestObject: '__DEEP__' }]).replace('"__DEEP__"', deep);
    const answer = await post(h.url, body);
    expect(answer.status).toBe(400);
    expect((answer.body as { error: string }).error).toMatch(/^body nests objects and arrays more than 64 levels deep \(level 65 at character \d+\): refused before parsing$/);
    expect(await storedEvents(h.peer)).toEqual([]);
  });

  it('answers 503, not 2xx, when the store fails, and forwards nothing (the retry will)', async () => {
    const h = await start({}, {
      wrapStore: (store) => {
        store.record = async () => {
          throw new Error('redis down');
        };
        return store;
      },
    });
    const answer = await post(h.url, webhookBody(BATCH));
    expect(answer).toMatchObject({ status: 503, body: { error: 'could not store the events; retry later' } });
    // The API server's webhook retries a 503 only when it carries Retry-After (apiserver DefaultShouldRetry).
    expect(answer.headers.get('retry-after')).toBe('1');
    expect(await alertsOf(h.alerts)).toEqual([]);
    expect(h.intake.forwarder?.stats().buffered).toBe(0);
  });
});

describe('forwarding to VictoriaLogs', () => {
  it('sends every record of the batch (all stages) through /insert/jsonline, queryable by the audit subgraph', async () => {
    const h = await start();
    await post(h.url, webhookBody(BATCH));
    await h.intake.forwarder?.flush();
    expect(h.intake.forwarder?.stats()).toMatchObject({ buffered: 0, forwarded: 11, dropped: 0 });

    const seen = await auditSubgraphSees(h.cluster);
    expect(seen.map(key).sort()).toEqual(BATCH.map(key).sort());
    const exec = seen.filter((e) => e.auditId === '927fcde7-74e5-4a57-af53-dceacefaf47c');
    expect(exec.map((e) => [e.stage, e.time, e.responseCode])).toEqual([
      ['ResponseComplete', '2024-10-29T12:22:19.873022Z', 101],
      ['ResponseStarted', '2024-10-29T12:21:44.214173Z', 101],
    ]);
    // The pre-v1 (2018, no apiVersion) record too, with the fields the audit subgraph filters on.
    const byUser = await new VictoriaLogsAuditLogSource(vlClient).search({ clusters: [h.cluster], users: ['minikube-user'], verbs: ['create'] }, { first: 10 });
    expect(byUser.events).toMatchObject([
      { auditId: 'c97244c7-4aec-4714-946a-8204d00ecdca', resource: 'clusterrolebindings', name: 'some-reader-binding', cluster: h.cluster, decision: 'allow' },
    ]);

    // Stored by the shared convention: timed by stageTimestamp, requestURI as _msg, cluster in the stream, no bodies.
    const rows = await vlClient.query(`cluster:=${JSON.stringify(h.cluster)} "auditID":="c59d6a7c-1e07-43cb-8bf6-4d41a9c98ddb"`, { limit: 10 });
    expect(rows).toMatchObject([
      { _time: '2024-10-29T12:22:15.864166Z', _msg: '/api/v1/namespaces/wareville/secrets/pull-creds', _stream: `{cluster="${h.cluster}",stage="ResponseComplete",verb="get"}` },
    ]);
    expect(JSON.stringify(rows)).not.toContain('dockerconfigjson');
  });

  it('flushes a partial batch after flushMs, and a full one at once', async () => {
    const timed = await start({ forward: { flushMs: 50 } });
    await post(timed.url, webhookBody([rbacBinding]));
    const arrived = await eventually(() => auditSubgraphSees(timed.cluster), (events) => events.length === 1);
    expect(arrived.map((e) => e.auditId)).toEqual(['c97244c7-4aec-4714-946a-8204d00ecdca']);

    const sized = await start({ forward: { batchSize: 4 } }); // flushMs stays 60 s
    await post(sized.url, webhookBody(minikube.slice(0, 5)));
    const full = await eventually(() => auditSubgraphSees(sized.cluster), (events) => events.length >= 4);
    expect(full).toHaveLength(4);
    expect(sized.intake.forwarder?.stats()).toMatchObject({ buffered: 1, forwarded: 4 });
    await sized.intake.stop();
    expect(await auditSubgraphSees(sized.cluster)).toHaveLength(5);
  });

  it('writes to the tenant it is configured for, and takes what VictoriaLogs rejects as permanent', async () => {
    const cluster = `c-${randomUUID().slice(0, 8)}`;
    const tenant = { accountId: 3, projectId: 4 };
    const sink = new VictoriaLogsJsonLineSink({ baseUrl: victoriaLogs.url, timeoutMs: 5_000, tenant });
    await sink.ingest([rbacBinding], auditIngestParams({ cluster }));
    await victoriaLogs.flush();
    const inTenant = await new VictoriaLogsAuditLogSource(vlClient.forTenant(tenant)).search({ clusters: [cluster] }, { first: 10 });
    expect(inTenant.events.map(key)).toEqual([key(rbacBinding)]);
    expect(await auditSubgraphSees(cluster)).toEqual([]);

    // VictoriaLogs answers 400 when no line of a request can be stored: resending cannot help.
    const failure = await sink.ingest([{ ...rbacBinding, stageTimestamp: 'yesterday' }], auditIngestParams({ cluster })).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ForwardError);
    expect(failure).toMatchObject({ permanent: true, message: expect.stringMatching(/^VictoriaLogs answered HTTP 400: cannot process jsonline request; .*cannot parse timestamp/) });
  });

  it('keeps the webhook answering while VictoriaLogs is unreachable, holding the records for a retry', async () => {
    const h = await start({ forward: { victoriaLogsUrl: 'http://127.0.0.1:9/' } });
    const answer = await post(h.url, webhookBody([rbacBinding]));
    // Security events do not wait for forwarding.
    expect(answer).toMatchObject({ status: 200, body: { stored: 1, queued: 1 } });
    await h.intake.forwarder?.flush();
    expect(h.intake.forwarder?.stats()).toMatchObject({ buffered: 1, forwarded: 0, consecutiveFailures: 1 });
  });
});
