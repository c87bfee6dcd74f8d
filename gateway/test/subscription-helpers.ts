import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import { SignJWT } from 'jose';
import { createLogger } from '@vigil/lib/logger';
import type { NewAlert } from '@vigil/lib/alerts/alert';
import { freePort } from '../../test/support/free-port.js';
import { waitFor } from '../../test/support/wait-for.js';
import { startStack, type RunningStack } from '../src/stack.js';
import { vigilConfig } from '../src/stack-config.js';

/** Helpers of the subscription e2e tests: a production stack with tenants, callers, subscribers and the gateway's counters. */

export interface Caller {
  name: string;
  /** HTTP headers (SSE) and graphql-ws connectionParams alike. */
  credentials: Record<string, string>;
}

export interface SubscriptionStack {
  stack: RunningStack;
  jwt(subject: string, claims: Record<string, unknown>, expiresIn?: string): Promise<Caller>;
  /** An API key with the given roles and tenants, configured at start. */
  apiKey: Record<string, Caller>;
  raise(alert: Partial<NewAlert> & { title: string }): Promise<string>;
  metrics(): Promise<Metrics>;
  stop(): Promise<void>;
}

export const HOST_A = { type: 'Host' as const, hostId: 'host-a', displayName: 'host-a', hostLabels: { team: 'a' } };
export const HOST_B = { type: 'Host' as const, hostId: 'host-b', displayName: 'host-b', hostLabels: { team: 'b' } };
export const POD_B = { type: 'KubeObject' as const, cluster: 'cluster-b', namespace: 'shop', kind: 'Pod', name: 'web', displayName: 'shop/web' };

/**
 * Production mode (API keys and JWTs, masked errors), two tenants (team-a: cluster-a and hosts
 * labelled team=a; team-b likewise), two inventory hosts that are never probed successfully (their
 * entity fields still resolve from the inventory), and the given `gateway.subscriptions`.
 */
