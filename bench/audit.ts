/**
 * audit: Kubernetes API audit records into a real VictoriaLogs through Vigil's own forwarder, then the
 * audit questions asked through the gateway and, side by side, as the same LogsQL sent to VictoriaLogs
 * directly (issue 10, item 11).
 *
 * 1. Ingest. A real VictoriaLogs (the pinned release, test/support/victorialogs.ts) is started, and a
 *    day of one busy cluster's audit records (bench/lib/audit-workload.ts: the fixture records' shapes,
 *    varied over users, verbs, resources, namespaces, response codes and source IPs) goes through the
 *    cluster subgraph's VictoriaLogsAuditForwarder and VictoriaLogsJsonLineSink, built from the
 *    `cluster.audit.forward` defaults as the audit webhook builds them, and fed as the webhook feeds it:
 *    one `enqueue(EventList items)` per API-server batch. The webhook never waits for the forwarder;
 *    here the feeder waits whenever a few batches are queued, so the buffer never overflows and the
 *    figure is the forwarder's sustained rate. Every record must arrive: the forwarder's counts and a
 *    count in VictoriaLogs must both equal what was generated.
 * 2. Queries. A production stack (gateway + subgraphs, API-key auth) runs in a child process with
 *    `audit.victoriaLogs.url` pointing at that VictoriaLogs; its admin key has every tenant, so the
 *    audit subgraph reads the configured tenant, AccountID 0, where the forwarder wrote. Each question
 *    in QUERIES is asked through the gateway over HTTP and directly: the LogsQL the audit subgraph builds
 *    for it (its own builder), POSTed to /select/logsql/query or /stats_query as its client posts it.
 *    Before measuring, both paths must return the same rows, and those must be what the generator
 *    recorded (the newest matching records, or the counts per group). Then interleaved rounds (blocks
 *    of one path after another, see blockRound), and optionally a concurrent segment per path.
 */
import { isDeepStrictEqual } from 'node:util';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import { clusterAuditConfig } from '@vigil/subgraph-cluster/config-audit';
import { parseAuditEventList, type AuditEvent } from '@vigil/subgraph-cluster/sources/k8s-audit/audit-event';
import { VictoriaLogsAuditForwarder, VictoriaLogsJsonLineSink, type JsonLineSink } from '@vigil/subgraph-cluster/sources/k8s-audit/victorialogs-forwarder';
import { buildAuditBoundaryQuery, buildAuditFilter, buildAuditQuery, buildAuditStatsQuery, type AuditFilter } from '@vigil/subgraph-audit/sources/victorialogs/logsql';
import { oldestTime } from '@vigil/subgraph-audit/sources/victorialogs/audit-log-source';
import { startVictoriaLogs, type VictoriaLogsServer } from '../test/support/victorialogs.js';
import { AuditWorkload, DANA, shapeProblems, type AuditProbe, type TallyDimension } from './lib/audit-workload.js';
import { benchCredentials } from './lib/bench-credentials.js';
import { int, mib, ms, ratio, round3, table } from './lib/format.js';
import type { Progress } from './lib/progress.js';
import { blockRound, segment, type Sample } from './lib/request-rounds.js';
import { serverResource, type Register } from './lib/resources.js';
import { StackProcess } from './lib/stack-process.js';
import { median, range, summarize, type Summary } from './lib/stats.js';

export interface AuditOptions {
  /** Audit records generated and forwarded. */
  events: number;
  /** Records per enqueue: the API server's webhook batch (--audit-webhook-batch-max-size, default 400). */
  eventsPerList: number;
  /** Seconds between progress lines while loading. */
  progressSeconds: number;
  /** Longest wait for VictoriaLogs to finish its background merges after the load. */
  settleMaxSeconds: number;
  rounds: number;
  /** Sequential: recorded requests per path per round, in blocks of one path (see blockRound). */
  requestsPerRound: number;
  maxSecondsPerRound: number;
  blockSize: number;
  unrecordedPerBlock: number;
  /** Sequential requests per path before measuring (excluded). */
  warmupRequests: number;
  /** Measure what identical and distinct concurrent gateway requests cost VictoriaLogs (about 5 s). */
  coalescingCheck: boolean;
  /** One segment per path per round at this concurrency, or null for none. */
  concurrent: { concurrency: number; requestsPerSegment: number; maxSecondsPerSegment: number } | null;
}

/** The day the records span, and every query asks about (absolute: nothing depends on today's date). */
const FROM = new Date('2025-06-01T12:00:00Z');
const TO = new Date('2025-06-02T12:00:00Z');
/** The `cluster.name` the forwarder tags every record with. */
const CLUSTER = 'prod-eu-1';
const SEED = 20250601;
/** Goals from the issue. */
const TARGET_EVENTS_PER_SECOND = 20_000;
const TARGET_P99_MS = 100;
/** Batches the feeder lets the forwarder have queued before it waits (the buffer stays far below maxBufferedEvents). */
const QUEUED_BATCHES = 4;

/** A question's filter, in the terms both the GraphQL AuditEventFilter and the audit subgraph's AuditFilter use. */
interface BenchFilter {
  users?: string[];
  verbs?: string[];
  resources?: string[];
  responseCodes?: number[];
}

type Row = readonly string[];

/**
 * One question, asked two ways. To measure another one, add an entry to QUERIES: an `auditEvents`
 * page (EventsQuery) or an `auditStats` grouping (StatsQuery).
 */
type QuerySpec = EventsQuery | StatsQuery;
interface EventsQuery {
  kind: 'auditEvents';
  name: string;
  label: string;
  filter: BenchFilter;
  first: number;
}
interface StatsQuery {
  kind: 'auditStats';
  name: string;
  label: string;
  filter: BenchFilter;
  /** GraphQL AuditGroupField, and the generator's tally of the same field. */
  groupBy: { field: 'USER'; key: 'user'; tally: TallyDimension };
  top: number;
}

const SECRET_READS: BenchFilter = { users: [DANA], resources: ['secrets'], verbs: ['get', 'list', 'watch'] };
const QUERIES: readonly QuerySpec[] = [
  { kind: 'auditEvents', name: 'secretReadsByUser', label: `auditEvents: secret get/list/watch by ${DANA}, first 50`, filter: SECRET_READS, first: 50 },
  { kind: 'auditEvents', name: 'forbidden', label: 'auditEvents: every 403, first 50', filter: { responseCodes: [403] }, first: 50 },
  { kind: 'auditStats', name: 'topUsers', label: 'auditStats: top 20 users by count', filter: {}, groupBy: { field: 'USER', key: 'user', tally: 'user' }, top: 20 },
];

