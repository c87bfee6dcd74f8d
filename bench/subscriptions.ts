/**
 * subscriptions: publish-to-receipt latency of alerts through the gateway over graphql-ws, losses,
 * the gateway's upstream work (subscriptions opened to the alerts subgraph, entity fetches per
 * alert) and the stack process's heap growth per delivery while the subscriptions stay open.
 *
 * Variants differ in document (self-contained `AlertRaised`, or `AlertRaisedWithSubject` whose
 * subject resolves through federation), subscriber count and how the gateway executes
 * subscriptions: 'shared' (Vigil's fan-out: one upstream subscription and one execution per event
 * for subscribers of the same scope) or 'runtime' (Hive Gateway's own execution, what the gateway
 * did before: one of each per subscriber). Variants with the same subscriber count and execution
 * form a tier (the two documents): each variant gets a stack process of its own (so its heap is its
 * own) and its own subscribers, one SDK client (one graphql-ws connection) each, and rounds
 * alternate between the tier's variants, so the with-subject / self-contained ratio is measured side
 * by side. Tiers run one after the other (all their processes stopped in between), smallest first,
 * shared before Hive's own: at 1,000 subscribers with entity fields Hive's own execution falls
 * minutes behind and would load the machine under any variant measured beside it.
 */
import type { AlertSubject } from '@vigil/lib/alerts/alert';
import { AlertRaisedDocument, AlertRaisedWithSubjectDocument } from '@vigil/sdk/index';
import { SubscriberPool } from './lib/subscriber-pool.js';
import { benchCredentials, type BenchCredentials } from './lib/bench-credentials.js';
import { int, kib, mib, ms, ratio, round3, table } from './lib/format.js';
import type { Progress } from './lib/progress.js';
import { hostSubject, seedAlerts, seedFalcoEvents } from './lib/seed.js';
import { StackProcess } from './lib/stack-process.js';
import { parseStampedTitle, type BurstResult, type MemorySample, type StackInfo } from './lib/stack-protocol.js';
import { median, summarize, type Summary } from './lib/stats.js';

export type SubscriptionDocument = 'AlertRaised' | 'AlertRaisedWithSubject';
export type SubscriptionExecution = 'shared' | 'runtime';

export interface SubscriptionVariant {
  /** AlertRaised: self-contained payload. AlertRaisedWithSubject: subject resolved through federation per event. */
  document: SubscriptionDocument;
  subscribers: number;
  execution: SubscriptionExecution;
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
/**
 * Subscribers all live (one warm-up alert reached each) within this plus READY_MS_PER_SUBSCRIBER
 * each, or the variant fails: Hive's own execution opens an upstream subscription per subscriber and
 * executes every probe once per live subscriber, so 1,000 with entity fields take about a minute.
 */
const READY_TIMEOUT_MS = 30_000;
const READY_MS_PER_SUBSCRIBER = 60;
/** After a burst: stop waiting once nothing arrived for IDLE_MS, or after DRAIN_MAX_MS at most. */
const IDLE_MS = 3_000;
const WARMUP_DELIVERIES = 2_000;
const WARMUP_DELIVERIES_PER_SECOND = 500;
const DRAIN_MAX_MS = 30_000;
/** Goals of issue 13, checked and printed under the table. */
const GOALS = { withSubjectAt1000P99Ms: 100, withSubjectVsSelfContained: 1.5, selfContainedAt5000P99Ms: 250, heapPer100kDeliveriesBytes: 10 * 2 ** 20 };

interface RoundFigures extends Summary {
  round: number;
  expected: number;
  delivered: number;
  sendDurationMs: number;
  maxSendLagMs: number;
  heapUsedAfter: number;
}

/** The gateway's own counters (its /metrics), for what it did upstream. */
interface UpstreamCounts {
  /** Subscriptions the gateway opened to the alerts subgraph. */
  alertsSubscriptions: number;
  /** HTTP requests to the subgraphs that resolve subjects (hosts, cluster): the entity fetches. */
  entityRequests: number;
}

export interface VariantResult {
  variant: SubscriptionVariant;
  name: string;
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
  upstream: {
    /** Upstream subscriptions open for the variant's subscribers (opened since the stack started). */
    subscriptions: number;
    /** Entity fetches per alert published in the rounds. */
    entityRequestsPerAlert: number;
  };
  memory: {
    before: MemorySample;
    after: MemorySample;
    afterUnsubscribe: MemorySample | null;
    heapGrowthBytes: number;
    heapGrowthPer100kDeliveriesBytes: number;
    rssGrowthBytes: number;
  };
}

export interface SubscriptionsResult {
  name: 'subscriptions';
  rounds: number;
  variants: VariantResult[];
}

type RaisedPayload = { alertRaised: { title: string; subject?: unknown } };

export function variantName(v: SubscriptionVariant): string {
  return `${int(v.subscribers)} ${v.subscribers === 1 ? 'subscriber' : 'subscribers'}, ${v.document}, ${v.execution}`;
}

/** One variant's stack, subscribers and tallies. */
class VariantRun extends SubscriberPool<RaisedPayload> {
  unresolved = 0;
  readonly errors: string[] = [];
  readonly name: string;

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
    this.name = variantName(variant);
  }

