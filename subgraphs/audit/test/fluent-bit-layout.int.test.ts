import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryAlertLog } from '@vigil/lib/alerts/memory-alert-log';
import { AlertPublisher } from '@vigil/lib/alerts/publisher';
import { auditIngestParams } from '@vigil/lib/audit-log-format';
import { loadConfig } from '@vigil/lib/config';
import type { Identity } from '@vigil/lib/identity';
import { createLogger } from '@vigil/lib/logger';
import { serviceConfigShape } from '@vigil/lib/subgraph-main';
import { entitiesOf, executeSubgraph } from '../../../test/support/execute-subgraph.js';
import { startVictoriaLogs, type VictoriaLogsServer } from '../../../test/support/victorialogs.js';
import { auditConfig, auditOverrides } from '../src/config.js';
import { createAuditRuntime } from '../src/runtime.js';
import { VictoriaLogsAuditLogSource } from '../src/sources/victorialogs/audit-log-source.js';
import { VictoriaLogsClient, type VictoriaLogsTenant } from '../src/sources/victorialogs/client.js';
import { layoutProblems, type AuditLayout } from '../src/sources/victorialogs/layout.js';
import { parseRfc3339Nanos } from '../src/sources/victorialogs/timestamps.js';
import { auditWorkload, type WorkloadEvent } from './audit-workload.js';
import { HOSTILE_STRINGS } from './hostile-strings.js';
import { shipLikeFluentBit } from './fluent-bit-shipper.js';
import { createServiceRegistry } from '@vigil/lib/metrics';

// The audit VictoriaLogs users already have: audit logs shipped by Fluent Bit as the Talos
// audit-logging policy does (tail of the API server's audit log, JSON parser, `http` output to
// `/insert/jsonline?_stream_fields=stream,namespace,pod` with `AccountID: 0` / `ProjectID: 0`, Fluent
// Bit's `date` as the time, queried as `{stream="audit.kube-apiserver"}`), read by the audit subgraph
// through a layout in its config, beside the same events written by Vigil's own forwarder. One real
// VictoriaLogs, three tenants holding the same audit events (./audit-workload.ts, built from the real
// fixtures), each written its own way:
//
// - VIGIL: Vigil's forwarder (auditIngestParams): _time = stageTimestamp, a `cluster` field.
// - FLUENT_BIT: Fluent Bit as the policy's quick start sets it up: a `modify` filter adds
//   `stream audit.kube-apiserver` and `cluster <name>`; `_time_field=date`, and `date` is when Fluent Bit
//   read the line (the stock `json` parser finds no `time` key in an audit event), 0.2-3 s after the
//   event, and two hours after it for a backlog read after a Fluent Bit restart.
// - POLICY: as the policy itself ships them: no cluster at all (the layout names it), the prod events only.
//
// Every audit query (auditEvents, auditStats, auditHistogram, Identity.auditEvents, KubeObject.auditTrail
// and AuditEvent.object) must answer the same rows and counts from each, and the policy's own example
// queries, run directly as LogsQL, the same as their GraphQL equivalents. "Now" is END, injected.

const END = new Date('2025-10-09T01:00:00Z');
const HOUR = 3_600_000;
const STREAM = 'audit.kube-apiserver';
const VIGIL: VictoriaLogsTenant = { accountId: 1, projectId: 0 };
const FLUENT_BIT: VictoriaLogsTenant = { accountId: 2, projectId: 0 };
const POLICY: VictoriaLogsTenant = { accountId: 3, projectId: 0 };

// 2,500 requests, one every 37 s: a little over 25 hours, so "the last 24 hours" cuts through them.
const workload = auditWorkload({ end: END, count: 2500, idPrefix: 'a' });
const clusterOf = (index: number) => (index % 3 === 0 ? 'staging' : 'prod');
const stageNanos = (event: WorkloadEvent) => parseRfc3339Nanos(event.stageTimestamp) ?? 0n;
const nanosAt = (millis: number) => BigInt(millis) * 1_000_000n;
/** The backlog: events of the hour around END - 24 h, which Fluent Bit read two hours late (it was down). */
const BACKLOG = { from: nanosAt(END.getTime() - 24.5 * HOUR), to: nanosAt(END.getTime() - 23.5 * HOUR), delayNanos: nanosAt(2 * HOUR) };
const inBacklog = (event: WorkloadEvent) => stageNanos(event) >= BACKLOG.from && stageNanos(event) < BACKLOG.to;
/** When Fluent Bit read event `index`: 0.2 to 3 s after it was written, two hours more in the backlog. */
const readDelayNanos = (event: WorkloadEvent, index: number) => (inBacklog(event) ? BACKLOG.delayNanos : 0n) + nanosAt(200 + ((index * 7919) % 2800));