export async function startSubscriptionStack(subscriptions: Record<string, unknown> = {}, apiKeys: { name: string; roles: string[]; tenants?: string[] }[] = []): Promise<SubscriptionStack> {
  const jwtSecret = randomBytes(32).toString('hex');
  const tmp = mkdtempSync(join(tmpdir(), 'vigil-subs-'));
  const key = join(tmp, 'id_ed25519');
  writeFileSync(key, 'not a key: the probes of these hosts fail, which is all these tests need');
  const closed = await freePort();
  const keys = Object.fromEntries(apiKeys.map((key) => [key.name, `vk_${randomBytes(24).toString('base64url')}`]));
  const config = vigilConfig.parse({
    env: 'production',
    log: { level: 'silent' },
    signing: { secret: randomBytes(32).toString('hex') },
    gateway: {
      auth: {
        jwt: { secret: jwtSecret },
        apiKeys: apiKeys.map((key) => ({ name: key.name, sha256: createHash('sha256').update(keys[key.name] ?? '').digest('hex'), roles: key.roles, ...(key.tenants ? { tenants: key.tenants } : {}) })),
      },
      subscriptions,
    },
    tenants: {
      'team-a': { clusters: ['cluster-a'], hostLabels: { team: 'a' } },
      'team-b': { clusters: ['cluster-b'], hostLabels: { team: 'b' } },
    },
    hosts: {
      local: { enabled: false },
      // A closed port: the probes fail fast, the inventory still answers.
      inventory: ['a', 'b'].map((team) => ({ id: `host-${team}`, address: '127.0.0.1', port: closed, user: 'vigil', privateKeyPath: key, knownHostsPath: join(tmp, 'known_hosts'), labels: { team } })),
      probe: { connectTimeoutMs: 500 },
    },
    cluster: { falco: { token: randomBytes(16).toString('hex') }, audit: { token: randomBytes(16).toString('hex') } },
    alerts: { maxLength: 1000 },
  });
  const stack = await startStack({ config, logger: createLogger('test', { level: 'silent' }), signingSecret: config.signing.secret ?? '', ports: 'ephemeral' });
  const secret = new TextEncoder().encode(jwtSecret);
  await firstComplianceEvaluation(stack.gateway.url, await new SignJWT({ roles: ['viewer'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('test-setup').setIssuedAt().setExpirationTime('5m').sign(secret));
  return {
    stack,
    apiKey: Object.fromEntries(Object.entries(keys).map(([name, key]) => [name, { name, credentials: { 'x-api-key': key } }])),
    jwt: async (subject, claims, expiresIn = '10m') => {
      const token = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(subject).setIssuedAt().setExpirationTime(expiresIn).sign(secret);
      return { name: subject, credentials: { authorization: `Bearer ${token}` } };
    },
    raise: async (alert) => (await stack.publisher.raise({ source: 'HOSTS', severity: 'HIGH', ...alert })).id,
    metrics: () => readMetrics(stack.gateway.url),
    stop: async () => {
      await stack.stop();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

export interface Metrics {
  /** Subscriptions the gateway opened to each subgraph, since start. */
  upstreamSubscriptions(subgraph: string): number;
  /** HTTP requests the gateway made to each subgraph (entity fetches of subscription events among them). */
  subgraphRequests(subgraph: string): number;
  /** Shared subscriptions open now. */
  groups: number;
  eventsExecuted: number;
  deliveries: number;
  slowSubscribers(transport: string): number;
  refused(reason: string): number;
}

async function readMetrics(gatewayUrl: string): Promise<Metrics> {
  const text = await (await fetch(gatewayUrl.replace(/\/graphql$/, '/metrics'))).text();
  const sum = (name: string, labels: Record<string, string> = {}) => {
    let total = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
      if (Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return total;
  };
  return {
    upstreamSubscriptions: (subgraph) => sum('vigil_gateway_subgraph_subscriptions_total', { subgraph }),
    subgraphRequests: (subgraph) => sum('vigil_gateway_subgraph_request_duration_seconds_count', { subgraph }),
    groups: sum('vigil_gateway_subscription_groups'),
    eventsExecuted: sum('vigil_gateway_subscription_events_total'),
    deliveries: sum('vigil_gateway_subscription_deliveries_total'),
    slowSubscribers: (transport) => sum('vigil_gateway_subscription_slow_subscribers_total', { transport }),
    refused: (reason) => sum('vigil_gateway_subscriptions_refused_total', { reason }),
  };
}

export interface Received {
  title: string;
  raw: Record<string, unknown>;
  at: number;
}

/** One graphql-ws connection with one subscription; records every payload, errors and how the socket closed. */
export class WsSubscriber {
  readonly received: Received[] = [];
  readonly errors: unknown[] = [];
  closed: { code: number; reason: string } | null = null;
  completed = false;
  private readonly client: Client;

  constructor(wsUrl: string, caller: Caller, query: string, variables: Record<string, unknown> = {}) {
    this.client = createClient({
      url: wsUrl,
      connectionParams: caller.credentials,
      retryAttempts: 0,
      lazy: false,
      // Recorded in `closed`; graphql-ws would print it on the console.
      onNonLazyError: () => undefined,
      on: { closed: (event) => (this.closed = event as { code: number; reason: string }) },
    });
    this.client.subscribe(
      { query, variables },
      {
        next: (value) => {
          if (value.errors) this.errors.push(...value.errors);
          const alert = (value.data as { alertRaised?: Record<string, unknown> } | null | undefined)?.alertRaised;
          if (alert) this.received.push({ title: String(alert['title']), raw: alert, at: performance.now() });
        },
        error: (error) => this.errors.push(error),
        complete: () => (this.completed = true),
      },
    );
  }

  titles(prefix = ''): string[] {
    return this.received.map((r) => r.title).filter((t) => t.startsWith(prefix));
  }

  dispose(): Promise<void> {
    return Promise.resolve(this.client.dispose());
  }
}

/** One SSE subscription (fetch), its events parsed as they arrive. */
export class SseSubscriber {
  readonly received: Received[] = [];
  readonly errors: unknown[] = [];
  private readonly controller = new AbortController();
  readonly done: Promise<void>;

  constructor(url: string, caller: Caller, query: string, variables: Record<string, unknown> = {}) {
    this.done = (async () => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...caller.credentials },
        body: JSON.stringify({ query, variables }),
        signal: this.controller.signal,
      });
      if (!response.body) return;
      const decoder = new TextDecoder();
      const reader = response.body.getReader();
      let buffer = '';
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        buffer += decoder.decode(chunk.value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').find((line) => line.startsWith('data: '));
          if (!data) continue;
          const value = JSON.parse(data.slice('data: '.length)) as { data?: { alertRaised?: Record<string, unknown> }; errors?: unknown[] };
          if (value.errors) this.errors.push(...value.errors);
          const alert = value.data?.alertRaised;
          if (alert) this.received.push({ title: String(alert['title']), raw: alert, at: performance.now() });
        }
      }
    })().catch(() => undefined);
  }

  titles(prefix = ''): string[] {
    return this.received.map((r) => r.title).filter((t) => t.startsWith(prefix));
  }

  async dispose(): Promise<void> {
    this.controller.abort();
    await this.done;
  }
}

export { waitFor };

/**
 * Raises probe alerts (about `subject`) until every subscriber has received one: the gateway opens
 * upstream subscriptions asynchronously, so "subscribed" is only known once an event arrives.
 */
export async function untilLive(t: SubscriptionStack, subscribers: readonly { titles(prefix?: string): string[] }[], subject: NewAlert['subject'] = HOST_A): Promise<number> {
  let probes = 0;
  const deadline = Date.now() + 15_000;
  while (subscribers.some((s) => s.titles('probe ').length === 0)) {
    if (Date.now() > deadline) throw new Error('subscribers did not go live within 15 s');
    await t.raise({ title: `probe ${probes}`, ...(subject ? { subject } : {}) });
    probes += 1;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // Everyone is live, so everyone gets the last probe: once they have, no probe is still in flight.
  const last = `probe ${probes - 1}`;
  await waitFor(() => subscribers.every((s) => s.titles(last).length > 0), `${last} at every subscriber`);
  return probes;
}

/**
 * Compliance evaluates once a second after start (then every 5 minutes), reading hosts and cluster
 * through the gateway: requests the tests' per-subgraph counts must not see. Waits until that first
 * run has finished.
 */
async function firstComplianceEvaluation(gatewayUrl: string, token: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const response = await fetch(gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ complianceEvaluation { lastRunAt } }' }),
    });
    const body = (await response.json()) as { data?: { complianceEvaluation: { lastRunAt: string | null } } };
    if (body.data?.complianceEvaluation.lastRunAt) return;
    if (Date.now() > deadline) throw new Error(`compliance never finished its first evaluation: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
