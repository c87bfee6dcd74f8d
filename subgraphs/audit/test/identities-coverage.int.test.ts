import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditIngestParams } from '@vigil/lib/audit-log-format';
import type { Identity } from '@vigil/lib/identity';
import { executeSubgraph } from '../../../test/support/execute-subgraph.js';
import { freePort } from '../../../test/support/free-port.js';
import { startVictoriaLogs, type VictoriaLogsServer } from '../../../test/support/victorialogs.js';
import { auditCoverageConfig } from '../src/coverage-config.js';
import { createAuditSubgraph } from '../src/server.js';
import { VictoriaLogsAuditLogSource } from '../src/sources/victorialogs/audit-log-source.js';
import { VictoriaLogsClient, type VictoriaLogsTenant } from '../src/sources/victorialogs/client.js';
import type { AuditLayout } from '../src/sources/victorialogs/layout.js';
import { parseRfc3339Nanos } from '../src/sources/victorialogs/timestamps.js';
import { shipLikeFluentBit } from './fluent-bit-shipper.js';
import { auditWorkload, type WorkloadEvent } from './audit-workload.js';
import { HOSTILE_STRINGS } from './hostile-strings.js';

// Item 8 (identities across audit events) and item 9 (audit-policy coverage) against a real
// VictoriaLogs: every count GraphQL gives is compared with LogsQL written by hand and sent straight to
// the same server. The data is the day and a half of ./audit-workload.ts in two clusters, a third
// cluster whose policy records RBAC writes at Metadata only, and records stamped with no cluster at
// all. "Now" is END, the subgraph's injected clock; every range is relative to it.

