import { describe, expect, it } from 'vitest';
import { VigilError } from '@vigil/lib/errors';
import { SEVERITIES, severityRank, type Severity } from '@vigil/lib/alerts/alert';
import {
  SECURITY_SOURCES,
  compareNewestFirst,
  securityEventId,
  type KubeObjectRef,
  type NormalisedSecurityEvent,
  type SecurityCategory,
  type SecurityEvent,
  type SecurityEventFilter,
  type SecurityEventStore,
  type SecuritySource,
  type VulnerabilityIdFilter,
} from '../src/store/security-event-store.js';
import { auditEventSchema } from '../src/sources/k8s-audit/audit-event.js';
import { auditDetails } from '../src/sources/k8s-audit/normalise.js';

export interface StoreUnderTest {
  store: SecurityEventStore;
  /** A second store over the same data through its own connection (another process, in effect). */
  peer: () => Promise<SecurityEventStore>;
  dispose: () => Promise<void>;
}

export type MakeStore = (options: { retentionDays: number; now: () => Date }) => Promise<StoreUnderTest>;

const NOW = Date.parse('2025-06-01T12:00:00.000Z');
const MINUTE = 60_000;
const DAY = 86_400_000;
const MAX_PAGE = 500;
const at = (minutesAgo: number) => new Date(NOW - minutesAgo * MINUTE).toISOString();

interface OccurrenceSpec {
  key: string;
  at: string;
  source?: SecuritySource;
  severity?: Severity;
  category?: SecurityCategory;
  cluster?: string;
  pod?: { namespace: string; name: string; kind?: string } | null;
  hostname?: string | null;
  output?: string;
}

/** An occurrence as a source mapper would produce it; the store must not care which source. */
function occurrence(spec: OccurrenceSpec): NormalisedSecurityEvent {
  const cluster = spec.cluster ?? 'prod';
  const pod = spec.pod === undefined ? { namespace: 'default', name: 'web-1' } : spec.pod;
  const resource: KubeObjectRef | null = pod ? { cluster, namespace: pod.namespace, kind: pod.kind ?? 'Pod', name: pod.name } : null;
  const output = spec.output ?? `output of ${spec.key}`;
  return {
    dedupKey: spec.key,
    source: spec.source ?? 'FALCO',
    category: spec.category ?? 'RUNTIME',
    severity: spec.severity ?? 'HIGH',
    eventType: `rule ${spec.key}`,
    title: `title ${spec.key}`,
    cluster,
    resource,
    hostname: spec.hostname === undefined ? 'node-1' : spec.hostname,
    occurredAt: spec.at,
    details: {
      priority: 'Error',
      rule: `rule ${spec.key}`,
      output,
      source: 'syscall',
      tags: ['container'],
      outputFields: { 'proc.cmdline': 'sh', 'evt.time': '1685022245478445995', 'proc.aname[3]': null, 'proc.tty': 34816 },
      time: spec.at,
      hostname: 'node-1',
      containerId: 'ee97d9c4186f',
      containerImage: 'docker.io/library/alpine',
      uuid: null,
    },
    raw: { output, nested: { list: [1, 'two', null] } },
  };
}

/**
 * An occurrence attributed to a Kubernetes identity: from Falco's Kubernetes audit source (`ka.user.name`)
 * or from the API server's audit webhook (`user.username`).
 */
function attributed(spec: { key: string; at: string; user: string; via: 'falco' | 'webhook'; cluster?: string }): NormalisedSecurityEvent {
  const base = occurrence({ key: spec.key, at: spec.at, category: 'AUDIT', hostname: null, ...(spec.cluster ? { cluster: spec.cluster } : {}) });
  if (spec.via === 'falco' && 'outputFields' in base.details) {
    return { ...base, details: { ...base.details, source: 'k8s_audit', outputFields: { 'ka.user.name': spec.user, 'ka.verb': 'get' } } };
  }
  const event = auditEventSchema.parse({
    level: 'Metadata',
    auditID: spec.key,
    stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/default/secrets/db',
    verb: 'get',
    user: { username: spec.user, groups: ['system:authenticated'] },
    objectRef: { resource: 'secrets', namespace: 'default', name: 'db', apiVersion: 'v1' },
    responseStatus: { code: 200 },
    requestReceivedTimestamp: spec.at,
    stageTimestamp: spec.at,
  });
  return { ...base, source: 'K8S_AUDIT', details: auditDetails(event) };
}

interface VulnerabilitySpec {
  cve: string;
  at: string;
  workload?: string;
  cluster?: string;
  severity?: Severity;
}

/** A Trivy VulnerabilityReport finding, keyed as the Trivy normaliser keys it. */
function vulnerability(spec: VulnerabilitySpec): NormalisedSecurityEvent {
  const cluster = spec.cluster ?? 'prod';
  const workload = spec.workload ?? 'web';
  return {
    dedupKey: `trivy/${cluster}/default/Deployment/${workload}/app/${spec.cve}`,
    source: 'TRIVY',
    category: 'VULNERABILITY',
    severity: spec.severity ?? 'HIGH',
    eventType: 'vulnerability',
    title: `${spec.cve} in openssl`,
    cluster,
    resource: { cluster, namespace: 'default', kind: 'Deployment', name: workload },
    hostname: null,
    occurredAt: spec.at,
    details: {
      kind: 'TRIVY_VULNERABILITY',
      vulnerabilityId: spec.cve,
      pkgName: 'openssl',
      installedVersion: '3.0.1',
      fixedVersion: '3.0.2',
      title: null,
      primaryLink: null,
      score: 7.5,
      trivySeverity: 'HIGH',
      links: [],
      publishedDate: null,
      lastModifiedDate: null,
      packages: [{ pkgName: 'openssl', installedVersion: '3.0.1', fixedVersion: '3.0.2', severity: 'HIGH', target: null, pkgPath: null }],
      image: { registry: 'index.docker.io', repository: `library/${workload}`, tag: '1.0', digest: null },
      container: 'app',
      os: { family: 'debian', name: '12.1', eosl: false },
      scanner: { name: 'Trivy', version: '0.50.0' },
    },
    raw: {},
  };
}

