import type { Alert, AlertChange, AlertChangeEvent, AlertLogEvent, NewAlert } from './alert.js';

/**
 * The durable, ordered log of alerts. Two implementations: in-memory (the embedded one-process
 * default) and a Redis Stream; `lib/test/alert-log.contract.ts` runs the same suite against both.
 */
export interface AlertLog {
  append(alert: NewAlert): Promise<Alert>;
  /**
   * Records a change to an alert (acknowledged, resolved, a repeat folded into it) as an entry of
   * the same log, so every reader (alertChanged, the router's consumer groups) sees raises and
   * changes in one order. The alert-only reads below skip these entries.
   */
  appendChange(change: AlertChange): Promise<AlertChangeEvent>;
  /** Alerts (not changes), newest first, strictly older than `before` when given. */
  listNewestFirst(options: { before?: string; limit: number }): Promise<Alert[]>;
  get(ids: readonly string[]): Promise<(Alert | null)[]>;
  /** The id of the newest alert, or null when the log is empty. */
  lastId(): Promise<string | null>;
  /**
   * Every alert with an id greater than `after` (all of them when `after` is null), oldest first,
   * then each new alert as it is appended, until `signal` aborts. A reader that falls more than
   * `maxBuffered` alerts behind is ended with SlowConsumerError rather than buffering without bound.
   */
  tail(after: string | null, options: { signal: AbortSignal; maxBuffered?: number }): AsyncIterable<Alert>;
  /** As `tail`, but every entry: raised alerts and changes. */
  tailEvents(after: string | null, options: { signal: AbortSignal; maxBuffered?: number }): AsyncIterable<AlertLogEvent>;
  /** Durable per-reader positions (the router's outputs). */
  readonly groups: AlertLogConsumerGroups;
  close(): Promise<void>;
}

export class SlowConsumerError extends Error {
  constructor(buffered: number) {
    super(`subscriber fell ${buffered} alerts behind and was disconnected; resubscribe with the last cursor to resume`);
    this.name = 'SlowConsumerError';
  }
}

export const DEFAULT_MAX_BUFFERED = 10_000;

/**
 * Consumer groups over the alert log, one per delivery output (Redis XREADGROUP / XACK / XPENDING /
 * XAUTOCLAIM; the memory log keeps the same state in the process). An entry read by a group stays
 * pending until acknowledged, so a consumer that dies mid-delivery leaves it to be claimed again.
 */
export interface AlertLogConsumerGroups {
  /** Creates the group if missing, positioned after the newest entry: a new output starts with what is raised from now on. */
  ensure(group: string): Promise<void>;
  /**
   * Entries read by the group but never acknowledged and idle at least `minIdleMs`, taken over by
   * `consumer` (after a restart: what the previous run had read but not delivered), oldest first.
   */
  claimPending(group: string, consumer: string, options: { minIdleMs: number; count: number }): Promise<AlertLogEvent[]>;
  /** Entries the group has not read yet, oldest first; waits up to `blockMs` for one. */
  readNew(group: string, consumer: string, options: { count: number; blockMs: number }): Promise<AlertLogEvent[]>;
  ack(group: string, ids: readonly string[]): Promise<void>;
  /** How many entries the group has read and not acknowledged. */
  pendingCount(group: string): Promise<number>;
}
