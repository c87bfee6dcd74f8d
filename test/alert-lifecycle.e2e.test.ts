import { randomBytes } from 'node:crypto';
import { createClient } from 'graphql-ws';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewAlert } from '@vigil/lib/alerts/alert';
import { createLogger } from '@vigil/lib/logger';
import { startStack, type RunningStack } from '../gateway/src/stack.js';
import { vigilConfig } from '../gateway/src/stack-config.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';

/**
 * The alert lifecycle through the gateway in production mode, with its state in a real Redis:
 * acknowledge, resolve, silence and fold, who may do each (roles and tenants), the errors that name
 * the field, alertChanged over graphql-ws, and state that survives a restart of the stack.
 */

const JWT_SECRET = randomBytes(32).toString('hex');
const SIGNING = randomBytes(32).toString('hex');
const FOLD_WINDOW_SECONDS = 300;

type Body = { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string; field?: string } }[] };

describe('alert lifecycle (production mode, Redis)', () => {
  let redis: RedisServer;
  let stack: RunningStack;
  let namespace: string;
  // The stack's clock: the start time plus an offset only the tests move (tokens are checked against it too).
  const base = Date.now();
  let offsetMs = 0;
  const clock = () => new Date(base + offsetMs);
  const tokens: Record<string, string> = {};

  const config = () =>
    vigilConfig.parse({
      env: 'production',
      log: { level: 'silent' },
      signing: { secret: SIGNING },
      redis: { url: redis.url, namespace },
      gateway: { auth: { jwt: { secret: JWT_SECRET } } },
      tenants: { 'team-a': { clusters: ['cluster-a'], hostLabels: { team: 'a' } }, 'team-b': { clusters: ['cluster-b'], hostLabels: { team: 'b' } } },
      hosts: { local: { enabled: false } },
      cluster: { name: 'cluster-a', falco: { token: randomBytes(16).toString('hex') }, audit: { token: randomBytes(16).toString('hex') } },
      alerts: { foldWindowSeconds: FOLD_WINDOW_SECONDS },
    });
  const start = async () => {
    stack = await startStack({ config: config(), logger: createLogger('test', { level: 'silent' }), signingSecret: SIGNING, ports: 'ephemeral', clock });
  };
  const gql = async (who: string, query: string, variables: Record<string, unknown> = {}): Promise<Body> => {
    const response = await fetch(stack.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[who]}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as Body;
  };
  const hostAlert = (host: string, team: string, rule = 'package-removed'): NewAlert => ({
    source: 'HOSTS',
    severity: 'HIGH',
    title: `${rule} on ${host}`,
    rule,
    subject: { type: 'Host', hostId: host, displayName: host, hostLabels: { team } },
  });

  beforeAll(async () => {
    redis = await startRedisServer();
    namespace = `lc-${randomBytes(4).toString('hex')}`;
    await start();
    const sign = (subject: string, claims: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(subject).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(JWT_SECRET));
    tokens['viewer'] = await sign('vera', { roles: ['viewer'] });
    tokens['analyst-a'] = await sign('alice', { roles: ['analyst'], tenants: ['team-a'] });
    tokens['admin'] = await sign('ada', { roles: ['admin'] });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await redis?.stop();
  });

  const ALERT_FIELDS = 'id status count lastSeen raisedAt silenced acknowledged { by at comment } resolved { by at comment }';

  it('a viewer may not acknowledge; an analyst acknowledges and resolves an alert of its tenant, recorded with who and when', async () => {
    const alert = await stack.publisher.raise(hostAlert('web-1', 'a'));
    const refused = await gql('viewer', 'mutation ($id: ID!) { acknowledgeAlert(id: $id) { id } }', { id: alert.id });
    expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);

    offsetMs = 1000;
    const acked = await gql('analyst-a', `mutation ($id: ID!) { acknowledgeAlert(id: $id, comment: "on it") { ${ALERT_FIELDS} } }`, { id: alert.id });
    expect(acked.errors).toBeUndefined();
    expect(acked.data?.['acknowledgeAlert']).toMatchObject({ id: alert.id, status: 'ACKNOWLEDGED', count: 1, acknowledged: { by: 'alice', comment: 'on it' }, resolved: null });
    expect((acked.data?.['acknowledgeAlert'] as { acknowledged: { at: string } }).acknowledged.at).toBe(clock().toISOString());

    const resolved = await gql('admin', `mutation ($id: ID!) { resolveAlert(id: $id) { ${ALERT_FIELDS} } }`, { id: alert.id });
    expect(resolved.data?.['resolveAlert']).toMatchObject({ status: 'RESOLVED', acknowledged: { by: 'alice', comment: 'on it' }, resolved: { by: 'ada', comment: null } });
    // Read back in a later request: the state is stored, not only answered.
    const read = await gql('viewer', `query { alerts(first: 5) { edges { node { ${ALERT_FIELDS} } } } }`);
    const node = (read.data?.['alerts'] as { edges: { node: { id: string; status: string } }[] }).edges.find((e) => e.node.id === alert.id)?.node;
    expect(node?.status).toBe('RESOLVED');
  });

  it('a caller may act only on alerts it can read; unknown and malformed ids are errors naming the field', async () => {
    const other = await stack.publisher.raise(hostAlert('db-9', 'b'));
    const hidden = await gql('analyst-a', 'mutation ($id: ID!) { acknowledgeAlert(id: $id) { id } }', { id: other.id });
    expect(hidden.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
    const unknown = await gql('admin', 'mutation { resolveAlert(id: "1-999") { id } }');
    expect(unknown.errors?.[0]).toMatchObject({ message: expect.stringContaining('id'), extensions: { code: 'NOT_FOUND', field: 'id' } });
    const malformed = await gql('admin', 'mutation { acknowledgeAlert(id: "not-an-id") { id } }');
    expect(malformed.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
  });

  it('folds repeats of a rule on a subject into one alert within the window, and raises anew after it or after a resolution', async () => {
    offsetMs = 10_000;
    const first = await stack.publisher.raise(hostAlert('web-2', 'a', 'user-added'));
    offsetMs += 60_000;
    const second = await stack.publisher.raise(hostAlert('web-2', 'a', 'user-added'));
    offsetMs += 60_000;
    const third = await stack.publisher.raise(hostAlert('web-2', 'a', 'user-added'));
    expect([second.id, third.id]).toEqual([first.id, first.id]);
    // Another subject is another alert.
    expect((await stack.publisher.raise(hostAlert('web-3', 'a', 'user-added'))).id).not.toBe(first.id);
    const folded = await gql('viewer', `query { alerts(first: 50) { edges { node { id title count lastSeen } } } }`);
    const nodes = (folded.data?.['alerts'] as { edges: { node: { id: string; title: string; count: number; lastSeen: string } }[] }).edges.map((e) => e.node);
    expect(nodes.filter((n) => n.title === 'user-added on web-2')).toEqual([{ id: first.id, title: 'user-added on web-2', count: 3, lastSeen: clock().toISOString() }]);

    offsetMs += (FOLD_WINDOW_SECONDS + 1) * 1000;
    const afterWindow = await stack.publisher.raise(hostAlert('web-2', 'a', 'user-added'));
    expect(afterWindow.id).not.toBe(first.id);
    await gql('admin', 'mutation ($id: ID!) { resolveAlert(id: $id) { id } }', { id: afterWindow.id });
    const afterResolve = await stack.publisher.raise(hostAlert('web-2', 'a', 'user-added'));
    expect(afterResolve.id).not.toBe(afterWindow.id);
  });

  it('silences: at least one matcher, an expiry in the future and a comment; within the creator tenants; ended by expireSilence', async () => {
    const future = new Date(clock().getTime() + 3600_000).toISOString();
    const noMatcher = await gql('analyst-a', 'mutation ($e: DateTime!) { silenceAlerts(input: { expiresAt: $e, comment: "x" }) { id } }', { e: future });
    expect(noMatcher.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input' });
    const past = await gql('analyst-a', 'mutation ($e: DateTime!) { silenceAlerts(input: { rules: ["r"], expiresAt: $e, comment: "x" }) { id } }', { e: new Date(clock().getTime() - 1000).toISOString() });
    expect(past.errors?.[0]).toMatchObject({ message: expect.stringContaining('input.expiresAt'), extensions: { code: 'BAD_USER_INPUT', field: 'input.expiresAt' } });
    const noComment = await gql('analyst-a', 'mutation ($e: DateTime!) { silenceAlerts(input: { rules: ["r"], expiresAt: $e, comment: " " }) { id } }', { e: future });
    expect(noComment.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.comment' });
    const byViewer = await gql('viewer', 'mutation ($e: DateTime!) { silenceAlerts(input: { rules: ["r"], expiresAt: $e, comment: "x" }) { id } }', { e: future });
    expect(byViewer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const a = await stack.publisher.raise(hostAlert('web-5', 'a', 'port-opened'));
    const b = await stack.publisher.raise(hostAlert('db-5', 'b', 'port-opened'));
    const created = await gql('analyst-a', 'mutation ($e: DateTime!) { silenceAlerts(input: { rules: ["port-opened"], labels: [], expiresAt: $e, comment: "maintenance" }) { id createdBy active expiresAt matchers { rules sources } } }', { e: future });
    expect(created.errors).toBeUndefined();
    const silence = created.data?.['silenceAlerts'] as { id: string; createdBy: string; active: boolean; matchers: { rules: string[] } };
    expect(silence).toMatchObject({ createdBy: 'alice', active: true, matchers: { rules: ['port-opened'], sources: [] } });
    const silenced = async () => {
      const body = await gql('admin', `query { alerts(first: 50) { edges { node { id silenced } } } }`);
      const nodes = (body.data?.['alerts'] as { edges: { node: { id: string; silenced: boolean } }[] }).edges.map((e) => e.node);
      return Object.fromEntries(nodes.filter((n) => n.id === a.id || n.id === b.id).map((n) => [n.id === a.id ? 'a' : 'b', n.silenced]));
    };
    // Team A's silence does not reach team B's alert of the same rule.
    expect(await silenced()).toEqual({ a: true, b: false });
    expect(((await gql('analyst-a', '{ silences { id } }')).data?.['silences'] as { id: string }[]).map((s) => s.id)).toContain(silence.id);

    const ended = await gql('admin', 'mutation ($id: ID!) { expireSilence(id: $id) { active expired { by } } }', { id: silence.id });
    expect(ended.data?.['expireSilence']).toEqual({ active: false, expired: { by: 'ada' } });
    expect(await silenced()).toEqual({ a: false, b: false });
    const unknown = await gql('admin', 'mutation { expireSilence(id: "nope") { id } }');
    expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
  });

  it('alertChanged streams acknowledgements, resolutions and folded repeats over graphql-ws, within the caller tenants', async () => {
    const ws = createClient({ url: stack.gateway.wsUrl, lazy: true, retryAttempts: 0, connectionParams: { authorization: `Bearer ${tokens['analyst-a']}` } });
    try {
      const mine = await stack.publisher.raise(hostAlert('web-7', 'a', 'service-stopped'));
      const theirs = await stack.publisher.raise(hostAlert('db-7', 'b', 'service-stopped'));
      const iterator = ws.iterate<{ alertChanged: { kind: string; by: string | null; alert: { id: string; status: string; count: number } } }>({
        query: `subscription ($after: ID) { alertChanged(after: $after) { kind by alert { id status count } } }`,
        variables: { after: theirs.id },
      });
      await gql('admin', 'mutation ($id: ID!) { acknowledgeAlert(id: $id) { id } }', { id: theirs.id });
      await gql('admin', 'mutation ($id: ID!) { acknowledgeAlert(id: $id) { id } }', { id: mine.id });
      await stack.publisher.raise(hostAlert('web-7', 'a', 'service-stopped'));
      await gql('analyst-a', 'mutation ($id: ID!) { resolveAlert(id: $id) { id } }', { id: mine.id });
      const received: { kind: string; by: string | null; alert: { id: string; status: string; count: number } }[] = [];
      for await (const result of iterator) {
        expect(result.errors).toBeUndefined();
        if (result.data) received.push(result.data.alertChanged);
        if (received.length === 3) break;
      }
      expect(received).toEqual([
        { kind: 'ACKNOWLEDGED', by: 'ada', alert: { id: mine.id, status: 'ACKNOWLEDGED', count: 1 } },
        { kind: 'REPEATED', by: null, alert: { id: mine.id, status: 'ACKNOWLEDGED', count: 2 } },
        { kind: 'RESOLVED', by: 'alice', alert: { id: mine.id, status: 'RESOLVED', count: 2 } },
      ]);
    } finally {
      await ws.dispose();
    }
  });

  it('lifecycle state is durable in Redis: a restarted stack shows the same acknowledgement', async () => {
    const alert = await stack.publisher.raise(hostAlert('web-8', 'a', 'kernel-changed'));
    await gql('admin', 'mutation ($id: ID!) { acknowledgeAlert(id: $id, comment: "known") { id } }', { id: alert.id });
    await stack.stop();
    await start();
    const body = await gql('viewer', `query { alerts(first: 5) { edges { node { id status acknowledged { by comment } } } } }`);
    const node = (body.data?.['alerts'] as { edges: { node: { id: string } }[] }).edges.find((e) => e.node.id === alert.id)?.node;
    expect(node).toEqual({ id: alert.id, status: 'ACKNOWLEDGED', acknowledged: { by: 'ada', comment: 'known' } });
  });
});