async function vulnerabilityIdsAll(
  store: SecurityEventStore,
  filter: VulnerabilityIdFilter,
  first: number,
): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let after: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await store.vulnerabilityIds(filter, after === undefined ? { first } : { first, after });
    pages += 1;
    ids.push(...page.vulnerabilityIds);
    expect(page.vulnerabilityIds.length).toBeLessThanOrEqual(first);
    if (!page.hasNextPage) return { ids, pages };
    after = page.endCursor ?? undefined;
    if (pages > 1000) throw new Error('pagination does not end');
  }
}

async function listAll(store: SecurityEventStore, filter: SecurityEventFilter, first: number): Promise<{ events: SecurityEvent[]; pages: number }> {
  const events: SecurityEvent[] = [];
  let after: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await store.list(filter, after === undefined ? { first } : { first, after });
    pages += 1;
    events.push(...page.events);
    expect(page.events.length).toBeLessThanOrEqual(first);
    if (!page.hasNextPage) return { events, pages };
    expect(page.endCursor).not.toBeNull();
    after = page.endCursor ?? undefined;
    if (pages > 1000) throw new Error('pagination does not end');
  }
}

function expectNewestFirst(events: SecurityEvent[]): void {
  for (let i = 1; i < events.length; i++) {
    const prev = events[i - 1];
    const curr = events[i];
    if (!prev || !curr) continue;
    const order = Date.parse(prev.lastSeen) - Date.parse(curr.lastSeen) || (prev.id > curr.id ? 1 : -1);
    expect(order, `${prev.id} before ${curr.id}`).toBeGreaterThan(0);
  }
}

