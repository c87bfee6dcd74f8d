/**
 * subscriptions: publish-to-receipt latency of alerts through the gateway over graphql-ws, losses,
 * and the stack process's heap growth per delivery while the subscriptions stay open.
 *
 * Each variant gets a stack process of its own (so its heap is its own) and its own subscribers,
 * one SDK client (one graphql-ws connection) each; rounds alternate between the variants.
 */
import type { AlertSubject } from '@vigil/lib/alerts/alert';
import { AlertRaisedDocument, AlertRaisedWithSubjectDocument } from '@vigil/sdk/index';
import { SubscriberPool } from './lib/subscriber-pool.js';
import { benchCredentials, type BenchCredentials } from './lib/bench-credentials.js';
import { int, kib, mib, ms, round3, table } from './lib/format.js';
import type { Progress } from './lib/progress.js';
import { hostSubject, seedAlerts, seedFalcoEvents } from './lib/seed.js';
import { StackProcess } from './lib/stack-process.js';
import { parseStampedTitle, type BurstResult, type MemorySample, type StackInfo } from './lib/stack-protocol.js';
import { median, summarize, type Summary } from './lib/stats.js';

export interface SubscriptionVariant {
  name: string;
  /** AlertRaised: self-contained payload. AlertRaisedWithSubject: subject resolved through federation per event. */
  document: 'AlertRaised' | 'AlertRaisedWithSubject';
  subscribers: number;
  /** Alerts published over all rounds (warm-up excluded). */
  alerts: number;
  ratePerSecond: number;
}

export interface SubscriptionsOptions {
  rounds: number;
  variants: SubscriptionVariant[];
}

const LOCAL_HOST_ID = 'bench-local';
/**
 * The in-memory alert log keeps every alert (by design, up to alerts.maxLength, 100,000 by
 * default), which would show up as heap growth per delivery with one subscriber. Capped at the
 * config minimum and filled before measuring, the log's size stays constant, so what grows is
 * what the gateway and subgraphs keep per delivery.
 */
const ALERT_LOG_CAP = 100;
/** Subscribers all live (one warm-up alert reached each) within this, or the variant fails. */
const READY_TIMEOUT_MS = 30_000;
/** After a burst: stop waiting once nothing arrived for IDLE_MS, or after DRAIN_MAX_MS at most. */
const IDLE_MS = 3_000;
const WARMUP_DELIVERIES = 2_000;
const WARMUP_DELIVERIES_PER_SECOND = 500;
const DRAIN_MAX_MS = 30_000;

interface RoundFigures extends Summary {
  round: number;
  expected: number;
  delivered: number;
  sendDurationMs: number;
  maxSendLagMs: number;
  heapUsedAfter: number;
}

export interface VariantResult {
  variant: SubscriptionVariant;
  stackPid: number;
  rounds: RoundFigures[];
  expected: number;
  delivered: number;
  duplicates: number;
  /** Payloads with GraphQL errors (the SDK throws them), counted per subscriber event. */
  graphqlErrors: number;
  /** Subscriptions that ended or failed before the end of the run. */
  subscriptionsEnded: number;
  /** With-subject variant: deliveries whose subject came back null. */
  unresolvedSubjects: number;
  firstErrors: string[];
  /** Median over rounds of each round's p50 / p99 (all subscribers' deliveries in the round). */
  p50: number;
  p99: number;
  /** All deliveries of all rounds together. */
  overall: Summary;
  achievedRatePerSecond: number;
  memory: {
    before: MemorySample;
    after: MemorySample;
    afterUnsubscribe: MemorySample | null;
    heapGrowthBytes: number;
    heapGrowthPer10kDeliveriesBytes: number;
    rssGrowthBytes: number;
  };
}

export interface SubscriptionsResult {
  name: 'subscriptions';
  rounds: number;
  variants: VariantResult[];
}

type RaisedPayload = { alertRaised: { title: string; subject?: unknown } };

