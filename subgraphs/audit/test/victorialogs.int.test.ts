import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/support/free-port.js';
import { startVictoriaLogs, type VictoriaLogsServer } from '../../../test/support/victorialogs.js';
import { auditIngestParams } from '@vigil/lib/audit-log-format';
import { VictoriaLogsAuditLogSource, type AuditEvent, type AuditFilter, type AuditGroupKey } from '../src/sources/victorialogs/audit-log-source.js';
import { VictoriaLogsClient } from '../src/sources/victorialogs/client.js';
import { buildAuditBoundaryQuery, buildAuditQuery } from '../src/sources/victorialogs/logsql.js';
import { formatRfc3339Nanos, parseRfc3339Nanos } from '../src/sources/victorialogs/timestamps.js';
import { HOSTILE_STRINGS } from './hostile-strings.js';

// Fixtures (see test/fixtures/README.md) go through the real write path, /insert/jsonline, into a real
// VictoriaLogs (the pinned release, test/support/victorialogs.ts); searches go through the real client and
// LogsQL. Its retention covers the fixtures' own 2018-2025 timestamps whatever today's date is (see
// startVictoriaLogs), and every time window below is absolute, on those fixed timestamps: nothing here
// depends on the date the test runs. Plain HTTP servers stand in for it only to inject faults (timeouts,
// 5xx, a stream cut short), which the real server cannot be made to produce.

type RawEvent = {
  auditID: string;
  stage: string;
  verb: string;
  stageTimestamp: string;
  level?: string;
  user: { username: string; groups?: string[] };
  impersonatedUser?: { username: string };
  sourceIPs?: string[];
  userAgent?: string;
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string; apiGroup?: string; apiVersion?: string };
  responseStatus?: { code?: number };
};

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const jsonLines = (text: string): unknown[] => text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as unknown);

function isRawEvent(value: unknown): value is RawEvent {
  return typeof value === 'object' && value !== null && 'auditID' in value && 'stageTimestamp' in value;
}

function events(values: unknown[]): RawEvent[] {
  return values.filter(isRawEvent);
}

const minikube = events(jsonLines(fixture('audit-log_minikube_k8s-1.29.jsonl')));
const openshift = events(jsonLines(fixture('audit-log_openshift-4.6_k8s-1.19.jsonl')));
const clusterRoleBinding = events([JSON.parse(fixture('event_clusterrolebinding_create_k8s-1.33.json')) as unknown]);
const webhookItems = events(
  jsonLines(fixture('webhook_eventlist_blocking_mode.jsonl')).flatMap((list) =>
    typeof list === 'object' && list !== null && 'items' in list && Array.isArray(list.items) ? (list.items as unknown[]) : [],
  ),
);

function minikubeEvent(index: number): RawEvent {
  const event = minikube[index];
  if (event === undefined) throw new Error(`fixture audit-log_minikube_k8s-1.29.jsonl has no line ${String(index + 1)}`);
  return event;
}

/** One stored record that really holds hostile values: exact matching must find it, and only it. */
const HELD_USER = '" or user:*';
const HELD_NAMESPACE = ') or (*';
const hostileRecord: RawEvent = {
  ...minikubeEvent(4),
  auditID: '00000000-hostile-0000-000000000000',
  stageTimestamp: '2024-10-29T13:00:00.000001Z',
  user: { username: HELD_USER, groups: [HELD_NAMESPACE, 'system:authenticated'] },
  impersonatedUser: { username: 'ops-admin' },
  objectRef: { resource: 'pods', namespace: HELD_NAMESPACE, name: 'x', apiVersion: 'v1' },
};

const defaultTenantEvents: RawEvent[] = [...minikube, ...openshift, ...clusterRoleBinding, ...webhookItems, hostileRecord];

const key = (event: { auditID?: string; auditId?: string; stage: string }) => `${event.auditID ?? event.auditId ?? ''}/${event.stage}`;

/** The fixtures' stage times are all distinct, so "newest first" has exactly one answer. */
function newestFirst(list: RawEvent[]): string[] {
  return [...list].sort((a, b) => Number((parseRfc3339Nanos(b.stageTimestamp) ?? 0n) - (parseRfc3339Nanos(a.stageTimestamp) ?? 0n))).map(key);
}

let victoriaLogs: VictoriaLogsServer;
let client: VictoriaLogsClient;
/** Every LogsQL query the client sent, in order: the real server keeps no such record. */
const sentQueries: string[] = [];
const recordingFetch: typeof fetch = (input, init) => {
  if (init?.body instanceof URLSearchParams) {
    const query = init.body.get('query');
    if (query !== null) sentQueries.push(query);
  }
  return fetch(input, init);
};
let source: VictoriaLogsAuditLogSource;

async function searchAll(filter: AuditFilter, pageSize = 1000, target = source): Promise<AuditEvent[]> {
  const collected: AuditEvent[] = [];
  let after: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = await target.search(filter, after === undefined ? { first: pageSize } : { first: pageSize, after });
    collected.push(...page.events);
    if (!page.hasNextPage) return collected;
    after = page.endCursor ?? undefined;
  }
  throw new Error('pagination did not end');
}