/** The behaviour every SecurityEventStore must have; run against each implementation in *.int.test.ts. */
export function securityEventStoreContract(name: string, make: MakeStore) {
  const withStore = async (fn: (s: StoreUnderTest, clock: { now: number }) => Promise<void>, retentionDays = 30) => {
    const clock = { now: NOW };
    const s = await make({ retentionDays, now: () => new Date(clock.now) });
    try {
      await fn(s, clock);
    } finally {
      await s.dispose();
    }
  };

  describe(`SecurityEventStore contract: ${name}`, () => {
    it('records a new event with a stable id and reads it back unchanged', () =>
      withStore(async ({ store }) => {
        const input = occurrence({ key: 'falco/prod/a', at: at(5) });
        const { event, isNew } = await store.record(input);
        expect(isNew).toBe(true);
        expect(event.id).toBe(securityEventId('falco/prod/a'));
        expect(event).toMatchObject({ count: 1, firstSeen: at(5), lastSeen: at(5), severity: 'HIGH', hostname: 'node-1' });
        const [stored] = await store.get([event.id]);
        const { occurredAt: _omit, ...rest } = input;
        expect(stored).toEqual({ ...rest, id: event.id, firstSeen: at(5), lastSeen: at(5), count: 1, resolvedAt: null });
      }));

    it('counts repeats; firstSeen is the earliest and lastSeen the latest even out of order; details follow the newest', () =>
      withStore(async ({ store }) => {
        const key = 'falco/prod/repeat';
        await store.record(occurrence({ key, at: at(20), output: 'middle' }));
        const older = await store.record(occurrence({ key, at: at(30), output: 'oldest' }));
        expect(older.isNew).toBe(false);
        expect(older.event).toMatchObject({ count: 2, firstSeen: at(30), lastSeen: at(20) });
        expect(older.event.details).toMatchObject({ output: 'middle' });
        const newer = await store.record(occurrence({ key, at: at(10), output: 'newest' }));
        expect(newer.event).toMatchObject({ count: 3, firstSeen: at(30), lastSeen: at(10) });
        const [stored] = await store.get([newer.event.id]);
        expect(stored).toMatchObject({ count: 3, firstSeen: at(30), lastSeen: at(10), raw: { output: 'newest' } });
        expect(stored?.details).toMatchObject({ output: 'newest' });
        // One event, not three.
        expect((await store.list({}, { first: 10 })).events).toHaveLength(1);
      }));

    it('a restatement moves lastSeen and the details but not count; a first restatement still creates the event', () =>
      withStore(async ({ store }) => {
        const key = 'trivy/prod/restated';
        const first = await store.record(occurrence({ key, at: at(30), output: 'first report' }), { restatement: true });
        expect(first).toMatchObject({ isNew: true, event: { count: 1, firstSeen: at(30), lastSeen: at(30) } });
        const restated = await store.record(occurrence({ key, at: at(20), output: 're-read' }), { restatement: true });
        expect(restated).toMatchObject({ isNew: false, event: { count: 1, firstSeen: at(30), lastSeen: at(20) } });
        expect(restated.event.details).toMatchObject({ output: 're-read' });
        const seenAgain = await store.record(occurrence({ key, at: at(10) }));
        expect(seenAgain.event).toMatchObject({ count: 2, lastSeen: at(10) });
        const [stored] = await store.get([seenAgain.event.id]);
        expect(stored).toMatchObject({ count: 2, firstSeen: at(30), lastSeen: at(10) });
      }));

    it('counts every concurrent record() of one event from two writers exactly once', () =>
      withStore(async ({ store, peer }) => {
        const other = await peer();
        const key = 'falco/prod/concurrent';
        const writes = Array.from({ length: 40 }, (_, i) => [
          store.record(occurrence({ key, at: at(100 - i) })),
          other.record(occurrence({ key, at: at(50 - i) })),
        ]).flat();
        const results = await Promise.all(writes);
        expect(results.filter((r) => r.isNew)).toHaveLength(1);
        const [stored] = await store.get([securityEventId(key)]);
        expect(stored).toMatchObject({ count: 80, firstSeen: at(100), lastSeen: at(11) });
        expect(Math.max(...results.map((r) => r.event.count))).toBe(80);
      }));

    it('get returns events in the order asked, null for unknown ids', () =>
      withStore(async ({ store }) => {
        const a = (await store.record(occurrence({ key: 'a', at: at(1) }))).event;
        const b = (await store.record(occurrence({ key: 'b', at: at(2) }))).event;
        const missing = securityEventId('never recorded');
        expect((await store.get([b.id, missing, a.id])).map((e) => e?.id ?? null)).toEqual([b.id, null, a.id]);
        expect(await store.get([])).toEqual([]);
      }));

    it('lists newest lastSeen first and pages through every event exactly once, ties included', () =>
      withStore(async ({ store }) => {
        // 25 events over 10 distinct times: most times are shared by several events.
        for (let i = 0; i < 25; i++) await store.record(occurrence({ key: `page-${i}`, at: at(i % 10) }));
        const firstPage = await store.list({}, { first: 4 });
        expect(firstPage.hasNextPage).toBe(true);
        expect(firstPage.events[0]?.lastSeen).toBe(at(0));
        for (const size of [1, 3, 7, 25, 100]) {
          const { events, pages } = await listAll(store, {}, size);
          expect(events).toHaveLength(25);
          expect(new Set(events.map((e) => e.id)).size).toBe(25);
          expect(pages).toBe(Math.max(1, Math.ceil(25 / size)));
          expectNewestFirst(events);
        }
        const empty = await store.list({ cluster: 'nowhere' }, { first: 5 });
        expect(empty).toEqual({ events: [], hasNextPage: false, endCursor: null });
      }));

    it('pages correctly over many events sharing times, in pages larger than one index read, with a sparse filter', () =>
      withStore(async ({ store }) => {
        for (let i = 0; i < 450; i++) {
          const severity = i % 3 === 2 ? 'CRITICAL' : 'LOW';
          // 420 share one time: more than two index reads' worth of ties.
          const minutesAgo = i < 420 ? 0 : 1 + (i % 2);
          await store.record(occurrence({ key: `bulk-${i}`, at: at(minutesAgo), hostname: `node-${i % 3}`, pod: null, severity }));
        }
        for (const size of [50, 500]) {
          const all = await listAll(store, {}, size);
          expect(all.events).toHaveLength(450);
          expect(new Set(all.events.map((e) => e.id)).size).toBe(450);
          expectNewestFirst(all.events);
        }
        for (const filter of [{ hostname: 'node-2' }, { minSeverity: 'CRITICAL' as const }]) {
          const sparse = await listAll(store, filter, 100);
          expect(sparse.events).toHaveLength(150);
          expect(sparse.pages).toBe(2);
          expect(new Set(sparse.events.map((e) => e.id)).size).toBe(150);
          expect(sparse.events.every((e) => e.hostname === 'node-2' && e.severity === 'CRITICAL')).toBe(true);
          expectNewestFirst(sparse.events);
        }
        expect((await listAll(store, { minSeverity: 'CRITICAL', hostname: 'node-1' }, 40)).events).toHaveLength(0);
      }));

    it('filters by event type, rule, vulnerability id, image and tag', () =>
      withStore(async ({ store }) => {
        const falco = (key: string, image: { repository: string; tag: string } | null) => {
          const base = occurrence({ key, at: at(1) });
          if (!image || !('outputFields' in base.details)) return base;
          return { ...base, details: { ...base.details, outputFields: { ...base.details.outputFields, 'container.image.repository': image.repository, 'container.image.tag': image.tag } } };
        };
        const alpine = (await store.record(falco('img-alpine', { repository: 'docker.io/library/alpine', tag: '3.19' }))).event.id;
        const bare = (await store.record(falco('img-none', null))).event.id;
        // Trivy: registry index.docker.io, repository library/web and library/api, tag 1.0.
        const webCve = (await store.record(vulnerability({ cve: 'CVE-2024-0001', at: at(2), workload: 'web' }))).event.id;
        const apiCve = (await store.record(vulnerability({ cve: 'CVE-2024-0001', at: at(3), workload: 'api' }))).event.id;
        const otherCve = (await store.record(vulnerability({ cve: 'CVE-2024-0002', at: at(4), workload: 'web' }))).event.id;
        const ids = async (filter: SecurityEventFilter) => (await store.list(filter, { first: 50 })).events.map((e) => e.id);
        expect(await ids({ eventType: 'rule img-alpine' })).toEqual([alpine]);
        expect(await ids({ rule: 'rule img-none' })).toEqual([bare]);
        expect(await ids({ rule: 'no such rule' })).toEqual([]);
        expect(await ids({ vulnerabilityId: 'CVE-2024-0001' })).toEqual([webCve, apiCve]);
        expect(await ids({ vulnerabilityId: 'CVE-2024-0001', resourceName: 'api' })).toEqual([apiCve]);
        // Docker Hub spelled three ways is one image.
        expect(await ids({ image: 'alpine' })).toEqual([alpine]);
        expect(await ids({ image: 'docker.io/library/web' })).toEqual([webCve, otherCve]);
        expect(await ids({ image: 'index.docker.io/library/api', tag: '1.0' })).toEqual([apiCve]);
        expect(await ids({ tag: '3.19' })).toEqual([alpine]);
        expect(await ids({ image: 'alpine', tag: '1.0' })).toEqual([]);
        expect(await ids({ image: 'ghcr.io/library/web' })).toEqual([]);
      }));

    it('counts exactly what list returns over all pages, whether from index sizes or by walking', () =>
      withStore(async ({ store }) => {
        for (let i = 0; i < 60; i++) {
          await store.record(
            occurrence({ key: `count-${i}`, at: at(i), severity: SEVERITIES[i % 5] ?? 'LOW', cluster: i % 4 === 0 ? 'staging' : 'prod', hostname: `node-${i % 3}`, category: i % 2 ? 'RUNTIME' : 'AUDIT' }),
          );
        }
        for (let i = 0; i < 7; i++) await store.record(vulnerability({ cve: `CVE-2024-1${i % 2}`, at: at(i), workload: `w${i}` }));
        await store.resolve([`count-3`, `count-4`], at(0));
        const filters: SecurityEventFilter[] = [
          {},
          { sources: ['FALCO'] },
          { sources: ['TRIVY', 'FALCO'] },
          { minSeverity: 'HIGH' },
          { cluster: 'staging' },
          { clusters: ['staging', 'elsewhere'] },
          { cluster: 'prod', clusters: ['staging'] },
          { hostname: 'node-1' },
          { vulnerabilityId: 'CVE-2024-11' },
          { from: new Date(NOW - 30 * MINUTE), to: new Date(NOW - 10 * MINUTE) },
          { sources: ['FALCO'], from: new Date(NOW - 20 * MINUTE) },
          { categories: ['AUDIT'], minSeverity: 'MEDIUM' },
          { resolved: true },
          { hostname: 'node-2', cluster: 'prod', eventType: 'rule count-5' },
          { namespace: 'default', resourceKind: 'Pod' },
        ];
        for (const filter of filters) {
          const listed = (await listAll(store, filter, 500)).events.length;
          expect(await store.count(filter), JSON.stringify(filter)).toBe(listed);
        }
        expect(await store.count({})).toBe(67);
        expect(await store.count({ cluster: 'prod', clusters: ['staging'] })).toBe(0);
      }));

    it('filters by source, severity, category, cluster, resource, hostname and lastSeen range', () =>
      withStore(async ({ store }) => {
        const rec = (spec: OccurrenceSpec) => store.record(occurrence(spec)).then((r) => r.event.id);
        const critical = await rec({ key: 'f-critical', at: at(1), severity: 'CRITICAL' });
        const low = await rec({ key: 'f-low', at: at(2), severity: 'LOW', hostname: 'node-2' });
        const audit = await rec({ key: 'f-audit', at: at(3), category: 'AUDIT', hostname: null, pod: { namespace: 'kube-system', name: 'sa', kind: 'ServiceAccount' } });
        const staging = await rec({ key: 'f-staging', at: at(60), cluster: 'staging', severity: 'MEDIUM' });
        const hostOnly = await rec({ key: 'f-host', at: at(120), pod: null, severity: 'INFO', hostname: 'node-3' });
        const ids = async (filter: SecurityEventFilter) => (await store.list(filter, { first: 50 })).events.map((e) => e.id);
        expect(await ids({})).toEqual([critical, low, audit, staging, hostOnly]);
        expect(await ids({ sources: ['FALCO'] })).toHaveLength(5);
        expect(await ids({ minSeverity: 'HIGH' })).toEqual([critical, audit]);
        expect(await ids({ minSeverity: 'MEDIUM' })).toEqual([critical, audit, staging]);
        expect(await ids({ categories: ['AUDIT'] })).toEqual([audit]);
        expect(await ids({ categories: ['RUNTIME', 'AUDIT'] })).toEqual([critical, low, audit, staging, hostOnly]);
        expect(await ids({ cluster: 'staging' })).toEqual([staging]);
        expect(await ids({ namespace: 'kube-system' })).toEqual([audit]);
        expect(await ids({ resourceKind: 'Pod' })).toEqual([critical, low, staging]);
        expect(await ids({ resourceKind: 'ServiceAccount', resourceName: 'sa' })).toEqual([audit]);
        expect(await ids({ cluster: 'prod', namespace: 'default', resourceKind: 'Pod', resourceName: 'web-1' })).toEqual([critical, low]);
        expect(await ids({ hostname: 'node-2' })).toEqual([low]);
        expect(await ids({ hostname: 'node-3', minSeverity: 'LOW' })).toEqual([]);
        expect(await ids({ from: new Date(at(60)) })).toEqual([critical, low, audit, staging]);
        expect(await ids({ to: new Date(at(3)) })).toEqual([audit, staging, hostOnly]);
        expect(await ids({ from: new Date(at(60)), to: new Date(at(2)) })).toEqual([low, audit, staging]);
        expect(await ids({ from: new Date(at(60)), to: new Date(at(2)), minSeverity: 'MEDIUM' })).toEqual([audit, staging]);
      }));

    it('filters by source, severity and cluster over several pages, among many non-matching events', () =>
      withStore(async ({ store }) => {
        const recorded: SecurityEvent[] = [];
        for (let i = 0; i < 500; i++) {
          const spec: OccurrenceSpec = {
            key: `idx-${i}`,
            // 37 distinct times (coprime with the 6 sources, 5 severities and 7): many ties, within
            // and across the sets an index unions.
            at: at(i % 37),
            source: SECURITY_SOURCES[i % SECURITY_SOURCES.length],
            severity: SEVERITIES[i % SEVERITIES.length],
            cluster: i % 7 === 0 ? 'edge' : 'prod',
            hostname: `node-${i % 3}`,
          };
          recorded.push((await store.record(occurrence(spec))).event);
        }
        await store.resolve(['idx-0', 'idx-14', 'idx-35', 'idx-70'], at(0));
        const filters: SecurityEventFilter[] = [
          { sources: ['KYVERNO'] },
          { sources: ['TRIVY', 'CHECKOV', 'TRIVY'] },
          { minSeverity: 'HIGH' },
          // Four severity sets of 100: more than one index read each.
          { minSeverity: 'LOW' },
          { minSeverity: 'INFO' },
          { cluster: 'edge' },
          { cluster: 'edge', resolved: false },
          { sources: ['FALCO', 'KYVERNO', 'KUBE_BENCH'], minSeverity: 'MEDIUM', cluster: 'edge' },
          { sources: ['FALCO', 'K8S_AUDIT'], minSeverity: 'CRITICAL', hostname: 'node-1' },
          { sources: [...SECURITY_SOURCES], cluster: 'prod', from: new Date(at(30)), to: new Date(at(5)) },
          { sources: [] },
          { cluster: 'nowhere', minSeverity: 'LOW' },
        ];
        const wanted = (e: SecurityEvent, f: SecurityEventFilter) =>
          (f.sources === undefined || f.sources.includes(e.source)) &&
          (f.minSeverity === undefined || severityRank(e.severity) >= severityRank(f.minSeverity)) &&
          (f.cluster === undefined || e.cluster === f.cluster) &&
          (f.hostname === undefined || e.hostname === f.hostname) &&
          (f.from === undefined || Date.parse(e.lastSeen) >= f.from.getTime()) &&
          (f.to === undefined || Date.parse(e.lastSeen) <= f.to.getTime()) &&
          (f.resolved === undefined || !['idx-0', 'idx-14', 'idx-35', 'idx-70'].includes(e.dedupKey) === !f.resolved);
        for (const filter of filters) {
          const expected = recorded.filter((e) => wanted(e, filter)).sort(compareNewestFirst).map((e) => e.id);
          for (const size of [7, 150]) {
            const { events, pages } = await listAll(store, filter, size);
            expect(events.map((e) => e.id), JSON.stringify(filter)).toEqual(expected);
            expect(pages).toBe(Math.max(1, Math.ceil(expected.length / size)));
          }
        }
        expect((await listAll(store, { cluster: 'edge' }, 10)).events).toHaveLength(72);
      }));

    it('moves an event between severity and cluster indexes with its newest occurrence only', () =>
      withStore(async ({ store }) => {
        const id = (await store.record(occurrence({ key: 'mover', at: at(10), severity: 'LOW', cluster: 'a' }))).event.id;
        const ids = async (filter: SecurityEventFilter) => (await store.list(filter, { first: 10 })).events.map((e) => e.id);
        expect(await ids({ cluster: 'a' })).toEqual([id]);
        await store.record(occurrence({ key: 'mover', at: at(5), severity: 'CRITICAL', cluster: 'b' }));
        expect(await ids({ cluster: 'a' })).toEqual([]);
        expect(await ids({ cluster: 'b', minSeverity: 'CRITICAL' })).toEqual([id]);
        // A late occurrence does not replace the newest one's details, nor its indexes.
        await store.record(occurrence({ key: 'mover', at: at(30), severity: 'LOW', cluster: 'c' }));
        expect(await ids({ cluster: 'c' })).toEqual([]);
        expect(await ids({ minSeverity: 'CRITICAL' })).toEqual([id]);
        expect(await ids({ cluster: 'b' })).toEqual([id]);
      }));

    it('rejects a malformed cursor or page size as bad input naming the argument', () =>
      withStore(async ({ store }) => {
        await store.record(occurrence({ key: 'c', at: at(1) }));
        for (const after of ['nonsense', '', Buffer.from('v1:abc:def').toString('base64url')]) {
          const error = await store.list({}, { first: 5, after }).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(VigilError);
          expect((error as VigilError).code).toBe('BAD_USER_INPUT');
          expect((error as VigilError).message).toMatch(/^after: /);
        }
        const first = await store.list({}, { first: -1 }).catch((e: unknown) => e);
        expect((first as VigilError).message).toMatch(/^first: /);
        const page = await store.list({}, { first: 1 });
        expect(page.endCursor).not.toBeNull();
        expect((await store.list({}, { first: 1, after: page.endCursor ?? '' })).events).toEqual([]);
      }));

    it('answers forResources and forHosts per key in one call, newest first, limited', () =>
      withStore(async ({ store }) => {
        const web1 = { cluster: 'prod', namespace: 'default', kind: 'Pod', name: 'web-1' };
        const web2 = { cluster: 'prod', namespace: 'default', kind: 'Pod', name: 'web-2' };
        const sa = { cluster: 'prod', namespace: 'kube-system', kind: 'ServiceAccount', name: 'sa' };
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) {
          ids.push((await store.record(occurrence({ key: `r1-${i}`, at: at(10 - i), pod: web1, hostname: 'node-1' }))).event.id);
        }
        const w2 = (await store.record(occurrence({ key: 'r2', at: at(3), pod: web2, hostname: 'node-2' }))).event.id;
        const host = (await store.record(occurrence({ key: 'h', at: at(1), pod: null, hostname: 'node-2' }))).event.id;
        const otherCluster = { ...web1, cluster: 'staging' };
        const byResource = await store.forResources([web1, sa, web2, otherCluster], 3);
        expect(byResource.map((events) => events.map((e) => e.id))).toEqual([[ids[4], ids[3], ids[2]], [], [w2], []]);
        const byHost = await store.forHosts(['node-2', 'node-9', 'node-1'], 2);
        expect(byHost.map((events) => events.map((e) => e.id))).toEqual([[host, w2], [], [ids[4], ids[3]]]);
        expect(await store.forResources([], 3)).toEqual([]);
        expect(await store.forHosts(['node-1'], 0)).toEqual([[]]);
      }));

    it('answers forIdentities per username in one call, newest first, limited; a syscall event’s Unix user is no identity', () =>
      withStore(async ({ store }, clock) => {
        const id = async (event: NormalisedSecurityEvent) => (await store.record(event)).event.id;
        const aliceFalco = await id(attributed({ key: 'k8saudit/alice/exec', at: at(10), user: 'alice', via: 'falco' }));
        const aliceWebhook = await id(attributed({ key: 'audit/prod/a-1', at: at(5), user: 'alice', via: 'webhook' }));
        // Falco's syscall rules print user.name: a Unix account that happens to be called alice.
        const unix = occurrence({ key: 'shell/alice', at: at(3) });
        if ('outputFields' in unix.details) unix.details.outputFields = { ...unix.details.outputFields, 'user.name': 'alice' };
        await store.record(unix);
        const bob = await id(attributed({ key: 'audit/prod/b-1', at: at(2), user: 'bob', via: 'webhook' }));
        const aliceStaging = await id(attributed({ key: 'k8saudit/staging/alice', at: at(1), user: 'alice', via: 'falco', cluster: 'staging' }));
        // A repeat stays one event, moved to its newest time.
        const again = await id(attributed({ key: 'k8saudit/alice/exec', at: at(0), user: 'alice', via: 'falco' }));
        expect(again).toBe(aliceFalco);
        const byIdentity = await store.forIdentities(['alice', 'bob', 'nobody', 'alice'], 2);
        expect(byIdentity.map((events) => events.map((e) => e.id))).toEqual([[aliceFalco, aliceStaging], [bob], [], [aliceFalco, aliceStaging]]);
        expect((await store.forIdentities(['alice'], 10))[0]?.map((e) => e.id)).toEqual([aliceFalco, aliceStaging, aliceWebhook]);
        expect(await store.forIdentities(['alice'], 0)).toEqual([[]]);
        await expect(store.forIdentities(['alice'], MAX_PAGE + 1)).rejects.toBeInstanceOf(VigilError);
        // Retention applies to the identity index as to every other.
        clock.now = NOW + 31 * DAY;
        expect(await store.forIdentities(['alice', 'bob'], 10)).toEqual([[], []]);
      }));

    it('moves an event to its new host when a repeat reports another hostname', () =>
      withStore(async ({ store }) => {
        await store.record(occurrence({ key: 'moved', at: at(10), hostname: 'falco-old' }));
        await store.record(occurrence({ key: 'moved', at: at(5), hostname: 'falco-new' }));
        const [oldHost, newHost] = await store.forHosts(['falco-old', 'falco-new'], 5);
        expect(oldHost).toEqual([]);
        expect(newHost?.map((e) => e.count)).toEqual([2]);
        expect((await store.list({ hostname: 'falco-old' }, { first: 5 })).events).toEqual([]);
      }));

    it('resolve marks existing open events resolved at a time and returns only those it changed', () =>
      withStore(async ({ store }, clock) => {
        const a = (await store.record(occurrence({ key: 'res-a', at: at(10) }))).event;
        const b = (await store.record(occurrence({ key: 'res-b', at: at(5) }))).event;
        const stale = await store.record(occurrence({ key: 'res-stale', at: new Date(NOW - 31 * DAY).toISOString() }));
        expect(a.resolvedAt).toBeNull();
        const resolved = await store.resolve(['res-b', 'never-recorded', 'res-stale', 'res-b'], at(1));
        expect(resolved).toEqual([{ ...b, resolvedAt: at(1) }]);
        // Already resolved: unchanged, keeps its first resolution time.
        expect(await store.resolve(['res-b', 'res-a'], at(0))).toEqual([{ ...a, resolvedAt: at(0) }]);
        expect((await store.get([a.id, b.id, stale.event.id])).map((e) => e?.resolvedAt ?? 'missing')).toEqual([at(0), at(1), 'missing']);
        // Resolved is not deleted: still listed, in the same place, with every index.
        expect((await store.list({}, { first: 10 })).events.map((e) => e.id)).toEqual([b.id, a.id]);
        expect((await store.forHosts(['node-1'], 10))[0]?.map((e) => e.id)).toEqual([b.id, a.id]);
        expect(await store.resolve([], at(0))).toEqual([]);
        const error = await store.resolve(['res-a'], 'not a date').catch((e: unknown) => e);
        expect((error as VigilError).code).toBe('BAD_USER_INPUT');
        // Resolved events expire by lastSeen like any other.
        clock.now = NOW + 30 * DAY - 6 * MINUTE;
        expect((await store.get([a.id, b.id])).map((e) => e?.id ?? null)).toEqual([null, b.id]);
        expect(await store.resolve(['res-a'], at(0))).toEqual([]);
      }));

    it('reopens a resolved event when it occurs again, counting the occurrence', () =>
      withStore(async ({ store }) => {
        await store.record(occurrence({ key: 'back', at: at(30) }));
        await store.record(occurrence({ key: 'back', at: at(20) }));
        await store.resolve(['back'], at(15));
        const again = await store.record(occurrence({ key: 'back', at: at(10), output: 'again' }));
        expect(again).toMatchObject({ isNew: false, event: { count: 3, firstSeen: at(30), lastSeen: at(10), resolvedAt: null } });
        const [stored] = await store.get([again.event.id]);
        expect(stored).toMatchObject({ count: 3, resolvedAt: null, details: { output: 'again' } });
        // Resolved again, then reopened by an occurrence older than lastSeen (arrived late): still reopened.
        expect(await store.resolve(['back'], at(5))).toHaveLength(1);
        const late = await store.record(occurrence({ key: 'back', at: at(25), output: 'late' }));
        expect(late.event).toMatchObject({ count: 4, lastSeen: at(10), resolvedAt: null, details: { output: 'again' } });
        expect((await store.get([again.event.id]))[0]?.resolvedAt).toBeNull();
      }));

    it('filters on resolved: true only resolved, false only open, absent both; pages through each', () =>
      withStore(async ({ store }) => {
        const ids: string[] = [];
        for (let i = 0; i < 12; i++) ids.push((await store.record(occurrence({ key: `rf-${i}`, at: at(i % 4) }))).event.id);
        const resolvedKeys = [0, 3, 4, 7, 11].map((i) => `rf-${i}`);
        await store.resolve(resolvedKeys, at(0));
        const resolvedIds = new Set(resolvedKeys.map((k) => securityEventId(k)));
        const resolved = await listAll(store, { resolved: true }, 2);
        const open = await listAll(store, { resolved: false }, 3);
        expect(new Set(resolved.events.map((e) => e.id))).toEqual(resolvedIds);
        expect(resolved.events.every((e) => e.resolvedAt === at(0))).toBe(true);
        expect(open.events).toHaveLength(7);
        expect(open.events.every((e) => e.resolvedAt === null && !resolvedIds.has(e.id))).toBe(true);
        expectNewestFirst(resolved.events);
        expectNewestFirst(open.events);
        expect((await listAll(store, {}, 5)).events).toHaveLength(12);
        expect((await store.list({ resolved: true, hostname: 'node-1', minSeverity: 'HIGH' }, { first: 50 })).events).toHaveLength(5);
      }));

    it('keeps per-report open keys: round trip, replace, empty list, delete', () =>
      withStore(async ({ store, peer }) => {
        const report = 'prod/TRIVY/6f1c0a4e-uid';
        expect(await store.getReportKeys(report)).toBeNull();
        await store.setReportKeys(report, ['trivy/b', 'trivy/a', 'trivy/b']);
        // Another process (a restart) sees them.
        const other = await peer();
        expect(await other.getReportKeys(report)).toEqual(['trivy/a', 'trivy/b']);
        expect(await store.getReportKeys('prod/TRIVY/other')).toBeNull();
        await other.setReportKeys(report, ['trivy/c']);
        expect(await store.getReportKeys(report)).toEqual(['trivy/c']);
        await store.setReportKeys(report, []);
        expect(await store.getReportKeys(report)).toEqual([]);
        await store.deleteReportKeys(report);
        expect(await store.getReportKeys(report)).toBeNull();
        await store.deleteReportKeys(report);
        const error = await store.setReportKeys(report, ['']).catch((e: unknown) => e);
        expect((error as VigilError).code).toBe('BAD_USER_INPUT');
      }));

    it('forVulnerabilities answers N vulnerability ids in one call, two workloads sharing a CVE, open only unless asked', () =>
      withStore(async ({ store }) => {
        const web = (await store.record(vulnerability({ cve: 'CVE-2024-0001', at: at(10), workload: 'web' }))).event;
        const api = (await store.record(vulnerability({ cve: 'CVE-2024-0001', at: at(5), workload: 'api' }))).event;
        const staging = (await store.record(vulnerability({ cve: 'CVE-2024-0001', at: at(7), workload: 'web', cluster: 'staging' }))).event;
        const other = (await store.record(vulnerability({ cve: 'GHSA-xxxx-yyyy-zzzz', at: at(3), workload: 'web' }))).event;
        await store.record(occurrence({ key: 'falco-not-a-vuln', at: at(1) }));
        const ids = (lists: SecurityEvent[][]) => lists.map((events) => events.map((e) => e.id));
        expect(ids(await store.forVulnerabilities(['CVE-2024-0001', 'CVE-9999-0000', 'GHSA-xxxx-yyyy-zzzz']))).toEqual([
          [api.id, staging.id, web.id],
          [],
          [other.id],
        ]);
        // A repeat moves it to the front; the details are whole.
        await store.record(vulnerability({ cve: 'CVE-2024-0001', at: at(2), workload: 'web' }));
        const [cve] = await store.forVulnerabilities(['CVE-2024-0001']);
        expect(cve?.map((e) => e.id)).toEqual([web.id, api.id, staging.id]);
        expect(cve?.[0]).toMatchObject({ count: 2, details: { kind: 'TRIVY_VULNERABILITY', vulnerabilityId: 'CVE-2024-0001', container: 'app' } });
        // Fixed in one workload: resolved, so gone by default, back with includeResolved.
        await store.resolve([api.dedupKey], at(1));
        expect(ids(await store.forVulnerabilities(['CVE-2024-0001']))).toEqual([[web.id, staging.id]]);
        const all = await store.forVulnerabilities(['CVE-2024-0001', 'GHSA-xxxx-yyyy-zzzz'], { includeResolved: true });
        expect(ids(all)).toEqual([[web.id, api.id, staging.id], [other.id]]);
        expect(all[0]?.[1]?.resolvedAt).toBe(at(1));
        expect(await store.forVulnerabilities([])).toEqual([]);
      }));

    it('vulnerabilityIds lists distinct ids newest lastSeen first, ties by id descending, and pages', () =>
      withStore(async ({ store }) => {
        // CVE-5 newest via one workload even though its other workload is old.
        await store.record(vulnerability({ cve: 'CVE-5', at: at(50), workload: 'api' }));
        await store.record(vulnerability({ cve: 'CVE-5', at: at(1), workload: 'web' }));
        await store.record(vulnerability({ cve: 'CVE-1', at: at(10), workload: 'web' }));
        await store.record(vulnerability({ cve: 'CVE-2', at: at(10), workload: 'web', severity: 'CRITICAL' }));
        await store.record(vulnerability({ cve: 'CVE-3', at: at(10), workload: 'api', cluster: 'staging' }));
        await store.record(vulnerability({ cve: 'CVE-4', at: at(20), workload: 'web', severity: 'LOW' }));
        // An out-of-order older occurrence does not move CVE-4 back.
        await store.record(vulnerability({ cve: 'CVE-4', at: at(40), workload: 'web', severity: 'LOW' }));
        await store.record(occurrence({ key: 'falco-only', at: at(0) }));
        const expected = ['CVE-5', 'CVE-3', 'CVE-2', 'CVE-1', 'CVE-4'];
        for (const size of [1, 2, 3, 5, 10]) {
          const { ids, pages } = await vulnerabilityIdsAll(store, {}, size);
          expect(ids).toEqual(expected);
          expect(pages).toBe(Math.ceil(5 / size));
        }
        const firstPage = await store.vulnerabilityIds({}, { first: 2 });
        expect(firstPage).toMatchObject({ vulnerabilityIds: ['CVE-5', 'CVE-3'], hasNextPage: true });
        expect(await store.vulnerabilityIds({ cluster: 'nowhere' }, { first: 2 })).toEqual({ vulnerabilityIds: [], hasNextPage: false, endCursor: null });
        expect((await vulnerabilityIdsAll(store, { cluster: 'prod' }, 2)).ids).toEqual(['CVE-5', 'CVE-2', 'CVE-1', 'CVE-4']);
        expect((await vulnerabilityIdsAll(store, { minSeverity: 'CRITICAL' }, 2)).ids).toEqual(['CVE-2']);
        expect((await vulnerabilityIdsAll(store, { minSeverity: 'MEDIUM', cluster: 'staging' }, 2)).ids).toEqual(['CVE-3']);
        // Resolved: every selected event resolved; open: any selected event open. They partition the list.
        await store.resolve([vulnerability({ cve: 'CVE-5', at: at(0), workload: 'web' }).dedupKey], at(0));
        await store.resolve([vulnerability({ cve: 'CVE-1', at: at(0), workload: 'web' }).dedupKey], at(0));
        expect((await vulnerabilityIdsAll(store, { resolved: false }, 2)).ids).toEqual(['CVE-5', 'CVE-3', 'CVE-2', 'CVE-4']);
        expect((await vulnerabilityIdsAll(store, { resolved: true }, 2)).ids).toEqual(['CVE-1']);
        await store.resolve([vulnerability({ cve: 'CVE-5', at: at(0), workload: 'api' }).dedupKey], at(0));
        expect((await vulnerabilityIdsAll(store, { resolved: true }, 1)).ids).toEqual(['CVE-5', 'CVE-1']);
        expect((await vulnerabilityIdsAll(store, { resolved: false, minSeverity: 'HIGH' }, 1)).ids).toEqual(['CVE-3', 'CVE-2']);
        for (const after of ['nonsense', Buffer.from('vuln1:x:CVE-1').toString('base64url')]) {
          const error = await store.vulnerabilityIds({}, { first: 1, after }).catch((e: unknown) => e);
          expect((error as VigilError).message).toMatch(/^after: /);
        }
        expect(((await store.vulnerabilityIds({}, { first: 501 }).catch((e: unknown) => e)) as VigilError).message).toMatch(/^first: /);
      }));

    it('pages vulnerabilityIds over more vulnerabilities than one index read, many sharing a time', () =>
      withStore(async ({ store }) => {
        const cves = Array.from({ length: 230 }, (_, i) => `CVE-2024-${String(i).padStart(4, '0')}`);
        for (const [i, cve] of cves.entries()) {
          await store.record(vulnerability({ cve, at: at(i < 210 ? 0 : 1), severity: i % 10 === 0 ? 'CRITICAL' : 'LOW' }));
        }
        const all = await vulnerabilityIdsAll(store, {}, 70);
        expect(all.ids).toHaveLength(230);
        expect(all.ids).toEqual([...cves.slice(0, 210).sort().reverse(), ...cves.slice(210).sort().reverse()]);
        const critical = await vulnerabilityIdsAll(store, { minSeverity: 'CRITICAL' }, 10);
        const criticalIds = new Set(cves.filter((_, i) => i % 10 === 0));
        expect(critical).toEqual({ ids: all.ids.filter((id) => criticalIds.has(id)), pages: 3 });
      }));

    it('drops vulnerability index entries with their events at retention', () =>
      withStore(async ({ store }, clock) => {
        await store.record(vulnerability({ cve: 'CVE-OLD', at: new Date(NOW - 29 * DAY).toISOString(), workload: 'web' }));
        await store.record(vulnerability({ cve: 'CVE-SHARED', at: new Date(NOW - 29 * DAY).toISOString(), workload: 'web' }));
        const fresh = (await store.record(vulnerability({ cve: 'CVE-SHARED', at: at(1), workload: 'api' }))).event;
        await store.record(vulnerability({ cve: 'CVE-EXPIRED', at: new Date(NOW - 31 * DAY).toISOString() }));
        expect((await store.vulnerabilityIds({}, { first: 10 })).vulnerabilityIds).toEqual(['CVE-SHARED', 'CVE-OLD']);
        clock.now = NOW + 2 * DAY;
        expect((await store.vulnerabilityIds({}, { first: 10 })).vulnerabilityIds).toEqual(['CVE-SHARED']);
        const lists = await store.forVulnerabilities(['CVE-OLD', 'CVE-SHARED', 'CVE-EXPIRED'], { includeResolved: true });
        expect(lists.map((events) => events.map((e) => e.id))).toEqual([[], [fresh.id], []]);
      }));

    it('ends consistent when record() and resolve() race on one event from two writers', () =>
      withStore(async ({ store, peer }) => {
        const other = await peer();
        const key = 'trivy/race';
        await store.record(occurrence({ key, at: at(100) }));
        const ops: Promise<{ kind: 'record' | 'resolve'; at: string; changed: boolean }>[] = [];
        for (let i = 0; i < 30; i++) {
          const recorder = i % 2 === 0 ? store : other;
          const resolver = i % 2 === 0 ? other : store;
          const when = at(90 - i);
          ops.push(recorder.record(occurrence({ key, at: when })).then(() => ({ kind: 'record' as const, at: when, changed: true })));
          ops.push(resolver.resolve([key], when).then((changed) => ({ kind: 'resolve' as const, at: when, changed: changed.length === 1 })));
        }
        const results = await Promise.all(ops);
        const [stored] = await store.get([securityEventId(key)]);
        expect(stored?.count).toBe(31);
        const successfulResolves = results.filter((r) => r.kind === 'resolve' && r.changed);
        // Open at the start, so some resolve changed it; each further one needed a record in between.
        expect(successfulResolves.length).toBeGreaterThanOrEqual(1);
        expect(successfulResolves.length).toBeLessThanOrEqual(31);
        if (stored?.resolvedAt != null) expect(successfulResolves.map((r) => r.at)).toContain(stored.resolvedAt);
        // Every view agrees with the hash.
        const isResolved = stored?.resolvedAt != null;
        expect((await other.list({ resolved: isResolved }, { first: 5 })).events.map((e) => e.id)).toEqual([stored?.id]);
        expect((await other.list({ resolved: !isResolved }, { first: 5 })).events).toEqual([]);
        // And it still behaves: one more record reopens, one more resolve closes.
        expect((await other.record(occurrence({ key, at: at(0) }))).event).toMatchObject({ count: 32, resolvedAt: null });
        expect(await store.resolve([key], at(0))).toMatchObject([{ count: 32, resolvedAt: at(0) }]);
      }));

    it('keeps events for retentionDays after their lastSeen, then drops them everywhere', () =>
      withStore(async ({ store }, clock) => {
        const stale = await store.record(occurrence({ key: 'stale', at: new Date(NOW - 31 * DAY).toISOString() }));
        expect(stale.isNew).toBe(true);
        const ageing = (await store.record(occurrence({ key: 'ageing', at: new Date(NOW - 29 * DAY).toISOString() }))).event;
        const fresh = (await store.record(occurrence({ key: 'fresh', at: at(1) }))).event;
        const pod = { cluster: 'prod', namespace: 'default', kind: 'Pod', name: 'web-1' };
        expect((await store.get([stale.event.id]))[0]).toBeNull();
        expect((await store.list({}, { first: 10 })).events.map((e) => e.id)).toEqual([fresh.id, ageing.id]);
        clock.now = NOW + 2 * DAY;
        expect((await store.get([ageing.id, fresh.id])).map((e) => e?.id ?? null)).toEqual([null, fresh.id]);
        expect((await store.list({}, { first: 10 })).events.map((e) => e.id)).toEqual([fresh.id]);
        expect((await store.forResources([pod], 10))[0]?.map((e) => e.id)).toEqual([fresh.id]);
        expect((await store.forHosts(['node-1'], 10))[0]?.map((e) => e.id)).toEqual([fresh.id]);
        for (const filter of [{ sources: ['FALCO' as const] }, { minSeverity: 'HIGH' as const }, { cluster: 'prod' }]) {
          expect((await store.list(filter, { first: 10 })).events.map((e) => e.id)).toEqual([fresh.id]);
        }
        // A repeat of an expired event starts afresh.
        const again = await store.record(occurrence({ key: 'ageing', at: new Date(clock.now).toISOString() }));
        expect(again).toMatchObject({ isNew: true, event: { count: 1 } });
      }));

    it('reports its retention window by its clock: what the webhook intakes refuse as too old', () =>
      withStore(async ({ store }, clock) => {
        expect(store.retention()).toEqual({ days: 30, cutoff: new Date(NOW - 30 * DAY) });
        clock.now = NOW + DAY;
        expect(store.retention().cutoff).toEqual(new Date(NOW - 29 * DAY));
        // An occurrence at the cutoff is not kept; one just after it is.
        const atCutoff = await store.record(occurrence({ key: 'at-cutoff', at: store.retention().cutoff.toISOString() }));
        const after = await store.record(occurrence({ key: 'after-cutoff', at: new Date(store.retention().cutoff.getTime() + 1000).toISOString() }));
        expect((await store.get([atCutoff.event.id, after.event.id])).map((e) => e?.id ?? null)).toEqual([null, after.event.id]);
      }));
  });
}