/** One variant's stack, subscribers and tallies. */
class VariantRun extends SubscriberPool<RaisedPayload> {
  unresolved = 0;
  readonly errors: string[] = [];

  constructor(
    readonly variant: SubscriptionVariant,
    readonly stack: StackProcess,
    readonly info: StackInfo,
    readonly credentials: BenchCredentials,
  ) {
    super({
      gatewayUrl: info.gatewayUrl,
      gatewayWsUrl: info.gatewayWsUrl,
      headers: credentials.gatewayHeaders,
      subscribe: (client) =>
        variant.document === 'AlertRaised' ? client.subscribe(AlertRaisedDocument, {}) : client.subscribe(AlertRaisedWithSubjectDocument, {}),
      stampOf: (payload) => {
        // Not one of ours (e.g. an alert raised while seeding) when the title carries no stamp.
        const stamp = parseStampedTitle(payload.alertRaised.title);
        return stamp ? { round: stamp.round, seq: String(stamp.seq), sentNs: stamp.sentNs } : null;
      },
      onFirst: (payload) => {
        if (variant.document === 'AlertRaisedWithSubject' && payload.alertRaised.subject == null) this.unresolved += 1;
      },
      note: (message) => {
        if (this.errors.length < 10) this.errors.push(message);
      },
    });
  }

  subscribe(): void {
    this.open(this.variant.subscribers);
  }
}