beforeAll(async () => {
  victoriaLogs = await startVictoriaLogs();
  client = new VictoriaLogsClient({ baseUrl: victoriaLogs.url, timeoutMs: 5_000, fetch: recordingFetch });
  source = new VictoriaLogsAuditLogSource(client);
  await client.ingest(minikube, auditIngestParams({ cluster: 'minikube' }));
  await client.ingest(openshift, auditIngestParams({ cluster: 'openshift' }));
  await client.ingest([...clusterRoleBinding, ...webhookItems, hostileRecord], auditIngestParams());
  await victoriaLogs.flush();
});

afterAll(async () => {
  await victoriaLogs?.stop();
});

describe('storage convention', () => {
  it('stores an event flattened, timed by stageTimestamp, with requestURI as _msg and no bodies', async () => {
    const [row, ...more] = await client.query('"auditID":="c59d6a7c-1e07-43cb-8bf6-4d41a9c98ddb"', { limit: 10 });
    expect(more).toEqual([]);
    expect(row).toMatchObject({
      _time: '2024-10-29T12:22:15.864166Z',
      _msg: '/api/v1/namespaces/wareville/secrets/pull-creds',
      _stream: '{cluster="minikube",stage="ResponseComplete",verb="get"}',
      requestReceivedTimestamp: '2024-10-29T12:22:15.861424Z',
      'user.groups': '["system:serviceaccounts","system:serviceaccounts:wareville","system:authenticated"]',
      'responseStatus.code': '200',
      'annotations.authorization.k8s.io/decision': 'allow',
    });
    const names = Object.keys(row ?? {});
    expect(names).not.toContain('stageTimestamp');
    expect(names).not.toContain('requestURI');
    // The fixture's responseObject holds a Secret's .dockerconfigjson: it must not be stored.
    expect(names.filter((name) => name.startsWith('responseObject') || name.startsWith('requestObject'))).toEqual([]);
    expect(JSON.stringify(row)).not.toContain('dockerconfigjson');
  });
});

