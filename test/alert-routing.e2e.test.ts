import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewAlert } from '@vigil/lib/alerts/alert';
import { createLogger } from '@vigil/lib/logger';
import { createRedis } from '@vigil/lib/redis';
import { startStack, type RunningStack } from '../gateway/src/stack.js';
import { vigilConfig } from '../gateway/src/stack-config.js';
import { startAlertmanager, type AlertmanagerServer, type GettableAlert } from './support/alertmanager.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';

/**
 * Routing to a real Alertmanager (API v2) from the one-process stack with a real Redis: alerts
 * arrive with labels, annotations, startsAt/endsAt and a generatorURL back to Vigil; resolutions
 * resolve them; Vigil silences and route filters keep alerts out; a Slack output that refuses for
 * good (HTTP 404 "no_service", as Slack answers a revoked webhook) dead-letters at once with the
 * answer recorded, visible in the API and the metrics, while Alertmanager keeps receiving.
 */

const PUBLIC_URL = 'https://vigil.example.test';

async function eventually<T>(read: () => Promise<T>, until: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (until(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value).slice(0, 2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('alert routing to a real Alertmanager', () => {
  let redis: RedisServer;
  let alertmanager: AlertmanagerServer;
  let slack: Server;
  let slackRequests = 0;
  let stack: RunningStack;

  const gql = async (query: string, variables: Record<string, unknown> = {}) => {
    const response = await fetch(stack.gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    const body = (await response.json()) as { data?: Record<string, unknown> | null; errors?: { message: string }[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data ?? {};
  };
  const byVigilId = (alerts: GettableAlert[], id: string) => alerts.find((a) => a.labels['vigil_alert_id'] === id);
  /** Redis's TIME as an ISO date: the real clock, as Alertmanager's (see test/any-date/run.sh). */
  const redisNow = async (): Promise<string> => {
    const client = createRedis(redis.url, createLogger('test', { level: 'silent' }), 'test');
    try {
      const [seconds, micros] = await client.time();
      return new Date(Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)).toISOString();
    } finally {
      client.disconnect();
    }
  };
  const alert = (title: string, extra: Partial<NewAlert> = {}): NewAlert => ({
    source: 'CLUSTER',
    severity: 'HIGH',
    title,
    rule: 'Terminal shell in container',
    subject: { type: 'KubeObject', cluster: 'prod', namespace: 'shop', kind: 'Pod', name: 'web-7f9', displayName: 'shop/web-7f9' },
    labels: { 'k8s.ns.name': 'shop' },
    ...extra,
  });

  beforeAll(async () => {
    redis = await startRedisServer();
    alertmanager = await startAlertmanager();
    slack = createServer((req, res) => {
      slackRequests++;
      req.resume();
      req.on('end', () => res.writeHead(404, { 'content-type': 'text/plain' }).end('no_service'));
    });
    await new Promise<void>((resolve) => slack.listen(0, '127.0.0.1', resolve));
    const config = vigilConfig.parse({
      env: 'development',
      log: { level: 'silent' },
      redis: { url: redis.url, namespace: `rt-${randomBytes(4).toString('hex')}` },
      hosts: { local: { enabled: false } },
      alerts: {
        // Every raise in this test is its own alert.
        foldWindowSeconds: 0,
        publicUrl: PUBLIC_URL,
        outputs: {
          am: { type: 'alertmanager', url: alertmanager.url },
          'slack-oncall': { type: 'slack', webhookUrl: `http://127.0.0.1:${(slack.address() as AddressInfo).port}/services/T000/B000/XXXX` },
        },
        routes: [
          { output: 'am', filter: { minSeverity: 'HIGH' } },
          { output: 'slack-oncall', filter: { sources: ['CLUSTER'] } },
        ],
        delivery: { initialBackoffMs: 50, maxBackoffMs: 200, timeoutMs: 2000 },
      },
    });
    stack = await startStack({ config, logger: createLogger('test', { level: 'silent' }), signingSecret: randomBytes(32).toString('hex'), ports: 'ephemeral' });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await alertmanager?.stop();
    await new Promise((resolve) => slack?.close(resolve));
    await redis?.stop();
  });

  it('a raised alert arrives with labels, annotations, startsAt/endsAt and a generatorURL back to Vigil; resolving it resolves it', async () => {
    // The event happened now on the clock Alertmanager and Redis keep. Under test:any-date this process's
    // clock runs ahead of theirs, and an alert whose startsAt is in Alertmanager's future stays active
    // until then however it is resolved (endsAt is never before startsAt).
    const raised = await stack.publisher.raise(alert('Shell in shop/web-7f9', { description: 'bash spawned by nginx', occurredAt: await redisNow() }));
    const alerts = await eventually(() => alertmanager.alerts(), (list) => byVigilId(list, raised.id) !== undefined);
    const received = byVigilId(alerts, raised.id);
    expect(received?.labels).toEqual({
      alertname: 'Terminal shell in container',
      severity: 'high',
      source: 'cluster',
      vigil_alert_id: raised.id,
      cluster: 'prod',
      namespace: 'shop',
      kind: 'Pod',
      name: 'web-7f9',
      k8s_ns_name: 'shop',
    });
    expect(received?.annotations).toEqual({ summary: 'Shell in shop/web-7f9', description: 'bash spawned by nginx', subject: 'shop/web-7f9' });
    expect(received?.status.state).toBe('active');
    expect(Date.parse(received?.startsAt ?? '')).toBe(Date.parse(raised.occurredAt));
    // Firing: held for alerts.outputs.am.firingHoldSeconds (a day) after the raise, or after the event
    // if that is later (occurredAt is Vigil's clock, raisedAt Redis's: under a shifted clock they differ).
    expect(Date.parse(received?.endsAt ?? '')).toBe(Math.max(Date.parse(raised.raisedAt), Date.parse(raised.occurredAt)) + 86_400_000);
    const link = new URL(received?.generatorURL ?? '');
    expect(`${link.origin}${link.pathname}`).toBe(`${PUBLIC_URL}/graphql`);
    expect(JSON.parse(link.searchParams.get('variables') ?? '{}')).toEqual({ id: raised.id });

    // The link's query works against Vigil.
    const viaLink = await gql(link.searchParams.get('query') ?? '', { id: raised.id });
    expect(viaLink['alert']).toMatchObject({ id: raised.id, title: 'Shell in shop/web-7f9', status: 'OPEN' });

    await gql('mutation ($id: ID!) { resolveAlert(id: $id, comment: "killed the pod") { status } }', { id: raised.id });
    await eventually(() => alertmanager.alerts(), (list) => byVigilId(list, raised.id) === undefined);
  });

  it('silenced alerts and alerts no route matches are not sent; the next one is', async () => {
    const silence = await gql('mutation ($e: DateTime!) { silenceAlerts(input: { rules: ["Drift detected"], expiresAt: $e, comment: "rollout" }) { id } }', {
      e: new Date(Date.now() + 3600_000).toISOString(),
    });
    expect(silence['silenceAlerts']).toBeTruthy();
    const silenced = await stack.publisher.raise(alert('Drift in shop/web-7f9', { rule: 'Drift detected' }));
    const tooLow = await stack.publisher.raise(alert('Low thing', { severity: 'LOW', rule: 'Something low' }));
    const after = await stack.publisher.raise(alert('After the silenced ones', { rule: 'Other rule' }));
    // Entries are delivered in log order: once `after` is there, the two before it were decided.
    const list = await eventually(() => alertmanager.alerts(), (alerts) => byVigilId(alerts, after.id) !== undefined);
    expect(byVigilId(list, silenced.id)).toBeUndefined();
    expect(byVigilId(list, tooLow.id)).toBeUndefined();
    const listed = await gql('{ alerts(first: 10) { edges { node { id silenced } } } }');
    const nodes = (listed['alerts'] as { edges: { node: { id: string; silenced: boolean } }[] }).edges.map((e) => e.node);
    expect(nodes.find((n) => n.id === silenced.id)?.silenced).toBe(true);
  });

  it('an output answering 4xx for good dead-letters at once with the answer, in the API and the metrics; other outputs are unaffected', async () => {
    const before = slackRequests;
    const raised = await stack.publisher.raise(alert('Shell again', { rule: 'Terminal shell in container' }));
    await eventually(() => alertmanager.alerts(), (list) => byVigilId(list, raised.id) !== undefined);
    const outputs = await eventually(
      () => gql('{ alertOutputs { name type routed pending deadLetterCount deadLetters(first: 5) { entryId output kind attempts reason alert { id } } } }'),
      (data) => (data['alertOutputs'] as { name: string; deadLetters: { alert: { id: string } | null }[] }[]).some((o) => o.name === 'slack-oncall' && o.deadLetters.some((d) => d.alert?.id === raised.id)),
    );
    const slackOutput = (outputs['alertOutputs'] as { name: string; deadLetters: { alert: { id: string } | null }[] }[]).find((o) => o.name === 'slack-oncall');
    expect(slackOutput).toMatchObject({ type: 'SLACK', routed: true });
    const letter = slackOutput?.deadLetters.find((d) => d.alert?.id === raised.id);
    // Refused for good: one try, the answer kept, and the webhook URL (a credential) nowhere in it.
    expect(letter).toMatchObject({ entryId: raised.id, output: 'slack-oncall', kind: 'RAISED', attempts: 1, reason: 'HTTP 404: no_service' });
    expect(JSON.stringify(outputs)).not.toContain('XXXX');
    expect(slackRequests).toBeGreaterThan(before);
    const am = (outputs['alertOutputs'] as { name: string; type: string; deadLetterCount: number }[]).find((o) => o.name === 'am');
    expect(am).toMatchObject({ type: 'ALERTMANAGER', deadLetterCount: 0 });

    const metrics = await (await fetch(stack.gateway.url.replace(/\/graphql$/, '/metrics'))).text();
    const deadLetters = /^vigil_alert_route_dead_letters\{output="slack-oncall"\} (\d+)$/m.exec(metrics);
    expect(Number(deadLetters?.[1])).toBeGreaterThanOrEqual(1);
    expect(metrics).toMatch(/^vigil_alert_route_deliveries_total\{output="slack-oncall",outcome="dead_lettered"\} [1-9]/m);
    expect(metrics).toMatch(/^vigil_alert_route_deliveries_total\{output="am",outcome="delivered"\} [1-9]/m);
    expect(metrics).toMatch(/^vigil_alert_route_delivery_lag_seconds_count\{output="am"\} [1-9]/m);
    expect(metrics).toMatch(/^vigil_alerts_silenced_total [1-9]/m);
  });
});
