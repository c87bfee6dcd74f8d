import { abortableSleep } from '@vigil/lib/abortable-sleep';
import type { AlertLogEvent } from '@vigil/lib/alerts/alert';
import type { AlertLog } from '@vigil/lib/alerts/alert-log';
import type { Silence } from '@vigil/lib/alerts/alert-state';
import type { RoutingMetrics } from '@vigil/lib/alerts/routing-metrics';
import { silenceFor } from '@vigil/lib/alerts/silence-match';
import type { Clock } from '@vigil/lib/clock';
import type { Logger } from '@vigil/lib/logger';
import type { DeadLetterStore } from './dead-letters.js';
import type { Output } from './outputs.js';
import { matchesRoute, type Delivery } from './payloads.js';
import type { DeliveryConfig, RouteFilter } from './routing-config.js';

export interface RouterDeps {
  log: AlertLog;
  /** Active silences, read at delivery time: a silenced alert is not routed. */
  silences: () => Promise<Silence[]>;
  deadLetters: DeadLetterStore;
  outputs: readonly Output[];
  /** Filters per output name; an entry goes to an output when any of its routes matches. */
  routes: ReadonlyMap<string, readonly RouteFilter[]>;
  delivery: DeliveryConfig;
  clock: Clock;
  logger: Logger;
  metrics?: RoutingMetrics;
}

/** The consumer group of an output on the alert log. */
export const groupOf = (output: string) => `route:${output}`;

const BATCH = 100;
const BLOCK_MS = 1000;

/**
 * Delivers the alert log to outputs: one consumer group per output, so each output has its own
 * position and its own pending entries, and one output being down never holds up another. Within an
 * output, entries are delivered in log order, one at a time: while an output is down its head entry
 * is retried with backoff and nothing behind it is tried (so an outage costs one entry's tries, not
 * every entry's). An entry is acknowledged in the group only once delivered or dead-lettered, so a
 * restart (or a crash) resumes with exactly the entries not yet done.
 */
export class AlertRouter {
  private readonly stop = new AbortController();
  private loops: Promise<void>[] = [];

  constructor(private readonly deps: RouterDeps) {}

  /** The outputs this router delivers to. */
  get outputNames(): string[] {
    return this.deps.outputs.map((output) => output.name);
  }

  async start(): Promise<void> {
    for (const output of this.deps.outputs) {
      await this.deps.log.groups.ensure(groupOf(output.name));
      this.deps.metrics?.deadLetters.set({ output: output.name }, await this.deps.deadLetters.length(output.name));
    }
    this.loops = this.deps.outputs.map((output) => this.run(output));
  }

  async close(): Promise<void> {
    this.stop.abort();
    await Promise.allSettled(this.loops);
  }

  private get stopping(): boolean {
    return this.stop.signal.aborted;
  }

  private async run(output: Output): Promise<void> {
    const group = groupOf(output.name);
    const { consumer, claimIdleMs } = this.deps.delivery;
    let lastClaim = Number.NEGATIVE_INFINITY;
    while (!this.stopping) {
      try {
        let batch: AlertLogEvent[] = [];
        const now = performance.now();
        if (now - lastClaim >= Math.min(claimIdleMs, 30_000)) {
          // First pass: everything this consumer name left pending (a restart). Later: what another
          // consumer left idle too long (it died).
          batch = await this.deps.log.groups.claimPending(group, consumer, { minIdleMs: lastClaim === Number.NEGATIVE_INFINITY ? 0 : claimIdleMs, count: BATCH });
          lastClaim = now;
        }
        if (batch.length === 0) batch = await this.deps.log.groups.readNew(group, consumer, { count: BATCH, blockMs: BLOCK_MS });
        // Read once per batch, after the batch was read: every silence created before any of its
        // entries was appended is in it.
        let silences: Promise<Silence[]> | null = null;
        const batchSilences = () => (silences ??= this.deps.silences());
        for (const entry of batch) {
          if (!(await this.process(output, entry, batchSilences))) break;
        }
      } catch (error) {
        if (this.stopping) return;
        this.deps.logger.warn({ output: output.name, err: (error as Error).message }, 'alert routing: reading the log failed; retrying');
        await abortableSleep(1000, this.stop.signal);
      }
    }
  }