describe('search', () => {
  it('maps a stored record to an audit event', async () => {
    const page = await source.search({ users: ['system:serviceaccount:wareville:job-runner-sa'] }, { first: 10 });
    expect(page.hasNextPage).toBe(false);
    expect(page.events).toEqual([
      {
        auditId: 'c59d6a7c-1e07-43cb-8bf6-4d41a9c98ddb',
        time: '2024-10-29T12:22:15.864166Z',
        requestReceivedAt: '2024-10-29T12:22:15.861424Z',
        stage: 'ResponseComplete',
        level: 'RequestResponse',
        verb: 'get',
        user: 'system:serviceaccount:wareville:job-runner-sa',
        userGroups: ['system:serviceaccounts', 'system:serviceaccounts:wareville', 'system:authenticated'],
        impersonatedUser: null,
        sourceIps: ['10.244.120.126'],
        userAgent: 'kubectl/v1.31.1 (linux/amd64) kubernetes/948afe5',
        resource: 'secrets',
        subresource: null,
        namespace: 'wareville',
        name: 'pull-creds',
        apiGroup: null,
        apiVersion: 'v1',
        requestUri: '/api/v1/namespaces/wareville/secrets/pull-creds',
        responseCode: 200,
        responseReason: null,
        decision: 'allow',
        annotations: {
          'authorization.k8s.io/decision': 'allow',
          'authorization.k8s.io/reason':
            'RBAC: allowed by RoleBinding "job-runner-binding/wareville" of Role "job-runner" to ServiceAccount "job-runner-sa/wareville"',
        },
        cluster: 'minikube',
      },
    ]);
  });

  it('maps a forbidden request, a subresource and several source IPs', async () => {
    const [forbidden] = (await source.search({ responseCodes: [403], resources: ['secrets'] }, { first: 5 })).events;
    expect(forbidden).toMatchObject({ auditId: 'a02486f1-3a7c-4bca-8bcb-9019fa43dac4', responseCode: 403, responseReason: 'Forbidden', decision: 'forbid' });
    // An empty annotation value is not stored, so it is not returned.
    expect(forbidden?.annotations).toEqual({ 'authorization.k8s.io/decision': 'forbid' });
    const [exec] = (await source.search({ names: ['morality-checker'], verbs: ['create'] }, { first: 1 })).events;
    expect(exec).toMatchObject({ subresource: 'exec', stage: 'ResponseComplete', responseCode: 101 });
    const [watch] = (await source.search({ verbs: ['watch'] }, { first: 1 })).events;
    expect(watch).toMatchObject({ sourceIps: ['192.168.130.11', '10.217.0.1'], apiGroup: 'build.openshift.io', namespace: null, cluster: 'openshift' });
  });

  const cases: [string, AuditFilter, (event: RawEvent) => boolean][] = [
    ['user', { users: ['mayor-malware'] }, (e) => e.user.username === 'mayor-malware'],
    ['verb', { verbs: ['list'] }, (e) => e.verb === 'list'],
    ['resource', { resources: ['secrets'] }, (e) => e.objectRef?.resource === 'secrets'],
    ['namespace', { namespaces: ['kube-system'] }, (e) => e.objectRef?.namespace === 'kube-system'],
    ['name', { names: ['morality-checker'] }, (e) => e.objectRef?.name === 'morality-checker'],
    ['response code', { responseCodes: [403] }, (e) => e.responseStatus?.code === 403],
    ['group', { userGroups: ['system:masters'] }, (e) => e.user.groups?.includes('system:masters') === true],
    ['source IP (second of two)', { sourceIps: ['10.217.0.1'] }, (e) => e.sourceIPs?.includes('10.217.0.1') === true],
    ['cluster', { clusters: ['openshift'] }, (e) => openshift.includes(e)],
    ['user and verb', { users: ['mayor-malware'], verbs: ['create'] }, (e) => e.user.username === 'mayor-malware' && e.verb === 'create'],
    ['any of two verbs', { verbs: ['create', 'delete'] }, (e) => e.verb === 'create' || e.verb === 'delete'],
    ['any of two groups', { userGroups: ['system:masters', 'system:serviceaccounts'] }, (e) => (e.user.groups ?? []).some((g) => g === 'system:masters' || g === 'system:serviceaccounts')],
    ['any of two source IPs', { sourceIps: ['10.217.0.1', '10.244.120.126'] }, (e) => (e.sourceIPs ?? []).some((ip) => ip === '10.217.0.1' || ip === '10.244.120.126')],
    ['API group', { apiGroups: ['rbac.authorization.k8s.io'] }, (e) => e.objectRef?.apiGroup === 'rbac.authorization.k8s.io'],
    ['subresource', { subresources: ['exec'] }, (e) => e.objectRef?.subresource === 'exec'],
    ['4xx and 5xx', { responseCodeClasses: [4, 5] }, (e) => (e.responseStatus?.code ?? 0) >= 400],
    ['1xx or 403', { responseCodeClasses: [1], responseCodes: [403] }, (e) => e.responseStatus?.code === 403 || ((e.responseStatus?.code ?? 0) >= 100 && (e.responseStatus?.code ?? 0) < 200)],
    ['2xx', { responseCodeClasses: [2] }, (e) => (e.responseStatus?.code ?? 0) >= 200 && (e.responseStatus?.code ?? 0) < 300],
    ['user agent prefix', { userAgentPrefixes: ['kubectl/v1.29'] }, (e) => e.userAgent?.startsWith('kubectl/v1.29') === true],
    ['no service accounts', { excludeServiceAccounts: true }, (e) => !e.user.username.startsWith('system:serviceaccount:')],
    ['level', { levels: ['Metadata'] }, (e) => e.level === 'Metadata'],
    ['stages', { stages: ['RequestReceived', 'ResponseStarted'] }, (e) => e.stage === 'RequestReceived' || e.stage === 'ResponseStarted'],
    ['impersonated user', { impersonatedUsers: ['ops-admin'] }, (e) => e.impersonatedUser?.username === 'ops-admin'],
    ['cluster or none', { clusters: ['minikube'], orNoCluster: true }, (e) => !openshift.includes(e)],
  ];

  it.each(cases)('by %s returns exactly the matching events, newest first', async (_name, filter, predicate) => {
    const expected = newestFirst(defaultTenantEvents.filter(predicate));
    expect(expected.length).toBeGreaterThan(0);
    expect((await searchAll(filter)).map(key)).toEqual(expected);
  });

  it('by a [from, to) time range, both bounds exact', async () => {
    // .666 includes the event at .666165; .214 excludes the one at .214173 and keeps the one at .179359.
    const from = new Date('2024-10-29T12:20:30.666Z');
    const to = new Date('2024-10-29T12:21:44.214Z');
    const inRange = (e: RawEvent) => {
      const nanos = parseRfc3339Nanos(e.stageTimestamp) ?? 0n;
      return nanos >= BigInt(from.getTime()) * 1_000_000n && nanos < BigInt(to.getTime()) * 1_000_000n;
    };
    const expected = newestFirst(defaultTenantEvents.filter(inRange));
    expect(expected).toEqual([
      '7fc89d4f-a2e2-4223-b25e-a46f05fce881/ResponseComplete',
      '24444640-7e57-4ac9-b7e8-c3bf5a2942d9/ResponseComplete',
      '8084daec-f59f-4d90-b343-f59f4f3cd67c/ResponseComplete',
      'a02486f1-3a7c-4bca-8bcb-9019fa43dac4/ResponseComplete',
    ]);
    expect((await searchAll({ from, to })).map(key)).toEqual(expected);
    expect((await searchAll({ from, to, verbs: ['get'] })).map(key)).toEqual(['7fc89d4f-a2e2-4223-b25e-a46f05fce881/ResponseComplete']);
  });

  it('sends exactly the queries it built: the boundary, then the page from the oldest time it found', async () => {
    const filter = { users: [HELD_USER], namespaces: [HELD_NAMESPACE] };
    const sent = sentQueries.length;
    const page = await source.search(filter, { first: 3 });
    expect(page.events.map(key)).toEqual([key(hostileRecord)]);
    const notBefore = formatRfc3339Nanos(parseRfc3339Nanos(hostileRecord.stageTimestamp) ?? 0n);
    expect(sentQueries.slice(sent)).toEqual([buildAuditBoundaryQuery(filter, { limit: 4 }), buildAuditQuery(filter, { limit: 4, notBefore })]);
  });

  it('asks for no page when the boundary finds nothing', async () => {
    const filter = { users: [HELD_USER], namespaces: ['x | delete'] };
    const sent = sentQueries.length;
    expect((await source.search(filter, { first: 3 })).events).toEqual([]);
    expect(sentQueries.slice(sent)).toEqual([buildAuditBoundaryQuery(filter, { limit: 4 })]);
  });
});