/**
 * gateway: the GraphQL query through the production stack. direct: the same LogsQL the audit subgraph
 * sends, sent to VictoriaLogs directly (for a page of events: the boundary query, then the page from the
 * oldest time it found). single: a page of events as one fully sorted query, as the audit subgraph read it
 * before it used VictoriaLogs' last-N search (same rows; measured beside the others for the ratio).
 */
type Via = 'gateway' | 'direct' | 'single';
const VIAS: readonly Via[] = ['gateway', 'direct'];
const viasOf = (path: { single?: unknown }): readonly Via[] => (path.single ? [...VIAS, 'single'] : VIAS);

/**
 * Variants of each question, asked in turn: the window starts 0, 1, …, VARIANTS-1 ms late. The
 * gateway's HTTP executor coalesces identical subgraph requests in flight (executor-http
 * `deduplicateInflightRequests`), so identical concurrent requests would cost VictoriaLogs one query
 * through the gateway and eight directly; distinct requests cost one query each on both paths. The
 * records in those first milliseconds are never among the newest, so the pages are the same.
 */
const VARIANTS = 64;

/** A question ready to run: the gateway request, the direct request (per variant), and how to read each answer as rows. */
interface QueryPath {
  spec: QuerySpec;
  gateway: { bodies: string[]; rows(data: unknown): Row[] };
  direct: {
    path: string;
    logsql: string;
    forms: Record<string, string>[];
    /** For a page of events, `forms` are boundary queries and this builds the page query that follows each. */
    pageForm?: (variant: number, notBefore: string) => Record<string, string>;
    rows(text: string): Row[];
  };
  single?: { logsql: string; forms: Record<string, string>[] };
  expected: { rows: Row[]; describe: string };
  /** Requests sent so far: picks the next variant. */
  sent: number;
}

export interface IngestFigures {
  events: number;
  window: { from: string; to: string };
  eventsPerList: number;
  forwarder: { batchSize: number; flushMs: number; maxBufferedEvents: number; timeoutMs: number; cluster: string };
  seconds: number;
  eventsPerSecond: number;
  /** Time spent generating records in this process, within `seconds`. */
  generationSeconds: number;
  inserts: { requests: number; p50: number; p99: number; max: number };
  forwarded: number;
  dropped: number;
  rejected: number;
  /** CPU seconds over the load: this process (generator + forwarder) and VictoriaLogs. */
  cpu: { loader: number; victoriaLogs: number };
  /** vl_bytes_ingested_total over the load: the JSON lines as VictoriaLogs received them. */
  bytesIngested: number;
  /** Per-second rates of each progress interval (min / median / max). */
  intervalRates: { min: number; median: number; max: number };
}

export interface StorageFigures {
  settleSeconds: number;
  rows: Record<string, number>;
  compressedBytes: number;
  uncompressedBytes: number;
  indexBytes: number;
}

export interface PathFigures {
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  requestsPerSecond?: number;
}

export interface QueryFigures {
  name: string;
  kind: QuerySpec['kind'];
  label: string;
  logsql: string;
  endpoint: string;
  rows: number;
  expected: string;
  responseBytes: Partial<Record<Via, number>>;
  sequential: Record<'gateway' | 'direct', PathFigures> & {
    single?: PathFigures;
    ratioP50: number;
    ratioPerRound: { median: number; min: number; max: number };
    addedP50: number;
    /** The single sorted query's p50 over the two-query page's (direct both): what the last-N search gains. */
    singleOverDirectP50?: number;
  };
  concurrent: (Record<'gateway' | 'direct', PathFigures> & { single?: PathFigures; ratioP50: number }) | null;
}

export interface AuditResult {
  name: 'audit';
  options: AuditOptions;
  ingest: IngestFigures;
  storage: StorageFigures;
  stack: { pid: number; startMs: number };
  /** VictoriaLogs queries for n concurrent gateway requests, identical and distinct (see VARIANTS). */
  coalescing: Coalescing | null;
  queries: QueryFigures[];
  rounds: { round: number; order: string[]; sequential: Record<string, Summary>; concurrent: Record<string, Summary & { rps: number }> | null }[];
  verified: string[];
}

