import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertPublisher } from '@vigil/lib/alerts/publisher';
import { systemClock } from '@vigil/lib/clock';
import { parseEntry, RedisAlertLog, type StreamEntry } from '@vigil/lib/alerts/redis-alert-log';
import { createLogger } from '@vigil/lib/logger';
import { terminate } from './support/child-process.js';
import { cleanEnv } from './support/clean-env.js';
import { freePort } from './support/free-port.js';
import { waitFor } from './support/wait-for.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { startRoundRobinProxy, type RoundRobinProxy } from './support/round-robin-proxy.js';

/**
 * Scale-out on one Redis, as the per-service layout runs it (each service its own process, the real
 * entry points): two alerts-subgraph replicas behind one round-robin address (a Kubernetes Service),
 * two gateway processes in front of it, the cluster subgraph taking Falco events, and graphql-ws
 * subscribers spread over both gateways, sharing documents and not. Both replicas run the
 * correlation engine with their default consumer names. Every subscriber must see every alert of
 * the log exactly once, in log order — also after one replica is killed mid-stream and the
 * subscribers it served resume with `after:` — and each correlation pair is raised once.
 */

const root = fileURLToPath(new URL('../', import.meta.url));
const FALCO_FIXTURE = join(root, 'gateway/test/fixtures/terminal_shell_in_container.json');
const CLUSTER = 'scale-out';
const PER_PHASE = 12;
const PAIRS_PER_PHASE = 6;
const RULE = 'shell-then-audit';
const STREAM = 'vigil:alerts:alerts';

// `after` is a variable of both documents, so a subscriber that resumes sends the same document.
const DOC_A = 'subscription ScaleA($after: ID) { alertRaised(after: $after) { id title source } }';
const DOC_B = 'subscription ScaleB($after: ID) { alertRaised(after: $after) { id title severity source } }';

interface Service {
  name: string;
  child: ChildProcess;
  port: number;
  stderr: () => string;
}

const services: Service[] = [];
let redis: RedisServer;
let reader: Redis;
let proxy: RoundRobinProxy;
let tmp: string;
const secrets = { signing: randomBytes(32).toString('hex'), jwt: randomBytes(32).toString('hex'), falco: randomBytes(16).toString('hex'), audit: randomBytes(16).toString('hex') };