describe('pages through records that share a time', () => {
  // The page is read in two queries (the boundary, by VictoriaLogs' last-N search, which leaves equal
  // times in any order; then the page, fully sorted, from the oldest boundary time on). Groups of equal
  // times split across pages must still come once each, in the one order a single sorted query gives.
  const tenant = { accountId: 4243, projectId: 1 };
  let tieSource: VictoriaLogsAuditLogSource;
  const groupSizes = [1, 7, 3, 12, 2, 5];
  const tied: RawEvent[] = groupSizes.flatMap((size, group) =>
    Array.from({ length: size }, (_, i) => ({
      ...minikubeEvent(4),
      // Not in auditID order of ingestion, so a sort that ignored the tie-breakers would show.
      auditID: `tie-${String(group)}-${String((i * 7) % size).padStart(2, '0')}-${String(i).padStart(2, '0')}`,
      stageTimestamp: `2024-10-29T14:00:0${String(group)}.123456Z`,
    })),
  );

  beforeAll(async () => {
    const tenantClient = client.forTenant(tenant);
    tieSource = new VictoriaLogsAuditLogSource(tenantClient);
    await tenantClient.ingest(tied, auditIngestParams({ cluster: 'ties' }));
    await victoriaLogs.flush();
  });

  it.each([1, 2, 3, 5, 8, 13, 100])('in pages of %i, each record once, in the single sorted query\'s order', async (size) => {
    const single = await client.forTenant(tenant).query(buildAuditQuery({}, { limit: 1000 }), { limit: 1000 });
    expect(single).toHaveLength(tied.length);
    const paged = await searchAll({}, size, tieSource);
    expect(paged.map((event) => event.auditId)).toEqual(single.map((row) => row['auditID']));
  });
});

describe('hostile filter values', () => {
  it.each(HOSTILE_STRINGS.map((value) => [JSON.stringify(value).slice(0, 40), value]))(
    '%s matches only a record holding exactly that value',
    async (_label, value) => {
      const byUser = await source.search({ users: [value] }, { first: 5 });
      const byNamespace = await source.search({ namespaces: [value] }, { first: 5 });
      const byGroup = await source.search({ userGroups: [value] }, { first: 5 });
      const bySourceIp = await source.search({ sourceIps: [value] }, { first: 5 });
      const byVerb = await source.search({ verbs: [value] }, { first: 5 });
      expect(byUser.events.map(key)).toEqual(value === HELD_USER ? [key(hostileRecord)] : []);
      expect(byNamespace.events.map(key)).toEqual(value === HELD_NAMESPACE ? [key(hostileRecord)] : []);
      expect(byGroup.events.map(key)).toEqual(value === HELD_NAMESPACE ? [key(hostileRecord)] : []);
      expect(bySourceIp.events).toEqual([]);
      expect(byVerb.events).toEqual([]);
    },
  );

  it('finds the record holding hostile values, as itself', async () => {
    const [event] = (await source.search({ users: [HELD_USER], namespaces: [HELD_NAMESPACE], userGroups: [HELD_NAMESPACE] }, { first: 2 })).events;
    expect(event).toMatchObject({ auditId: hostileRecord.auditID, user: HELD_USER, namespace: HELD_NAMESPACE, userGroups: [HELD_NAMESPACE, 'system:authenticated'] });
  });

  it('refuses an empty value without querying (VictoriaLogs would match every record lacking the field)', async () => {
    const sent = sentQueries.length;
    await expect(source.search({ users: [''] }, { first: 1 })).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(sentQueries.length).toBe(sent);
  });
});

/**
 * Quoting fuzz against the real LogsQL parser: each hostile literal is stored, in one filterable field at
 * a time, beside decoys that differ from it by one character (and by a word around it, which a phrase
 * rather than an exact match would take). A filter on the literal must find exactly the rows whose field
 * holds exactly it. Its own tenant keeps these rows out of the other tests.
 */