export async function runAudit(options: AuditOptions, log: Progress, register: Register): Promise<AuditResult> {
  log('starting VictoriaLogs');
  const victoriaLogs = await startVictoriaLogs();
  const vlResource = serverResource(victoriaLogs);
  register(vlResource);
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 32 });
  let stack: StackProcess | null = null;
  try {
    const probes = Object.fromEntries(
      QUERIES.flatMap((spec): [string, AuditProbe][] => (spec.kind === 'auditEvents' ? [[spec.name, { matches: (event) => matchesFilter(spec.filter, event), keep: spec.first }]] : [])),
    );
    const workload = new AuditWorkload({ records: options.events, from: FROM, to: TO, seed: SEED, probes });
    log(`VictoriaLogs at ${victoriaLogs.url}; forwarding ${int(options.events)} audit records (${FROM.toISOString()} – ${TO.toISOString()}) through the cluster subgraph's VictoriaLogsAuditForwarder, ${options.eventsPerList} per enqueue`);
    const ingest = await load(victoriaLogs, workload, options, log);
    log(
      `forwarded ${int(ingest.forwarded)} records in ${ingest.seconds.toFixed(1)} s: ${int(ingest.eventsPerSecond)} events/s (goal ≥ ${int(TARGET_EVENTS_PER_SECOND)}); ` +
        `/insert/jsonline p50 ${ms(ingest.inserts.p50)} ms, p99 ${ms(ingest.inserts.p99)} ms; CPU: loader ${ingest.cpu.loader.toFixed(1)} s, VictoriaLogs ${ingest.cpu.victoriaLogs.toFixed(1)} s`,
    );
    const verified = [await verifyStored(victoriaLogs, agent, workload, options.events)];
    log(verified[0] ?? '');

    log(`waiting for VictoriaLogs to finish merging (at most ${options.settleMaxSeconds} s)`);
    const storage = await settle(victoriaLogs.url, agent, options.settleMaxSeconds);
    log(`settled after ${storage.settleSeconds.toFixed(1)} s: ${mib(storage.compressedBytes)} compressed (${mib(storage.uncompressedBytes)} uncompressed), rows ${JSON.stringify(storage.rows)}`);

    log('starting a production stack (API-key auth) reading that VictoriaLogs, in a child process');
    const credentials = benchCredentials();
    const launched = await StackProcess.launch('audit', { localHostId: null, ...credentials.launch, victoriaLogsUrl: victoriaLogs.url, timeoutMs: 120_000 });
    stack = launched.process;
    register(stack);
    const { info } = launched;
    log(`stack up in ${info.startMs} ms (pid ${info.pid})`);

    const paths = QUERIES.map((spec) => queryPath(spec, workload, options.events));
    const client = new Client(agent, info.gatewayUrl, credentials.gatewayHeaders, victoriaLogs.url);
    const kinds = paths.flatMap((path) => viasOf(path).map((via) => kindName(path, via)));
    const byKind = new Map(paths.flatMap((path) => viasOf(path).map((via) => [kindName(path, via), { path, via }] as const)));
    const run = (kind: string): Promise<unknown> => {
      const found = byKind.get(kind);
      if (!found) throw new Error(`unknown path ${kind}`);
      return client.run(found.path, found.via);
    };

    const responseBytes = new Map<string, Partial<Record<Via, number>>>();
    for (const path of paths) {
      const { text, bytes } = await verifyPath(client, path);
      responseBytes.set(path.spec.name, bytes);
      verified.push(text);
      log(`verified ${path.spec.name}: ${text}`);
    }

    const firstPath = paths[0];
    const coalesced = firstPath && options.coalescingCheck ? await coalescing(client, firstPath, victoriaLogs.url, agent, options.concurrent?.concurrency ?? 8) : null;
    if (coalesced) log(`coalescing: ${coalesced.text}`);

    log(`warm-up: ${options.warmupRequests} requests per path (excluded)`);
    await blockRound(run, kinds, options.warmupRequests, options.blockSize, options.unrecordedPerBlock, options.maxSecondsPerRound);
    if (options.concurrent) {
      const { concurrency, maxSecondsPerSegment } = options.concurrent;
      for (const kind of kinds) await segment(run, kind, concurrency, Math.min(options.warmupRequests, options.concurrent.requestsPerSegment), maxSecondsPerSegment);
    }

    const rounds: AuditResult['rounds'] = [];
    const totals = new Map(kinds.map((kind) => [kind, { seq: 0, seqErrors: 0, conc: 0, concErrors: 0 }]));
    for (let r = 1; r <= options.rounds; r++) {
      const order = r % 2 === 1 ? [...kinds] : [...kinds].reverse();
      const seq = await blockRound(run, order, options.requestsPerRound, options.blockSize, options.unrecordedPerBlock, options.maxSecondsPerRound);
      let conc: Map<string, Sample> | null = null;
      if (options.concurrent) {
        conc = new Map();
        const { concurrency, requestsPerSegment, maxSecondsPerSegment } = options.concurrent;
        for (const kind of order) conc.set(kind, await segment(run, kind, concurrency, requestsPerSegment, maxSecondsPerSegment));
      }
      const sequential: Record<string, Summary> = {};
      const concurrent: Record<string, Summary & { rps: number }> | null = conc ? {} : null;
      for (const kind of kinds) {
        const s = seq.get(kind) ?? { latencies: [], errors: 0, elapsedMs: 0 };
        const total = totals.get(kind);
        if (total) {
          total.seq += s.latencies.length;
          total.seqErrors += s.errors;
        }
        sequential[kind] = summarize(s.latencies);
        const c = conc?.get(kind);
        if (concurrent && c) {
          if (total) {
            total.conc += c.latencies.length;
            total.concErrors += c.errors;
          }
          concurrent[kind] = { ...summarize(c.latencies), rps: c.elapsedMs > 0 ? (c.latencies.length / c.elapsedMs) * 1000 : Number.NaN };
        }
      }
      rounds.push({ round: r, order, sequential, concurrent });
      log(
        `round ${r}/${options.rounds}: ` +
          paths
            .map((p) => `${p.spec.name} p50/p99 gateway ${ms(sequential[kindName(p, 'gateway')]?.p50 ?? Number.NaN)}/${ms(sequential[kindName(p, 'gateway')]?.p99 ?? Number.NaN)} ms, direct ${ms(sequential[kindName(p, 'direct')]?.p50 ?? Number.NaN)}/${ms(sequential[kindName(p, 'direct')]?.p99 ?? Number.NaN)} ms`)
            .join('; '),
      );
    }

    const queries = paths.map((path): QueryFigures => {
      const figures = (via: Via, mode: 'sequential' | 'concurrent'): PathFigures => {
        const kind = kindName(path, via);
        const total = totals.get(kind) ?? { seq: 0, seqErrors: 0, conc: 0, concErrors: 0 };
        if (mode === 'sequential') {
          return { p50: median(rounds.map((r) => r.sequential[kind]?.p50 ?? Number.NaN)), p99: median(rounds.map((r) => r.sequential[kind]?.p99 ?? Number.NaN)), requests: total.seq, errors: total.seqErrors };
        }
        return {
          p50: median(rounds.map((r) => r.concurrent?.[kind]?.p50 ?? Number.NaN)),
          p99: median(rounds.map((r) => r.concurrent?.[kind]?.p99 ?? Number.NaN)),
          requests: total.conc,
          errors: total.concErrors,
          requestsPerSecond: median(rounds.map((r) => r.concurrent?.[kind]?.rps ?? Number.NaN)),
        };
      };
      const gateway = figures('gateway', 'sequential');
      const direct = figures('direct', 'sequential');
      const perRound = rounds.map((r) => (r.sequential[kindName(path, 'gateway')]?.p50 ?? Number.NaN) / (r.sequential[kindName(path, 'direct')]?.p50 ?? Number.NaN));
      const cGateway = options.concurrent ? figures('gateway', 'concurrent') : null;
      const cDirect = options.concurrent ? figures('direct', 'concurrent') : null;
      const single = path.single ? figures('single', 'sequential') : undefined;
      const cSingle = path.single && options.concurrent ? figures('single', 'concurrent') : undefined;
      return {
        name: path.spec.name,
        kind: path.spec.kind,
        label: path.spec.label,
        logsql: path.single ? `${path.direct.logsql}; single query before: ${path.single.logsql}` : path.direct.logsql,
        endpoint: path.direct.path,
        rows: path.expected.rows.length,
        expected: path.expected.describe,
        responseBytes: responseBytes.get(path.spec.name) ?? { gateway: 0, direct: 0 },
        sequential: {
          gateway,
          direct,
          ...(single ? { single, singleOverDirectP50: single.p50 / direct.p50 } : {}),
          ratioP50: gateway.p50 / direct.p50,
          ratioPerRound: { median: median(perRound), ...range(perRound) },
          addedP50: gateway.p50 - direct.p50,
        },
        concurrent: cGateway && cDirect ? { gateway: cGateway, direct: cDirect, ...(cSingle ? { single: cSingle } : {}), ratioP50: cGateway.p50 / cDirect.p50 } : null,
      };
    });
    return { name: 'audit', options, ingest, storage, stack: { pid: info.pid, startMs: info.startMs }, coalescing: coalesced, queries, rounds, verified };
  } finally {
    await agent.close();
    if (stack) {
      log('stopping the stack');
      await stack.stop();
    }
    await vlResource.stop();
  }
}