// The pipeline and its layout as deploy/integrations/fluent-bit documents them: the output's URI and the
// modify filter's keys from existing-pipeline.conf, the layout from existing-pipeline-vigil.yaml (read
// by Vigil's own config loader).
const integrations = (file: string) => fileURLToPath(new URL(`../../../deploy/integrations/fluent-bit/${file}`, import.meta.url));
const pipeline = readFileSync(integrations('existing-pipeline.conf'), 'utf8');
const setting = (key: string) => [...pipeline.matchAll(new RegExp(`^\\s+${key}\\s+(.+)$`, 'gm'))].map((match) => (match[1] ?? '').trim());
const [URI = ''] = setting('URI');
const ADDED = new Map(setting('Add').map((entry) => [entry.split(/\s+/)[0] ?? '', entry.split(/\s+/).slice(1).join(' ')]));
const documentedLayout = loadConfig({
  schema: z.object({ ...serviceConfigShape, audit: auditConfig.prefault({}) }).strict(),
  env: { VIGIL_CONFIG: integrations('existing-pipeline-vigil.yaml') },
  overrides: auditOverrides,
}).audit.victoriaLogs.layout;

/** The audit section of vigil.yaml for this deployment: the default tenant is Vigil's, two others Fluent Bit's. */
const config = (url: string) =>
  auditConfig.parse({
    victoriaLogs: {
      url,
      accountId: VIGIL.accountId,
      tenantLayouts: [
        { accountId: FLUENT_BIT.accountId, layout: documentedLayout },
        { accountId: POLICY.accountId, layout: { ...documentedLayout, cluster: { value: 'prod' } } },
      ],
    },
  });

let victoriaLogs: VictoriaLogsServer;
let definition: ReturnType<typeof createAuditRuntime>['definition'];

beforeAll(async () => {
  victoriaLogs = await startVictoriaLogs();
  const client = new VictoriaLogsClient({ baseUrl: victoriaLogs.url, timeoutMs: 10_000 }).forTenant(VIGIL);
  const indexed = workload.map((event, index) => ({ event, index }));
  for (const cluster of ['prod', 'staging']) {
    await client.ingest(indexed.filter(({ index }) => clusterOf(index) === cluster).map(({ event }) => event), auditIngestParams({ cluster }));
  }
  // Each control-plane node's Fluent Bit flushes its own records, in the order it read them.
  const read = (index: number, event: WorkloadEvent) => ({ record: event, readAtNanos: stageNanos(event) + readDelayNanos(event, index) });
  const headers = (tenant: VictoriaLogsTenant) => ({ AccountID: String(tenant.accountId), ProjectID: String(tenant.projectId) });
  expect(URI).toBe('/insert/jsonline?_stream_fields=stream,namespace,pod&_time_field=date');
  expect([...ADDED]).toEqual([['stream', STREAM], ['cluster', '${CLUSTER_NAME}']]);
  for (const cluster of ['prod', 'staging']) {
    const entries = indexed.filter(({ index }) => clusterOf(index) === cluster).map(({ event, index }) => read(index, event));
    const add = Object.fromEntries([...ADDED].map(([key, value]) => [key, value.replace('${CLUSTER_NAME}', cluster)]));
    for (let start = 0; start < entries.length; start += 500) {
      await shipLikeFluentBit(victoriaLogs.url, entries.slice(start, start + 500), { uri: URI, headers: headers(FLUENT_BIT), add });
    }
  }
  // The policy's own pipeline adds no cluster.
  const prod = indexed.filter(({ index }) => clusterOf(index) === 'prod').map(({ event, index }) => read(index, event));
  await shipLikeFluentBit(victoriaLogs.url, prod, { uri: URI, headers: headers(POLICY), add: { stream: ADDED.get('stream') ?? '' } });
  await victoriaLogs.flush();

  const logger = createLogger('test', { level: 'silent' });
  const shared = { logger, publisher: new AlertPublisher(new MemoryAlertLog({ maxLength: 10 }), logger, () => END), redisUrl: undefined, namespace: 'test', clock: () => END, metrics: createServiceRegistry() };
  definition = createAuditRuntime(config(victoriaLogs.url), shared, 'prod').definition;
}, 120_000);