describe('quoting fuzz: hostile literals against decoys', () => {
  const FIELDS = ['user', 'userGroups', 'impersonatedUser', 'verb', 'apiGroup', 'resource', 'subresource', 'namespace', 'name', 'sourceIp', 'userAgent', 'cluster'] as const;
  type Field = (typeof FIELDS)[number];
  const NEUTRAL: Record<Field, string> = {
    user: 'fuzz-user',
    userGroups: 'fuzz-group',
    impersonatedUser: 'fuzz-impersonated',
    verb: 'fuzz-verb',
    apiGroup: 'fuzz.example.com',
    resource: 'fuzz-resource',
    subresource: 'fuzz-subresource',
    namespace: 'fuzz-namespace',
    name: 'fuzz-name',
    sourceIp: '10.0.0.1',
    userAgent: 'fuzz-agent',
    cluster: 'fuzz-cluster',
  };
  /** The filter on each field: a list of exact values, but for the user agent, of beginnings. */
  const FILTER_KEY = {
    user: 'users',
    userGroups: 'userGroups',
    impersonatedUser: 'impersonatedUsers',
    verb: 'verbs',
    apiGroup: 'apiGroups',
    resource: 'resources',
    subresource: 'subresources',
    namespace: 'namespaces',
    name: 'names',
    sourceIp: 'sourceIps',
    userAgent: 'userAgentPrefixes',
    cluster: 'clusters',
  } as const satisfies Record<Field, keyof AuditFilter>;
  /** Whether a row holding `held` in the field matches a filter on `literal` there. */
  const matches = (field: Field, held: string, literal: string) => (field === 'userAgent' ? held.startsWith(literal) : held === literal);
  /** The group fields that read the fuzzed fields (userGroups and impersonatedUser are not groupable). */
  const GROUP_KEY = {
    user: 'user',
    verb: 'verb',
    apiGroup: 'apiGroup',
    resource: 'resource',
    subresource: 'subresource',
    namespace: 'namespace',
    name: 'name',
    sourceIp: 'sourceIp',
    userAgent: 'userAgent',
    cluster: 'cluster',
  } as const satisfies Partial<Record<Field, AuditGroupKey>>;

  function decoys(value: string): string[] {
    const chars = [...value];
    const first = chars[0] ?? '';
    const last = chars.at(-1) ?? '';
    const bump = (char: string) => {
      const next = (char.codePointAt(0) ?? 0) + 1;
      return next >= 0xd800 && next <= 0xdfff ? '' : String.fromCodePoint(next);
    };
    const swapped = first === first.toUpperCase() ? first.toLowerCase() : first.toUpperCase();
    const variants = [
      `${value}x`,
      `x${value}`,
      `${value}*`,
      // Characters that JSON escapes or separates with: a match on an array's JSON text could start or
      // end inside them.
      `"${value}`,
      `${value}"`,
      `\\${value}`,
      `${value}\\`,
      `,${value}`,
      `${value},`,
      `${value} x`,
      `x ${value}`,
      chars.slice(0, -1).join(''),
      chars.slice(1).join(''),
      chars.slice(0, -1).join('') + bump(last),
      swapped + chars.slice(1).join(''),
    ];
    return variants.filter((variant) => variant !== '' && variant !== value);
  }

  const values = [...new Set(HOSTILE_STRINGS.flatMap((value) => [value, ...decoys(value)]))];
  type FuzzRow = { id: string; field: Field; value: string };
  const rows: FuzzRow[] = values.flatMap((value, index) => FIELDS.map((field) => ({ id: `fuzz-${String(index)}-${field}`, field, value })));

  const heldIn = (row: FuzzRow, field: Field) => (row.field === field ? row.value : NEUTRAL[field]);

  /** The row's one field holds the value; every other field its neutral value. Arrays hold it beside another element. */
  function record(row: FuzzRow): object {
    const held = (field: Field) => heldIn(row, field);
    return {
      ...minikubeEvent(4),
      auditID: row.id,
      verb: held('verb'),
      user: { username: held('user'), groups: [held('userGroups'), 'system:authenticated'] },
      impersonatedUser: { username: held('impersonatedUser') },
      sourceIPs: ['192.0.2.1', held('sourceIp')],
      userAgent: held('userAgent'),
      objectRef: {
        resource: held('resource'),
        subresource: held('subresource'),
        namespace: held('namespace'),
        name: held('name'),
        apiGroup: held('apiGroup'),
        apiVersion: 'v1',
      },
      // Written as a field (not extra_fields, which cannot carry a comma): still a stream field.
      cluster: held('cluster'),
    };
  }

  const tenant = { accountId: 4242, projectId: 7 };
  let fuzzSource: VictoriaLogsAuditLogSource;

  beforeAll(async () => {
    const tenantClient = client.forTenant(tenant);
    fuzzSource = new VictoriaLogsAuditLogSource(tenantClient);
    await tenantClient.ingest(rows.map(record), auditIngestParams());
    await victoriaLogs.flush();
  });

  it('stores every literal and decoy as written', async () => {
    expect(values.length).toBeGreaterThan(HOSTILE_STRINGS.length * 5);
    const stored = await searchAll({}, 1000, fuzzSource);
    expect(stored).toHaveLength(rows.length);
    const byId = new Map(stored.map((event) => [event.auditId, event]));
    for (const row of rows) {
      const event = byId.get(row.id);
      const seen = {
        user: event?.user,
        userGroups: event?.userGroups[0],
        impersonatedUser: event?.impersonatedUser,
        verb: event?.verb,
        apiGroup: event?.apiGroup,
        resource: event?.resource,
        subresource: event?.subresource,
        namespace: event?.namespace,
        name: event?.name,
        sourceIp: event?.sourceIps[1],
        userAgent: event?.userAgent,
        cluster: event?.cluster,
      } satisfies Record<Field, unknown>;
      expect(seen[row.field], `${row.id} ${JSON.stringify(row.value).slice(0, 60)}`).toBe(row.value);
    }
  });

  it.each(HOSTILE_STRINGS.map((value) => [JSON.stringify(value).slice(0, 40), value]))('%s: each field filter finds exactly its own row', async (_label, value) => {
    for (const field of FIELDS) {
      const expected = rows.filter((row) => matches(field, heldIn(row, field), value)).map((row) => row.id);
      expect(expected.length, field).toBeGreaterThanOrEqual(1);
      if (field !== 'userAgent') expect(expected).toHaveLength(1);
      const found = (await searchAll({ [FILTER_KEY[field]]: [value] }, 1000, fuzzSource)).map((event) => event.auditId);
      expect(found.sort(), `${field} = ${JSON.stringify(value).slice(0, 60)}`).toEqual(expected.sort());
    }
  });

  it.each(HOSTILE_STRINGS.map((value, index) => [JSON.stringify(value).slice(0, 40), value, HOSTILE_STRINGS[(index + 1) % HOSTILE_STRINGS.length] ?? '']))(
    '%s: a list of it and the next literal finds exactly the rows of either',
    async (_label, value, next) => {
      for (const field of FIELDS) {
        const expected = rows.filter((row) => matches(field, heldIn(row, field), value) || matches(field, heldIn(row, field), next)).map((row) => row.id);
        const found = (await searchAll({ [FILTER_KEY[field]]: [value, next] }, 1000, fuzzSource)).map((event) => event.auditId);
        expect(found.sort(), `${field} in [${JSON.stringify(value).slice(0, 30)}, ${JSON.stringify(next).slice(0, 30)}]`).toEqual(expected.sort());
      }
    },
  );

  it('counts every literal and decoy under exactly its own value, in every groupable field', async () => {
    for (const [field, key] of Object.entries(GROUP_KEY) as [keyof typeof GROUP_KEY, AuditGroupKey][]) {
      const expected = new Map<string, number>();
      for (const row of rows) {
        const held = heldIn(row, field);
        expected.set(held, (expected.get(held) ?? 0) + 1);
      }
      // The other address of each record's sourceIPs is a group too.
      if (field === 'sourceIp') expected.set('192.0.2.1', rows.length);
      const { groups, total } = await fuzzSource.stats({}, { groupBy: [key], top: 1000 });
      expect(groups.length, field).toBe(expected.size);
      expect(new Map(groups.map((group) => [group.values[key], group.count])), field).toEqual(expected);
      expect(total, field).toBe(field === 'sourceIp' ? rows.length * 2 : rows.length);
    }
  });

  it.each(HOSTILE_STRINGS.map((value) => [JSON.stringify(value).slice(0, 40), value]))('%s: counted by its own filter, it is one group of one', async (_label, value) => {
    for (const [field, key] of Object.entries(GROUP_KEY) as [keyof typeof GROUP_KEY, AuditGroupKey][]) {
      if (field === 'userAgent' || field === 'sourceIp') continue;
      const { groups, total } = await fuzzSource.stats({ [FILTER_KEY[field]]: [value] }, { groupBy: [key], top: 5 });
      expect(groups, field).toEqual([{ values: { [key]: value }, count: 1 }]);
      expect(total).toBe(1);
    }
  });
});

