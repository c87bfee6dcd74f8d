/**
 * falco-intake: sustained Falco webhook intake with deduplication. N concurrent senders POST one
 * Falco http_output event per request (as Falco does) to the cluster subgraph's /ingest/falco for a
 * fixed time; ~10% of the events are new, the rest repeat a known rule/pod/command and dedup into
 * counts. The stack runs in a child process on the in-memory store or on a real redis-server; its
 * RSS and CPU time are sampled over IPC every 100 ms. Rounds alternate between the variants.
 *
 * After the run, every variant's stored events are read back through the gateway: the sum of
 * SecurityEvent.count must equal the number of events answered 2xx, and the number of events the
 * number of distinct keys accepted, or the benchmark fails (one that loses events is worthless).
 */
import { Pool } from 'undici';
import { SecurityEventsDocument, createVigilClient } from '@vigil/sdk/index';
import { startRedisServer, type RedisServer } from '../test/support/redis-server.js';
import { BareIntakeServer } from './lib/bare-intake-server.js';
import { FalcoEventMix, type MixEvent } from './lib/falco-events.js';
import { int, mib, ms, round3, table } from './lib/format.js';
import { cpuSeconds, findPid } from './lib/proc-cpu.js';
import type { Progress } from './lib/progress.js';
import { serverResource, type Register } from './lib/resources.js';
import { StackProcess } from './lib/stack-process.js';
import { benchCredentials, type BenchCredentials } from './lib/bench-credentials.js';
import type { ProcessSample, StackInfo } from './lib/stack-protocol.js';
import { median, range, summarize } from './lib/stats.js';

export interface IntakeVariant {
  name: string;
  store: 'memory' | 'redis';
  senders: number;
  /** Share of events at Critical priority (each raises an alert); the rest are Warning (no alert). */
  criticalShare: number;
  /**
   * Events per POST, as one JSON array (what a batching forwarder such as Fluent Bit's `http` output
   * with `format json` sends). @default 1: one event per request, as Falco's http_output does.
   */
  eventsPerRequest?: number;
}

export interface FalcoIntakeOptions {
  rounds: number;
  secondsPerRound: number;
  /** Share of events that are new SecurityEvents; the rest are repeats counted on a stored one. */
  newShare: number;
  /** Repeat pool: 6 rules × 5 namespaces × this × 4 commands keys, each sent once before measuring. */
  podsPerNamespace: number;
  variants: IntakeVariant[];
  /** Also measure a bare node:http server (bench/lib/bare-intake-server.ts) with this many senders, in the same rounds. */
  ceiling?: { senders: number };
}

const SAMPLE_EVERY_MS = 100;
/** The intake's default in-flight limit (cluster.falco.maxInFlight): what a deployment runs with. */
const MAX_IN_FLIGHT = 32;
const VERIFY_PAGE = 500;

interface RoundFigures {
  round: number;
  durationMs: number;
  sent: number;
  accepted: number;
  rejected429: number;
  errors: number;
  acceptedPerSecond: number;
  /** POSTs answered 2xx per second (= acceptedPerSecond with one event per request). */
  requestsPerSecond: number;
  newAccepted: number;
  criticalAccepted: number;
  alertsRaised: number;
  p50: number;
  p99: number;
  max: number;
  peakRssBytes: number;
  rssSamples: number;
  /** CPU time of the stack process over the round / wall time: cores busy. */
  stackCpuCores: number;
  /** The same for this (load generator) process. */
  loadGeneratorCpuCores: number;
  /** The same for redis-server (Redis variants; null if /proc could not tell). */
  redisCpuCores: number | null;
}

export interface Verification {
  /** 2xx answers, warm-up included: each stands for one event. */
  acceptedEvents: number;
  /** Sum of SecurityEvent.count over the stored events (read through the gateway). */
  sumOfCounts: number;
  storedEvents: number;
  distinctKeysAccepted: number;
  /** The 202 bodies' own tallies. */
  reportedStored: number;
  reportedDuplicates: number;
  reportedAlerts: number;
  criticalAccepted: number;
  exact: boolean;
  problems: string[];
}