  subscribe(): Promise<void> {
    return this.openPaced(this.variant.subscribers);
  }

  async upstream(): Promise<UpstreamCounts> {
    const text = await (await fetch(this.info.gatewayUrl.replace(/\/graphql$/, '/metrics'))).text();
    let alertsSubscriptions = 0;
    let entityRequests = 0;
    for (const match of text.matchAll(/^vigil_gateway_subgraph_subscriptions_total\{subgraph="alerts"\} (\d+)/gm)) alertsSubscriptions += Number(match[1]);
    for (const match of text.matchAll(/^vigil_gateway_subgraph_request_duration_seconds_count\{subgraph="(hosts|cluster)",status="[^"]+"\} (\d+)/gm)) entityRequests += Number(match[2]);
    return { alertsSubscriptions, entityRequests };
  }
}

export async function runSubscriptions(options: SubscriptionsOptions, log: Progress, register: (stack: StackProcess) => void): Promise<SubscriptionsResult> {
  const tierOf = (v: SubscriptionVariant) => `${v.subscribers}:${v.execution}`;
  const tiers = [...new Set([...options.variants].sort((a, b) => a.subscribers - b.subscribers || (a.execution === 'shared' ? -1 : 1)).map(tierOf))];
  const variants: VariantResult[] = [];
  for (const key of tiers) {
    const tier = options.variants.filter((v) => tierOf(v) === key);
    const first = tier[0];
    if (!first) continue;
    log(`tier: ${int(first.subscribers)} subscriber(s), ${first.execution} execution, ${tier.length} variants side by side`);
    variants.push(...(await runTier(tier, options.rounds, log, register)));
  }
  return { name: 'subscriptions', rounds: options.rounds, variants };
}

async function runTier(tier: SubscriptionVariant[], rounds: number, log: Progress, register: (stack: StackProcess) => void): Promise<VariantResult[]> {
  const runs: VariantRun[] = [];
  const stacks: StackProcess[] = [];
  try {
    const launched = await Promise.all(
      tier.map(async (variant, i) => {
        const credentials = benchCredentials();
        const { process: stack, info } = await StackProcess.launch(`subscriptions-${variant.subscribers}-${i}`, {
          localHostId: LOCAL_HOST_ID,
          alertLogMaxLength: ALERT_LOG_CAP,
          subscriptions: variant.execution,
          ...credentials.launch,
        });
        register(stack);
        stacks.push(stack);
        return { variant, stack, info, credentials };
      }),
    );
    for (const { variant, stack, info, credentials } of launched) runs.push(new VariantRun(variant, stack, info, credentials));

    const subjectLists = new Map<VariantRun, AlertSubject[]>();
    for (const run of runs) subjectLists.set(run, await subjectsFor(run));

    for (const run of runs) {
      log(`${run.name}: stack pid ${run.info.pid} up in ${run.info.startMs} ms; opening ${int(run.variant.subscribers)} graphql-ws connections`);
      await run.subscribe();
      await waitUntilLive(run, subjectLists.get(run) ?? [], log);
      // The stack's heap settles only after its first ~1,000 deliveries (measured: +350 KB, then
      // ~+30 KB per 1,000 with one subscriber), so warm up with WARMUP_DELIVERIES before measuring.
      const warmup = Math.max(Math.ceil(WARMUP_DELIVERIES / run.variant.subscribers), Math.ceil(run.variant.alerts / rounds));
      const warmupRate = Math.max(run.variant.ratePerSecond, WARMUP_DELIVERIES_PER_SECOND / run.variant.subscribers);
      log(`${run.name}: all subscribers live; warm-up: ${warmup} alerts at ${warmupRate}/s (excluded)`);
      await burst(run, 0, warmup, subjectLists.get(run) ?? [], warmupRate);
    }

    const before = new Map<VariantRun, MemorySample>();
    const upstreamBefore = new Map<VariantRun, UpstreamCounts>();
    for (const run of runs) {
      before.set(run, await run.stack.call('memory', {}));
      upstreamBefore.set(run, await run.upstream());
    }

    const figuresOf = new Map<VariantRun, RoundFigures[]>(runs.map((run) => [run, []]));
    for (let r = 1; r <= rounds; r++) {
      // Rotate which variant goes first, so none always runs on a machine warmed by another.
      const order = runs.map((_, i) => runs[(i + r - 1) % runs.length]).filter((run): run is VariantRun => run !== undefined);
      for (const run of order) {
        const count = Math.ceil(run.variant.alerts / rounds);
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
        figuresOf.get(run)?.push(figures);
        log(
          `round ${r}/${rounds} ${run.name}: ${int(figures.delivered)}/${int(figures.expected)} delivered, ` +
            `p50 ${ms(figures.p50)} ms, p99 ${ms(figures.p99)} ms, max ${ms(figures.max)} ms, stack heap ${mib(memory.heapUsed)}`,
        );
      }
    }

    const results: VariantResult[] = [];
    for (const run of runs) {
      const after = await run.stack.call('memory', {});
      const upstreamAfter = await run.upstream();
      await run.close();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const afterUnsubscribe = await run.stack.call('memory', {}).catch(() => null);
      const figures = figuresOf.get(run) ?? [];
      const all = figures.flatMap((f) => run.latencies.get(f.round) ?? []);
      const delivered = figures.reduce((sum, f) => sum + f.delivered, 0);
      const expected = figures.reduce((sum, f) => sum + f.expected, 0);
      const alertsSent = expected / run.variant.subscribers;
      const start = before.get(run) ?? after;
      const upstreamStart = upstreamBefore.get(run) ?? upstreamAfter;
      const heapGrowth = after.heapUsed - start.heapUsed;
      // n alerts at a steady rate span n - 1 intervals.
      const sentIntervals = figures.reduce((sum, f) => sum + f.expected / run.variant.subscribers - 1, 0);
      const sendMs = figures.reduce((sum, f) => sum + f.sendDurationMs, 0);
      results.push({
        variant: run.variant,
        name: run.name,
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
        upstream: {
          subscriptions: upstreamAfter.alertsSubscriptions,
          entityRequestsPerAlert: alertsSent > 0 ? (upstreamAfter.entityRequests - upstreamStart.entityRequests) / alertsSent : Number.NaN,
        },
        memory: {
          before: start,
          after,
          afterUnsubscribe,
          heapGrowthBytes: heapGrowth,
          heapGrowthPer100kDeliveriesBytes: delivered > 0 ? (heapGrowth / delivered) * 100_000 : Number.NaN,
          rssGrowthBytes: after.rss - start.rss,
        },
      });
    }
    return results;
  } finally {
    for (const run of runs) {
      if (!run.closing) await run.close();
    }
    log('stopping the tier’s stacks');
    await Promise.all(stacks.map((stack) => stack.stop()));
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
  const timeoutMs = READY_TIMEOUT_MS + READY_MS_PER_SUBSCRIBER * run.variant.subscribers;
  // One probe per second per 1,000 subscribers at most, so probing does not pile up work of its own.
  const probeEveryMs = Math.max(250, run.variant.subscribers);
  const deadline = performance.now() + timeoutMs;
  let seq = 0;
  while (run.warmedUp.size < run.variant.subscribers) {
    if (performance.now() > deadline) {
      throw new Error(`${run.name}: only ${run.warmedUp.size}/${run.variant.subscribers} subscribers received anything within ${timeoutMs / 1000} s; ${run.errors.join('; ')}`);
    }
    // Sequence numbers of their own, apart from the warm-up burst's (also round 0).
    const subject = subjects.slice(seq % subjects.length, (seq % subjects.length) + 1);
    await run.stack.call('burst', { round: 0, firstSeq: 1_000_000 + seq, count: 1, ratePerSecond: 1, subjects: subject });
    seq += 1;
    await new Promise((resolve) => setTimeout(resolve, probeEveryMs));
  }
  log(`${run.name}: live after ${seq} probe alert(s)`);
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

const executionLabel = (execution: SubscriptionExecution) => (execution === 'shared' ? 'shared (Vigil)' : 'per subscriber (Hive, before)');

/** p99 of the same tier's self-contained variant with the same execution. */
function selfContainedP99(result: SubscriptionsResult, v: VariantResult): number {
  return result.variants.find((o) => o.variant.subscribers === v.variant.subscribers && o.variant.execution === v.variant.execution && o.variant.document === 'AlertRaised')?.p99 ?? Number.NaN;
}

export function subscriptionsTables(result: SubscriptionsResult): string {
  const latency = table(
    ['subscribers', 'document', 'execution', 'delivered / expected', 'p50 ms', 'p99 ms', 'max ms', 'p99 vs self-contained', 'publish rate', 'dup / errors / ended'],
    result.variants.map((v) => [
      int(v.variant.subscribers),
      v.variant.document,
      executionLabel(v.variant.execution),
      `${int(v.delivered)} / ${int(v.expected)}${v.delivered < v.expected ? ` (${(((v.expected - v.delivered) / v.expected) * 100).toFixed(1)}% lost)` : ''}`,
      ms(v.p50),
      ms(v.p99),
      ms(v.overall.max),
      v.variant.document === 'AlertRaised' ? '–' : ratio(v.p99 / selfContainedP99(result, v)),
      `${v.achievedRatePerSecond.toFixed(0)}/s (asked ${v.variant.ratePerSecond}/s)`,
      `${v.duplicates} / ${v.graphqlErrors} / ${v.subscriptionsEnded}`,
    ]),
    ['r', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
  const upstream = table(
    ['subscribers', 'document', 'execution', 'upstream subscriptions', 'entity fetches per alert', 'heap growth / deliveries', 'per 100k deliveries', 'RSS before → after', 'heap after unsubscribe'],
    result.variants.map((v) => [
      int(v.variant.subscribers),
      v.variant.document,
      executionLabel(v.variant.execution),
      int(v.upstream.subscriptions),
      v.upstream.entityRequestsPerAlert.toFixed(1),
      `${kib(v.memory.heapGrowthBytes)} / ${int(v.delivered)}`,
      mib(v.memory.heapGrowthPer100kDeliveriesBytes),
      `${mib(v.memory.before.rss)} → ${mib(v.memory.after.rss)}`,
      v.memory.afterUnsubscribe ? mib(v.memory.afterUnsubscribe.heapUsed) : '–',
    ]),
    ['r', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
  const notes = result.variants.flatMap((v) => [
    ...(v.unresolvedSubjects > 0 ? [`${v.name}: ${v.unresolvedSubjects} deliveries with a null subject`] : []),
    ...v.firstErrors.map((e) => `${v.name}: ${e}`),
  ]);
  return [
    `subscriptions: publish (stack process) to receipt (SDK clients, another process), graphql-ws through the gateway; the two documents of one subscriber count and execution side by side, ${result.rounds} rounds alternating between them; p50/p99: median over rounds`,
    latency,
    'dup: deliveries a subscriber received twice; errors: payloads with GraphQL errors; ended: subscriptions that ended before the run did',
    '',
    `upstream work (the gateway's /metrics) and stack process heap (after full GC) before the first and after the last round, subscriptions open (alert log capped at ${ALERT_LOG_CAP} and full, so it does not grow)`,
    upstream,
    '',
    ...goalLines(result),
    ...(notes.length > 0 ? ['', ...notes] : []),
  ].join('\n');
}

/** Issue 13's goals, each with what was measured: met or not. */
function goalLines(result: SubscriptionsResult): string[] {
  const shared = result.variants.filter((v) => v.variant.execution === 'shared');
  const find = (subscribers: number, document: SubscriptionDocument) => shared.find((v) => v.variant.subscribers === subscribers && v.variant.document === document);
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const lines: string[] = ['goals (shared execution):'];
  const subject1000 = find(1000, 'AlertRaisedWithSubject');
  if (subject1000) {
    const complete = subject1000.delivered === subject1000.expected;
    const vs = subject1000.p99 / selfContainedP99(result, subject1000);
    lines.push(
      `- 1,000 with subject fields: ${((subject1000.delivered / subject1000.expected) * 100).toFixed(1)}% delivered (${verdict(complete)}), p99 ${ms(subject1000.p99)} ms ≤ ${GOALS.withSubjectAt1000P99Ms} ms (${verdict(subject1000.p99 <= GOALS.withSubjectAt1000P99Ms)}), ${ratio(vs)} the self-contained p99 ≤ ${GOALS.withSubjectVsSelfContained}x (${verdict(vs <= GOALS.withSubjectVsSelfContained)})`,
    );
  }
  const self5000 = find(5000, 'AlertRaised');
  if (self5000) {
    lines.push(`- 5,000 self-contained: ${((self5000.delivered / self5000.expected) * 100).toFixed(1)}% delivered (${verdict(self5000.delivered === self5000.expected)}), p99 ${ms(self5000.p99)} ms ≤ ${GOALS.selfContainedAt5000P99Ms} ms (${verdict(self5000.p99 <= GOALS.selfContainedAt5000P99Ms)})`);
  }
  const worst = shared.filter((v) => v.delivered >= 100_000).sort((a, b) => b.memory.heapGrowthPer100kDeliveriesBytes - a.memory.heapGrowthPer100kDeliveriesBytes)[0];
  if (worst) {
    lines.push(
      `- heap growth per 100,000 deliveries, subscriptions open: at most ${mib(worst.memory.heapGrowthPer100kDeliveriesBytes)} (${worst.name}) ≤ ${mib(GOALS.heapPer100kDeliveriesBytes)} (${verdict(worst.memory.heapGrowthPer100kDeliveriesBytes <= GOALS.heapPer100kDeliveriesBytes)}; variants with at least 100,000 deliveries)`,
    );
  }
  return lines.length > 1 ? lines : [];
}

export function subscriptionsJson(result: SubscriptionsResult): unknown {
  return JSON.parse(JSON.stringify(result, (_key, value: unknown) => (typeof value === 'number' ? round3(value) : value))) as unknown;
}