/** The tie IDs below as VictoriaLogs' sort pipe orders them, ascending (observed on the pinned release). */
const NATURAL_ORDER = ['tie-1', 'tie-1a', 'tie-01', 'tie-2', 'tie-9', 'tie-10', 'tie-a', 'tie-b', 'tie-z9', 'tie-z10'];

describe('pagination', () => {
  it('walks more than two pages, returning every event once, newest first', async () => {
    const pages = [];
    let after: string | undefined;
    for (;;) {
      const page = await source.search({}, after === undefined ? { first: 5 } : { first: 5, after });
      pages.push(page);
      if (!page.hasNextPage) break;
      after = page.endCursor ?? undefined;
    }
    expect(pages.map((page) => page.events.length)).toEqual([5, 5, 5, 1]);
    expect(pages.flatMap((page) => page.events).map(key)).toEqual(newestFirst(defaultTenantEvents));
    const last = pages.at(-1);
    expect(last?.endCursor).not.toBeNull();
    const beyond = await source.search({}, { first: 5, after: last?.endCursor ?? '' });
    expect(beyond).toEqual({ events: [], cursors: [], hasNextPage: false, endCursor: null });
  });

  it('pages through a filtered result too', async () => {
    const expected = newestFirst(defaultTenantEvents.filter((e) => e.user.username === 'mayor-malware'));
    expect(expected.length).toBe(7);
    expect((await searchAll({ users: ['mayor-malware'] }, 2)).map(key)).toEqual(expected);
  });

  it('keeps events with equal timestamps apart across pages', async () => {
    // IDs whose "natural" order (the sort pipe's: digit runs compared as numbers) differs from their byte
    // order (string filters').
    const ids = ['tie-9', 'tie-10', 'tie-2', 'tie-b', 'tie-a', 'tie-1a', 'tie-01', 'tie-1', 'tie-z9', 'tie-z10'];
    const byBytes = [...ids].sort();
    const byNatural = NATURAL_ORDER;
    expect([...byNatural].sort()).toEqual(byBytes);
    expect(byNatural).not.toEqual(byBytes);

    const tenant = new VictoriaLogsAuditLogSource(client.forTenant({ accountId: 7, projectId: 1 }));
    const template = minikubeEvent(2);
    const tied = ids.map((auditID) => ({ ...template, auditID, stageTimestamp: '2024-11-01T00:00:00.5Z' }));
    const before = { ...template, auditID: 'older', stageTimestamp: '2024-11-01T00:00:00.499999999Z' };
    const after = { ...template, auditID: 'newer', stageTimestamp: '2024-11-01T00:00:00.500000001Z' };
    await client.forTenant({ accountId: 7, projectId: 1 }).ingest([...tied, before, after], auditIngestParams());
    await victoriaLogs.flush();

    const all = (await searchAll({}, 1000, tenant)).map((event) => event.auditId);
    expect(all).toEqual(['newer', ...[...byNatural].reverse(), 'older']);
    for (const pageSize of [1, 2, 3, 4, 7]) {
      expect((await searchAll({}, pageSize, tenant)).map((event) => event.auditId)).toEqual(all);
    }

    // Every edge's cursor resumes right after that edge, inside a run of equal times too.
    const second = await tenant.search({}, { first: 4, after: (await tenant.search({}, { first: 3 })).endCursor ?? '' });
    expect(second.events.map((event) => event.auditId)).toEqual(all.slice(3, 7));
    for (const [index, cursor] of second.cursors.entries()) {
      const resumed = await tenant.search({}, { first: 2, after: cursor });
      expect(resumed.events.map((event) => event.auditId)).toEqual(all.slice(3 + index + 1, 3 + index + 3));
    }
  });

  it('gives each event a cursor, the last one being endCursor', async () => {
    const page = await source.search({}, { first: 4 });
    expect(page.cursors).toHaveLength(4);
    expect(page.endCursor).toBe(page.cursors.at(-1));
    const all = newestFirst(defaultTenantEvents);
    for (const [index, cursor] of page.cursors.entries()) {
      expect((await source.search({}, { first: 3, after: cursor })).events.map(key)).toEqual(all.slice(index + 1, index + 4));
    }
    expect(await source.search({ users: ['nobody'] }, { first: 4 })).toEqual({ events: [], cursors: [], hasNextPage: false, endCursor: null });
  });

  it('refuses a malformed cursor and an out-of-range page size', async () => {
    const cursor = (await source.search({}, { first: 1 })).endCursor ?? '';
    const forged = Buffer.from(JSON.stringify({ t: '2024-10-29T12:20:30Z', k: 0 })).toString('base64url');
    for (const after of ['', 'not a cursor!', `${cursor}=`, Buffer.from('{"t":"x","k":1}').toString('base64url'), forged, 'A'.repeat(600)]) {
      await expect(source.search({}, { first: 1, after })).rejects.toMatchObject({
        extensions: { code: 'BAD_USER_INPUT' },
        message: expect.stringMatching(/^after:/),
      });
    }
    for (const first of [0, 1001, 2.5]) {
      await expect(source.search({}, { first })).rejects.toMatchObject({ message: expect.stringMatching(/^first:/) });
    }
  });
});

