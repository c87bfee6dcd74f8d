/**
 * intake-to-subscriber: end-to-end latency from the POST of a Critical Falco event to the cluster
 * subgraph's /ingest/falco to the delivery of the alert it raises on graphql-ws subscribers of the
 * gateway (SDK AlertRaisedDocument, filter minSeverity CRITICAL, one connection per subscriber).
 *
 * The stack runs in a child process (memory stores, no hosts); sender and subscribers share this
 * process, so send and receipt times come from one monotonic clock. The send time is stamped in the
 * event's pod name, which reaches the subscriber as the alert's subjectRef.name (and title).
 */
import { AlertRaisedDocument, type AlertRaisedSubscription } from '@vigil/sdk/index';
import { SubscriberPool } from './lib/subscriber-pool.js';
import { benchCredentials } from './lib/bench-credentials.js';
import { terminalShellEvent } from './lib/falco-events.js';
import { int, ms, round3, table } from './lib/format.js';
import type { Progress } from './lib/progress.js';
import type { Register } from './lib/resources.js';
import { StackProcess } from './lib/stack-process.js';
import { median, summarize, type Summary } from './lib/stats.js';

export interface IntakeToSubscriberOptions {
  subscribers: number;
  /** Critical events over all rounds (warm-up excluded). */
  events: number;
  rounds: number;
  ratePerSecond: number;
  warmupEvents: number;
}

const NAMESPACE = 'default';
const READY_TIMEOUT_MS = 30_000;
const IDLE_MS = 3_000;
const DRAIN_MAX_MS = 30_000;
const STAMP = /^bench-r(\d+)-s(\d+)-t(\d+)$/;

function stampedPod(round: number, seq: number, sentNs: bigint): string {
  return `bench-r${round}-s${seq}-t${sentNs}`;
}

interface RoundFigures extends Summary {
  round: number;
  sent: number;
  accepted: number;
  expected: number;
  delivered: number;
  sendDurationMs: number;
  postP50: number;
  postP99: number;
}

export interface IntakeToSubscriberResult {
  name: 'intake-to-subscriber';
  options: IntakeToSubscriberOptions;
  stackPid: number;
  rounds: RoundFigures[];
  expected: number;
  delivered: number;
  duplicates: number;
  /** Deliveries of alerts below CRITICAL (the filter should have dropped them). */
  leakedThroughFilter: number;
  graphqlErrors: number;
  subscriptionsEnded: number;
  postErrors: number;
  firstErrors: string[];
  /** Median over rounds of each round's p50 / p99 (all subscribers' deliveries in the round). */
  p50: number;
  p99: number;
  overall: Summary;
  /** POST /ingest/falco answer time (202), all rounds. */
  post: Summary;
  achievedRatePerSecond: number;
}