async function startService(name: string, entry: string, env: Record<string, string>): Promise<Service> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: root,
    env: cleanEnv({ VIGIL_ENV: 'production', VIGIL_LOG_LEVEL: 'warn', REDIS_URL: redis.url, VIGIL_SIGNING_SECRET: secrets.signing, VIGIL_PORT: String(port), ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Both streams: the JSON log (warn and above) is on stdout, start-up failures on stderr.
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const service = { name, child, port, stderr: () => stderr };
  services.push(service);
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited ${child.exitCode}: ${stderr}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return service;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} did not answer /healthz within 90 s: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function token(subject: string, roles: string[]): Promise<string> {
  return new SignJWT({ roles }).setProtectedHeader({ alg: 'HS256' }).setSubject(subject).setIssuedAt().setExpirationTime('15m').sign(new TextEncoder().encode(secrets.jwt));
}

/**
 * One graphql-ws client with one subscription that, like a real dashboard, resubscribes with
 * `after: <last id received>` whenever its subscription ends (an error or a completion).
 */
class ResumingSubscriber {
  readonly ids: string[] = [];
  readonly titles: string[] = [];
  readonly ends: string[] = [];
  private readonly client: Client;
  private disposed = false;
  private unsubscribe: () => void = () => undefined;

  constructor(
    readonly name: string,
    wsUrl: string,
    bearer: string,
    private readonly query: string,
    private readonly firstAfter: string | undefined,
  ) {
    this.client = createClient({ url: wsUrl, connectionParams: { authorization: `Bearer ${bearer}` }, lazy: false, retryAttempts: 20, onNonLazyError: () => undefined });
    this.subscribe(firstAfter);
  }

  private subscribe(after: string | undefined): void {
    this.unsubscribe = this.client.subscribe(
      { query: this.query, variables: after === undefined ? {} : { after } },
      {
        next: (value) => {
          const alert = (value.data as { alertRaised?: { id: string; title: string } } | null | undefined)?.alertRaised;
          if (alert) {
            this.ids.push(alert.id);
            this.titles.push(alert.title);
          }
          if (value.errors) this.ends.push(`errors: ${JSON.stringify(value.errors)}`);
        },
        error: (error) => this.resume(`error: ${error instanceof Error ? error.message : JSON.stringify(error)}`),
        complete: () => this.resume('complete'),
      },
    );
  }

  private resume(why: string): void {
    if (this.disposed) return;
    this.ends.push(why);
    setTimeout(() => {
      if (!this.disposed) this.subscribe(this.ids.at(-1) ?? this.firstAfter);
    }, 200);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.unsubscribe();
    await this.client.dispose();
  }
}

async function postFalco(clusterPort: number, namespace: string, command: string): Promise<void> {
  const template = JSON.parse(readFileSync(FALCO_FIXTURE, 'utf8')) as { output_fields: Record<string, unknown> } & Record<string, unknown>;
  const event = { ...template, time: new Date().toISOString(), output_fields: { ...template.output_fields, 'k8s.ns.name': namespace, 'k8s.pod.name': 'web', 'proc.cmdline': command } };
  const response = await fetch(`http://127.0.0.1:${clusterPort}/ingest/falco`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secrets.falco}` },
    body: JSON.stringify(event),
  });
  if (response.status !== 202) throw new Error(`Falco intake answered ${response.status}: ${await response.text()}`);
}

/** The raised alerts of the log, oldest first (changes skipped), as the source of truth. */
async function logAlerts(): Promise<{ id: string; source: string; title: string; labels: Record<string, string> }[]> {
  const entries = (await reader.xrange(STREAM, '-', '+')) as StreamEntry[];
  return entries.map(parseEntry).flatMap((event) => (event.type === 'raised' ? [{ id: event.alert.id, source: event.alert.source, title: event.alert.title, labels: event.alert.labels ?? {} }] : []));
}

describe('scale-out: two gateways, two alerts replicas, one Redis', () => {
  let replicas: Service[];
  let gateways: Service[];
  let cluster: Service;
  let publisher: AlertPublisher;
  let auditLog: RedisAlertLog;

  beforeAll(async () => {
    redis = await startRedisServer();
    reader = new Redis(redis.url);
    tmp = mkdtempSync(join(tmpdir(), 'vigil-scale-out-'));
    // A correlation rule both replicas evaluate: a Falco shell and an AUDIT alert in one namespace.
    const config = join(tmp, 'vigil.yaml');
    writeFileSync(
      config,
      JSON.stringify({
        alerts: {
          correlation: {
            rules: [{ name: RULE, title: 'Shell then audit', windowSeconds: 3600, order: 'any', joinOn: 'namespace', first: { hasLabels: ['falcoPriority'] }, second: { sources: ['AUDIT'], rules: ['scale-out-audit'] } }],
          },
        },
      }),
    );
    const alertsPorts = await Promise.all([freePort(), freePort()]);
    replicas = await Promise.all(
      alertsPorts.map((_, i) => startService(`alerts-${i}`, 'subgraphs/alerts/src/index.ts', { VIGIL_CONFIG: config })),
    );
    proxy = await startRoundRobinProxy(replicas.map((r) => r.port));
    cluster = await startService('cluster', 'subgraphs/cluster/src/index.ts', { VIGIL_CLUSTER_NAME: CLUSTER, VIGIL_FALCO_TOKEN: secrets.falco, VIGIL_AUDIT_WEBHOOK_TOKEN: secrets.audit });
    const closed = `http://127.0.0.1:${await freePort()}/graphql`;
    gateways = await Promise.all(
      [0, 1].map((i) =>
        startService(`gateway-${i}`, 'gateway/src/index.ts', {
          VIGIL_JWT_SECRET: secrets.jwt,
          VIGIL_ALERTS_URL: `http://127.0.0.1:${proxy.port}/graphql`,
          VIGIL_CLUSTER_URL: `http://127.0.0.1:${cluster.port}/graphql`,
          VIGIL_HOSTS_URL: closed,
          VIGIL_AUDIT_URL: closed,
          VIGIL_COMPLIANCE_URL: closed,
        }),
      ),
    );
    // The AUDIT parts come from a publisher in this process: one more writer on the same stream.
    const logger = createLogger('scale-out-test', { level: 'silent' });
    auditLog = new RedisAlertLog(new Redis(redis.url), new Redis(redis.url), { prefix: 'vigil:alerts:', maxLength: 100_000, logger, ownsConnection: true });
    publisher = new AlertPublisher(auditLog, logger, systemClock);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => terminate(s.child)));
    await proxy?.close();
    await auditLog?.close();
    reader?.disconnect();
    await redis?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  async function raiseAuditPart(namespace: string): Promise<void> {
    await publisher.raise({
      source: 'AUDIT',
      severity: 'HIGH',
      rule: 'scale-out-audit',
      title: `audit ${namespace}`,
      // As the audit rules raise theirs: the time of the audit event.
      occurredAt: new Date().toISOString(),
      subject: { type: 'KubeObject', cluster: CLUSTER, namespace, kind: 'Pod', name: 'web', displayName: `${namespace}/web` },
    });
  }

  async function publishPhase(phase: number): Promise<void> {
    for (let i = 0; i < PER_PHASE; i++) {
      const namespace = `ns-${phase}-${i}`;
      await postFalco(cluster.port, namespace, `sh -c phase-${phase}-${i}`);
      if (i < PAIRS_PER_PHASE) await raiseAuditPart(namespace);
    }
  }

  const correlations = async () => (await logAlerts()).filter((a) => a.source === 'CORRELATION');

  it('an acknowledgement through one gateway is seen through the other, whichever replica answers', async () => {
    const analyst = await token('analyst-2', ['analyst']);
    const call = async (gateway: Service, query: string, variables: Record<string, unknown>) => {
      const response = await fetch(`http://127.0.0.1:${gateway.port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${analyst}` },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as { data?: Record<string, { acknowledged: { by: string } | null } | null>; errors?: unknown[] };
    };
    await postFalco(cluster.port, 'ack', 'sh -c ack');
    await waitFor(async () => (await logAlerts()).length > 0, 'an alert to acknowledge', 30_000);
    const id = (await logAlerts()).at(-1)?.id ?? '';
    const acked = await call(gateways[0] as Service, 'mutation ($id: ID!) { acknowledgeAlert(id: $id, comment: "scale-out") { acknowledged { by } } }', { id });
    expect(acked.errors).toBeUndefined();
    for (let i = 0; i < 4; i++) {
      const read = await call(gateways[i % 2] as Service, 'query ($id: ID!) { alert(id: $id) { acknowledged { by } } }', { id });
      expect(read.data?.['alert']?.acknowledged?.by).toBe('analyst-2');
    }
  }, 60_000);

  it('every subscriber gets every alert once, in order, on either gateway, through a replica kill; each pair correlates once', async () => {
    const [viewer, analyst] = await Promise.all([token('viewer-1', ['viewer']), token('analyst-1', ['analyst'])]);
    // A marker, so the cursor subscribers have a place to start from.
    const earlier = (await logAlerts()).length;
    await postFalco(cluster.port, 'marker', 'sh -c marker');
    await waitFor(async () => (await logAlerts()).length > earlier, 'the marker in the log', 30_000);
    const marker = (await logAlerts())[earlier]?.id ?? '';

    const subscribers: ResumingSubscriber[] = [];
    gateways.forEach((gateway, g) => {
      const ws = `ws://127.0.0.1:${gateway.port}/graphql`;
      // Shared: three viewers with one document (one upstream per gateway); not shared: another role,
      // and a second document with a cursor.
      for (let i = 0; i < 3; i++) subscribers.push(new ResumingSubscriber(`g${g}-A-viewer-${i}`, ws, viewer, DOC_A, undefined));
      subscribers.push(new ResumingSubscriber(`g${g}-A-analyst`, ws, analyst, DOC_A, undefined));
      for (let i = 0; i < 2; i++) subscribers.push(new ResumingSubscriber(`g${g}-B-viewer-${i}`, ws, viewer, DOC_B, marker));
    });
    try {
      // Live subscribers are live once a probe reaches them.
      for (let probe = 0; subscribers.some((s) => s.ids.length === 0); probe++) {
        if (probe > 100) throw new Error(`subscribers not live: ${subscribers.filter((s) => s.ids.length === 0).map((s) => `${s.name} ${s.ends.join('; ')}`).join(', ')}`);
        await postFalco(cluster.port, 'probe', `sh -c probe-${probe}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }

      const published = (await logAlerts()).length;
      await publishPhase(0);
      await waitFor(async () => (await correlations()).length === PAIRS_PER_PHASE, `${PAIRS_PER_PHASE} correlations of phase 0`, 30_000).catch((error: unknown) => {
        const logged = replicas.map((r) => `${r.name}: ${r.stderr().slice(-3000)}`).join(' | ');
        throw new Error(`${String(error)}; alerts replicas logged: ${logged}`);
      });
      const before = await logAlerts();
      await waitFor(() => subscribers.every((s) => s.ids.at(-1) === before.at(-1)?.id), 'phase 0 at every subscriber', 30_000);

      // One replica dies mid-stream (no drain), while alerts keep coming: the upstream subscriptions
      // through it break, and what it had read for correlation is taken over once stale (60 s).
      const phase1 = publishPhase(1);
      await waitFor(async () => (await logAlerts()).length >= before.length + 4, 'phase 1 under way', 30_000);
      const victim = replicas[0] as Service;
      victim.child.kill('SIGKILL');
      await new Promise<void>((resolve) => (victim.child.exitCode !== null || victim.child.signalCode !== null ? resolve() : victim.child.once('exit', () => resolve())));
      await phase1;
      await waitFor(async () => (await correlations()).length >= 2 * PAIRS_PER_PHASE, `${2 * PAIRS_PER_PHASE} correlations`, 150_000);
      const log = await logAlerts();
      await waitFor(() => subscribers.every((s) => s.ids.at(-1) === log.at(-1)?.id), 'every alert at every subscriber', 60_000);
      // Whatever else is still in flight has arrived by now.
      await new Promise((resolve) => setTimeout(resolve, 1000));

      const ids = log.map((a) => a.id);
      const firstOfPhases = published;
      for (const s of subscribers) {
        const start = ids.indexOf(s.ids[0] ?? '');
        // A contiguous run of the log from the subscriber's first alert to the last: no gap, no repeat, in order.
        expect({ name: s.name, ids: s.ids }).toEqual({ name: s.name, ids: ids.slice(start) });
        expect(start, `${s.name} started before the published alerts`).toBeLessThan(firstOfPhases);
      }
      // The cursor subscribers began right after the marker.
      for (const s of subscribers.filter((x) => x.name.includes('-B-'))) expect(s.ids[0]).toBe(ids[ids.indexOf(marker) + 1]);
      // The kill was felt (some subscriptions ended, with the reason, and resumed), or this test proved nothing about it.
      const ended = subscribers.filter((s) => s.ends.length > 0);
      expect(ended.length).toBeGreaterThan(0);
      for (const s of ended) expect(s.ends[0]).toContain('Subscribe again with after:');

      // Exactly one correlation alert per pair, though both replicas evaluate the rule.
      const pairs = (await correlations()).map((a) => a.labels['correlationPair']);
      expect(pairs).toHaveLength(2 * PAIRS_PER_PHASE);
      expect(new Set(pairs).size).toBe(pairs.length);
      const falcoAlerts = log.filter((a) => a.source === 'CLUSTER');
      expect(log.filter((a) => a.source === 'AUDIT')).toHaveLength(2 * PAIRS_PER_PHASE);
      expect(falcoAlerts.length).toBeGreaterThanOrEqual(2 * PER_PHASE);
    } finally {
      await Promise.all(subscribers.map((s) => s.dispose()));
    }
  }, 300_000);

});