export interface IntakeVariantResult {
  variant: IntakeVariant;
  stackPid: number;
  rounds: RoundFigures[];
  /** Medians over rounds, with the spread of per-round throughput. */
  acceptedPerSecond: number;
  acceptedPerSecondRange: { min: number; max: number };
  p50: number;
  p99: number;
  rejected429: number;
  errors: number;
  firstErrors: string[];
  newShareAccepted: number;
  peakRssBytes: number;
  rssAtStartBytes: number;
  stackCpuCores: number;
  loadGeneratorCpuCores: number;
  redisCpuCores: number | null;
  verification: Verification;
}

export interface FalcoIntakeResult {
  name: 'falco-intake';
  rounds: number;
  secondsPerRound: number;
  newShare: number;
  repeatPoolSize: number;
  maxInFlight: number;
  variants: IntakeVariantResult[];
  /** The bare node:http server's figures (options.ceiling), or null when not measured. */
  ceiling: CeilingResult | null;
  verified: boolean;
}

export interface CeilingRound {
  requestsPerSecond: number;
  errors: number;
  serverCpuCores: number;
  loadGeneratorCpuCores: number;
}

export interface CeilingResult {
  senders: number;
  rounds: CeilingRound[];
  /** Medians over rounds. */
  requestsPerSecond: number;
  serverCpuCores: number;
  loadGeneratorCpuCores: number;
  errors: number;
}

interface Tally {
  sent: number;
  /** Events answered 2xx (a POST of n events adds n). */
  accepted: number;
  acceptedRequests: number;
  rejected429: number;
  errors: number;
  newAccepted: number;
  criticalAccepted: number;
  reportedStored: number;
  reportedDuplicates: number;
  reportedAlerts: number;
  latencies: number[];
}

const emptyTally = (): Tally => ({
  sent: 0,
  accepted: 0,
  acceptedRequests: 0,
  rejected429: 0,
  errors: 0,
  newAccepted: 0,
  criticalAccepted: 0,
  reportedStored: 0,
  reportedDuplicates: 0,
  reportedAlerts: 0,
  latencies: [],
});

interface IngestAnswer {
  accepted?: number;
  stored?: number;
  duplicates?: number;
  alerts?: number;
}

/** One variant: its stack, its connection pool, its event stream and everything it got accepted. */
class IntakeRun {
  readonly pool: Pool;
  readonly acceptedKeys = new Set<string>();
  readonly total = emptyTally();
  readonly errors: string[] = [];
  readonly rounds: RoundFigures[] = [];
  rssAtStart = 0;

  constructor(
    readonly variant: IntakeVariant,
    readonly stack: StackProcess,
    readonly info: StackInfo,
    readonly credentials: BenchCredentials,
    readonly mix: FalcoEventMix,
    /** redis-server's pid when this variant stores in Redis. */
    readonly redisPid: number | null,
  ) {
    this.pool = new Pool(new URL(info.subgraphUrls.cluster).origin, { connections: variant.senders, pipelining: 1, keepAliveTimeout: 60_000 });
  }

