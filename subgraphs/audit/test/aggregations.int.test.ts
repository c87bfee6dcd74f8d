import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditIngestParams } from '@vigil/lib/audit-log-format';
import type { Identity } from '@vigil/lib/identity';
import { executeSubgraph } from '../../../test/support/execute-subgraph.js';
import { freePort } from '../../../test/support/free-port.js';
import { startVictoriaLogs, type VictoriaLogsServer } from '../../../test/support/victorialogs.js';
import { createAuditSubgraph } from '../src/server.js';
import { VictoriaLogsAuditLogSource } from '../src/sources/victorialogs/audit-log-source.js';
import { VictoriaLogsClient, type VictoriaLogsTenant } from '../src/sources/victorialogs/client.js';
import { auditWorkload, CONTROLLER, type WorkloadEvent } from './audit-workload.js';
import { HOSTILE_STRINGS } from './hostile-strings.js';

// The audit-logging policy's own questions (the Talos Kubernetes audit-logging policy: secret access
// by user, all 403s, RBAC changes in the last 24 h, secret reads counted by user, the top 20 users,
// plus the 403 rate and API calls per minute), each asked once as GraphQL through the audit subgraph
// and once as LogsQL written by hand, the way the policy writes it, sent straight to the same real
// VictoriaLogs: rows and counts must be equal. The data is a day and a half of traffic built from the
// real fixture events (./audit-workload.ts); "now" is END, injected as the subgraph's clock, and every
// window is relative to it, never to today's date.

const END = new Date('2025-10-09T01:00:00Z');
const HOUR = 3_600_000;
const TENANT_A: VictoriaLogsTenant = { accountId: 1, projectId: 0 };
const TENANT_B: VictoriaLogsTenant = { accountId: 2, projectId: 0 };

const caller = (victoriaLogs: VictoriaLogsTenant): Identity => ({
  subject: 'analyst',
  kind: 'user',
  roles: ['analyst'],
  tenants: [{ name: `team-${String(victoriaLogs.accountId)}`, clusters: ['prod', 'staging'], hostLabels: null, victoriaLogs }],
  expiresAt: null,
});

const workloadA = auditWorkload({ end: END, count: 1500, idPrefix: 'a' });
const workloadB = auditWorkload({ end: END, count: 400, idPrefix: 'b' });

let victoriaLogs: VictoriaLogsServer;
let client: VictoriaLogsClient;
let definition: ReturnType<typeof createAuditSubgraph>;

beforeAll(async () => {
  victoriaLogs = await startVictoriaLogs();
  client = new VictoriaLogsClient({ baseUrl: victoriaLogs.url, timeoutMs: 10_000 });
  // Two clusters behind one tenant, stamped as Vigil's forwarder stamps them (extra_fields).
  const a = client.forTenant(TENANT_A);
  await a.ingest(workloadA.filter((_e, i) => i % 3 !== 0), auditIngestParams({ cluster: 'prod' }));
  await a.ingest(workloadA.filter((_e, i) => i % 3 === 0), auditIngestParams({ cluster: 'staging' }));
  await client.forTenant(TENANT_B).ingest(workloadB, auditIngestParams({ cluster: 'prod' }));
  await victoriaLogs.flush();
  definition = createAuditSubgraph({
    source: new VictoriaLogsAuditLogSource(client),
    sourceForTenant: (tenant) => new VictoriaLogsAuditLogSource(client.forTenant(tenant)),
    clusterName: 'prod',
    clock: () => END,
  });
}, 60_000);

afterAll(async () => {
  await victoriaLogs?.stop();
});

