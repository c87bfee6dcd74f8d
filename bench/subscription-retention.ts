/**
 * subscription-retention: the minimal reproduction of the heap a subscription kept per delivery.
 *
 * One subscriber (SDK, graphql-ws), one stack process per row, alerts about one Host: the stack's
 * heap (after full GC) before and after `deliveries` alerts, subscription open, then after it
 * closed. Rows: Hive Gateway's own subscription execution ('runtime', what the gateway did before)
 * and Vigil's fan-out ('shared'), each with the self-contained document and with the Host subject
 * resolved through federation (one `_entities` fetch to the hosts subgraph per event).
 *
 * The cause, found with heap snapshots (retainer path of the growth, ephemerons followed only when
 * their key is alive): @graphql-mesh/fusion-runtime batches the requests to a subgraph through
 * `getBatchingExecutor(executionRequest.context, executor)` (@graphql-tools/batch-execute), one
 * DataLoader per context and subgraph, created with DataLoader's default cache. Every request it
 * loads stays in that cache with its result, and the request holds `info` and the event it was
 * made for (`info.rootValue`). A query's context dies with the query; a subscription's context is
 * the same for every event until the subscription closes, so each event's entity fetch stayed:
 * ~10 KB per delivery with subject fields, ~0 without (no entity fetch). Vigil's fan-out executes
 * each event in a context of its own (subscriptions/use-shared-subscriptions.ts).
 *
 * A last row runs the fan-out on Hive Router's query planner (`gateway.queryPlanner: rust`), where
 * the group runs the runtime's own executor once and shares its results: whether the same
 * retention comes back there (issue 13, item 4).
 */
import type { DocumentNode } from 'graphql';
import { AlertRaisedDocument, AlertRaisedWithSubjectDocument } from '@vigil/sdk/index';
import { benchCredentials } from './lib/bench-credentials.js';
import { int, kib, mib, round3, table } from './lib/format.js';
import type { Progress } from './lib/progress.js';
import type { Register } from './lib/resources.js';
import { hostSubject } from './lib/seed.js';
import { StackProcess } from './lib/stack-process.js';
import { parseStampedTitle, type MemorySample } from './lib/stack-protocol.js';
import { SubscriberPool } from './lib/subscriber-pool.js';

export interface RetentionOptions {
  /** Alerts delivered before the first heap sample (the heap settles after the first ~1,000). */
  warmup: number;
  /** Alerts delivered between the two heap samples. */
  deliveries: number;
  ratePerSecond: number;
}

type Execution = 'runtime' | 'shared';
type Document = 'AlertRaised' | 'AlertRaisedWithSubject';

export interface RetentionRow {
  execution: Execution;
  document: Document;
  /** `gateway.queryPlanner`. @default 'js' */
  queryPlanner?: 'rust';
  delivered: number;
  before: MemorySample;
  after: MemorySample;
  afterUnsubscribe: MemorySample | null;
  growthBytes: number;
  perDeliveryBytes: number;
}

export interface RetentionResult {
  name: 'subscription-retention';
  options: RetentionOptions;
  rows: RetentionRow[];
}

const LOCAL_HOST_ID = 'bench-local';
const ROWS: { execution: Execution; document: Document; queryPlanner?: 'rust' }[] = [
  { execution: 'runtime', document: 'AlertRaisedWithSubject' },
  { execution: 'shared', document: 'AlertRaisedWithSubject' },
  { execution: 'runtime', document: 'AlertRaised' },
  { execution: 'shared', document: 'AlertRaised' },
  { execution: 'shared', document: 'AlertRaisedWithSubject', queryPlanner: 'rust' },
];
const DOCUMENTS: Record<Document, DocumentNode> = { AlertRaised: AlertRaisedDocument, AlertRaisedWithSubject: AlertRaisedWithSubjectDocument };