const END = new Date('2025-10-09T01:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TENANT_A: VictoriaLogsTenant = { accountId: 21, projectId: 0 };
const TENANT_B: VictoriaLogsTenant = { accountId: 22, projectId: 0 };
const HOSTILE: VictoriaLogsTenant = { accountId: 23, projectId: 0 };
const RBAC_WRITES = ['create', 'update', 'patch', 'delete', 'deletecollection'];

const caller = (victoriaLogs: VictoriaLogsTenant, clusters = ['prod', 'staging']): Identity => ({
  subject: 'analyst',
  kind: 'user',
  roles: ['analyst'],
  tenants: [{ name: `team-${String(victoriaLogs.accountId)}`, clusters, hostLabels: null, victoriaLogs }],
  expiresAt: null,
});
/** The deployment's own view: not restricted to tenants, so it reads the configured tenant (A here). */
const UNRESTRICTED: Identity = { subject: 'compliance', kind: 'service', roles: ['viewer'], tenants: null, expiresAt: null };

const workload = auditWorkload({ end: END, count: 1500, idPrefix: 'a' });
const clusterOf = (index: number) => (index % 3 === 0 ? 'staging' : 'prod');
/** A third cluster, 300 requests of the same traffic: its policy records RBAC writes and secrets at Metadata, and it has ConfigMap traffic. */
const dev: WorkloadEvent[] = auditWorkload({ end: END, count: 300, idPrefix: 'd' }).map((event) => {
  const rbacWrite = event.objectRef?.apiGroup === 'rbac.authorization.k8s.io' && RBAC_WRITES.includes(event.verb);
  return rbacWrite || event.objectRef?.resource === 'secrets' ? { ...event, level: 'Metadata' } : event;
});
const devConfigMaps: WorkloadEvent[] = dev.slice(0, 40).map((event, i) => ({
  ...event,
  auditID: `dc-${String(i)}`,
  verb: 'get',
  level: 'Metadata',
  objectRef: { resource: 'configmaps', namespace: 'kube-system', name: 'kube-proxy', apiVersion: 'v1' },
}));
/** Written by a forwarder that stamped no cluster: they count as the subgraph's own cluster (prod). */
const unstamped: WorkloadEvent[] = auditWorkload({ end: END, count: 50, idPrefix: 'u' }).filter((event) => event.objectRef?.resource === 'pods' && event.objectRef.subresource === undefined);

let victoriaLogs: VictoriaLogsServer;
let client: VictoriaLogsClient;
let statsQueries = 0;
let definition: ReturnType<typeof createAuditSubgraph>;

beforeAll(async () => {
  victoriaLogs = await startVictoriaLogs();
  client = new VictoriaLogsClient({ baseUrl: victoriaLogs.url, timeoutMs: 10_000 });
  const a = client.forTenant(TENANT_A);
  await a.ingest(workload.filter((_e, i) => clusterOf(i) === 'prod'), auditIngestParams({ cluster: 'prod' }));
  await a.ingest(workload.filter((_e, i) => clusterOf(i) === 'staging'), auditIngestParams({ cluster: 'staging' }));
  await a.ingest([...dev, ...devConfigMaps], auditIngestParams({ cluster: 'dev' }));
  await a.ingest(unstamped, auditIngestParams());
  await client.forTenant(TENANT_B).ingest(auditWorkload({ end: END, count: 400, idPrefix: 'b' }), auditIngestParams({ cluster: 'prod' }));
  await victoriaLogs.flush();
  // Counts the stats queries the subgraph sends, to see Identity.activity batched.
  const counting = (inner: VictoriaLogsClient) => ({
    query: inner.query.bind(inner),
    hits: inner.hits.bind(inner),
    statsQuery: (logsql: string) => {
      statsQueries += 1;
      return inner.statsQuery(logsql);
    },
  });
  definition = createAuditSubgraph({
    source: new VictoriaLogsAuditLogSource(counting(a)),
    sourceForTenant: (tenant) => new VictoriaLogsAuditLogSource(counting(client.forTenant(tenant))),
    clusterName: 'prod',
    clock: () => END,
    coverage: auditCoverageConfig.parse({ expectedClusters: ['prod', 'staging', 'dev', 'quiet'] }),
  });
}, 60_000);

afterAll(async () => {
  await victoriaLogs?.stop();
});

/** LogsQL sent straight to VictoriaLogs (`/select/logsql/query`), rows as JSON objects. */
async function rows(query: string, tenant = TENANT_A): Promise<Record<string, string>[]> {
  const response = await fetch(`${victoriaLogs.url}/select/logsql/query`, {
    method: 'POST',
    headers: { AccountID: String(tenant.accountId), ProjectID: String(tenant.projectId) },
    body: new URLSearchParams({ query }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${query}: HTTP ${String(response.status)} ${text}`);
  return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, string>);
}

async function graphql<T>(query: string, variables: Record<string, unknown> = {}, identity: Identity = caller(TENANT_A)): Promise<T> {
  const result = await executeSubgraph(definition, query, variables, identity);
  if (result.errors) throw new Error(result.errors.map((e) => `${String(e.extensions?.['code'])}: ${e.message}`).join('; '));
  return result.data as T;
}

async function errorsOf(query: string, variables: Record<string, unknown> = {}): Promise<[unknown, string][]> {
  const result = await executeSubgraph(definition, query, variables, caller(TENANT_A));
  return (result.errors ?? []).map((e) => [e.extensions?.['code'], e.message.split(':')[0] ?? '']);
}

const iso = (millis: number) => new Date(millis).toISOString();

type Edge = { cursor: string; count: number; firstSeen: string; lastSeen: string; node: { username: string } };
type Connection = { totalCount: number; totalEvents: number; from: string; to: string; edges: Edge[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
const IDENTITIES = `query ($filter: AuditEventFilter, $first: Int, $after: String) {
  identities(filter: $filter, first: $first, after: $after) { totalCount totalEvents from to edges { cursor count firstSeen lastSeen node { username } } pageInfo { hasNextPage endCursor } }
}`;

/** Every identity of a filter, page by page. */
async function allIdentities(filter: Record<string, unknown>, first: number): Promise<{ pages: Connection[]; edges: Edge[] }> {
  const pages: Connection[] = [];
  let after: string | null = null;
  for (;;) {
    const { identities }: { identities: Connection } = await graphql<{ identities: Connection }>(IDENTITIES, { filter, first, after });
    pages.push(identities);
    if (!identities.pageInfo.hasNextPage) return { pages, edges: pages.flatMap((p) => p.edges) };
    after = identities.pageInfo.endCursor;
  }
}

/** The same ranking by hand: users of the matching events, most first, with first and last time. */
async function directIdentities(filter: string, tenant = TENANT_A) {
  const ranked = await rows(`${filter} user.username:* | stats by (user.username) count() n, min(_time) first, max(_time) last | sort by (n desc, user.username)`, tenant);
  return ranked.map((row) => ({ username: row['user.username'], count: Number(row['n']), firstSeen: row['first'], lastSeen: row['last'] }));
}

describe('identities: who touched what, GraphQL equals LogsQL', () => {
  it('"who touched secrets this week": the default range is the 7 days before now, every page equal to the hand-written ranking', async () => {
    const week = `_time:[${iso(END.getTime() - 7 * DAY)}, ${END.toISOString()})`;
    const direct = await directIdentities(`${week} objectRef.resource:=secrets`);
    expect(direct.length).toBeGreaterThan(20);
    const { pages, edges } = await allIdentities({ resources: ['secrets'] }, 7);
    expect(pages.length).toBe(Math.ceil(direct.length / 7));
    expect(edges.map((e) => ({ username: e.node.username, count: e.count, firstSeen: e.firstSeen, lastSeen: e.lastSeen }))).toEqual(direct);
    const [totals] = await rows(`${week} objectRef.resource:=secrets user.username:* | stats count_uniq(user.username) identities, count() events`);
    for (const page of pages) {
      expect(page).toMatchObject({ totalCount: Number(totals?.['identities']), totalEvents: Number(totals?.['events']), from: iso(END.getTime() - 7 * DAY), to: END.toISOString() });
    }
    // Most first: counts never rise down the ranking.
    expect(edges.map((e) => e.count)).toEqual([...edges.map((e) => e.count)].sort((a, b) => b - a));
  });

  it('a filter of several conditions and its own range: people reading secrets in the last 6 hours of one cluster', async () => {
    const from = iso(END.getTime() - 6 * HOUR);
    const direct = await directIdentities(`_time:[${from}, ${END.toISOString()}) cluster:=prod objectRef.resource:=secrets verb:in(get, list) -user.username:="system:serviceaccount:"*`);
    expect(direct.length).toBeGreaterThan(5);
    const { edges } = await allIdentities({ resources: ['secrets'], verbs: ['get', 'list'], clusters: ['prod'], excludeServiceAccounts: true, from }, 1000);
    expect(edges.map((e) => [e.node.username, e.count, e.firstSeen, e.lastSeen])).toEqual(direct.map((d) => [d.username, d.count, d.firstSeen, d.lastSeen]));
    expect(edges.every((e) => !e.node.username.startsWith('system:serviceaccount:'))).toBe(true);
  });

  it('nothing matches: an empty connection with zero totals; a page past the end still carries the totals', async () => {
    const none = await graphql<{ identities: Connection }>(IDENTITIES, { filter: { users: ['nobody'] } });
    expect(none.identities).toMatchObject({ totalCount: 0, totalEvents: 0, edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
    const { pages } = await allIdentities({ resources: ['secrets'] }, 13);
    const last = pages.at(-1);
    const past = await graphql<{ identities: Connection }>(IDENTITIES, { filter: { resources: ['secrets'] }, first: 5, after: last?.edges.at(-1)?.cursor });
    expect(past.identities).toMatchObject({ edges: [], totalCount: pages[0]?.totalCount, totalEvents: pages[0]?.totalEvents, pageInfo: { hasNextPage: false } });
  });
});

describe('Identity.activity: counts by verb and resource, first and last seen', () => {
  type Activity = { from: string; to: string; total: number; firstSeen: string | null; lastSeen: string | null; byVerb: { verb: string; count: number }[]; byResource: { apiGroup: string | null; resource: string | null; subresource: string | null; count: number }[] };
  const ACTIVITY = 'from to total firstSeen lastSeen byVerb { verb count } byResource(top: 3) { apiGroup resource subresource count }';

  async function directActivity(username: string, from: string, to: string): Promise<Activity> {
    const range = `_time:[${from}, ${to}) user.username:=${JSON.stringify(username)}`;
    const [summary] = await rows(`${range} | stats count() n, min(_time) first, max(_time) last`);
    const verbs = await rows(`${range} | stats by (verb) count() n | sort by (n desc, verb)`);
    const resources = await rows(`${range} | stats by (objectRef.apiGroup, objectRef.resource, objectRef.subresource) count() n | sort by (n desc, objectRef.apiGroup, objectRef.resource, objectRef.subresource) limit 3`);
    const orNull = (value: string | undefined) => (value === undefined || value === '' ? null : value);
    const total = Number(summary?.['n'] ?? 0);
    return {
      from,
      to,
      total,
      firstSeen: total === 0 ? null : (summary?.['first'] ?? null),
      lastSeen: total === 0 ? null : (summary?.['last'] ?? null),
      byVerb: verbs.map((row) => ({ verb: row['verb'] ?? '', count: Number(row['n']) })),
      byResource: resources.map((row) => ({ apiGroup: orNull(row['objectRef.apiGroup']), resource: orNull(row['objectRef.resource']), subresource: orNull(row['objectRef.subresource']), count: Number(row['n']) })),
    };
  }
  /** Equal counts come in either order: compare as sets per count. */
  const sorted = (a: Activity) => ({ ...a, byVerb: [...a.byVerb].sort((x, y) => y.count - x.count || x.verb.localeCompare(y.verb)) });

  it('listed by identities: the listing’s range, one stats query per aspect for the whole page', async () => {
    const from = iso(END.getTime() - 12 * HOUR);
    statsQueries = 0;
    const { identities } = await graphql<{ identities: { from: string; to: string; edges: { count: number; node: { username: string; activity: Activity } }[] } }>(
      `query ($from: DateTime) { identities(filter: { from: $from }, first: 12) { from to edges { count node { username activity { ${ACTIVITY} } } } } }`,
      { from },
    );
    // One for the listing, then one each for summaries, verbs and resources of all 12 identities.
    expect(statsQueries).toBe(4);
    expect(identities.edges).toHaveLength(12);
    for (const { count, node } of identities.edges) {
      expect(node.activity.total).toBe(count);
      const direct = await directActivity(node.username, identities.from, identities.to);
      expect(sorted(node.activity)).toEqual(sorted(direct));
    }
  });

  it('as an entity: the 7 days before now by default, or the range asked', async () => {
    const users = ['user-07', 'system:serviceaccount:kube-system:generic-garbage-collector', 'nobody-at-all'];
    const representations = users.map((username) => ({ __typename: 'Identity', username }));
    const { _entities } = await graphql<{ _entities: { username: string; week: Activity; hour: Activity }[] }>(
      `query ($representations: [_Any!]!, $from: DateTime, $to: DateTime) { _entities(representations: $representations) { ... on Identity { username week: activity { ${ACTIVITY} } hour: activity(from: $from, to: $to) { ${ACTIVITY} } } } }`,
      { representations, from: iso(END.getTime() - 2 * HOUR), to: iso(END.getTime() - HOUR) },
    );
    for (const entity of _entities) {
      expect(sorted(entity.week)).toEqual(sorted(await directActivity(entity.username, iso(END.getTime() - 7 * DAY), END.toISOString())));
      expect(sorted(entity.hour)).toEqual(sorted(await directActivity(entity.username, iso(END.getTime() - 2 * HOUR), iso(END.getTime() - HOUR))));
    }
    expect(_entities[0]?.week.total).toBeGreaterThan(0);
    expect(_entities[2]?.week).toMatchObject({ total: 0, firstSeen: null, lastSeen: null, byVerb: [], byResource: [] });
  });

  it('hostile usernames: each counts exactly its own events, listed and as an entity', async () => {
    const template = workload[0];
    if (!template) throw new Error('empty workload');
    const records = HOSTILE_STRINGS.flatMap((value, i) => [0, 1].map((k) => ({ ...template, auditID: `h-${String(i)}-${String(k)}`, user: { username: value, groups: [] } })));
    await client.forTenant(HOSTILE).ingest(records, auditIngestParams({ cluster: 'prod' }));
    await victoriaLogs.flush();
    const since = '2025-01-01T00:00:00Z';
    for (const value of HOSTILE_STRINGS) {
      const result = await executeSubgraph(
        definition,
        'query ($filter: AuditEventFilter, $representations: [_Any!]!, $from: DateTime) { identities(filter: $filter) { totalCount edges { count node { username } } } _entities(representations: $representations) { ... on Identity { activity(from: $from) { total } } } }',
        { filter: { users: [value], from: since }, representations: [{ __typename: 'Identity', username: value }], from: since },
        caller(HOSTILE),
      );
      expect(result.errors, JSON.stringify(value)).toBeUndefined();
      expect(result.data, JSON.stringify(value)).toEqual({ identities: { totalCount: 1, edges: [{ count: 2, node: { username: value } }] }, _entities: [{ activity: { total: 2 } }] });
    }
  });
});

describe('auditPolicyCoverage: levels per cluster and resource group, GraphQL equals LogsQL', () => {
  type LevelCount = { level: string | null; count: number };
  type Finding = { kind: string; cluster: string; group: string | null; count: number; message: string };
  type Coverage = {
    from: string;
    to: string;
    satisfied: boolean;
    findings: Finding[];
    clusters: { cluster: string; expected: boolean; total: number; satisfied: boolean; groups: { group: string; total: number; levels: LevelCount[]; satisfied: boolean; findings: Finding[] }[] }[];
    expectations: { group: string; minimumLevel: string; maximumLevel: string | null; expectEvents: boolean }[];
  };
  const COVERAGE = `query ($from: DateTime, $to: DateTime) { auditPolicyCoverage(from: $from, to: $to) {
    from to satisfied findings { kind cluster group count message }
    clusters { cluster expected total satisfied groups { group total satisfied levels { level count } findings { kind cluster group count message } } }
    expectations { group minimumLevel maximumLevel expectEvents } } }`;

  /** The default groups as a person writes them in LogsQL; `other` is what none of them matches. */
  const GROUPS: [string, string][] = [
    ['secrets', 'objectRef.apiGroup:="" objectRef.resource:=secrets objectRef.subresource:=""'],
    ['rbac-writes', 'objectRef.apiGroup:=rbac.authorization.k8s.io objectRef.resource:in(roles, rolebindings, clusterroles, clusterrolebindings) objectRef.subresource:="" verb:in(create, update, patch, delete, deletecollection)'],
    ['pods-exec', 'objectRef.apiGroup:="" objectRef.resource:=pods objectRef.subresource:in(exec, attach, portforward)'],
    ['configmaps', 'objectRef.apiGroup:="" objectRef.resource:=configmaps objectRef.subresource:=""'],
  ];
  const OTHER = GROUPS.map(([, filter]) => `NOT (${filter})`).join(' AND ');
  const LEVEL: Record<string, string> = { Metadata: 'METADATA', Request: 'REQUEST', RequestResponse: 'REQUEST_RESPONSE' };

  it('the last 24 hours by default: every count per cluster, group and level is the hand-written LogsQL’s', async () => {
    const from = iso(END.getTime() - DAY);
    const { auditPolicyCoverage: coverage } = await graphql<{ auditPolicyCoverage: Coverage }>(COVERAGE, {}, UNRESTRICTED);
    expect(coverage).toMatchObject({ from, to: END.toISOString() });
    expect(coverage.clusters.map((c) => [c.cluster, c.expected])).toEqual([['dev', true], ['prod', true], ['quiet', true], ['staging', true]]);
    const range = `_time:[${from}, ${END.toISOString()})`;
    for (const [group, filter] of [...GROUPS, ['other', OTHER] as [string, string]]) {
      const direct = await rows(`${range} (${filter}) | stats by (cluster, level) count() n`);
      const want = new Map<string, LevelCount[]>();
      for (const row of direct) {
        // Records stamped with no cluster are the subgraph's own cluster's (prod).
        const cluster = row['cluster'] || 'prod';
        const levels = want.get(cluster) ?? [];
        const level = LEVEL[row['level'] ?? ''] ?? null;
        const same = levels.find((l) => l.level === level);
        if (same) same.count += Number(row['n']);
        else levels.push({ level, count: Number(row['n']) });
        want.set(cluster, levels);
      }
      for (const cluster of coverage.clusters) {
        const got = cluster.groups.find((g) => g.group === group);
        const order = ['METADATA', 'REQUEST', 'REQUEST_RESPONSE'];
        const expected = (want.get(cluster.cluster) ?? []).sort((a, b) => order.indexOf(a.level ?? '') - order.indexOf(b.level ?? ''));
        expect(got?.levels, `${cluster.cluster} ${group}`).toEqual(expected);
        expect(got?.total).toBe(expected.reduce((n, l) => n + l.count, 0));
      }
    }
    const totals = await rows(`${range} | stats by (cluster) count() n`);
    const prod = totals.filter((row) => (row['cluster'] || 'prod') === 'prod').reduce((n, row) => n + Number(row['n']), 0);
    expect(coverage.clusters.find((c) => c.cluster === 'prod')?.total).toBe(prod);
    expect(unstamped.length).toBeGreaterThan(0);
  });

  it('finds a silent cluster, secrets recorded with their bodies, a group the policy drops and RBAC writes without bodies', async () => {
    const { auditPolicyCoverage: coverage } = await graphql<{ auditPolicyCoverage: Coverage }>(COVERAGE, {}, UNRESTRICTED);
    const kinds = coverage.findings.map((f) => [f.cluster, f.group, f.kind]);
    expect(kinds).toEqual([
      ['dev', 'rbac-writes', 'LEVEL_BELOW_MINIMUM'],
      ['prod', 'secrets', 'LEVEL_ABOVE_MAXIMUM'],
      ['prod', 'configmaps', 'GROUP_NOT_RECORDED'],
      ['quiet', null, 'NO_EVENTS'],
      ['staging', 'secrets', 'LEVEL_ABOVE_MAXIMUM'],
      ['staging', 'configmaps', 'GROUP_NOT_RECORDED'],
    ]);
    expect(coverage.satisfied).toBe(false);
    const range = `_time:[${iso(END.getTime() - DAY)}, ${END.toISOString()})`;
    const [devRbac] = await rows(`${range} cluster:=dev (${GROUPS[1]?.[1] ?? ''}) level:=Metadata | stats count() n`);
    expect(coverage.findings[0]).toMatchObject({ count: Number(devRbac?.['n']) });
    expect(coverage.findings[0]?.count).toBeGreaterThan(0);
    const [prodSecrets] = await rows(`${range} cluster:=prod (${GROUPS[0]?.[1] ?? ''}) level:in(Request, RequestResponse) | stats count() n`);
    expect(coverage.findings[1]).toMatchObject({ count: Number(prodSecrets?.['n']) });
    expect(coverage.findings[1]?.message).toMatch(/above Metadata/);
    const devCluster = coverage.clusters.find((c) => c.cluster === 'dev');
    expect(devCluster?.groups.filter((g) => !g.satisfied).map((g) => g.group)).toEqual(['rbac-writes']);
    expect(coverage.clusters.find((c) => c.cluster === 'quiet')).toMatchObject({ total: 0, satisfied: false });
    expect(coverage.expectations).toEqual([
      { group: 'secrets', minimumLevel: 'METADATA', maximumLevel: 'METADATA', expectEvents: true },
      { group: 'rbac-writes', minimumLevel: 'REQUEST', maximumLevel: null, expectEvents: false },
      { group: 'pods-exec', minimumLevel: 'METADATA', maximumLevel: null, expectEvents: false },
      { group: 'configmaps', minimumLevel: 'METADATA', maximumLevel: 'METADATA', expectEvents: true },
      { group: 'other', minimumLevel: 'METADATA', maximumLevel: null, expectEvents: true },
    ]);
  });

  it('a range asked: only its records count', async () => {
    const from = iso(END.getTime() - 2 * HOUR);
    const to = iso(END.getTime() - HOUR);
    const { auditPolicyCoverage: coverage } = await graphql<{ auditPolicyCoverage: Coverage }>(COVERAGE, { from, to }, UNRESTRICTED);
    expect(coverage).toMatchObject({ from, to });
    const direct = await rows(`_time:[${from}, ${to}) | stats by (cluster) count() n`);
    for (const cluster of coverage.clusters) {
      const want = direct.filter((row) => (row['cluster'] || 'prod') === cluster.cluster).reduce((n, row) => n + Number(row['n']), 0);
      expect(cluster.total, cluster.cluster).toBe(want);
    }
  });

  it('a tenant’s caller: its own VictoriaLogs account, its own clusters expected', async () => {
    const { auditPolicyCoverage: coverage } = await graphql<{ auditPolicyCoverage: Coverage }>(COVERAGE, {}, caller(TENANT_B, ['prod', 'edge']));
    expect(coverage.clusters.map((c) => [c.cluster, c.expected])).toEqual([['edge', true], ['prod', true]]);
    const [direct] = await rows(`_time:[${iso(END.getTime() - DAY)}, ${END.toISOString()}) | stats count() n`, TENANT_B);
    expect(coverage.clusters.find((c) => c.cluster === 'prod')?.total).toBe(Number(direct?.['n']));
    expect(coverage.findings.filter((f) => f.kind === 'NO_EVENTS').map((f) => f.cluster)).toEqual(['edge']);
  });
});

describe('in a Fluent Bit layout: the event time a field, the cluster a constant', () => {
  // As the Talos policy ships them (./fluent-bit-shipper.ts): `_time` is when Fluent Bit read the line,
  // 0.2 to 3 s after the event; the event's time is stageTimestamp; the records carry no cluster.
  const FLUENT: VictoriaLogsTenant = { accountId: 24, projectId: 0 };
  const LAYOUT: AuditLayout = { streamFilter: { stream: 'audit.kube-apiserver' }, time: 'stageTimestamp', timeSkewMs: 86_400_000, cluster: { value: 'talos' } };
  let fluent: ReturnType<typeof createAuditSubgraph>;

  beforeAll(async () => {
    const entries = workload.map((record, index) => ({ record, readAtNanos: (parseRfc3339Nanos(record.stageTimestamp) ?? 0n) + BigInt(200 + ((index * 7919) % 2800)) * 1_000_000n }));
    for (let start = 0; start < entries.length; start += 500) {
      await shipLikeFluentBit(victoriaLogs.url, entries.slice(start, start + 500), {
        uri: '/insert/jsonline?_stream_fields=stream,namespace,pod&_time_field=date',
        headers: { AccountID: String(FLUENT.accountId), ProjectID: String(FLUENT.projectId) },
        add: { stream: 'audit.kube-apiserver' },
      });
    }
    await victoriaLogs.flush();
    fluent = createAuditSubgraph({ source: new VictoriaLogsAuditLogSource(client.forTenant(FLUENT), LAYOUT), clusterName: 'prod', clock: () => END });
  });

  it('identities and their first and last events by stageTimestamp; coverage of the one cluster', async () => {
    const from = iso(END.getTime() - 6 * HOUR);
    const result = await executeSubgraph(
      fluent,
      `query ($from: DateTime) {
        identities(filter: { resources: ["secrets"], from: $from }, first: 1000) { totalCount edges { count firstSeen lastSeen node { username activity { total firstSeen lastSeen } } } }
        auditPolicyCoverage { clusters { cluster total groups { group total } } }
      }`,
      { from },
    );
    expect(result.errors).toBeUndefined();
    const data = result.data as {
      identities: { totalCount: number; edges: { count: number; firstSeen: string; lastSeen: string; node: { username: string; activity: { total: number; firstSeen: string; lastSeen: string } } }[] };
      auditPolicyCoverage: { clusters: { cluster: string; total: number; groups: { group: string; total: number }[] }[] };
    };
    // Counted by hand from the events themselves, by their own time.
    const inRange = (event: WorkloadEvent, start: number) => Date.parse(event.stageTimestamp) >= start && Date.parse(event.stageTimestamp) < END.getTime();
    const secrets = workload.filter((event) => event.objectRef?.resource === 'secrets' && inRange(event, Date.parse(from)));
    const byUser = new Map<string, WorkloadEvent[]>();
    for (const event of secrets) byUser.set(event.user.username, [...(byUser.get(event.user.username) ?? []), event]);
    expect(data.identities.totalCount).toBe(byUser.size);
    for (const edge of data.identities.edges) {
      const events = byUser.get(edge.node.username) ?? [];
      const times = events.map((event) => event.stageTimestamp).sort();
      expect([edge.count, edge.firstSeen, edge.lastSeen]).toEqual([events.length, times[0], times.at(-1)]);
      // Activity is everything the identity did in the listing's range, secrets or not.
      const all = workload.filter((event) => event.user.username === edge.node.username && inRange(event, Date.parse(from)));
      const allTimes = all.map((event) => event.stageTimestamp).sort();
      expect(edge.node.activity).toEqual({ total: all.length, firstSeen: allTimes[0], lastSeen: allTimes.at(-1) });
    }
    const day = workload.filter((event) => inRange(event, END.getTime() - DAY));
    expect(data.auditPolicyCoverage.clusters.map((c) => [c.cluster, c.total])).toEqual([
      ['prod', 0],
      ['talos', day.length],
    ]);
    expect(data.auditPolicyCoverage.clusters[1]?.groups.find((g) => g.group === 'secrets')?.total).toBe(day.filter((e) => e.objectRef?.resource === 'secrets').length);
  });
});

describe('tenancy of identities', () => {
  it('one tenant never lists or counts another’s identities', async () => {
    const filter = { from: '2025-01-01T00:00:00Z' };
    const a = await graphql<{ identities: Connection }>(IDENTITIES, { filter, first: 1000 });
    const b = await graphql<{ identities: Connection }>(IDENTITIES, { filter, first: 1000 }, caller(TENANT_B));
    const [totalA] = await rows('_time:>=2025-01-01T00:00:00Z user.username:* | stats count() n');
    const [totalB] = await rows('_time:>=2025-01-01T00:00:00Z user.username:* | stats count() n', TENANT_B);
    expect(a.identities.totalEvents).toBe(Number(totalA?.['n']));
    expect(b.identities.totalEvents).toBe(Number(totalB?.['n']));
    expect(a.identities.totalEvents).not.toBe(b.identities.totalEvents);
  });
});

describe('bad input: BAD_USER_INPUT naming the argument, before VictoriaLogs is asked', () => {
  it.each([
    ['identities first', '{ identities(first: 0) { totalCount } }', 'first'],
    ['identities first too large', '{ identities(first: 1001) { totalCount } }', 'first'],
    ['identities after', '{ identities(after: "bm90LWEtY3Vyc29y") { totalCount } }', 'after'],
    ['identities range', '{ identities(filter: { from: "2025-10-09T00:00:00Z", to: "2025-10-08T00:00:00Z" }) { totalCount } }', 'filter.from'],
    ['identities filter value', '{ identities(filter: { namespaces: ["Not A Label"] }) { totalCount } }', 'filter.namespaces[0]'],
    ['activity range', '{ _entities(representations: [{ __typename: "Identity", username: "u" }]) { ... on Identity { activity(from: "2025-10-09T00:00:00Z", to: "2025-10-08T00:00:00Z") { total } } } }', 'from'],
    ['activity date', '{ _entities(representations: [{ __typename: "Identity", username: "u" }]) { ... on Identity { activity(to: "yesterday") { total } } } }', 'to'],
    ['activity top', '{ _entities(representations: [{ __typename: "Identity", username: "u" }]) { ... on Identity { activity { byResource(top: 0) { count } } } } }', 'top'],
    ['coverage range', '{ auditPolicyCoverage(from: "2025-10-09T00:00:00Z", to: "2025-10-08T00:00:00Z") { satisfied } }', 'from'],
    ['coverage date', '{ auditPolicyCoverage(from: "not a date") { satisfied } }', 'from'],
  ])('%s', async (_name, query, argument) => {
    statsQueries = 0;
    expect(await errorsOf(query)).toEqual([['BAD_USER_INPUT', argument]]);
    expect(statsQueries).toBe(0);
  });
});

describe('VictoriaLogs down or slow', () => {
  const queries = [
    '{ identities { totalCount } }',
    '{ _entities(representations: [{ __typename: "Identity", username: "u" }]) { ... on Identity { activity { total byVerb { count } } } } }',
    '{ auditPolicyCoverage { satisfied } }',
  ];
  const against = (url: string, timeoutMs: number) =>
    createAuditSubgraph({ source: new VictoriaLogsAuditLogSource(new VictoriaLogsClient({ baseUrl: url, timeoutMs })), clusterName: 'prod', clock: () => END });
  const codes = async (definitionUnderTest: ReturnType<typeof against>, query: string) => [...new Set((await executeSubgraph(definitionUnderTest, query)).errors?.map((e) => e.extensions?.['code']))];

  it('unreachable: UPSTREAM_UNAVAILABLE', async () => {
    const down = against(`http://127.0.0.1:${String(await freePort())}`, 2_000);
    for (const query of queries) expect(await codes(down, query), query).toEqual(['UPSTREAM_UNAVAILABLE']);
  });

  it('no answer in time: UPSTREAM_TIMEOUT; a 5xx: UPSTREAM_UNAVAILABLE', async () => {
    await withServer(
      () => undefined,
      async (url) => {
        for (const query of queries) expect(await codes(against(url, 200), query), query).toEqual(['UPSTREAM_TIMEOUT']);
      },
    );
    await withServer(
      (_request, response) => response.writeHead(503, { 'Content-Type': 'text/plain' }).end('too many concurrent requests'),
      async (url) => {
        for (const query of queries) expect(await codes(against(url, 2_000), query), query).toEqual(['UPSTREAM_UNAVAILABLE']);
      },
    );
  });

  it('no VictoriaLogs configured: UPSTREAM_UNAVAILABLE', async () => {
    const none = createAuditSubgraph({ source: null, clusterName: 'prod', clock: () => END });
    for (const query of queries) expect(await codes(none, query), query).toEqual(['UPSTREAM_UNAVAILABLE']);
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