export async function runSubscriptions(options: SubscriptionsOptions, log: Progress, register: (stack: StackProcess) => void): Promise<SubscriptionsResult> {
  log(`starting ${options.variants.length} stack processes (one per variant)`);
  const runs: VariantRun[] = [];
  try {
    const launched = await Promise.all(
      options.variants.map(async (variant, i) => {
        const credentials = benchCredentials();
        const { process: stack, info } = await StackProcess.launch(`subscriptions-${i}`, { localHostId: LOCAL_HOST_ID, alertLogMaxLength: ALERT_LOG_CAP, ...credentials.launch });
        register(stack);
        return { variant, stack, info, credentials };
      }),
    );
    for (const { variant, stack, info, credentials } of launched) runs.push(new VariantRun(variant, stack, info, credentials));

    const subjectLists = new Map<VariantRun, AlertSubject[]>();
    for (const run of runs) subjectLists.set(run, await subjectsFor(run));

    for (const run of runs) {
      log(`${run.variant.name}: stack pid ${run.info.pid} up in ${run.info.startMs} ms; opening ${run.variant.subscribers} graphql-ws connections`);
      run.subscribe();
      await waitUntilLive(run, subjectLists.get(run) ?? [], log);
      // The stack's heap settles only after its first ~1,000 deliveries (measured: +350 KB, then
      // ~+30 KB per 1,000 with one subscriber), so warm up with WARMUP_DELIVERIES before measuring.
      const warmup = Math.max(Math.ceil(WARMUP_DELIVERIES / run.variant.subscribers), Math.ceil(run.variant.alerts / options.rounds));
      const warmupRate = Math.max(run.variant.ratePerSecond, WARMUP_DELIVERIES_PER_SECOND / run.variant.subscribers);
      log(`${run.variant.name}: all ${run.variant.subscribers} subscribers live; warm-up: ${warmup} alerts at ${warmupRate}/s (excluded)`);
      await burst(run, 0, warmup, subjectLists.get(run) ?? [], warmupRate);
    }

    const before = new Map<VariantRun, MemorySample>();
    for (const run of runs) before.set(run, await run.stack.call('memory', {}));

    const rounds = new Map<VariantRun, RoundFigures[]>(runs.map((run) => [run, []]));
    for (let r = 1; r <= options.rounds; r++) {
      // Rotate which variant goes first, so none always runs on a machine warmed by another.
      const order = runs.map((_, i) => runs[(i + r - 1) % runs.length]).filter((run): run is VariantRun => run !== undefined);
      for (const run of order) {
        const count = Math.ceil(run.variant.alerts / options.rounds);
        const sent = await burst(run, r, count, subjectLists.get(run) ?? []);
        const memory = await run.stack.call('memory', {});
        const figures: RoundFigures = {
          round: r,
          ...summarize(run.latencies.get(r) ?? []),
          expected: count * run.variant.subscribers,
          delivered: run.delivered(r),
          sendDurationMs: sent.durationMs,
          maxSendLagMs: sent.maxLagMs,
          heapUsedAfter: memory.heapUsed,
        };
        rounds.get(run)?.push(figures);
        log(
          `round ${r}/${options.rounds} ${run.variant.name}: ${figures.delivered}/${figures.expected} delivered, ` +
            `p50 ${ms(figures.p50)} ms, p99 ${ms(figures.p99)} ms, max ${ms(figures.max)} ms, stack heap ${mib(memory.heapUsed)}`,
        );
      }
    }

    const results: VariantResult[] = [];
    for (const run of runs) {
      const after = await run.stack.call('memory', {});
      await run.close();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const afterUnsubscribe = await run.stack.call('memory', {}).catch(() => null);
      const figures = rounds.get(run) ?? [];
      const all = figures.flatMap((f) => run.latencies.get(f.round) ?? []);
      const delivered = figures.reduce((sum, f) => sum + f.delivered, 0);
      const expected = figures.reduce((sum, f) => sum + f.expected, 0);
      const start = before.get(run) ?? after;
      const heapGrowth = after.heapUsed - start.heapUsed;
      // n alerts at a steady rate span n - 1 intervals.
      const sentIntervals = figures.reduce((sum, f) => sum + f.expected / run.variant.subscribers - 1, 0);
      const sendMs = figures.reduce((sum, f) => sum + f.sendDurationMs, 0);
      results.push({
        variant: run.variant,
        stackPid: run.info.pid,
        rounds: figures,
        expected,
        delivered,
        duplicates: run.duplicates,
        graphqlErrors: run.graphqlErrors,
        subscriptionsEnded: run.ended,
        unresolvedSubjects: run.unresolved,
        firstErrors: run.errors,
        p50: median(figures.map((f) => f.p50)),
        p99: median(figures.map((f) => f.p99)),
        overall: summarize(all),
        achievedRatePerSecond: sendMs > 0 ? (sentIntervals / sendMs) * 1000 : Number.NaN,
        memory: {
          before: start,
          after,
          afterUnsubscribe,
          heapGrowthBytes: heapGrowth,
          heapGrowthPer10kDeliveriesBytes: delivered > 0 ? (heapGrowth / delivered) * 10_000 : Number.NaN,
          rssGrowthBytes: after.rss - start.rss,
        },
      });
    }
    return { name: 'subscriptions', rounds: options.rounds, variants: results };
  } finally {
    for (const run of runs) {
      if (!run.closing) await run.close();
    }
    log('stopping the stacks');
    await Promise.all(runs.map((run) => run.stack.stop()));
  }
}

/** Alternating Host and Pod subjects; the pods have Falco events, so the with-subject variant resolves real data. */
async function subjectsFor(run: VariantRun): Promise<AlertSubject[]> {
  const pods = await seedFalcoEvents(run.info.subgraphUrls.cluster, 5, 2, run.credentials.launch.webhookToken);
  const subjects = pods.flatMap((pod) => [hostSubject(LOCAL_HOST_ID), pod]);
  // Fill the capped log (nobody is subscribed yet, so nothing is delivered).
  await run.stack.call('raise', { alerts: seedAlerts(ALERT_LOG_CAP, subjects) });
  return subjects;
}