function kindName(path: QueryPath, via: Via): string {
  return `${path.spec.name}:${via}`;
}

// ---------------------------------------------------------------------------------------------------------
// Ingest.

/** Passes batches to the real sink, timing each, and wakes whoever waits for a batch to finish. */
class ObservedSink implements JsonLineSink {
  readonly latencies: number[] = [];
  #waiting: (() => void)[] = [];

  constructor(private readonly inner: JsonLineSink) {}

  async ingest(records: readonly object[], params: Parameters<JsonLineSink['ingest']>[1]): Promise<void> {
    const t0 = performance.now();
    try {
      await this.inner.ingest(records, params);
      this.latencies.push(performance.now() - t0);
    } finally {
      const waiting = this.#waiting;
      this.#waiting = [];
      for (const wake of waiting) wake();
    }
  }

  /** Resolves when the batch in flight has been answered (successfully or not). */
  batchDone(): Promise<void> {
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
}

async function load(victoriaLogs: VictoriaLogsServer, workload: AuditWorkload, options: AuditOptions, log: Progress): Promise<IngestFigures> {
  // The webhook's forwarder, from the config defaults (subgraphs/cluster/src/http/k8s-audit-ingest.ts builds it the same way).
  const forward = clusterAuditConfig.parse({ forward: { victoriaLogsUrl: victoriaLogs.url } }).forward;
  const sink = new ObservedSink(new VictoriaLogsJsonLineSink({ baseUrl: victoriaLogs.url, timeoutMs: forward.timeoutMs, tenant: { accountId: forward.accountId, projectId: forward.projectId } }));
  const forwarder = new VictoriaLogsAuditForwarder({
    sink,
    cluster: CLUSTER,
    batchSize: forward.batchSize,
    flushMs: forward.flushMs,
    maxBufferedEvents: forward.maxBufferedEvents,
    logger: pino({ level: 'warn' }, pino.destination(2)),
  });
  const highWater = forward.batchSize * QUEUED_BATCHES;

  // The first EventList: what the webhook would accept, in the fixtures' shapes.
  const firstList = workload.next(Math.max(options.eventsPerList, 2000));
  const parsed = parseAuditEventList(JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: firstList }));
  if (!parsed.ok) throw new Error(`the webhook would refuse the generated records: ${parsed.reason}`);
  const problems = shapeProblems(firstList);
  if (problems.length > 0) throw new Error(`generated records differ from the fixture shapes: ${problems.join('; ')}`);

  const before = await vlMetrics(victoriaLogs.url);
  const cpu0 = process.cpuUsage();
  const generation0 = workload.generationMs;
  const started = performance.now();
  let lastLog = started;
  let lastForwarded = 0;
  const intervalRates: number[] = [];
  let pending: AuditEvent[] | null = firstList;
  for (;;) {
    const list: AuditEvent[] = pending ?? workload.next(options.eventsPerList);
    pending = null;
    if (list.length === 0) break;
    forwarder.enqueue(list);
    while (forwarder.stats().buffered >= highWater) {
      await sink.batchDone();
      const stats = forwarder.stats();
      if (stats.consecutiveFailures >= 3) throw new Error(`VictoriaLogs writes keep failing (${stats.consecutiveFailures} in a row): ${victoriaLogs.logs().slice(-1000)}`);
    }
    const now = performance.now();
    if (now - lastLog >= options.progressSeconds * 1000) {
      const { forwarded, buffered } = forwarder.stats();
      const rate = ((forwarded - lastForwarded) / (now - lastLog)) * 1000;
      intervalRates.push(rate);
      log(
        `forwarded ${int(forwarded)}/${int(options.events)} (${((forwarded / options.events) * 100).toFixed(0)}%): ${int(rate)} events/s over the last ${((now - lastLog) / 1000).toFixed(1)} s, ` +
          `${int((forwarded / (now - started)) * 1000)} overall; ${buffered} buffered; /insert/jsonline p50 ${ms(median(sink.latencies.slice(-200)))} ms`,
      );
      lastLog = now;
      lastForwarded = forwarded;
    }
  }
  await forwarder.flush();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await forwarder.stop();
  const stats = forwarder.stats();
  if (stats.forwarded !== options.events || stats.dropped > 0 || stats.rejected > 0) {
    throw new Error(`the forwarder delivered ${stats.forwarded} of ${options.events} records (${stats.dropped} dropped, ${stats.rejected} rejected, ${stats.buffered} still buffered)`);
  }
  // VictoriaLogs updates some metrics about once a second.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const after = await vlMetrics(victoriaLogs.url);
  const inserts = summarize(sink.latencies);
  return {
    events: options.events,
    window: { from: FROM.toISOString(), to: TO.toISOString() },
    eventsPerList: options.eventsPerList,
    forwarder: { batchSize: forward.batchSize, flushMs: forward.flushMs, maxBufferedEvents: forward.maxBufferedEvents, timeoutMs: forward.timeoutMs, cluster: CLUSTER },
    seconds,
    eventsPerSecond: options.events / seconds,
    generationSeconds: (workload.generationMs - generation0) / 1000,
    inserts: { requests: inserts.n, p50: inserts.p50, p99: inserts.p99, max: inserts.max },
    forwarded: stats.forwarded,
    dropped: stats.dropped,
    rejected: stats.rejected,
    cpu: { loader: (cpu.user + cpu.system) / 1e6, victoriaLogs: metric(after, 'process_cpu_seconds_total') - metric(before, 'process_cpu_seconds_total') },
    bytesIngested: metric(after, 'vl_bytes_ingested_total') - metric(before, 'vl_bytes_ingested_total'),
    intervalRates: intervalRates.length > 0 ? { min: Math.min(...intervalRates), median: median(intervalRates), max: Math.max(...intervalRates) } : { min: Number.NaN, median: Number.NaN, max: Number.NaN },
  };
}