  /** Delivers (or dead-letters, or skips) one entry; false when stopping left it pending for the next run. */
  private async process(output: Output, entry: AlertLogEvent, silences: () => Promise<Silence[]>): Promise<boolean> {
    const group = groupOf(output.name);
    const delivery = await this.deliveryFor(output, entry, silences);
    if (delivery === null) {
      await this.deps.log.groups.ack(group, [entry.id]);
      return true;
    }
    const { maxAttempts } = this.deps.delivery;
    for (let attempt = 1; ; attempt++) {
      const result = await output.send(delivery, this.stop.signal);
      if (result.outcome === 'delivered') {
        this.deps.metrics?.deliveries.inc({ output: output.name, outcome: 'delivered' });
        this.deps.metrics?.deliveryLag.observe({ output: output.name }, Math.max(0, this.deps.clock().getTime() - entryTime(entry.id)) / 1000);
        await this.deps.log.groups.ack(group, [entry.id]);
        return true;
      }
      if (this.stopping) return false;
      if (result.outcome === 'permanent' || attempt >= maxAttempts) {
        const length = await this.deps.deadLetters.add(
          { entryId: entry.id, output: output.name, kind: delivery.kind, alertId: delivery.alert.id, attempts: attempt, reason: result.reason, at: this.deps.clock().toISOString() },
          this.deps.delivery.deadLetterMax,
        );
        this.deps.metrics?.deliveries.inc({ output: output.name, outcome: 'dead_lettered' });
        this.deps.metrics?.deadLetters.set({ output: output.name }, length);
        this.deps.logger.error({ output: output.name, entryId: entry.id, alertId: delivery.alert.id, attempts: attempt, reason: result.reason }, 'alert delivery dead-lettered');
        await this.deps.log.groups.ack(group, [entry.id]);
        return true;
      }
      this.deps.metrics?.deliveries.inc({ output: output.name, outcome: 'failed' });
      const wait = backoff(attempt, this.deps.delivery);
      this.deps.logger.warn({ output: output.name, entryId: entry.id, attempt, retryInMs: Math.round(wait), reason: result.reason }, 'alert delivery failed; will retry');
      await abortableSleep(wait, this.stop.signal);
      if (this.stopping) return false;
    }
  }

  private async deliveryFor(output: Output, entry: AlertLogEvent, silences: () => Promise<Silence[]>): Promise<Delivery | null> {
    const filters = this.deps.routes.get(output.name) ?? [];
    if (entry.type === 'raised') {
      if (!output.wants('RAISED') || !filters.some((filter) => matchesRoute(filter, entry.alert))) return null;
      if (silenceFor(await silences(), entry.alert, this.deps.clock())) return null;
      return { entryId: entry.id, kind: 'RAISED', alert: entry.alert };
    }
    const change = entry.change;
    // A folded repeat is exactly what must not page anyone again.
    if (change.kind === 'REPEATED' || !output.wants(change.kind)) return null;
    const [alert] = await this.deps.log.get([change.alertId]);
    if (!alert || !filters.some((filter) => matchesRoute(filter, alert))) return null;
    return { entryId: entry.id, kind: change.kind, alert, change };
  }
}

/** Milliseconds of a log id (`<ms>-<seq>`): when the entry was appended. */
function entryTime(id: string): number {
  return Number(id.split('-')[0]);
}

/** Exponential, capped, with jitter so outputs recovering together are not hit in lockstep. */
export function backoff(attempt: number, delivery: Pick<DeliveryConfig, 'initialBackoffMs' | 'maxBackoffMs'>): number {
  const base = Math.min(delivery.maxBackoffMs, delivery.initialBackoffMs * 2 ** (attempt - 1));
  return base * (0.5 + Math.random() * 0.5);
}