/** Publishes single warm-up alerts until every subscriber has received one (the gateway subscribes upstream asynchronously). */
async function waitUntilLive(run: VariantRun, subjects: AlertSubject[], log: Progress): Promise<void> {
  const deadline = performance.now() + READY_TIMEOUT_MS;
  let seq = 0;
  while (run.warmedUp.size < run.variant.subscribers) {
    if (performance.now() > deadline) {
      throw new Error(`${run.variant.name}: only ${run.warmedUp.size}/${run.variant.subscribers} subscribers received anything within ${READY_TIMEOUT_MS / 1000} s; ${run.errors.join('; ')}`);
    }
    // Sequence numbers of their own, apart from the warm-up burst's (also round 0).
    const subject = subjects.slice(seq % subjects.length, (seq % subjects.length) + 1);
    await run.stack.call('burst', { round: 0, firstSeq: 1_000_000 + seq, count: 1, ratePerSecond: 1, subjects: subject });
    seq += 1;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  log(`${run.variant.name}: live after ${seq} probe alert(s)`);
}

/** Publishes a stamped burst in the stack process and waits for the deliveries to settle. */
async function burst(run: VariantRun, round: number, count: number, subjects: AlertSubject[], ratePerSecond = run.variant.ratePerSecond): Promise<BurstResult> {
  const expected = count * run.variant.subscribers;
  const already = run.delivered(round);
  const result = await run.stack.call('burst', { round, count, ratePerSecond, subjects }, 120_000);
  const started = performance.now();
  run.lastDeliveryAt = Math.max(run.lastDeliveryAt, started);
  while (run.delivered(round) - already < expected) {
    const now = performance.now();
    if (now - run.lastDeliveryAt > IDLE_MS || now - started > DRAIN_MAX_MS) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return result;
}

export function subscriptionsTables(result: SubscriptionsResult): string {
  const latency = table(
    ['variant', 'delivered / expected', 'p50 ms', 'p99 ms', 'max ms', 'publish rate', 'dup / errors / ended'],
    result.variants.map((v) => [
      v.variant.name,
      `${int(v.delivered)} / ${int(v.expected)}${v.delivered < v.expected ? ` (${(((v.expected - v.delivered) / v.expected) * 100).toFixed(1)}% lost)` : ''}`,
      ms(v.p50),
      ms(v.p99),
      ms(v.overall.max),
      `${v.achievedRatePerSecond.toFixed(0)}/s (asked ${v.variant.ratePerSecond}/s)`,
      `${v.duplicates} / ${v.graphqlErrors} / ${v.subscriptionsEnded}`,
    ]),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
  const memory = table(
    ['variant', 'heap before', 'heap after', 'growth / deliveries', 'growth per 10k deliveries', 'rss after', 'heap after unsubscribe'],
    result.variants.map((v) => [
      v.variant.name,
      mib(v.memory.before.heapUsed),
      mib(v.memory.after.heapUsed),
      `${kib(v.memory.heapGrowthBytes)} / ${int(v.delivered)}`,
      kib(v.memory.heapGrowthPer10kDeliveriesBytes),
      mib(v.memory.after.rss),
      v.memory.afterUnsubscribe ? mib(v.memory.afterUnsubscribe.heapUsed) : '–',
    ]),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
  const notes = result.variants.flatMap((v) => [
    ...(v.unresolvedSubjects > 0 ? [`${v.variant.name}: ${v.unresolvedSubjects} deliveries with a null subject`] : []),
    ...v.firstErrors.map((e) => `${v.variant.name}: ${e}`),
  ]);
  return [
    `subscriptions: publish (stack process) to receipt (SDK client, another process), graphql-ws through the gateway; ${result.rounds} rounds alternating between variants, p50/p99: median over rounds`,
    latency,
    'dup: deliveries a subscriber received twice; errors: payloads with GraphQL errors; ended: subscriptions that ended before the run did',
    '',
    `stack process heap (after full GC) before the first and after the last round, subscriptions open; growth / deliveries x 10,000 (alert log capped at ${ALERT_LOG_CAP} and full, so it does not grow)`,
    memory,
    ...(notes.length > 0 ? ['', ...notes] : []),
  ].join('\n');
}

export function subscriptionsJson(result: SubscriptionsResult): unknown {
  return JSON.parse(JSON.stringify(result, (_key, value: unknown) => (typeof value === 'number' ? round3(value) : value))) as unknown;
}