/** Everything generated is searchable: counted in VictoriaLogs over the window, in total and per question. */
async function verifyStored(victoriaLogs: VictoriaLogsServer, agent: Agent, workload: AuditWorkload, events: number): Promise<string> {
  // Throws if VictoriaLogs dropped rows for their timestamps.
  await victoriaLogs.flush();
  const count = async (filter: string) => {
    const text = await post(agent, `${victoriaLogs.url}/select/logsql/stats_query`, { query: `${filter} | stats count() as count` });
    return Number(statsSamples(text).find((s) => s.name === 'count')?.value ?? Number.NaN);
  };
  const stored = await count(buildAuditFilter(sourceFilter({})));
  const clusterTagged = await count(`${buildAuditFilter(sourceFilter({}))} AND "cluster":=${JSON.stringify(CLUSTER)}`);
  if (stored !== events || clusterTagged !== events) throw new Error(`VictoriaLogs holds ${stored} audit records in the window (${clusterTagged} tagged cluster=${CLUSTER}); ${events} were forwarded`);
  const perQuery: string[] = [];
  for (const spec of QUERIES) {
    if (spec.kind !== 'auditEvents') continue;
    const want = workload.probe(spec.name).total;
    const got = await count(buildAuditFilter(sourceFilter(spec.filter)));
    if (got !== want) throw new Error(`${spec.name}: VictoriaLogs counts ${got} matching records, the generator made ${want}`);
    perQuery.push(`${spec.name} ${int(got)}`);
  }
  return `VictoriaLogs counts all ${int(events)} records in the window, each tagged cluster=${CLUSTER}; matching records as generated: ${perQuery.join(', ')}`;
}

/** Waits until VictoriaLogs has used under 0.05 CPU-seconds per second twice in a row (its merges after a load). */
async function settle(url: string, agent: Agent, maxSeconds: number): Promise<StorageFigures> {
  const started = performance.now();
  let previous = metric(await vlMetrics(url, agent), 'process_cpu_seconds_total');
  let quiet = 0;
  while (quiet < 2 && performance.now() - started < maxSeconds * 1000) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = metric(await vlMetrics(url, agent), 'process_cpu_seconds_total');
    quiet = now - previous < 0.05 ? quiet + 1 : 0;
    previous = now;
  }
  const metrics = await vlMetrics(url, agent);
  const rows: Record<string, number> = {};
  for (const [key, value] of metrics) {
    const match = /^vl_storage_rows\{type="storage\/([a-z]+)"\}$/.exec(key);
    if (match?.[1]) rows[match[1]] = value;
  }
  return {
    settleSeconds: (performance.now() - started) / 1000,
    rows,
    compressedBytes: metric(metrics, 'vl_compressed_data_size_bytes'),
    uncompressedBytes: metric(metrics, 'vl_uncompressed_data_size_bytes'),
    indexBytes: metric(metrics, 'vl_data_size_bytes{type="indexdb"}'),
  };
}