describe('tenants', () => {
  it('keeps each tenant to its own records', async () => {
    const tenantClient = client.forTenant({ accountId: 12, projectId: 34 });
    const tenantSource = new VictoriaLogsAuditLogSource(tenantClient);
    const record = { ...minikubeEvent(4), auditID: 'tenant-12-34', user: { username: 'tenant-user', groups: [] } };
    await tenantClient.ingest([record], auditIngestParams());
    await victoriaLogs.flush();

    expect((await tenantSource.search({}, { first: 10 })).events.map((event) => event.auditId)).toEqual(['tenant-12-34']);
    expect((await source.search({ users: ['tenant-user'] }, { first: 10 })).events).toEqual([]);
    expect((await tenantSource.search({ users: ['mayor-malware'] }, { first: 10 })).events).toEqual([]);
    const other = new VictoriaLogsAuditLogSource(client.forTenant({ accountId: 12, projectId: 35 }));
    expect((await other.search({}, { first: 10 })).events).toEqual([]);

    // Counts and histograms read through the same per-tenant client: never another tenant's events.
    expect(await tenantSource.stats({}, { groupBy: ['user'], top: 10 })).toEqual({ groups: [{ values: { user: 'tenant-user' }, count: 1 }], total: 1 });
    expect((await source.stats({ users: ['tenant-user'] }, { groupBy: ['user'], top: 10 })).total).toBe(0);
    expect(await other.stats({}, { groupBy: [], top: 1 })).toEqual({ groups: [], total: 0 });
    const range = { from: new Date('2024-10-29T00:00:00Z'), to: new Date('2024-10-30T00:00:00Z') };
    expect((await tenantSource.histogram(range, { stepSeconds: 86_400 })).total).toBe(1);
    expect((await other.histogram(range, { stepSeconds: 86_400 })).buckets).toEqual([{ start: '2024-10-29T00:00:00.000Z', count: 0 }]);
  });
});