export async function runSubscriptionRetention(options: RetentionOptions, log: Progress, register: Register): Promise<RetentionResult> {
  const rows: RetentionRow[] = [];
  for (const row of ROWS) {
    const credentials = benchCredentials();
    const { process: stack, info } = await StackProcess.launch(`retention-${row.execution}-${row.document}${row.queryPlanner ? `-${row.queryPlanner}` : ''}`, {
      localHostId: LOCAL_HOST_ID,
      // The log is capped and filled by the warm-up, so its own size does not grow while measuring.
      alertLogMaxLength: 100,
      subscriptions: row.execution,
      ...(row.queryPlanner ? { queryPlanner: row.queryPlanner } : {}),
      ...credentials.launch,
    });
    register(stack);
    const pool = new SubscriberPool<{ alertRaised: { title: string } }>({
      gatewayUrl: info.gatewayUrl,
      gatewayWsUrl: info.gatewayWsUrl,
      headers: credentials.gatewayHeaders,
      subscribe: (client) => client.subscribe(DOCUMENTS[row.document] as typeof AlertRaisedDocument, {}),
      stampOf: (payload) => {
        const stamp = parseStampedTitle(payload.alertRaised.title);
        return stamp ? { round: stamp.round, seq: String(stamp.seq), sentNs: stamp.sentNs } : null;
      },
      note: (message) => log(`${row.execution} ${row.document}: ${message}`),
    });
    try {
      pool.open(1);
      const subjects = [hostSubject(LOCAL_HOST_ID)];
      for (let probe = 0; pool.warmedUp.size === 0; probe++) {
        if (probe > 100) throw new Error('the subscriber received nothing in 25 s');
        await stack.call('burst', { round: 0, firstSeq: 1_000_000 + probe, count: 1, ratePerSecond: 1, subjects });
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      await deliver(stack, pool, 1, options.warmup, options.ratePerSecond, subjects);
      const before = await stack.call('memory', {});
      const delivered = await deliver(stack, pool, 2, options.deliveries, options.ratePerSecond, subjects);
      const after = await stack.call('memory', {});
      await pool.close();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const afterUnsubscribe = await stack.call('memory', {}).catch(() => null);
      const growthBytes = after.heapUsed - before.heapUsed;
      rows.push({ ...row, delivered, before, after, afterUnsubscribe, growthBytes, perDeliveryBytes: delivered > 0 ? growthBytes / delivered : Number.NaN });
      log(`${row.execution} ${row.document}: ${delivered} deliveries, heap ${mib(before.heapUsed)} → ${mib(after.heapUsed)} (${(growthBytes / Math.max(1, delivered)).toFixed(0)} B per delivery)`);
    } finally {
      if (!pool.closing) await pool.close();
      await stack.stop();
    }
  }
  return { name: 'subscription-retention', options, rows };
}

/** Raises `count` stamped alerts at `rate` and waits until the subscriber has them all. */
async function deliver<T>(stack: StackProcess, pool: SubscriberPool<T>, round: number, count: number, ratePerSecond: number, subjects: ReturnType<typeof hostSubject>[]): Promise<number> {
  await stack.call('burst', { round, count, ratePerSecond, subjects }, 600_000);
  const deadline = performance.now() + 30_000;
  while (pool.delivered(round) < count && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return pool.delivered(round);
}

export function retentionTable(result: RetentionResult): string {
  return [
    `subscription-retention: one subscriber, alerts about one Host; stack heap after full GC before and after ${int(result.options.deliveries)} deliveries (subscription open), then after it closed`,
    table(
      ['execution', 'document', 'deliveries', 'heap growth', 'per delivery', 'heap after unsubscribe'],
      result.rows.map((row) => [
        row.execution === 'runtime' ? "Hive Gateway's own (before)" : row.queryPlanner === 'rust' ? "Vigil's fan-out, Rust query planner" : "Vigil's fan-out",
        row.document,
        int(row.delivered),
        kib(row.growthBytes),
        `${Math.round(row.perDeliveryBytes)} B`,
        row.afterUnsubscribe ? `${mib(row.afterUnsubscribe.heapUsed)} (from ${mib(row.after.heapUsed)})` : '–',
      ]),
      ['l', 'l', 'r', 'r', 'r', 'r'],
    ),
    'cause: fusion-runtime batches subgraph requests through one DataLoader per context (getBatchingExecutor), whose cache keeps every request with its event; a subscription keeps one context open',
  ].join('\n');
}

export function retentionJson(result: RetentionResult): unknown {
  return JSON.parse(JSON.stringify(result, (_key, value: unknown) => (typeof value === 'number' ? round3(value) : value))) as unknown;
}