/** LogsQL sent straight to VictoriaLogs, as a person following the policy would. */
async function logsql(path: 'query' | 'stats_query' | 'hits', params: Record<string, string>, tenant = TENANT_A): Promise<string> {
  const response = await fetch(`${victoriaLogs.url}/select/logsql/${path}`, {
    method: 'POST',
    headers: { AccountID: String(tenant.accountId), ProjectID: String(tenant.projectId) },
    body: new URLSearchParams(params),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${path} ${JSON.stringify(params)}: HTTP ${String(response.status)} ${text}`);
  return text;
}

async function rows(query: string, tenant = TENANT_A): Promise<Record<string, string>[]> {
  const text = await logsql('query', { query }, tenant);
  return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, string>);
}

async function graphql<T>(query: string, variables: Record<string, unknown> = {}, tenant = TENANT_A): Promise<T> {
  const result = await executeSubgraph(definition, query, variables, caller(tenant));
  if (result.errors) throw new Error(result.errors.map((e) => e.message).join('; '));
  return result.data as T;
}

type EventsPage = { auditEvents: { edges: { node: { auditId: string; stage: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };

/** Every event of a GraphQL auditEvents query, page by page, as auditID/stage. */
async function allEvents(filter: Record<string, unknown>, tenant = TENANT_A): Promise<string[]> {
  const out: string[] = [];
  let after: string | null = null;
  for (;;) {
    const page: EventsPage = await graphql<EventsPage>(
      'query ($filter: AuditEventFilter, $after: String) { auditEvents(filter: $filter, first: 200, after: $after) { edges { node { auditId stage } } pageInfo { hasNextPage endCursor } } }',
      { filter, after },
      tenant,
    );
    out.push(...page.auditEvents.edges.map((e) => `${e.node.auditId}/${e.node.stage}`));
    if (!page.auditEvents.pageInfo.hasNextPage) return out;
    after = page.auditEvents.pageInfo.endCursor;
  }
}

const keyOf = (row: Record<string, string>) => `${row['auditID'] ?? ''}/${row['stage'] ?? ''}`;
const iso = (millis: number) => new Date(millis).toISOString();

type Stats = { auditStats: { total: number; groups: { count: number; user: { username: string } | null }[] } };
type Histogram = { auditHistogram: { from: string; to: string; stepSeconds: number; total: number; buckets: { start: string; count: number }[] } };

describe("the audit-logging policy's questions: GraphQL equals LogsQL", () => {
  it('secret access by user X', async () => {
    const user = 'user-07';
    const direct = await rows(`objectRef.resource:=secrets user.username:="${user}" | sort by (_time desc)`);
    expect(direct.length).toBeGreaterThan(5);
    expect(await allEvents({ resources: ['secrets'], users: [user] })).toEqual(direct.map(keyOf));
  });

  it('all 403s', async () => {
    const direct = await rows('responseStatus.code:=403 | sort by (_time desc)');
    expect(direct.length).toBeGreaterThan(200);
    expect(await allEvents({ responseCodes: [403] })).toEqual(direct.map(keyOf));
  });

  it('RBAC changes in the last 24 hours, in one query', async () => {
    const from = iso(END.getTime() - 24 * HOUR);
    const direct = await rows(
      `_time:[${from}, ${END.toISOString()}) objectRef.apiGroup:="rbac.authorization.k8s.io" verb:in(create, update, patch, delete) | sort by (_time desc)`,
    );
    const expected = workloadA.filter(
      (e) => e.objectRef?.apiGroup === 'rbac.authorization.k8s.io' && ['create', 'update', 'patch', 'delete'].includes(e.verb) && Date.parse(e.stageTimestamp) >= END.getTime() - 24 * HOUR,
    );
    expect(direct).toHaveLength(expected.length);
    expect(expected.length).toBeGreaterThan(50);
    expect(await allEvents({ apiGroups: ['rbac.authorization.k8s.io'], verbs: ['create', 'update', 'patch', 'delete'], from })).toEqual(direct.map(keyOf));
  });

  it('secret reads counted by user', async () => {
    const direct = await rows('objectRef.resource:=secrets verb:in(get, list, watch) | stats by (user.username) count() reads');
    const expected = new Map(direct.map((row) => [row['user.username'], Number(row['reads'])]));
    const { auditStats } = await graphql<Stats>(
      '{ auditStats(filter: { resources: ["secrets"], verbs: ["get", "list", "watch"] }, groupBy: [USER], top: 1000) { total groups { count user { username } } } }',
    );
    expect(new Map(auditStats.groups.map((g) => [g.user?.username, g.count]))).toEqual(expected);
    expect(auditStats.total).toBe([...expected.values()].reduce((a, b) => a + b, 0));
    // Largest first.
    expect(auditStats.groups.map((g) => g.count)).toEqual([...auditStats.groups.map((g) => g.count)].sort((a, b) => b - a));
  });

  it('the top 20 users', async () => {
    const direct = await rows('* | top 20 by (user.username)');
    const all = await rows('* | stats by (user.username) count() n | sort by (n desc)');
    // The cut-off is not a tie, so "the top 20" has exactly one answer.
    expect(Number(all[19]?.['n'])).toBeGreaterThan(Number(all[20]?.['n']));
    const { auditStats } = await graphql<Stats>('{ auditStats(groupBy: [USER], top: 20) { total groups { count user { username } } } }');
    expect(auditStats.groups.map((g) => [g.user?.username, g.count])).toEqual(direct.map((row) => [row['user.username'], Number(row['hits'])]));
    expect(auditStats.groups[0]?.user?.username).toBe(CONTROLLER);
    expect(auditStats.total).toBe(Number((await rows('* | stats count() n'))[0]?.['n']));
  });

  it('the 403 rate per hour over the last day', async () => {
    const from = iso(END.getTime() - 24 * HOUR);
    const perHour = async (filter: string) =>
      new Map((await rows(`_time:[${from}, ${END.toISOString()}) ${filter} | stats by (_time:1h) count() n`)).map((row) => [Date.parse(row['_time'] ?? ''), Number(row['n'])]));
    const directAll = await perHour('*');
    const directForbidden = await perHour('responseStatus.code:=403');
    const { all, forbidden } = await graphql<{ all: Histogram['auditHistogram']; forbidden: Histogram['auditHistogram'] }>(
      `{ all: auditHistogram(filter: { from: "${from}" }, step: "1h") { from to stepSeconds total buckets { start count } }
         forbidden: auditHistogram(filter: { from: "${from}", responseCodes: [403] }, step: "1h") { total buckets { start count } } }`,
    );
    expect(all).toMatchObject({ from, to: END.toISOString(), stepSeconds: 3600 });
    expect(all.buckets).toHaveLength(24);
    for (const [histogram, direct] of [[all, directAll], [forbidden, directForbidden]] as const) {
      expect(histogram.buckets.map((b) => [Date.parse(b.start), b.count])).toEqual(histogram.buckets.map((b) => [Date.parse(b.start), direct.get(Date.parse(b.start)) ?? 0]));
      expect(histogram.total).toBe([...direct.values()].reduce((a, b) => a + b, 0));
    }
    const rate = forbidden.buckets.map((b, i) => b.count / Math.max(all.buckets[i]?.count ?? 0, 1));
    expect(Math.max(...rate)).toBeGreaterThan(0.1);
  });

  it('API calls per minute, a window not aligned to the minute, against /hits', async () => {
    const from = new Date(END.getTime() - HOUR + 30_500);
    const to = new Date(END.getTime() - 30 * 60_000 + 10_250);
    const { auditHistogram } = await graphql<Histogram>('query ($from: DateTime, $to: DateTime) { auditHistogram(filter: { from: $from, to: $to }, step: "1m") { total buckets { start count } } }', {
      from: from.toISOString(),
      to: to.toISOString(),
    });
    const direct = JSON.parse(await logsql('hits', { query: `_time:[${from.toISOString()}, ${to.toISOString()})`, start: from.toISOString(), end: to.toISOString(), step: '1m' })) as {
      hits: { timestamps: string[]; values: number[] }[];
    };
    const series = direct.hits[0];
    expect(auditHistogram.buckets.map((b) => [Date.parse(b.start), b.count])).toEqual(series?.timestamps.map((t, i) => [Date.parse(t), series.values[i]]));
    // Whole minutes, the first holding `from`, the last the instant before `to`.
    expect(auditHistogram.buckets[0]?.start).toBe(iso(Math.floor(from.getTime() / 60_000) * 60_000));
    expect(auditHistogram.buckets).toHaveLength(31);
    const inWindow = workloadA.filter((e) => Date.parse(e.stageTimestamp) >= from.getTime() && Date.parse(e.stageTimestamp) < to.getTime());
    expect(auditHistogram.total).toBe(inWindow.length);
  });
});

describe('the forensic filters, through GraphQL, against the same data', () => {
  type Count = { auditStats: { total: number } };
  const count = async (filter: string) => (await graphql<Count>(`{ auditStats(filter: ${filter}, groupBy: []) { total } }`)).auditStats.total;
  const expected = (predicate: (e: WorkloadEvent, index: number) => boolean) => workloadA.filter(predicate).length;

  it.each([
    ['people only, reading secrets', '{ resources: ["secrets"], verbs: ["get", "list"], excludeServiceAccounts: true }', (e: WorkloadEvent) => e.objectRef?.resource === 'secrets' && (e.verb === 'get' || e.verb === 'list') && !e.user.username.startsWith('system:serviceaccount:')],
    ['every failure', '{ responseCodeClasses: [CLIENT_ERROR, SERVER_ERROR] }', (e: WorkloadEvent) => (e.responseStatus?.code ?? 0) >= 400],
    ['exec into pods', '{ subresources: ["exec"], resources: ["pods"] }', (e: WorkloadEvent) => e.objectRef?.subresource === 'exec'],
    ['curl, from behind the proxy', '{ userAgentPrefixes: ["curl/"], sourceIps: ["203.0.113.7"] }', (e: WorkloadEvent) => e.userAgent?.startsWith('curl/') === true && (e.sourceIPs ?? []).includes('203.0.113.7')],
    ['the staging cluster', '{ clusters: ["staging"] }', (_e: WorkloadEvent, i: number) => i % 3 === 0],
    ['finished requests only', '{ stages: [RESPONSE_COMPLETE, PANIC], resources: ["secrets"] }', (e: WorkloadEvent) => e.stage === 'ResponseComplete' && e.objectRef?.resource === 'secrets'],
    ['RequestResponse level', '{ levels: [REQUEST_RESPONSE] }', (e: WorkloadEvent) => e.level === 'RequestResponse'],
    ['a group, two namespaces', '{ userGroups: ["developers"], namespaces: ["team-1", "team-2"] }', (e: WorkloadEvent) => (e.user.groups ?? []).includes('developers') && ['team-1', 'team-2'].includes(e.objectRef?.namespace ?? '')],
  ])('%s', async (_name, filter, predicate) => {
    const want = expected(predicate);
    expect(want).toBeGreaterThan(0);
    expect(await count(filter)).toBe(want);
  });

  it('groups by several fields, source IPs one by one', async () => {
    const { auditStats } = await graphql<{ auditStats: { total: number; groups: { count: number; sourceIp: string; cluster: string; verb: string | null }[] } }>(
      '{ auditStats(filter: { responseCodes: [403] }, groupBy: [SOURCE_IP, CLUSTER], top: 1000) { total groups { count sourceIp cluster verb } } }',
    );
    const forbidden = workloadA.map((e, i) => ({ e, cluster: i % 3 === 0 ? 'staging' : 'prod' })).filter(({ e }) => e.responseStatus?.code === 403);
    const want = new Map<string, number>();
    for (const { e, cluster } of forbidden) for (const ip of e.sourceIPs ?? []) want.set(`${ip} ${cluster}`, (want.get(`${ip} ${cluster}`) ?? 0) + 1);
    expect(new Map(auditStats.groups.map((g) => [`${g.sourceIp} ${g.cluster}`, g.count]))).toEqual(want);
    expect(auditStats.groups.every((g) => g.verb === null)).toBe(true);
    expect(auditStats.total).toBe([...want.values()].reduce((a, b) => a + b, 0));
  });
});

describe('tenancy: the caller’s VictoriaLogs tenant, from its identity only', () => {
  it('one tenant never counts, lists or buckets another’s events', async () => {
    const stats = '{ auditStats(groupBy: [USER], top: 1000) { total groups { count user { username } } } }';
    const a = await graphql<Stats>(stats, {}, TENANT_A);
    const b = await graphql<Stats>(stats, {}, TENANT_B);
    expect(a.auditStats.total).toBe(Number((await rows('* | stats count() n', TENANT_A))[0]?.['n']));
    expect(b.auditStats.total).toBe(Number((await rows('* | stats count() n', TENANT_B))[0]?.['n']));
    expect(a.auditStats.total).not.toBe(b.auditStats.total);
    // Same usernames in both tenants, different counts: nothing of A is in B's groups, or the other way round.
    const countsOf = (s: Stats) => new Map(s.auditStats.groups.map((g) => [g.user?.username, g.count]));
    for (const [user, n] of countsOf(b)) expect(n).toBe(workloadB.filter((e) => e.user.username === user).length);
    const histogram = '{ auditHistogram(step: "1d") { total } }';
    expect((await graphql<Histogram>(histogram, {}, TENANT_B)).auditHistogram.total).toBe(workloadB.filter((e) => Date.parse(e.stageTimestamp) >= END.getTime() - 24 * HOUR).length);
    const shared = workloadB[0]?.user.username ?? '';
    expect(workloadA.some((e) => e.user.username === shared)).toBe(true);
    const idsOfB = await allEvents({ users: [shared] }, TENANT_B);
    expect(idsOfB.length).toBeGreaterThan(0);
    expect(idsOfB.every((id) => id.startsWith('b-'))).toBe(true);
  });

  it('no argument reaches another tenant: a tenant without audit scope is refused, not defaulted', async () => {
    const identity: Identity = { ...caller(TENANT_A), tenants: [{ name: 'hosts-only', clusters: [], hostLabels: { env: 'prod' }, victoriaLogs: null }] };
    const result = await executeSubgraph(definition, '{ auditStats(groupBy: []) { total } }', {}, identity);
    expect(result.errors?.map((e) => e.extensions?.['code'])).toEqual(['FORBIDDEN']);
  });
});

describe('hostile filter values through GraphQL', () => {
  const tenant: VictoriaLogsTenant = { accountId: 9, projectId: 9 };
  const template = workloadA[0];

  beforeAll(async () => {
    if (!template) throw new Error('empty workload');
    const records = HOSTILE_STRINGS.map((value, i) => ({
      ...template,
      auditID: `hostile-${String(i)}`,
      user: { username: value, groups: [value] },
      impersonatedUser: { username: value },
      userAgent: value,
      cluster: value,
    }));
    await client.forTenant(tenant).ingest(records, auditIngestParams());
    await victoriaLogs.flush();
  });

  it.each(HOSTILE_STRINGS.map((value) => [JSON.stringify(value).slice(0, 40), value]))('%s: every free-text filter counts exactly the one event holding it', async (_label, value) => {
    for (const field of ['users', 'userGroups', 'impersonatedUsers', 'clusters'] as const) {
      const result = await executeSubgraph(definition, 'query ($filter: AuditEventFilter) { auditStats(filter: $filter, groupBy: [USER, CLUSTER]) { total groups { count user { username } cluster } } }', { filter: { [field]: [value] } }, caller(tenant));
      expect(result.errors, field).toBeUndefined();
      expect(result.data, field).toEqual({ auditStats: { total: 1, groups: [{ count: 1, user: { username: value }, cluster: value }] } });
    }
    const byAgent = await executeSubgraph(definition, 'query ($filter: AuditEventFilter) { auditStats(filter: $filter, groupBy: [USER_AGENT]) { groups { userAgent } } }', { filter: { userAgentPrefixes: [value] } }, caller(tenant));
    const agents = (byAgent.data as { auditStats: { groups: { userAgent: string }[] } }).auditStats.groups.map((g) => g.userAgent);
    expect(agents.sort()).toEqual(HOSTILE_STRINGS.filter((held) => held.startsWith(value)).sort());
  });

  it.each(HOSTILE_STRINGS.map((value) => [JSON.stringify(value).slice(0, 40), value]))('%s: a name filter refuses it as BAD_USER_INPUT naming the field, or matches nothing', async (_label, value) => {
    for (const field of ['verbs', 'namespaces', 'resources', 'subresources', 'apiGroups', 'names', 'sourceIps'] as const) {
      const result = await executeSubgraph(definition, 'query ($filter: AuditEventFilter) { auditHistogram(filter: $filter, step: "1d") { total } }', { filter: { [field]: [value], from: '2025-10-01T00:00:00Z' } }, caller(tenant));
      if (result.errors) {
        expect(result.errors.map((e) => [e.extensions?.['code'], e.message.split(':')[0]]), field).toEqual([['BAD_USER_INPUT', `filter.${field}[0]`]]);
      } else {
        expect(result.data, field).toEqual({ auditHistogram: { total: 0 } });
      }
    }
  });
});

describe('VictoriaLogs down or slow', () => {
  const statsQuery = '{ auditStats(groupBy: [USER]) { total } }';
  const histogramQuery = '{ auditHistogram(step: "1h") { total } }';
  const against = (url: string, timeoutMs: number) =>
    createAuditSubgraph({ source: new VictoriaLogsAuditLogSource(new VictoriaLogsClient({ baseUrl: url, timeoutMs })), clusterName: 'prod', clock: () => END });

  it('unreachable: UPSTREAM_UNAVAILABLE', async () => {
    const down = against(`http://127.0.0.1:${String(await freePort())}`, 2_000);
    for (const query of [statsQuery, histogramQuery]) {
      expect((await executeSubgraph(down, query)).errors?.map((e) => e.extensions?.['code'])).toEqual(['UPSTREAM_UNAVAILABLE']);
    }
  });

  it('no answer in time: UPSTREAM_TIMEOUT', async () => {
    await withServer(
      () => undefined,
      async (url) => {
        for (const query of [statsQuery, histogramQuery]) {
          expect((await executeSubgraph(against(url, 200), query)).errors?.map((e) => e.extensions?.['code'])).toEqual(['UPSTREAM_TIMEOUT']);
        }
      },
    );
  });

  it('5xx or a body that is no answer: UPSTREAM_UNAVAILABLE; a query it refuses: UPSTREAM_REJECTED with its reason', async () => {
    await withServer(
      (request, response) => {
        if (request.url?.includes('stats_query')) response.writeHead(503, { 'Content-Type': 'text/plain' }).end('too many concurrent requests');
        else response.writeHead(200, { 'Content-Type': 'application/json' }).end('{"hits":[{"timestamps":["x"],"values":[]}]}');
      },
      async (url) => {
        for (const query of [statsQuery, histogramQuery]) {
          expect((await executeSubgraph(against(url, 2_000), query)).errors?.map((e) => e.extensions?.['code'])).toEqual(['UPSTREAM_UNAVAILABLE']);
        }
      },
    );
    const refused = new VictoriaLogsClient({ baseUrl: victoriaLogs.url, timeoutMs: 2_000 }).statsQuery('* | stats by (');
    await expect(refused).rejects.toMatchObject({ extensions: { code: 'UPSTREAM_REJECTED' }, message: expect.stringMatching(/HTTP 422\): cannot parse `query` arg/) });
  });
});

async function withServer(handler: (request: IncomingMessage, response: ServerResponse) => void, run: (url: string) => Promise<void>): Promise<void> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  try {
    await run(`http://127.0.0.1:${String(address.port)}`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