  /**
   * POSTs the events (one alone as Falco does, several as one JSON array); tallies them in `round` and in
   * the run's totals: all accepted or none, as the intake answers. Returns the status (0: no answer).
   */
  async send(events: readonly MixEvent[], round: Tally): Promise<number> {
    round.sent += events.length;
    const started = performance.now();
    let status = 0;
    let text = '';
    const body = events.length === 1 ? (events[0]?.body ?? '') : `[${events.map((event) => event.body).join(',')}]`;
    try {
      const response = await this.pool.request({ path: '/ingest/falco', method: 'POST', headers: { 'content-type': 'application/json', ...this.credentials.webhookHeaders }, body });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      this.note(`request failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    const elapsed = performance.now() - started;
    if (status >= 200 && status < 300) {
      const answer = JSON.parse(text) as IngestAnswer;
      for (const tally of [round, this.total]) {
        tally.accepted += events.length;
        tally.acceptedRequests += 1;
        tally.newAccepted += events.filter((event) => event.isNew).length;
        tally.criticalAccepted += events.filter((event) => event.critical).length;
        tally.reportedStored += answer.stored ?? 0;
        tally.reportedDuplicates += answer.duplicates ?? 0;
        tally.reportedAlerts += answer.alerts ?? 0;
      }
      round.latencies.push(elapsed);
      for (const event of events) this.acceptedKeys.add(event.key);
    } else if (status === 429) {
      round.rejected429 += events.length;
      this.total.rejected429 += events.length;
    } else {
      round.errors += events.length;
      this.total.errors += events.length;
      if (status !== 0) this.note(`HTTP ${status}: ${text.slice(0, 200)}`);
    }
    return status;
  }

  private note(message: string): void {
    if (this.errors.length < 5) this.errors.push(message);
  }

  async close(): Promise<void> {
    await this.pool.close().catch(() => undefined);
  }
}

export async function runFalcoIntake(options: FalcoIntakeOptions, log: Progress, register: Register): Promise<FalcoIntakeResult> {
  const runs: IntakeRun[] = [];
  let redis: RedisServer | null = null;
  let ceiling: CeilingRun | null = null;
  try {
    if (options.variants.some((v) => v.store === 'redis')) {
      redis = await startRedisServer();
      register(serverResource(redis));
      log(`redis-server on port ${redis.port} (persistence off)`);
    }
    log(`starting ${options.variants.length} stack processes (one per variant, no hosts)`);
    const launched = await Promise.all(
      options.variants.map(async (variant, i) => {
        const redisParams = variant.store === 'redis' && redis ? { redis: { url: redis.url, namespace: `bench-intake-${i}` } } : {};
        const credentials = benchCredentials();
        const { process: stack, info } = await StackProcess.launch(`falco-intake-${i}`, { localHostId: null, ...redisParams, ...credentials.launch, timeoutMs: 120_000 });
        register(stack);
        return { variant, stack, info, i, credentials };
      }),
    );
    const redisPid = redis ? findPid(['redis-server', `:${redis.port}`]) : null;
    for (const { variant, stack, info, i, credentials } of launched) {
      const mix = new FalcoEventMix({ podsPerNamespace: options.podsPerNamespace, newShare: options.newShare, criticalShare: variant.criticalShare, seed: 1000 + i });
      runs.push(new IntakeRun(variant, stack, info, credentials, mix, variant.store === 'redis' ? redisPid : null));
    }

    if (options.ceiling) {
      const server = await BareIntakeServer.start();
      register(server);
      ceiling = new CeilingRun(server, options.ceiling.senders, new FalcoEventMix({ podsPerNamespace: options.podsPerNamespace, newShare: options.newShare, criticalShare: 0, seed: 999 }));
      log(`ceiling: a bare node:http server (pid ${server.pid}: reads the body, JSON.parse, 202), ${options.ceiling.senders} senders`);
      await ceiling.measure(1_000);
    }

    for (const run of runs) {
      const known = run.mix.known();
      log(`${run.variant.name}: stack pid ${run.info.pid} up in ${run.info.startMs} ms; warm-up: every repeat key once (${int(known.length)} events, ${run.variant.senders} senders)`);
      await warmUp(run, known);
      run.rssAtStart = (await run.stack.call('sample', {})).rss;
    }

    for (let r = 1; r <= options.rounds; r++) {
      const order = runs.map((_, i) => runs[(i + r - 1) % runs.length]).filter((run): run is IntakeRun => run !== undefined);
      for (const run of order) {
        const figures = await measureRound(run, r, options.secondsPerRound * 1000);
        run.rounds.push(figures);
        log(
          `round ${r}/${options.rounds} ${run.variant.name}: ${int(figures.acceptedPerSecond)} events/s accepted, p50 ${ms(figures.p50)} ms, p99 ${ms(figures.p99)} ms, ` +
            `429s ${figures.rejected429}, errors ${figures.errors}, peak RSS ${mib(figures.peakRssBytes)}, CPU stack ${figures.stackCpuCores.toFixed(2)}${figures.redisCpuCores === null ? '' : ` / redis ${figures.redisCpuCores.toFixed(2)}`} / load gen ${figures.loadGeneratorCpuCores.toFixed(2)} cores`,
        );
      }
      if (ceiling) {
        const figures = await ceiling.measure(options.secondsPerRound * 1000);
        ceiling.rounds.push(figures);
        log(`round ${r}/${options.rounds} ceiling (bare node:http): ${int(figures.requestsPerSecond)} requests/s, errors ${figures.errors}, CPU server ${figures.serverCpuCores.toFixed(2)} / load gen ${figures.loadGeneratorCpuCores.toFixed(2)} cores`);
      }
    }

    const results: IntakeVariantResult[] = [];
    for (const run of runs) {
      const verification = await verify(run);
      log(`${run.variant.name}: ${verification.exact ? 'verified' : 'MISMATCH'}: ${int(verification.sumOfCounts)} counted / ${int(verification.acceptedEvents)} accepted, ${int(verification.storedEvents)} events / ${int(verification.distinctKeysAccepted)} keys`);
      const rounds = run.rounds;
      const accepted = rounds.reduce((sum, f) => sum + f.accepted, 0);
      results.push({
        variant: run.variant,
        stackPid: run.info.pid,
        rounds,
        acceptedPerSecond: median(rounds.map((f) => f.acceptedPerSecond)),
        acceptedPerSecondRange: range(rounds.map((f) => f.acceptedPerSecond)),
        p50: median(rounds.map((f) => f.p50)),
        p99: median(rounds.map((f) => f.p99)),
        rejected429: rounds.reduce((sum, f) => sum + f.rejected429, 0),
        errors: rounds.reduce((sum, f) => sum + f.errors, 0),
        firstErrors: run.errors,
        newShareAccepted: accepted > 0 ? rounds.reduce((sum, f) => sum + f.newAccepted, 0) / accepted : Number.NaN,
        peakRssBytes: Math.max(...rounds.map((f) => f.peakRssBytes)),
        rssAtStartBytes: run.rssAtStart,
        stackCpuCores: median(rounds.map((f) => f.stackCpuCores)),
        loadGeneratorCpuCores: median(rounds.map((f) => f.loadGeneratorCpuCores)),
        redisCpuCores: run.redisPid === null ? null : median(rounds.flatMap((f) => (f.redisCpuCores === null ? [] : [f.redisCpuCores]))),
        verification,
      });
    }
    return {
      name: 'falco-intake',
      rounds: options.rounds,
      secondsPerRound: options.secondsPerRound,
      newShare: options.newShare,
      repeatPoolSize: runs[0]?.mix.poolSize ?? 0,
      maxInFlight: MAX_IN_FLIGHT,
      variants: results,
      ceiling: ceiling === null ? null : ceiling.result(),
      verified: results.every((v) => v.verification.exact),
    };
  } finally {
    await ceiling?.close();
    await Promise.all(runs.map((run) => run.close()));
    log('stopping the stacks');
    await Promise.all(runs.map((run) => run.stack.stop()));
    await redis?.stop();
  }
}

/** The bare server with its own senders: the same kind of bodies, one per POST, no verification (it stores nothing). */
class CeilingRun {
  readonly rounds: CeilingRound[] = [];
  private readonly pool: Pool;

  constructor(
    readonly server: BareIntakeServer,
    readonly senders: number,
    private readonly mix: FalcoEventMix,
  ) {
    this.pool = new Pool(server.url, { connections: senders, pipelining: 1, keepAliveTimeout: 60_000 });
  }

  async measure(durationMs: number): Promise<CeilingRound> {
    const serverBefore = cpuSeconds(this.server.pid);
    const parentBefore = process.cpuUsage();
    const started = performance.now();
    const deadline = started + durationMs;
    let answered = 0;
    let errors = 0;
    const sender = async () => {
      while (performance.now() < deadline) {
        try {
          const response = await this.pool.request({ path: '/ingest/falco', method: 'POST', headers: { 'content-type': 'application/json' }, body: this.mix.next().body });
          await response.body.text();
          if (response.statusCode === 202) answered += 1;
          else errors += 1;
        } catch {
          errors += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: this.senders }, sender));
    const elapsedMs = performance.now() - started;
    const parentCpu = process.cpuUsage(parentBefore);
    const serverAfter = cpuSeconds(this.server.pid);
    return {
      requestsPerSecond: (answered / elapsedMs) * 1000,
      errors,
      serverCpuCores: serverBefore === null || serverAfter === null ? Number.NaN : ((serverAfter - serverBefore) * 1000) / elapsedMs,
      loadGeneratorCpuCores: (parentCpu.user + parentCpu.system) / 1000 / elapsedMs,
    };
  }

  result(): CeilingResult {
    return {
      senders: this.senders,
      rounds: this.rounds,
      requestsPerSecond: median(this.rounds.map((f) => f.requestsPerSecond)),
      serverCpuCores: median(this.rounds.map((f) => f.serverCpuCores)),
      loadGeneratorCpuCores: median(this.rounds.map((f) => f.loadGeneratorCpuCores)),
      errors: this.rounds.reduce((sum, f) => sum + f.errors, 0),
    };
  }

  async close(): Promise<void> {
    await this.pool.close().catch(() => undefined);
    await this.server.stop();
  }
}

/** Sends the repeat pool once, `senders` at a time, retrying 429s, so every later repeat finds its event stored. */
async function warmUp(run: IntakeRun, events: MixEvent[]): Promise<void> {
  const tally = emptyTally();
  let next = 0;
  const worker = async () => {
    for (let event = events[next++]; event !== undefined; event = events[next++]) {
      let status = await run.send([event], tally);
      for (let attempt = 0; status === 429 && attempt < 100; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        status = await run.send([event], tally);
      }
      if (status < 200 || status >= 300) throw new Error(`${run.variant.name}: warm-up event answered ${status}: ${run.errors.join('; ')}`);
    }
  };
  await Promise.all(Array.from({ length: run.variant.senders }, worker));
}

async function measureRound(run: IntakeRun, round: number, durationMs: number): Promise<RoundFigures> {
  const tally = emptyTally();
  const sampler = startSampler(run.stack);
  const before = await run.stack.call('sample', {});
  const parentBefore = process.cpuUsage();
  const redisBefore = run.redisPid === null ? null : cpuSeconds(run.redisPid);
  const started = performance.now();
  const deadline = started + durationMs;
  // As Falco does: no retry on 429 (the event is counted as rejected, not accepted), next event at once.
  const perRequest = run.variant.eventsPerRequest ?? 1;
  const sender = async () => {
    while (performance.now() < deadline) await run.send(Array.from({ length: perRequest }, () => run.mix.next()), tally);
  };
  await Promise.all(Array.from({ length: run.variant.senders }, sender));
  const elapsedMs = performance.now() - started;
  const parentCpu = process.cpuUsage(parentBefore);
  const redisAfter = run.redisPid === null ? null : cpuSeconds(run.redisPid);
  const after = await run.stack.call('sample', {});
  const samples = await sampler.stop();
  const stackCpuUs = after.cpuUserUs + after.cpuSystemUs - (before.cpuUserUs + before.cpuSystemUs);
  const latency = summarize(tally.latencies);
  return {
    round,
    durationMs: elapsedMs,
    sent: tally.sent,
    accepted: tally.accepted,
    rejected429: tally.rejected429,
    errors: tally.errors,
    acceptedPerSecond: (tally.accepted / elapsedMs) * 1000,
    requestsPerSecond: (tally.acceptedRequests / elapsedMs) * 1000,
    newAccepted: tally.newAccepted,
    criticalAccepted: tally.criticalAccepted,
    alertsRaised: tally.reportedAlerts,
    p50: latency.p50,
    p99: latency.p99,
    max: latency.max,
    peakRssBytes: Math.max(before.rss, after.rss, ...samples.map((s) => s.rss)),
    rssSamples: samples.length,
    stackCpuCores: stackCpuUs / 1000 / elapsedMs,
    loadGeneratorCpuCores: (parentCpu.user + parentCpu.system) / 1000 / elapsedMs,
    redisCpuCores: redisBefore === null || redisAfter === null ? null : ((redisAfter - redisBefore) * 1000) / elapsedMs,
  };
}

/** Asks the stack for its RSS every SAMPLE_EVERY_MS (skipping a tick while an answer is outstanding). */
function startSampler(stack: StackProcess): { stop(): Promise<ProcessSample[]> } {
  const samples: ProcessSample[] = [];
  let pending: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (pending) return;
    pending = stack.call('sample', {}, 10_000).then(
      (sample) => {
        samples.push(sample);
        pending = null;
      },
      () => {
        pending = null;
      },
    );
  }, SAMPLE_EVERY_MS);
  return {
    stop: async () => {
      clearInterval(timer);
      await pending;
      return samples;
    },
  };
}

/** Reads every stored Falco event back through the gateway and checks the counts against what was accepted. */
async function verify(run: IntakeRun): Promise<Verification> {
  const client = createVigilClient({ url: run.info.gatewayUrl, headers: run.credentials.gatewayHeaders, timeoutMs: 120_000 });
  let sumOfCounts = 0;
  const ids = new Set<string>();
  let after: string | undefined;
  try {
    for (;;) {
      const page = await client.query(SecurityEventsDocument, { filter: { sources: ['FALCO'] }, first: VERIFY_PAGE, ...(after === undefined ? {} : { after }) });
      for (const { node } of page.securityEvents.edges) {
        if (ids.has(node.id)) continue;
        ids.add(node.id);
        sumOfCounts += node.count;
      }
      const { hasNextPage, endCursor } = page.securityEvents.pageInfo;
      if (!hasNextPage || endCursor === null || endCursor === undefined) break;
      after = endCursor;
    }
  } finally {
    await client.dispose();
  }
  const { total } = run;
  const problems: string[] = [];
  if (sumOfCounts !== total.accepted) problems.push(`sum of counts ${sumOfCounts} != ${total.accepted} events accepted (${sumOfCounts - total.accepted})`);
  if (ids.size !== run.acceptedKeys.size) problems.push(`${ids.size} events stored != ${run.acceptedKeys.size} distinct keys accepted`);
  if (total.reportedStored !== ids.size) problems.push(`202 bodies reported ${total.reportedStored} new events, ${ids.size} stored`);
  if (total.reportedStored + total.reportedDuplicates !== total.accepted) problems.push(`202 bodies: stored + duplicates = ${total.reportedStored + total.reportedDuplicates} != ${total.accepted} accepted`);
  if (total.reportedAlerts !== total.criticalAccepted) problems.push(`${total.reportedAlerts} alerts raised for ${total.criticalAccepted} Critical events accepted`);
  return {
    acceptedEvents: total.accepted,
    sumOfCounts,
    storedEvents: ids.size,
    distinctKeysAccepted: run.acceptedKeys.size,
    reportedStored: total.reportedStored,
    reportedDuplicates: total.reportedDuplicates,
    reportedAlerts: total.reportedAlerts,
    criticalAccepted: total.criticalAccepted,
    exact: problems.length === 0,
    problems,
  };
}

export function falcoIntakeTables(result: FalcoIntakeResult): string {
  const main = table(
    ['variant', 'events/s accepted (range)', 'POSTs/s', 'p50 ms', 'p99 ms', '429s', 'errors', 'new', 'alerts raised', 'stack RSS idle → peak', 'CPU stack / redis / load gen', 'CPU µs per event, stack + redis'],
    result.variants.map((v) => [
      v.variant.name,
      `${int(v.acceptedPerSecond)} (${int(v.acceptedPerSecondRange.min)}–${int(v.acceptedPerSecondRange.max)})`,
      int(median(v.rounds.map((f) => f.requestsPerSecond))),
      ms(v.p50),
      ms(v.p99),
      int(v.rejected429),
      int(v.errors),
      `${(v.newShareAccepted * 100).toFixed(1)}%`,
      int(v.rounds.reduce((sum, f) => sum + f.alertsRaised, 0)),
      `${mib(v.rssAtStartBytes)} → ${mib(v.peakRssBytes)}`,
      `${v.stackCpuCores.toFixed(2)} / ${v.redisCpuCores === null || !Number.isFinite(v.redisCpuCores) ? '–' : v.redisCpuCores.toFixed(2)} / ${v.loadGeneratorCpuCores.toFixed(2)}`,
      int(((v.stackCpuCores + (v.redisCpuCores !== null && Number.isFinite(v.redisCpuCores) ? v.redisCpuCores : 0)) / v.acceptedPerSecond) * 1e6),
    ]),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
  const { ceiling } = result;
  const ceilingLine =
    ceiling === null
      ? []
      : [
          '',
          `machine ceiling, measured in the same rounds: a bare node:http server in a child process (reads each body, JSON.parse, answers 202; no routing, validation, store or alerts) ` +
            `with ${ceiling.senders} senders and the same kind of bodies, one per POST: ${int(ceiling.requestsPerSecond)} requests/s ` +
            `(CPU server ${ceiling.serverCpuCores.toFixed(2)} / load gen ${ceiling.loadGeneratorCpuCores.toFixed(2)} cores${ceiling.errors > 0 ? `, ${int(ceiling.errors)} errors` : ''}). ` +
            `One event per POST cannot go faster than this on this machine, whatever the intake does.`,
        ];
  const verification = table(
    ['variant', 'events accepted (2xx)', 'sum of SecurityEvent.count', 'events stored / distinct keys', 'alerts / Critical accepted', 'check'],
    result.variants.map((v) => {
      const c = v.verification;
      return [
        v.variant.name,
        int(c.acceptedEvents),
        int(c.sumOfCounts),
        `${int(c.storedEvents)} / ${int(c.distinctKeysAccepted)}`,
        `${int(c.reportedAlerts)} / ${int(c.criticalAccepted)}`,
        c.exact ? 'exact' : `FAILED: ${c.problems.join('; ')}`,
      ];
    }),
    ['l', 'r', 'r', 'r', 'r', 'l'],
  );
  const notes = result.variants.flatMap((v) => v.firstErrors.map((e) => `${v.variant.name}: ${e}`));
  return [
    `falco-intake: Falco events POSTed to /ingest/falco (cluster subgraph, stack in a child process): one per POST as Falco's http_output sends them, unless the variant says how many per POST (one JSON array, as a batching forwarder sends); N senders with keep-alive for ${result.secondsPerRound} s per round, ` +
      `${result.rounds} rounds alternating between variants; ~${Math.round(result.newShare * 100)}% new events, the rest repeats of ${int(result.repeatPoolSize)} known keys; ` +
      `Warning priority (below the alert threshold) unless noted. Figures: median over rounds; p50/p99 of 2xx requests; RSS of the stack process after warm-up (idle) and at its peak, sampled every ${SAMPLE_EVERY_MS} ms. ` +
      `CPU: cores busy (CPU time / wall time) in the stack process, redis-server and the load generator (this process), which share the machine. ` +
      `Intake in-flight limit ${result.maxInFlight} (the default). Target (issue 13): 10,000/s with Redis on 2 cores; Zen Watcher claims 200/s.`,
    main,
    ...ceilingLine,
    '',
    'verification after the run (warm-up included): stored events read back through the gateway (securityEvents, FALCO)',
    verification,
    ...(notes.length > 0 ? ['', ...notes] : []),
  ].join('\n');
}

export function falcoIntakeJson(result: FalcoIntakeResult): unknown {
  return JSON.parse(JSON.stringify(result, (_key, value: unknown) => (typeof value === 'number' ? round3(value) : value))) as unknown;
}