describe('failures', () => {
  it.each([
    ['unbalanced parenthesis', 'user:(a or b', 'cannot parse `query` arg'],
    ['unterminated quote', '"unterminated', 'cannot parse `query` arg'],
    ['unfinished sort pipe', 'foo | sort by (', 'cannot parse `query` arg'],
    ['empty query', '', '`query` arg cannot be empty'],
    ['missing pipe', 'foo |', 'cannot parse `query` arg'],
    ['bad limit', 'foo | limit x', 'cannot parse `query` arg'],
    ['bad time range', '_time:[2024-01-01Z, )', 'cannot parse `query` arg'],
    ['unknown pipe', 'foo | frobnicate', 'cannot parse `query` arg'],
  ])('VictoriaLogs answers 400 to malformed LogsQL (%s), which the client maps to UPSTREAM_REJECTED', async (_name, query, reason) => {
    const response = await fetch(`${victoriaLogs.url}/select/logsql/query`, { method: 'POST', body: new URLSearchParams({ query }) });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(reason);
    const failure = client.query(query, { limit: 1 });
    await expect(failure).rejects.toMatchObject({ extensions: { code: 'UPSTREAM_REJECTED' }, message: expect.stringContaining(reason) });
    // Our own address and request echo are for VictoriaLogs' logs, not for Vigil's clients.
    await expect(failure).rejects.toMatchObject({ message: expect.not.stringContaining('remoteAddr') });
  });

  it('maps an ingest the server rejects to UPSTREAM_REJECTED', async () => {
    const bad = { ...minikubeEvent(0), stageTimestamp: 'yesterday' };
    await expect(client.ingest([bad], auditIngestParams())).rejects.toMatchObject({
      extensions: { code: 'UPSTREAM_REJECTED' },
      message: expect.stringContaining('cannot parse timestamp'),
    });
  });

  it('maps an unreachable server to UPSTREAM_UNAVAILABLE', async () => {
    const port = await freePort();
    const unreachable = new VictoriaLogsAuditLogSource(new VictoriaLogsClient({ baseUrl: `http://127.0.0.1:${String(port)}`, timeoutMs: 2_000 }));
    await expect(unreachable.search({}, { first: 1 })).rejects.toMatchObject({ extensions: { code: 'UPSTREAM_UNAVAILABLE' } });
  });

  it('maps 5xx to UPSTREAM_UNAVAILABLE', async () => {
    await withServer(
      (_request, response) => response.writeHead(503, { 'Content-Type': 'text/plain' }).end('too many concurrent requests'),
      async (url) => {
        const failing = new VictoriaLogsClient({ baseUrl: url, timeoutMs: 2_000 });
        await expect(failing.query('*', { limit: 1 })).rejects.toMatchObject({
          extensions: { code: 'UPSTREAM_UNAVAILABLE' },
          message: expect.stringContaining('too many concurrent requests'),
        });
      },
    );
  });

  it('maps a server that does not answer, or stops mid-body, to UPSTREAM_TIMEOUT', async () => {
    await withServer(
      () => undefined,
      async (url) => {
        const slow = new VictoriaLogsClient({ baseUrl: url, timeoutMs: 200 });
        await expect(slow.query('*', { limit: 1 })).rejects.toMatchObject({ extensions: { code: 'UPSTREAM_TIMEOUT' } });
      },
    );
    await withServer(
      (_request, response) => {
        response.writeHead(200, { 'Content-Type': 'application/stream+json' });
        response.write('{"_time":"2024-01-01T00:00:00Z","auditID":"a"}\n');
      },
      async (url) => {
        const stalled = new VictoriaLogsClient({ baseUrl: url, timeoutMs: 300 });
        await expect(stalled.query('*', { limit: 5 })).rejects.toMatchObject({ extensions: { code: 'UPSTREAM_TIMEOUT' } });
        // Enough rows already: the rest of the body is never waited for.
        await expect(stalled.query('*', { limit: 1 })).resolves.toEqual([{ _time: '2024-01-01T00:00:00Z', auditID: 'a' }]);
      },
    );
  });

  it('maps an error VictoriaLogs reports after the rows began to UPSTREAM_UNAVAILABLE', async () => {
    await withServer(
      (_request, response) => {
        response.writeHead(200, { 'Content-Type': 'application/stream+json' });
        response.write('{"_time":"2024-01-01T00:00:00Z"}\n');
        response.end('\nremoteAddr: "127.0.0.1:1"; requestURI: /select/logsql/query; cannot execute query [*]: out of memory\n');
      },
      async (url) => {
        const failing = new VictoriaLogsClient({ baseUrl: url, timeoutMs: 2_000 });
        await expect(failing.query('*', { limit: 10 })).rejects.toMatchObject({
          extensions: { code: 'UPSTREAM_UNAVAILABLE' },
          message: expect.stringContaining('out of memory'),
        });
      },
    );
  });

  it('sends URL credentials as a header and never shows them in errors', async () => {
    const seen: { url: string; authorization: string; accountId: string }[] = [];
    await withServer(
      (request, response) => {
        seen.push({ url: request.url ?? '', authorization: request.headers.authorization ?? '', accountId: String(request.headers.accountid) });
        // A proxy in front of VictoriaLogs might echo what it was given.
        response.writeHead(401, { 'Content-Type': 'text/plain' }).end('bad credentials vigil:s3cr@t for http://vigil:s3cr%40t@host/');
      },
      async (url) => {
        const withCredentials = new VictoriaLogsClient({ baseUrl: url.replace('http://', 'http://vigil:s3cr%40t@'), timeoutMs: 2_000 });
        for (const attempt of [withCredentials, withCredentials.forTenant({ accountId: 3, projectId: 4 })]) {
          const failure = attempt.query('*', { limit: 1 });
          await expect(failure).rejects.toMatchObject({ extensions: { code: 'UPSTREAM_REJECTED' } });
          const message = await failure.then(
            () => '',
            (error: unknown) => (error instanceof Error ? error.message : String(error)),
          );
          expect(message).not.toContain('s3cr@t');
          expect(message).not.toContain('s3cr%40t');
        }
      },
    );
    expect(seen).toEqual([
      { url: '/select/logsql/query', authorization: `Basic ${Buffer.from('vigil:s3cr@t').toString('base64')}`, accountId: 'undefined' },
      { url: '/select/logsql/query', authorization: `Basic ${Buffer.from('vigil:s3cr@t').toString('base64')}`, accountId: '3' },
    ]);
  });
});

async function withServer(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
  run: (url: string) => Promise<void>,
): Promise<void> {
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