/** VictoriaLogs' /metrics as `name{labels}` → value. */
async function vlMetrics(url: string, agent?: Agent): Promise<Map<string, number>> {
  const response = await request(`${url}/metrics`, agent ? { dispatcher: agent } : {});
  const text = await response.body.text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

/** A metric's value, or the sum over its label sets when `name` has no labels. */
function metric(metrics: Map<string, number>, name: string): number {
  if (name.includes('{')) return metrics.get(name) ?? 0;
  let total = 0;
  for (const [key, value] of metrics) if (key === name || key.startsWith(`${name}{`)) total += value;
  return total;
}

// ---------------------------------------------------------------------------------------------------------
// Queries.

/** The audit subgraph's filter for a question; `lateMs` moves the start of the window (see VARIANTS). */
function sourceFilter(filter: BenchFilter, lateMs = 0): AuditFilter {
  return { ...filter, from: new Date(FROM.getTime() + lateMs), to: TO };
}

function graphqlFilter(filter: BenchFilter, lateMs = 0): Record<string, unknown> {
  return { ...filter, from: new Date(FROM.getTime() + lateMs).toISOString(), to: TO.toISOString() };
}

const variants = <T>(make: (lateMs: number) => T): T[] => Array.from({ length: VARIANTS }, (_, k) => make(k));

function matchesFilter(filter: BenchFilter, event: AuditEvent): boolean {
  const code = event.responseStatus?.code;
  return (
    (filter.users === undefined || filter.users.includes(event.user.username ?? '')) &&
    (filter.verbs === undefined || filter.verbs.includes(event.verb)) &&
    (filter.resources === undefined || filter.resources.includes(event.objectRef?.resource ?? '')) &&
    (filter.responseCodes === undefined || (code != null && filter.responseCodes.includes(code)))
  );
}

const EVENTS_DOCUMENT = `query BenchAuditEvents($filter: AuditEventFilter!, $first: Int!) {
  auditEvents(filter: $filter, first: $first) {
    edges { node { auditId time stage verb user { username } resource namespace name responseCode sourceIps } }
    pageInfo { hasNextPage }
  }
}`;

const STATS_DOCUMENT = `query BenchAuditStats($filter: AuditEventFilter!, $groupBy: [AuditGroupField!]!, $top: Int!) {
  auditStats(filter: $filter, groupBy: $groupBy, top: $top) { total groups { count user { username } } }
}`;

interface EventNode {
  auditId: string;
  time: string;
  stage: string;
  verb: string;
  user: { username: string };
  resource: string | null;
  namespace: string | null;
  name: string | null;
  responseCode: number | null;
  sourceIps: string[];
}
interface EventsData {
  auditEvents: { edges: { node: EventNode }[]; pageInfo: { hasNextPage: boolean } };
}
interface StatsData {
  auditStats: { total: number; groups: { count: number; user: { username: string } | null }[] };
}

/** RFC 3339 with the fraction padded to nanoseconds: VictoriaLogs prints `_time` without trailing zeros. */
function normaliseTime(time: string): string {
  const match = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(time);
  return match ? `${match[1] ?? ''}.${(match[2] ?? '').padEnd(9, '0')}Z` : time;
}

function eventRow(e: { auditId: string; time: string; stage: string; verb: string; user: string; resource: string | null | undefined; namespace: string | null | undefined; name: string | null | undefined; code: string; ips: string[] }): Row {
  return [e.auditId, normaliseTime(e.time), e.stage, e.verb, e.user, e.resource ?? '', e.namespace ?? '', e.name ?? '', e.code, e.ips.join(',')];
}

function queryPath(spec: QuerySpec, workload: AuditWorkload, events: number): QueryPath {
  switch (spec.kind) {
    case 'auditEvents': {
      // One row more than the page, as the audit subgraph asks, to tell whether another page exists.
      const limit = spec.first + 1;
      const logsql = (lateMs = 0, notBefore?: string) => buildAuditQuery(sourceFilter(spec.filter, lateMs), notBefore === undefined ? { limit } : { limit, notBefore });
      const boundary = (lateMs = 0) => buildAuditBoundaryQuery(sourceFilter(spec.filter, lateMs), { limit });
      const probe = workload.probe(spec.name);
      const more = (hasNext: boolean): Row => ['hasNextPage', String(hasNext)];
      return {
        spec,
        sent: 0,
        gateway: {
          bodies: variants((lateMs) => JSON.stringify({ query: EVENTS_DOCUMENT, variables: { filter: graphqlFilter(spec.filter, lateMs), first: spec.first } })),
          rows: (data) => {
            const { edges, pageInfo } = (data as EventsData).auditEvents;
            return [
              ...edges.map(({ node: n }) => eventRow({ ...n, user: n.user.username, code: n.responseCode === null ? '' : String(n.responseCode), ips: n.sourceIps })),
              more(pageInfo.hasNextPage),
            ];
          },
        },
        direct: {
          path: '/select/logsql/query',
          logsql: `${boundary()}, then ${logsql(0, '1970-01-01T00:00:00Z').replace('1970-01-01T00:00:00.000000000Z', '<oldest boundary time>')}`,
          forms: variants((lateMs) => ({ query: boundary(lateMs), limit: String(limit) })),
          pageForm: (variant, notBefore) => ({ query: logsql(variant, notBefore), limit: String(limit) }),
          rows: (text) => {
            const lines = jsonLines(text);
            const row = (r: Record<string, string>): Row => {
              const ips = r['sourceIPs'];
              return eventRow({
                auditId: r['auditID'] ?? '',
                time: r['_time'] ?? '',
                stage: r['stage'] ?? '',
                verb: r['verb'] ?? '',
                user: r['user.username'] ?? '',
                resource: r['objectRef.resource'],
                namespace: r['objectRef.namespace'],
                name: r['objectRef.name'],
                code: r['responseStatus.code'] ?? '',
                ips: ips ? (JSON.parse(ips) as string[]) : [],
              });
            };
            return [...lines.slice(0, spec.first).map(row), more(lines.length > spec.first)];
          },
        },
        single: { logsql: logsql(), forms: variants((lateMs) => ({ query: logsql(lateMs), limit: String(limit) })) },
        expected: {
          rows: [
            ...probe.newest.map((e) =>
              eventRow({
                auditId: e.auditID,
                time: e.stageTimestamp,
                stage: e.stage,
                verb: e.verb,
                user: e.user.username ?? '',
                resource: e.objectRef?.resource,
                namespace: e.objectRef?.namespace,
                name: e.objectRef?.name,
                code: e.responseStatus?.code == null ? '' : String(e.responseStatus.code),
                ips: e.sourceIPs ?? [],
              }),
            ),
            more(probe.total > spec.first),
          ],
          describe: `${Math.min(spec.first, probe.total)} of ${int(probe.total)} matching`,
        },
      };
    }
    case 'auditStats': {
      const logsql = (lateMs = 0) => buildAuditStatsQuery(sourceFilter(spec.filter, lateMs), [spec.groupBy.key], spec.top);
      if (Object.keys(spec.filter).length > 0) throw new Error(`${spec.name}: the generator tallies whole days only; give no filter`);
      const top = workload.top(spec.groupBy.tally, spec.top);
      const total = (value: number): Row => ['total', String(value)];
      return {
        spec,
        sent: 0,
        gateway: {
          bodies: variants((lateMs) => JSON.stringify({ query: STATS_DOCUMENT, variables: { filter: graphqlFilter(spec.filter, lateMs), groupBy: [spec.groupBy.field], top: spec.top } })),
          rows: (data) => {
            const stats = (data as StatsData).auditStats;
            return [...stats.groups.map((g) => [g.user?.username ?? '', String(g.count)]), total(stats.total)];
          },
        },
        direct: {
          path: '/select/logsql/stats_query',
          logsql: logsql(),
          forms: variants((lateMs) => ({ query: logsql(lateMs) })),
          rows: (text) => {
            const samples = statsSamples(text);
            const field = 'user.username';
            const groups = samples.filter((s) => s.name === 'count').map((s) => [s.labels[field] ?? '', s.value]);
            return [...groups, total(Number(samples.find((s) => s.name === 'total')?.value ?? Number.NaN))];
          },
        },
        expected: { rows: [...top.map(([value, count]) => [value, String(count)]), total(events)], describe: `top ${spec.top} of ${int(workload.tallies[spec.groupBy.tally].size)} groups` },
      };
    }
  }
}

function jsonLines(text: string): Record<string, string>[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, string>);
}

/** The samples of a /select/logsql/stats_query answer (a Prometheus instant vector). */
function statsSamples(text: string): { name: string; labels: Record<string, string>; value: string }[] {
  const body = JSON.parse(text) as { status?: string; data?: { result?: { metric: Record<string, string>; value: [number, string] }[] } };
  if (body.status !== 'success' || !body.data?.result) throw new Error(`stats_query answered ${text.slice(0, 300)}`);
  return body.data.result.map(({ metric: labels, value }) => {
    const { __name__: name = '', ...rest } = labels;
    return { name, labels: rest, value: value[1] };
  });
}