afterAll(async () => {
  await victoriaLogs?.stop();
});

const caller = (victoriaLogs: VictoriaLogsTenant): Identity => ({
  subject: 'analyst',
  kind: 'user',
  roles: ['analyst'],
  tenants: [{ name: `team-${String(victoriaLogs.accountId)}`, clusters: ['prod', 'staging'], hostLabels: null, victoriaLogs }],
  expiresAt: null,
});

async function graphql<T>(tenant: VictoriaLogsTenant, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const result = await executeSubgraph(definition, query, variables, caller(tenant));
  if (result.errors) throw new Error(result.errors.map((e) => e.message).join('; '));
  return result.data as T;
}

/** LogsQL sent straight to VictoriaLogs, as a person following the policy would. */
async function logsql(tenant: VictoriaLogsTenant, query: string): Promise<Record<string, string>[]> {
  const response = await fetch(`${victoriaLogs.url}/select/logsql/query`, {
    method: 'POST',
    headers: { AccountID: String(tenant.accountId), ProjectID: String(tenant.projectId) },
    body: new URLSearchParams({ query }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${query}: HTTP ${String(response.status)} ${text}`);
  return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, string>);
}

const EVENT_FIELDS = `auditId stage time level verb user { username } userGroups impersonatedUser { username } sourceIps userAgent
  resource subresource namespace name apiGroup apiVersion requestUri responseCode cluster object { cluster namespace kind name }`;

type Node = Record<string, unknown> & { auditId: string; stage: string; time: string };
type Page = { edges: { node: Node }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };

/** The same instant whoever wrote it: VictoriaLogs prints `_time` trimmed, the API server six digits. */
const normalised = (node: Node): Node => ({ ...node, time: String(parseRfc3339Nanos(node.time)) });

/** Every event of a connection, page by page (200 a page). */
async function allPages(tenant: VictoriaLogsTenant, fetchPage: (after: string | null) => Promise<Page>): Promise<Node[]> {
  const out: Node[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await fetchPage(after);
    out.push(...page.edges.map((edge) => edge.node));
    if (!page.pageInfo.hasNextPage) return out.map(normalised);
    after = page.pageInfo.endCursor;
    expect(out.length, `${String(tenant.accountId)}: runaway paging`).toBeLessThan(10_000);
  }
}

const events = (tenant: VictoriaLogsTenant, filter: Record<string, unknown>) =>
  allPages(tenant, async (after) =>
    (
      await graphql<{ auditEvents: Page }>(
        tenant,
        `query ($filter: AuditEventFilter, $after: String) { auditEvents(filter: $filter, first: 200, after: $after) { edges { node { ${EVENT_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
        { filter, after },
      )
    ).auditEvents,
  );

const iso = (millis: number) => new Date(millis).toISOString();
const DAY_AGO = iso(END.getTime() - 24 * HOUR);

const FILTERS: [string, Record<string, unknown>][] = [
  ['everything', {}],
  ['secret access by one user', { resources: ['secrets'], users: ['user-07'] }],
  ['all 403s', { responseCodes: [403] }],
  ['RBAC changes in the last 24 h', { apiGroups: ['rbac.authorization.k8s.io'], verbs: ['create', 'update', 'patch', 'delete'], from: DAY_AGO }],
  ['people reading secrets', { resources: ['secrets'], verbs: ['get', 'list'], excludeServiceAccounts: true }],
  ['the staging cluster', { clusters: ['staging'] }],
  ['an unaligned window, to the microsecond', { from: iso(END.getTime() - 5 * HOUR + 30_500), to: iso(END.getTime() - 2 * HOUR + 10_250) }],
  ['before the backlog', { to: iso(END.getTime() - 24 * HOUR) }],
  ['failures from behind the proxy', { responseCodeClasses: ['CLIENT_ERROR', 'SERVER_ERROR'], sourceIps: ['203.0.113.7'] }],
];

describe('auditEvents: the same rows from Vigil’s layout and from Fluent Bit’s', () => {
  it.each(FILTERS)('%s', async (_name, filter) => {
    const vigil = await events(VIGIL, filter);
    expect(vigil.length).toBeGreaterThan(0);
    expect(await events(FLUENT_BIT, filter)).toEqual(vigil);
  });

  it('a layout naming its one cluster: the same rows as that cluster’s in Vigil’s layout, and none of another', async () => {
    for (const [, filter] of FILTERS.filter(([, f]) => f['clusters'] === undefined)) {
      expect(await events(POLICY, filter)).toEqual(await events(VIGIL, { ...filter, clusters: ['prod'] }));
    }
    expect(await events(POLICY, { clusters: ['prod', 'staging'], users: ['user-07'] })).toEqual(await events(VIGIL, { clusters: ['prod'], users: ['user-07'] }));
    expect(await events(POLICY, { clusters: ['staging'] })).toEqual([]);
  });

  it('Identity.auditEvents', async () => {
    const query = `query ($r: [_Any!]!, $after: String) { _entities(representations: $r) { ... on Identity { auditEvents(first: 200, after: $after) { edges { node { ${EVENT_FIELDS} } } pageInfo { hasNextPage endCursor } } } } }`;
    const of = (tenant: VictoriaLogsTenant) =>
      allPages(tenant, async (after) => {
        const result = await executeSubgraph(definition, query, { r: [{ __typename: 'Identity', username: 'user-12' }], after }, caller(tenant));
        const [identity] = entitiesOf<{ auditEvents: Page }>(result);
        if (!identity) throw new Error('no identity');
        return identity.auditEvents;
      });
    const vigil = await of(VIGIL);
    expect(vigil.length).toBeGreaterThan(10);
    expect(await of(FLUENT_BIT)).toEqual(vigil);
  });
});

describe('KubeObject.auditTrail and AuditEvent.object', () => {
  const trail = async (tenant: VictoriaLogsTenant, objects: Record<string, string>[]) => {
    const result = await executeSubgraph(
      definition,
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on KubeObject { auditTrail(first: 1000) { edges { node { ${EVENT_FIELDS} } } pageInfo { hasNextPage } } } } }`,
      { r: objects.map((object) => ({ __typename: 'KubeObject', ...object })) },
      caller(tenant),
    );
    return entitiesOf<{ auditTrail: Page }>(result).map((entity) => {
      expect(entity.auditTrail.pageInfo.hasNextPage).toBe(false);
      return entity.auditTrail.edges.map((edge) => normalised(edge.node));
    });
  };
  // An object of each kind the workload touches, as named by its first event of that resource.
  const named = (resource: string, kind: string) => {
    const ref = workload.find((event) => event.objectRef?.resource === resource && event.objectRef.name !== undefined)?.objectRef;
    return { namespace: ref?.namespace ?? '', kind, name: ref?.name ?? '' };
  };
  const kinds = [named('secrets', 'Secret'), named('deployments', 'Deployment'), named('pods', 'Pod'), named('clusterrolebindings', 'ClusterRoleBinding')];
  const objects = ['prod', 'staging'].flatMap((cluster) => kinds.map((object) => ({ cluster, ...object })));

  it('the same trail from either layout, each event resolving to its own object', async () => {
    const vigil = await trail(VIGIL, objects);
    expect(vigil.filter((events) => events.length > 0).length).toBeGreaterThanOrEqual(6);
    expect(await trail(FLUENT_BIT, objects)).toEqual(vigil);
    for (const [index, object] of objects.entries()) {
      for (const node of vigil[index] ?? []) expect(node['object']).toEqual(object);
    }
  });

  it('a layout naming its one cluster: that cluster’s trail, and an empty one elsewhere', async () => {
    const vigil = await trail(VIGIL, objects);
    const policy = await trail(POLICY, objects);
    expect(policy).toEqual(objects.map((object, index) => (object.cluster === 'prod' ? vigil[index] : [])));
  });
});

type Stats = { auditStats: { total: number; groupBy: string[]; groups: Record<string, unknown>[] } };
const STATS_FIELDS = 'count user { username } verb resource subresource apiGroup namespace name responseCode sourceIp userAgent cluster level';

describe('auditStats: the same counts', () => {
  const stats = (tenant: VictoriaLogsTenant, filter: Record<string, unknown>, groupBy: string[], top = 1000) =>
    graphql<Stats>(tenant, `query ($filter: AuditEventFilter, $top: Int) { auditStats(filter: $filter, groupBy: [${groupBy.join(', ')}], top: $top) { total groupBy groups { ${STATS_FIELDS} } } }`, { filter, top });

  it.each([
    [['USER'], {}],
    [['CLUSTER'], {}],
    [['CLUSTER', 'VERB'], { from: DAY_AGO }],
    [['SOURCE_IP', 'CLUSTER'], { responseCodes: [403] }],
    [['RESOURCE', 'SUBRESOURCE', 'API_GROUP', 'NAMESPACE', 'NAME'], { from: iso(END.getTime() - 3 * HOUR), to: iso(END.getTime() - HOUR) }],
    [['RESPONSE_CODE', 'LEVEL', 'USER_AGENT'], { to: DAY_AGO }],
    [[], { clusters: ['prod'], resources: ['secrets'] }],
  ])('by %j, filtered %j', async (groupBy, filter) => {
    const vigil = await stats(VIGIL, filter, groupBy);
    expect(vigil.auditStats.total).toBeGreaterThan(0);
    expect(await stats(FLUENT_BIT, filter, groupBy)).toEqual(vigil);
    // The one-cluster layout: the prod share, with its cluster filled in where grouped by.
    expect(await stats(POLICY, filter, groupBy)).toEqual(await stats(VIGIL, { ...filter, clusters: ['prod'] }, groupBy));
  });

  it('the top 20 users cut at the same place', async () => {
    const vigil = await stats(VIGIL, {}, ['USER'], 20);
    expect(vigil.auditStats.groups).toHaveLength(20);
    expect(await stats(FLUENT_BIT, {}, ['USER'], 20)).toEqual(vigil);
  });
});

describe('auditHistogram: the same buckets', () => {
  type Histogram = { auditHistogram: { from: string; to: string; stepSeconds: number; total: number; buckets: { start: string; count: number }[] } };
  const histogram = (tenant: VictoriaLogsTenant, filter: Record<string, unknown>, step: string) =>
    graphql<Histogram>(tenant, `query ($filter: AuditEventFilter) { auditHistogram(filter: $filter, step: "${step}") { from to stepSeconds total buckets { start count } } }`, { filter });

  it.each([
    ['the 403s per hour over the last day (the default range)', { responseCodes: [403] }, '1h'],
    ['API calls per minute in an unaligned window', { from: iso(END.getTime() - HOUR + 30_500), to: iso(END.getTime() - 30 * 60_000 + 10_250) }, '1m'],
    ['per 5 minutes across the backlog', { from: iso(END.getTime() - 26 * HOUR), to: iso(END.getTime() - 22 * HOUR) }, '5m'],
    ['per day', { from: iso(END.getTime() - 3 * 24 * HOUR) }, '1d'],
  ])('%s', async (_name, filter, step) => {
    const vigil = await histogram(VIGIL, filter, step);
    expect(vigil.auditHistogram.total).toBeGreaterThan(0);
    expect(await histogram(FLUENT_BIT, filter, step)).toEqual(vigil);
    expect(await histogram(POLICY, filter, step)).toEqual(await histogram(VIGIL, { ...filter, clusters: ['prod'] }, step));
  });
});

describe('the event’s own time, not when Fluent Bit read it', () => {
  it('_time is Fluent Bit’s `date`: stageTimestamp stays a field, the event keeps its own time', async () => {
    const index = workload.findIndex(inBacklog);
    const event = workload[index];
    if (!event) throw new Error('no backlog event');
    const [row, ...more] = await logsql(FLUENT_BIT, `{stream="${STREAM}"} auditID:=${JSON.stringify(event.auditID)} stage:=${JSON.stringify(event.stage)}`);
    expect(more).toEqual([]);
    expect(row?.['stageTimestamp']).toBe(event.stageTimestamp);
    // Read two hours late; `date` itself was consumed as _time. The JSON parser kept every key as the
    // API server wrote it, flattened by VictoriaLogs as in Vigil's layout; Fluent Bit added `stream`.
    expect(parseRfc3339Nanos(row?.['_time'] ?? '')).toBe(stageNanos(event) + readDelayNanos(event, index));
    expect(row).not.toHaveProperty('date');
    expect(row).toMatchObject({ stream: STREAM, 'user.username': event.user.username, 'objectRef.resource': event.objectRef?.resource, _stream: `{stream="${STREAM}"}` });
    const nodes = await events(FLUENT_BIT, { users: [event.user.username], from: event.stageTimestamp, to: iso(Date.parse(event.stageTimestamp) + 1) });
    expect(nodes.map((node) => [node.auditId, node.stage, node.time])).toEqual([[event.auditID, event.stage, String(stageNanos(event))]]);
  });

  it('a timeSkewMinutes shorter than the shipping delay misses late records in a range that ends before they arrived', async () => {
    const client = new VictoriaLogsClient({ baseUrl: victoriaLogs.url, timeoutMs: 10_000 }).forTenant(FLUENT_BIT);
    const layout: AuditLayout = { streamFilter: { stream: STREAM }, time: 'stageTimestamp', timeSkewMs: 60 * 60_000, cluster: { field: 'cluster' } };
    const window = { from: new Date(END.getTime() - 24.5 * HOUR), to: new Date(END.getTime() - 24 * HOUR) };
    const inWindow = workload.map((event, index) => ({ event, index })).filter(({ event }) => stageNanos(event) >= BigInt(window.from.getTime()) * 1_000_000n && stageNanos(event) < BigInt(window.to.getTime()) * 1_000_000n);
    const late = inWindow.filter(({ event, index }) => readDelayNanos(event, index) > nanosAt(HOUR));
    expect(late.length).toBeGreaterThan(0);
    const short = await new VictoriaLogsAuditLogSource(client, layout).stats(window, { groupBy: [], top: 1 });
    const day = await new VictoriaLogsAuditLogSource(client, { ...layout, timeSkewMs: 24 * HOUR }).stats(window, { groupBy: [], top: 1 });
    expect(day.total).toBe(inWindow.length);
    expect(short.total).toBe(inWindow.length - late.length);
  });
});

describe("the policy's own example queries: GraphQL equals the LogsQL, run directly", () => {
  // The policy writes its queries in a LogQL-like dialect VictoriaLogs refuses (`| json |`, `field="v"`,
  // `verb=~"..."`, `stats count() by f`, `| last 24h`). Here each is in LogsQL, changed no more than
  // that: the fields are already unpacked at ingestion, so `| json` goes; `field="v"` is `field:="v"`,
  // `=~` is `:~`; `last 24h` is `_time:24h`, written as the explicit range ending at END.
  const STREAM_FILTER = `{stream="${STREAM}"}`;
  const keys = (rows: { auditID?: string; stage?: string }[]) => rows.map((row) => `${row.auditID ?? ''}/${row.stage ?? ''}`).sort();
  const nodeKeys = (nodes: Node[]) => keys(nodes.map((node) => ({ auditID: node.auditId, stage: node.stage })));
  const statsOf = async (tenant: VictoriaLogsTenant, filter: Record<string, unknown>, top: number) =>
    (await graphql<Stats>(tenant, 'query ($filter: AuditEventFilter, $top: Int) { auditStats(filter: $filter, groupBy: [USER], top: $top) { total groupBy groups { count user { username } } } }', { filter, top })).auditStats;

  it.each([FLUENT_BIT, POLICY])('find all Secret access by a specific user (tenant %j)', async (tenant) => {
    const direct = await logsql(tenant, `${STREAM_FILTER} user.username:="user-07" AND objectRef.resource:="secrets"`);
    expect(direct.length).toBeGreaterThan(3);
    expect(nodeKeys(await events(tenant, { users: ['user-07'], resources: ['secrets'] }))).toEqual(keys(direct));
  });

  it.each([FLUENT_BIT, POLICY])('find all failed authentication attempts: 403 (tenant %j)', async (tenant) => {
    const direct = await logsql(tenant, `${STREAM_FILTER} responseStatus.code:="403"`);
    expect(direct.length).toBeGreaterThan(100);
    expect(nodeKeys(await events(tenant, { responseCodes: [403] }))).toEqual(keys(direct));
  });

  it('find all RBAC changes in the last 24 h: by the event’s time; the `_time` window differs by exactly the records read across its edge', async () => {
    const match = `${STREAM_FILTER} verb:~"create|update|delete" AND objectRef.resource:~".*role.*"`;
    const graph = nodeKeys(
      await events(FLUENT_BIT, { resources: ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'], verbs: ['create', 'update', 'delete'], from: DAY_AGO, to: END.toISOString() }),
    );
    expect(graph.length).toBeGreaterThan(20);
    // The event's own time (the layout's time field):
    expect(graph).toEqual(keys(await logsql(FLUENT_BIT, `${match} AND stageTimestamp:>="${DAY_AGO.replace('Z', '000Z')}"`)));
    // The policy's `last 24h` is on _time, when Fluent Bit read the line:
    const byReadTime = keys(await logsql(FLUENT_BIT, `${match} AND _time:[${DAY_AGO}, ${END.toISOString()})`));
    const dayAgo = BigInt(Date.parse(DAY_AGO)) * 1_000_000n;
    const crossed = workload
      .map((event, index) => ({ event, index }))
      .filter(({ event, index }) => stageNanos(event) < dayAgo && stageNanos(event) + readDelayNanos(event, index) >= dayAgo)
      .filter(({ event }) => ['create', 'update', 'delete'].includes(event.verb) && (event.objectRef?.resource ?? '').includes('role'))
      .map(({ event }) => `${event.auditID}/${event.stage}`);
    expect(crossed.length).toBeGreaterThan(0);
    expect(byReadTime).toEqual([...graph, ...crossed].sort());
  });

  it.each([FLUENT_BIT, POLICY])('compliance report: Secret access counted by user (tenant %j)', async (tenant) => {
    const direct = await logsql(tenant, `${STREAM_FILTER} objectRef.resource:="secrets" | stats by (user.username) count() as count | sort by (count desc)`);
    const { groups, total } = await statsOf(tenant, { resources: ['secrets'] }, 1000);
    expect(new Map(groups.map((g) => [(g['user'] as { username: string }).username, g['count']]))).toEqual(new Map(direct.map((row) => [row['user.username'], Number(row['count'])])));
    expect(total).toBe(direct.reduce((sum, row) => sum + Number(row['count']), 0));
  });

  it('excessive log volume: the top 20 users', async () => {
    const direct = await logsql(FLUENT_BIT, `${STREAM_FILTER} | stats by (user.username) count() as count | sort by (count desc) | limit 20`);
    const all = await logsql(FLUENT_BIT, `${STREAM_FILTER} | stats by (user.username) count() as count | sort by (count desc)`);
    // The cut-off is not a tie, so "the top 20" has one answer.
    expect(Number(all[19]?.['count'])).toBeGreaterThan(Number(all[20]?.['count']));
    const { groups, total } = await statsOf(FLUENT_BIT, {}, 20);
    expect(groups.map((g) => [(g['user'] as { username: string }).username, g['count']])).toEqual(direct.map((row) => [row['user.username'], Number(row['count'])]));
    expect(total).toBe(workload.length);
  });
});

describe('stream filters from config: quoted, never pasted', () => {
  const tenant: VictoriaLogsTenant = { accountId: 9, projectId: 9 };
  const layoutFor = (streamFilter: Record<string, string>): AuditLayout => ({ streamFilter, time: 'stageTimestamp', timeSkewMs: 0, cluster: { field: 'cluster' } });
  // Every hostile value the config accepts as a label value (not the empty, control-character or lone-surrogate ones).
  const values = HOSTILE_STRINGS.filter((value) => layoutProblems(layoutFor({ stream: value })).length === 0);
  const template = workload[0];

  beforeAll(async () => {
    if (!template) throw new Error('empty workload');
    const entries = values.map((value, index) => ({ record: { ...template, auditID: `hostile-${String(index)}` }, readAtNanos: stageNanos(template) }));
    // One flush per stream value: the `modify` filter of a pipeline per value.
    for (const [index, entry] of entries.entries()) {
      await shipLikeFluentBit(victoriaLogs.url, [entry], {
        uri: '/insert/jsonline?_stream_fields=stream,namespace,pod&_time_field=date',
        headers: { AccountID: String(tenant.accountId), ProjectID: String(tenant.projectId) },
        add: { stream: values[index] ?? '', namespace: 'kube-system' },
      });
    }
    await victoriaLogs.flush();
  });

  it('selects exactly the one stream holding each value', async () => {
    expect(values.length).toBeGreaterThan(35);
    const client = new VictoriaLogsClient({ baseUrl: victoriaLogs.url, timeoutMs: 10_000 }).forTenant(tenant);
    for (const [index, value] of values.entries()) {
      const page = await new VictoriaLogsAuditLogSource(client, layoutFor({ stream: value, namespace: 'kube-system' })).search({}, { first: 10 });
      expect(page.events.map((event) => event.auditId), JSON.stringify(value)).toEqual([`hostile-${String(index)}`]);
    }
    const none = await new VictoriaLogsAuditLogSource(client, layoutFor({ stream: values[0] ?? '', namespace: 'default' })).stats({}, { groupBy: [], top: 1 });
    expect(none.total).toBe(0);
  });
});
