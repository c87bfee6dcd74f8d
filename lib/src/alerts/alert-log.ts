import type { Alert, NewAlert } from './alert.js';

/**
 * The durable, ordered log of alerts. Two implementations: in-memory (the embedded one-process
 * default) and a Redis Stream; `lib/test/alert-log.contract.ts` runs the same suite against both.
 */
export interface AlertLog {
  append(alert: NewAlert): Promise<Alert>;
  /** Newest first, strictly older than `before` when given. */
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
  close(): Promise<void>;
}

export class SlowConsumerError extends Error {
  constructor(buffered: number) {
    super(`subscriber fell ${buffered} alerts behind and was disconnected; resubscribe with the last cursor to resume`);
    this.name = 'SlowConsumerError';
  }
}

export const DEFAULT_MAX_BUFFERED = 10_000;