export async function runIntakeToSubscriber(options: IntakeToSubscriberOptions, log: Progress, register: Register): Promise<IntakeToSubscriberResult> {
  const errors: string[] = [];
  const note = (message: string) => {
    if (errors.length < 10) errors.push(message);
  };
  log('starting the stack process (memory stores, no hosts)');
  const credentials = benchCredentials();
  const { process: stack, info } = await StackProcess.launch('intake-to-subscriber', { localHostId: null, ...credentials.launch });
  register(stack);
  let leaked = 0;
  const subscribers = new SubscriberPool<AlertRaisedSubscription>({
    gatewayUrl: info.gatewayUrl,
    gatewayWsUrl: info.gatewayWsUrl,
    headers: credentials.gatewayHeaders,
    subscribe: (client) => client.subscribe(AlertRaisedDocument, { filter: { minSeverity: 'CRITICAL' } }),
    // The send time travels in the pod name, which ends up as the alert subject's name.
    stampOf: ({ alertRaised }) => {
      const stamp = STAMP.exec(alertRaised.subjectRef?.name ?? '');
      return stamp ? { round: Number(stamp[1]), seq: stamp[2] ?? '', sentNs: BigInt(stamp[3] ?? '0') } : null;
    },
    onAny: ({ alertRaised }) => {
      if (alertRaised.severity !== 'CRITICAL') leaked += 1;
    },
    note,
  });
  const ingestUrl = info.subgraphUrls.cluster.replace(/\/graphql$/, '/ingest/falco');
  const postLatencies: number[] = [];
  let postErrors = 0;

  /** POSTs one Critical event with the send time in its pod name; resolves with the HTTP status (0: no answer). */
  const post = async (round: number, seq: number): Promise<number> => {
    const sentNs = process.hrtime.bigint();
    const body = terminalShellEvent(NAMESPACE, stampedPod(round, seq, sentNs), 'Critical');
    try {
      const response = await fetch(ingestUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...credentials.webhookHeaders }, body });
      await response.text();
      if (round > 0) postLatencies.push(Number(process.hrtime.bigint() - sentNs) / 1e6);
      if (response.status !== 202) {
        postErrors += 1;
        note(`POST answered ${response.status}`);
      }
      return response.status;
    } catch (error) {
      postErrors += 1;
      note(`POST failed: ${error instanceof Error ? error.message : String(error)}`);
      return 0;
    }
  };

  /** Sends `count` events at a steady rate against absolute deadlines, without waiting for answers in between. */
  const sendRound = async (round: number, firstSeq: number, count: number): Promise<{ accepted: number; durationMs: number }> => {
    const intervalMs = 1000 / options.ratePerSecond;
    const t0 = performance.now();
    const answers: Promise<number>[] = [];
    for (let i = 0; i < count; i++) {
      const wait = t0 + i * intervalMs - performance.now();
      if (wait >= 1) await new Promise((resolve) => setTimeout(resolve, wait));
      answers.push(post(round, firstSeq + i));
    }
    const durationMs = performance.now() - t0;
    const statuses = await Promise.all(answers);
    return { accepted: statuses.filter((s) => s === 202).length, durationMs };
  };

  const drain = async (round: number, expected: number) => {
    const started = performance.now();
    subscribers.lastDeliveryAt = Math.max(subscribers.lastDeliveryAt, started);
    while (subscribers.delivered(round) < expected) {
      const now = performance.now();
      if (now - subscribers.lastDeliveryAt > IDLE_MS || now - started > DRAIN_MAX_MS) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  try {
    log(`stack pid ${info.pid} up in ${info.startMs} ms; opening ${options.subscribers} graphql-ws connections (AlertRaised, minSeverity CRITICAL)`);
    subscribers.open(options.subscribers);
    // The gateway subscribes upstream asynchronously: probe until every subscriber has received one.
    const deadline = performance.now() + READY_TIMEOUT_MS;
    let probes = 0;
    while (subscribers.warmedUp.size < options.subscribers) {
      if (performance.now() > deadline) throw new Error(`only ${subscribers.warmedUp.size}/${options.subscribers} subscribers received anything within ${READY_TIMEOUT_MS / 1000} s; ${errors.join('; ')}`);
      await post(0, 1_000_000 + probes++);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    log(`all ${options.subscribers} subscribers live after ${probes} probe event(s); warm-up: ${options.warmupEvents} events at ${options.ratePerSecond}/s (excluded)`);
    await sendRound(0, 0, options.warmupEvents);
    await drain(0, options.warmupEvents * options.subscribers);

    const rounds: RoundFigures[] = [];
    const perRound = Math.ceil(options.events / options.rounds);
    const postsBefore = () => postLatencies.length;
    for (let r = 1; r <= options.rounds; r++) {
      const firstPost = postsBefore();
      const sent = await sendRound(r, 0, perRound);
      // A stack-raised HIGH alert: below the subscribers' filter, so none of them may receive it.
      await stack.call('raise', { alerts: [{ source: 'CLUSTER', severity: 'HIGH', title: `bench filter check r${r}`, rule: 'bench' }] });
      const expected = sent.accepted * options.subscribers;
      await drain(r, expected);
      const posts = summarize(postLatencies.slice(firstPost));
      const figures: RoundFigures = {
        round: r,
        ...summarize(subscribers.latencies.get(r) ?? []),
        sent: perRound,
        accepted: sent.accepted,
        expected,
        delivered: subscribers.delivered(r),
        sendDurationMs: sent.durationMs,
        postP50: posts.p50,
        postP99: posts.p99,
      };
      rounds.push(figures);
      log(`round ${r}/${options.rounds}: ${figures.delivered}/${figures.expected} delivered, p50 ${ms(figures.p50)} ms, p99 ${ms(figures.p99)} ms, max ${ms(figures.max)} ms; POST p50 ${ms(posts.p50)} ms`);
    }
    // Let a late duplicate or filtered alert show up before closing.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const sentIntervals = rounds.reduce((sum, f) => sum + f.sent - 1, 0);
    const sendMs = rounds.reduce((sum, f) => sum + f.sendDurationMs, 0);
    return {
      name: 'intake-to-subscriber',
      options,
      stackPid: info.pid,
      rounds,
      expected: rounds.reduce((sum, f) => sum + f.expected, 0),
      delivered: rounds.reduce((sum, f) => sum + f.delivered, 0),
      duplicates: subscribers.duplicates,
      leakedThroughFilter: leaked,
      graphqlErrors: subscribers.graphqlErrors,
      subscriptionsEnded: subscribers.ended,
      postErrors,
      firstErrors: errors,
      p50: median(rounds.map((f) => f.p50)),
      p99: median(rounds.map((f) => f.p99)),
      overall: summarize(rounds.flatMap((f) => subscribers.latencies.get(f.round) ?? [])),
      post: summarize(postLatencies),
      achievedRatePerSecond: sendMs > 0 ? (sentIntervals / sendMs) * 1000 : Number.NaN,
    };
  } finally {
    await subscribers.close();
    log('stopping the stack');
    await stack.stop();
  }
}

export function intakeToSubscriberTable(result: IntakeToSubscriberResult): string {
  const lost = result.expected - result.delivered;
  const main = table(
    ['subscribers', 'delivered / expected', 'p50 ms', 'p99 ms', 'max ms', 'POST p50 / p99 ms', 'send rate', 'dup / leaked / errors / ended'],
    [
      [
        `${result.options.subscribers} x AlertRaised (CRITICAL)`,
        `${int(result.delivered)} / ${int(result.expected)}${lost > 0 ? ` (${((lost / result.expected) * 100).toFixed(1)}% lost)` : ''}`,
        ms(result.p50),
        ms(result.p99),
        ms(result.overall.max),
        `${ms(result.post.p50)} / ${ms(result.post.p99)}`,
        `${result.achievedRatePerSecond.toFixed(1)}/s (asked ${result.options.ratePerSecond}/s)`,
        `${result.duplicates} / ${result.leakedThroughFilter} / ${result.graphqlErrors + result.postErrors} / ${result.subscriptionsEnded}`,
      ],
    ],
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
  return [
    `intake-to-subscriber: POST of a Critical Falco event (/ingest/falco, send time stamped in the pod name) to its alert's receipt on each graphql-ws subscriber of the gateway; ` +
      `${int(result.options.events)} events in ${result.rounds.length} rounds at ${result.options.ratePerSecond}/s, stack in a child process (memory stores); p50/p99: median over rounds of each round's deliveries`,
    main,
    'dup: deliveries a subscriber received twice; leaked: alerts below CRITICAL delivered despite the filter (one HIGH alert raised per round to check); errors: GraphQL error payloads + failed POSTs; ended: subscriptions that ended early',
    ...(result.firstErrors.length > 0 ? ['', ...result.firstErrors] : []),
  ].join('\n');
}

export function intakeToSubscriberJson(result: IntakeToSubscriberResult): unknown {
  return JSON.parse(JSON.stringify(result, (_key, value: unknown) => (typeof value === 'number' ? round3(value) : value))) as unknown;
}