async function post(agent: Agent, url: string, form: Record<string, string>): Promise<string> {
  const response = await request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString(), dispatcher: agent });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`${url} answered ${response.statusCode}: ${text.slice(0, 300)}`);
  return text;
}

class Client {
  constructor(
    private readonly agent: Agent,
    private readonly gatewayUrl: string,
    private readonly gatewayHeaders: Record<string, string>,
    private readonly victoriaLogsUrl: string,
  ) {}

  /**
   * One request by one path, its answer read and parsed as a client would. `variant`: which one (see
   * VARIANTS); by default the next, in turn.
   */
  async run(path: QueryPath, via: Via, variant?: number): Promise<{ text: string }> {
    const k = variant ?? path.sent++ % VARIANTS;
    if (via === 'single') {
      const text = await post(this.agent, `${this.victoriaLogsUrl}${path.direct.path}`, path.single?.forms[k] ?? {});
      jsonLines(text);
      return { text };
    }
    if (via === 'direct') {
      let text = await post(this.agent, `${this.victoriaLogsUrl}${path.direct.path}`, path.direct.forms[k] ?? {});
      if (path.direct.pageForm) {
        // As the audit subgraph pages: the boundary's oldest time, then the page from it on.
        const oldest = oldestTime(jsonLines(text));
        text = oldest === null ? '' : await post(this.agent, `${this.victoriaLogsUrl}${path.direct.path}`, path.direct.pageForm(k, oldest));
      }
      if (path.direct.path.endsWith('/query')) jsonLines(text);
      else statsSamples(text);
      return { text };
    }
    const response = await request(this.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...this.gatewayHeaders },
      body: path.gateway.bodies[k] ?? '',
      dispatcher: this.agent,
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`${path.spec.name}: the gateway answered ${response.statusCode}: ${text.slice(0, 300)}`);
    const parsed = JSON.parse(text) as { data?: unknown; errors?: { message: string }[] };
    if (parsed.errors?.length) throw new Error(`${path.spec.name}: ${parsed.errors.map((e) => e.message).join('; ')}`);
    if (!parsed.data) throw new Error(`${path.spec.name}: the gateway answered without data`);
    return { text };
  }

  /** The rows of the exact question (variant 0: the whole day). */
  async rows(path: QueryPath, via: Via): Promise<{ rows: Row[]; bytes: number }> {
    const { text } = await this.run(path, via, 0);
    const rows = via === 'gateway' ? path.gateway.rows((JSON.parse(text) as { data: unknown }).data) : path.direct.rows(text);
    return { rows, bytes: Buffer.byteLength(text) };
  }
}

export interface Coalescing {
  query: string;
  requests: number;
  identical: number;
  distinct: number;
  text: string;
}

/**
 * What `n` concurrent gateway requests cost VictoriaLogs: all identical (variant 0), then all distinct.
 * VictoriaLogs refreshes its request counters about once a second, hence the pauses.
 */
async function coalescing(client: Client, path: QueryPath, url: string, agent: Agent, n: number): Promise<Coalescing> {
  const endpoint = `vl_http_requests_total{path="${path.direct.path}"}`;
  const count = async () => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    return metric(await vlMetrics(url, agent), endpoint);
  };
  const c0 = await count();
  await Promise.all(Array.from({ length: n }, () => client.run(path, 'gateway', 0)));
  const c1 = await count();
  await Promise.all(Array.from({ length: n }, (_, k) => client.run(path, 'gateway', k % VARIANTS)));
  const c2 = await count();
  const identical = c1 - c0;
  const distinct = c2 - c1;
  return {
    query: path.spec.name,
    requests: n,
    identical,
    distinct,
    text: `${n} identical concurrent gateway requests (${path.spec.name}) cost VictoriaLogs ${identical} quer${identical === 1 ? 'y' : 'ies'}, ${n} distinct ones ${distinct}`,
  };
}

