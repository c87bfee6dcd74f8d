import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAlertLog } from '@vigil/lib/alerts/memory-alert-log';
import { AlertPublisher } from '@vigil/lib/alerts/publisher';
import type { Alert } from '@vigil/lib/alerts/alert';
import { auditEventSchema, type AuditEvent } from '@vigil/lib/k8s-audit/audit-event';
import { auditDetails } from '@vigil/lib/k8s-audit/details';
import { requestRuleAlert } from '@vigil/lib/k8s-audit/rule-alerts';
import { matchRequestRules } from '@vigil/lib/k8s-audit/rules';
import { createLogger } from '@vigil/lib/logger';
import { createServiceRegistry } from '@vigil/lib/metrics';
import type { SharedServices } from '@vigil/lib/shared-services';
import { startRedisServer, type RedisServer } from '../../../test/support/redis-server.js';
import { startVictoriaLogs, type VictoriaLogsServer } from '../../../test/support/victorialogs.js';
import { auditConfig } from '../src/config.js';
import { createLiveRules, type LiveRules } from '../src/live-rules.js';
import { VictoriaLogsClient, type VictoriaLogsTenant } from '../src/sources/victorialogs/client.js';
import { shipLikeFluentBit } from './fluent-bit-shipper.js';

// The audit alert rules fed from a VictoriaLogs live tail (`/select/logsql/tail`), for audit logs that
// reach VictoriaLogs without Vigil's webhook: records shipped exactly as the Talos policy's Fluent Bit
// pipeline does (deploy/integrations/fluent-bit/existing-pipeline.conf: JSON lines, `date` first, gzip,
// `_stream_fields=stream,namespace,pod&_time_field=date`, AccountID/ProjectID headers), read in the
// layout existing-pipeline-vigil.yaml documents. Real VictoriaLogs, real Redis (checkpoint, ledger, rule
// state). Times: VictoriaLogs' tail windows run on its own clock (a static Go binary, untouched by
// faketime), so records are stamped from its `Date` header; the rules' holds and silence run on the
// injected clock below.

const STREAM = 'audit.kube-apiserver';
const TENANT_A: VictoriaLogsTenant = { accountId: 21, projectId: 0 };
const TENANT_B: VictoriaLogsTenant = { accountId: 22, projectId: 0 };
// One fresh tenant per later test: a tail without a checkpoint also reads the last few seconds before it
// started (VictoriaLogs' tail looks back 5 s at each refresh), which would otherwise include the records
// an earlier test shipped.
const TENANT_C: VictoriaLogsTenant = { accountId: 23, projectId: 0 };
const TENANT_D: VictoriaLogsTenant = { accountId: 24, projectId: 7 };
const TENANT_E: VictoriaLogsTenant = { accountId: 25, projectId: 0 };
const TENANT_F: VictoriaLogsTenant = { accountId: 26, projectId: 0 };
const CLUSTER = 'prod';
const FAILURE_THRESHOLD = 5;

const integrations = (file: string) => readFileSync(fileURLToPath(new URL(`../../../deploy/integrations/fluent-bit/${file}`, import.meta.url)), 'utf8');
const URI = /^\s+URI\s+(\S+)$/m.exec(integrations('existing-pipeline.conf'))?.[1] ?? '';
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const minikube = fixture('audit-log_minikube_k8s-1.29.jsonl')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Record<string, unknown>);
const at = (index: number) => structuredClone(minikube[index] ?? {});

let victoriaLogs: VictoriaLogsServer;
let redis: RedisServer;
/** VictoriaLogs' clock at `started` (performance.now()): every record's time derives from it. */
let serverBaseMs = 0;
let started = 0;
let lastDateNs = 0n;
const serverNowMs = () => serverBaseMs + (performance.now() - started);
/** The rules' clock (holds, silence cutoff, ledger leases): VictoriaLogs' clock unless a test moves it. */
let clockOffsetMs = 0;
const clock = () => new Date(serverNowMs() + clockOffsetMs);