/** Both paths return the same rows, and they are what the generator recorded. */
async function verifyPath(client: Client, path: QueryPath): Promise<{ text: string; bytes: Partial<Record<Via, number>> }> {
  const gateway = await client.rows(path, 'gateway');
  const direct = await client.rows(path, 'direct');
  const single = path.single ? await client.rows(path, 'single') : null;
  const show = (rows: Row[]) => rows.slice(0, 3).map((row) => row.join(' ')).join(' | ');
  if (!isDeepStrictEqual(gateway.rows, direct.rows)) {
    throw new Error(`${path.spec.name}: the gateway and VictoriaLogs answered differently:\ngateway ${show(gateway.rows)} (${gateway.rows.length} rows)\ndirect  ${show(direct.rows)} (${direct.rows.length} rows)`);
  }
  if (!isDeepStrictEqual(direct.rows, path.expected.rows)) {
    throw new Error(`${path.spec.name}: both answered ${show(direct.rows)} (${direct.rows.length} rows), the generator recorded ${show(path.expected.rows)} (${path.expected.rows.length} rows)`);
  }
  if (single && !isDeepStrictEqual(single.rows, direct.rows)) {
    throw new Error(`${path.spec.name}: the single sorted query and the two-query page answered differently:\nsingle ${show(single.rows)}\ndirect ${show(direct.rows)}`);
  }
  return {
    text: `identical rows on ${single ? 'all three' : 'both'} paths, equal to the generator's (${path.expected.describe})`,
    bytes: { gateway: gateway.bytes, direct: direct.bytes, ...(single ? { single: single.bytes } : {}) },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Output.

export function auditTables(result: AuditResult): string {
  const { ingest, storage } = result;
  const load = table(
    ['forwarder ingest (VictoriaLogsAuditForwarder → real VictoriaLogs)', ''],
    [
      ['records', `${int(ingest.events)} (audit.k8s.io/v1, ${ingest.window.from} – ${ingest.window.to}), ${ingest.eventsPerList} per enqueue`],
      ['wall time', `${ingest.seconds.toFixed(1)} s, of which ${ingest.generationSeconds.toFixed(1)} s generating records in the same process`],
      ['rate', `${int(ingest.eventsPerSecond)} events/s (goal ≥ ${int(TARGET_EVENTS_PER_SECOND)}: ${ingest.eventsPerSecond >= TARGET_EVENTS_PER_SECOND ? 'met' : 'NOT met'}); per ${result.options.progressSeconds} s interval ${int(ingest.intervalRates.min)} – ${int(ingest.intervalRates.max)} (median ${int(ingest.intervalRates.median)})`],
      ['forwarder settings', `cluster.audit.forward defaults: batchSize ${ingest.forwarder.batchSize}, flushMs ${ingest.forwarder.flushMs}, maxBufferedEvents ${int(ingest.forwarder.maxBufferedEvents)}, one request at a time`],
      ['/insert/jsonline requests', `${int(ingest.inserts.requests)}: p50 ${ms(ingest.inserts.p50)} ms, p99 ${ms(ingest.inserts.p99)} ms, max ${ms(ingest.inserts.max)} ms`],
      ['delivered', `${int(ingest.forwarded)} forwarded, ${ingest.dropped} dropped, ${ingest.rejected} rejected`],
      ['CPU during the load', `loader (generator + forwarder) ${ingest.cpu.loader.toFixed(1)} s, VictoriaLogs ${ingest.cpu.victoriaLogs.toFixed(1)} s, over ${ingest.seconds.toFixed(1)} s of wall time`],
      [
        'CPU per record',
        // What the rate would be with both cores to these two processes alone: the load is CPU-bound, and the machine is shared.
        `${us(ingest.cpu.loader, ingest.events)} µs loader (of which generating ${us(ingest.generationSeconds, ingest.events)} µs) + ${us(ingest.cpu.victoriaLogs, ingest.events)} µs VictoriaLogs; ` +
          `${int(ingest.events / (ingest.cpu.loader + ingest.cpu.victoriaLogs - ingest.generationSeconds))} records per CPU-second without the generator`,
      ],
      ['bytes ingested', `${mib(ingest.bytesIngested)} (${int(ingest.bytesIngested / ingest.events)} bytes per record as JSON, bodies dropped)`],
      ['VictoriaLogs after the load', `${mib(storage.compressedBytes)} compressed (${mib(storage.uncompressedBytes)} uncompressed, ${ratio(storage.uncompressedBytes / storage.compressedBytes)}), index ${mib(storage.indexBytes)}; settled ${storage.settleSeconds.toFixed(1)} s after the load`],
    ],
    ['l', 'l'],
  );
  const modes = result.options.concurrent ? (['sequential', 'concurrent'] as const) : (['sequential'] as const);
  const c = result.options.concurrent?.concurrency ?? 0;
  const latency = table(
    ['query (one day)', 'path', 'mode', 'rows', 'bytes', 'p50 ms', 'p99 ms', 'req/s', 'requests'],
    result.queries.flatMap((q) =>
      modes.flatMap((mode) =>
        viasOf({ single: q.sequential.single }).map((via) => {
          const f = mode === 'sequential' ? q.sequential[via] : q.concurrent?.[via];
          return [
            q.label,
            via === 'gateway' ? 'gateway' : via === 'single' ? 'VictoriaLogs query, one sorted query (before)' : `VictoriaLogs ${q.endpoint.replace('/select/logsql/', '')}${q.sequential.single ? ', boundary + page' : ''}`,
            mode === 'sequential' ? 'sequential' : `c${c}`,
            q.expected,
            int(q.responseBytes[via] ?? Number.NaN),
            ms(f?.p50 ?? Number.NaN),
            ms(f?.p99 ?? Number.NaN),
            f?.requestsPerSecond === undefined ? '–' : f.requestsPerSecond.toFixed(0),
            `${int(f?.requests ?? 0)}${f?.errors ? ` (${f.errors} errors)` : ''}`,
          ];
        }),
      ),
    ),
    ['l', 'l', 'l', 'l', 'r', 'r', 'r', 'r', 'r'],
  );
  const ratios = table(
    ['query', 'gateway / direct p50', 'per round', 'added p50 ms', 'gateway p99 ≤ 100 ms', 'single query / boundary + page p50', ...(result.options.concurrent ? [`c${c}: gateway / direct p50`] : [])],
    result.queries.map((q) => [
      q.name,
      ratio(q.sequential.ratioP50),
      `${ratio(q.sequential.ratioPerRound.min)} – ${ratio(q.sequential.ratioPerRound.max)}`,
      ms(q.sequential.addedP50),
      q.sequential.gateway.p99 <= TARGET_P99_MS && (q.concurrent === null || q.concurrent.gateway.p99 <= TARGET_P99_MS) ? 'met' : 'NOT met',
      q.sequential.singleOverDirectP50 === undefined ? '–' : ratio(q.sequential.singleOverDirectP50),
      ...(q.concurrent ? [ratio(q.concurrent.ratioP50)] : []),
    ]),
  );
  const worst = Math.max(...result.queries.flatMap((q) => [q.sequential.gateway.p99, q.concurrent?.gateway.p99 ?? 0]));
  return [
    `audit: ${int(ingest.events)} audit records forwarded to a real VictoriaLogs, then queried through the gateway (production stack, API key) and directly with the same LogsQL; ` +
      `${result.rounds.length} rounds, both paths in each (sequential: blocks of ${result.options.blockSize}, the first ${result.options.unrecordedPerBlock} not recorded${result.options.concurrent ? `; then one concurrency-${c} segment per path` : ''}), order reversed every other round; p50/p99 = median over rounds`,
    load,
    '',
    latency,
    '',
    ratios,
    `goal p99 ≤ ${TARGET_P99_MS} ms through the gateway: ${worst <= TARGET_P99_MS ? 'met' : 'NOT met'} (worst ${ms(worst)} ms)`,
    ...(result.coalescing
      ? [`coalescing: ${result.coalescing.text}; every measured request is distinct (the window starts 0-${VARIANTS - 1} ms late, in turn), so both paths cost one VictoriaLogs query per request`]
      : []),
    `verified: ${result.verified.join('; ')}`,
    `LogsQL (built by the audit subgraph's own builder, sent as its client sends it): ${result.queries.map((q) => `${q.name}: ${q.endpoint} ${q.logsql}`).join(' ;; ')}`,
  ].join('\n');
}

function us(seconds: number, events: number): string {
  return ((seconds / events) * 1e6).toFixed(1);
}

export function auditJson(result: AuditResult): unknown {
  return JSON.parse(JSON.stringify(result, (_key, value: unknown) => (typeof value === 'number' ? round3(value) : value))) as unknown;
}