beforeAll(async () => {
  expect(URI).toBe('/insert/jsonline?_stream_fields=stream,namespace,pod&_time_field=date');
  [victoriaLogs, redis] = await Promise.all([startVictoriaLogs(), startRedisServer()]);
  serverBaseMs = (await new VictoriaLogsClient({ baseUrl: victoriaLogs.url, timeoutMs: 5_000 }).serverTimeMs()) ?? Date.now();
  started = performance.now();
}, 60_000);

afterAll(async () => {
  await Promise.all([victoriaLogs?.stop(), redis?.stop()]);
});

const running: LiveRules[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((live) => live.stop()));
  clockOffsetMs = 0;
});

/** The API server's MicroTime: six fractional digits. */
function microTime(ms: number, extraMicros = 0): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 23)}${String(extraMicros).padStart(3, '0')}Z`;
}

/** A copy of a real record as a new request (its own auditID), written now by VictoriaLogs' clock. */
function request(template: Record<string, unknown>, changes: Record<string, unknown> = {}): AuditEvent {
  const nowMs = Math.floor(serverNowMs());
  const record = { ...template, auditID: randomUUID(), requestReceivedTimestamp: microTime(nowMs - 20, 111), stageTimestamp: microTime(nowMs, 222), ...changes };
  return auditEventSchema.parse(record);
}

/** Ships records to a tenant as the policy's Fluent Bit pipeline does; `date` (read time) strictly increasing. */
async function ship(tenant: VictoriaLogsTenant, events: readonly AuditEvent[]): Promise<void> {
  const entries = events.map((event) => {
    const readNs = BigInt(Math.floor(serverNowMs())) * 1_000_000n + 300_000n;
    lastDateNs = readNs > lastDateNs ? readNs : lastDateNs + 1_000n;
    return { record: event as Record<string, unknown>, readAtNanos: lastDateNs };
  });
  await shipLikeFluentBit(victoriaLogs.url, entries, {
    uri: URI,
    headers: { AccountID: String(tenant.accountId), ProjectID: String(tenant.projectId) },
    add: { stream: STREAM, cluster: CLUSTER },
  });
  await victoriaLogs.flush();
}

type Harness = { live: LiveRules; alerts: () => Promise<Alert[]>; logs: () => Record<string, unknown>[] };

/** Starts the live rules for `tenants`, as `audit.liveRules` in vigil.yaml, against the shared Redis under `namespace`. */
function startLive(options: { tenants: VictoriaLogsTenant[]; namespace: string; alertLog?: MemoryAlertLog }): Harness {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger('test', { level: 'debug' }, sink);
  const alertLog = options.alertLog ?? new MemoryAlertLog({ maxLength: 10_000 });
  const shared: SharedServices = {
    logger,
    publisher: new AlertPublisher(alertLog, logger, clock),
    redisUrl: redis.url,
    namespace: options.namespace,
    clock,
    metrics: createServiceRegistry(),
  };
  const config = auditConfig.parse({
    victoriaLogs: {
      url: victoriaLogs.url,
      accountId: TENANT_A.accountId,
      // existing-pipeline-vigil.yaml's layout, for both tenants.
      layout: { streamFilter: { stream: STREAM }, time: 'stageTimestamp', cluster: { field: 'cluster' } },
      tenantLayouts: [{ accountId: TENANT_B.accountId, layout: { streamFilter: { stream: STREAM }, time: 'stageTimestamp', cluster: { field: 'cluster' } } }],
    },
    liveRules: {
      enabled: true,
      tenants: options.tenants,
      offsetSeconds: 2,
      refreshIntervalSeconds: 1,
      backoff: { initialMs: 100, maxMs: 500 },
      rules: { apiFailureRate: { threshold: FAILURE_THRESHOLD } },
    },
  });
  const live = createLiveRules({ config, shared, clusterName: 'own-cluster' });
  if (!live) throw new Error('liveRules not created');
  live.start();
  running.push(live);
  return { live, alerts: async () => (await alertLog.listNewestFirst({ limit: 10_000 })).reverse(), logs: () => lines };
}

async function waitFor<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value).slice(0, 2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** What the webhook intake raises for the same record when it has no stored security event (rules.ts, rule-alerts.ts). */
function webhookAlerts(event: AuditEvent) {
  const input = { cluster: CLUSTER, details: auditDetails(event) };
  return matchRequestRules(input, auditConfig.parse({}).liveRules.rules).map((match) => requestRuleAlert(match, input, null));
}

const withoutIdentity = (alert: Alert) => {
  const { id: _id, raisedAt: _raisedAt, ...rest } = alert;
  return rest;
};
const ruleOf = (alert: Alert) => alert.labels?.['auditRule'];
const auditIdOf = (alert: Alert) => alert.labels?.['auditId'];

describe('audit live rules on a VictoriaLogs tail (Fluent Bit layout)', () => {
  it("raises each rule's alert, as the webhook would, from tenant A's records only", async () => {
    const { live, alerts } = startLive({ tenants: [TENANT_A], namespace: `t-${randomUUID().slice(0, 8)}` });
    const secretRead = request(at(6), { user: { username: 'alice', groups: ['system:authenticated'] } });
    const serviceAccountSecretRead = request(at(6));
    const rbac = request(JSON.parse(fixture('event_clusterrolebinding_create_k8s-1.33.json')) as Record<string, unknown>);
    const execStarted = request(at(5));
    const execComplete = request(at(7), { auditID: execStarted.auditID, requestReceivedTimestamp: execStarted.requestReceivedTimestamp });
    const anonymous = request(at(4), {
      user: { username: 'system:anonymous', groups: ['system:unauthenticated'] },
      annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC: allowed by ClusterRoleBinding "oops"' },
    });
    const forbidden = Array.from({ length: FAILURE_THRESHOLD }, () => request(at(3)));
    // Tenant B: the same kinds of records, which A's tail must never see.
    const other = [request(at(6), { user: { username: 'mallory', groups: [] } }), request(at(5)), ...Array.from({ length: FAILURE_THRESHOLD }, () => request(at(3)))];
    await ship(TENANT_B, other);
    await ship(TENANT_A, [secretRead, serviceAccountSecretRead, rbac, execStarted]);
    await ship(TENANT_A, [execComplete, anonymous, ...forbidden]);

    const raised = await waitFor('five rules', alerts, (list) => new Set(list.map(ruleOf)).size >= 5);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const final = await alerts();
    expect(final.map(ruleOf).sort()).toEqual(['anonymousAllowed', 'apiFailureRate', 'podExec', 'rbacChange', 'secretReadByPerson']);
    expect(raised.length).toBeLessThanOrEqual(final.length);
    // Same subject, title, description and labels as the webhook's alert for the same record.
    for (const event of [secretRead, rbac, execStarted, anonymous]) {
      const expected = webhookAlerts(event);
      expect(expected).toHaveLength(1);
      const got = final.filter((alert) => auditIdOf(alert) === event.auditID).map(withoutIdentity);
      expect(got).toEqual(expected);
    }
    const rate = final.find((alert) => ruleOf(alert) === 'apiFailureRate');
    expect(rate?.labels).toMatchObject({ cluster: CLUSTER, failures: String(FAILURE_THRESHOLD), threshold: String(FAILURE_THRESHOLD) });
    const otherIds = new Set(other.map((event) => event.auditID));
    expect(final.filter((alert) => otherIds.has(auditIdOf(alert) ?? ''))).toEqual([]);
    expect(live.followers[0]?.query).toBe('{"stream"="audit.kube-apiserver"} AND "auditID":*');

    // Silence: nothing from the cluster for silence.minutes (10) by the injected clock.
    clockOffsetMs = 11 * 60_000;
    expect(await live.evaluators[0]?.checkSilence()).toBe(1);
    const silence = (await alerts()).filter((alert) => ruleOf(alert) === 'silence');
    expect(silence.map((alert) => alert.labels?.['cluster'])).toEqual([CLUSTER]);
    expect(silence[0]?.labels?.['state']).toBe('firing');
  }, 90_000);

  it("a tenant's tail raises its own alerts and none of another tenant's", async () => {
    const { alerts } = startLive({ tenants: [TENANT_D], namespace: `t-${randomUUID().slice(0, 8)}` });
    const mine = request(at(6), { user: { username: 'bob', groups: [] } });
    const theirs = request(at(6), { user: { username: 'carol', groups: [] } });
    await ship(TENANT_E, [theirs]);
    await ship(TENANT_D, [mine]);
    await waitFor('B alert', alerts, (list) => list.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await alerts()).map(auditIdOf)).toEqual([mine.auditID]);
  }, 60_000);

  it('a follower stopped mid-stream and started again (a restart) misses nothing and repeats nothing', async () => {
    const namespace = `t-${randomUUID().slice(0, 8)}`;
    const alertLog = new MemoryAlertLog({ maxLength: 10_000 });
    const first = startLive({ tenants: [TENANT_C], namespace, alertLog });
    const people = (n: number, tag: string) => Array.from({ length: n }, (_, i) => request(at(6), { user: { username: `${tag}-${String(i)}`, groups: [] } }));
    const before = people(20, 'before');
    const during = people(20, 'during');
    const after = people(20, 'after');
    // Shipped in several flushes; the follower is stopped once it has raised some of them, mid-stream.
    const shipping = (async () => {
      for (let i = 0; i < before.length; i += 4) {
        await ship(TENANT_C, before.slice(i, i + 4));
        await new Promise((resolve) => setTimeout(resolve, 400));
      }
    })();
    await waitFor('some alerts', first.alerts, (list) => list.length >= 4);
    await first.live.stop();
    await shipping;
    await ship(TENANT_C, during);
    // Down longer than a fresh tail looks back (5 s + offset): only the checkpoint in Redis can bridge it.
    await new Promise((resolve) => setTimeout(resolve, 9_000));
    const second = startLive({ tenants: [TENANT_C], namespace, alertLog });
    await ship(TENANT_C, after);
    const expected = [...before, ...during, ...after].map((event) => event.auditID);
    await waitFor('every alert', second.alerts, (list) => list.length >= expected.length, 45_000);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const ids = (await second.alerts()).map(auditIdOf);
    expect(ids).toHaveLength(expected.length);
    expect(new Set(ids)).toEqual(new Set(expected));
  }, 120_000);

  it('VictoriaLogs stopped and started again: one warning naming the URL, then it resumes where it stopped', async () => {
    const namespace = `t-${randomUUID().slice(0, 8)}`;
    const { alerts, logs } = startLive({ tenants: [TENANT_F], namespace });
    const first = request(at(6), { user: { username: 'dave', groups: [] } });
    await ship(TENANT_F, [first]);
    await waitFor('first alert', alerts, (list) => list.length >= 1);
    await victoriaLogs.kill();
    // Several reconnect attempts (backoff 100-500 ms) while it is down.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await victoriaLogs.start();
    const second = request(at(6), { user: { username: 'erin', groups: [] } });
    await ship(TENANT_F, [second]);
    await waitFor('second alert', alerts, (list) => list.length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await alerts()).map(auditIdOf)).toEqual([first.auditID, second.auditID]);
    const warnings = logs().filter((line) => String(line['msg']).includes('live tail unavailable'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.['url']).toBe(`${victoriaLogs.url}/`);
    expect(logs().filter((line) => String(line['msg']).includes('live tail is back'))).toHaveLength(1);
  }, 90_000);
});
