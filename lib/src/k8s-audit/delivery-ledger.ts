import type { Clock } from '../clock.js';

/**
 * What the audit webhook remembers of the records it was delivered, so that a batch delivered again
 * after it was acknowledged (a proxy's retry, a lost 200) is neither counted, alerted nor forwarded
 * again, while a retry after a failed delivery (anything but a 2xx) loses nothing and repeats as little
 * as possible. Keys are `<auditID>/<stage>` for records and `<auditID>/rule:<rule>` for "this rule
 * fired for this request" (rules.ts), within a scope (the cluster).
 *
 * A key is in one of three states, plus an optional claim:
 * - absent (or released): never seen, or seen by an attempt that failed before doing anything for it;
 * - `recorded`: a failed attempt stored its security event already: the retry must not count it again;
 * - `done`: acknowledged with a 2xx (records), or the alert was raised (rule keys). Remembered for the
 *   window, then forgotten: a delivery after that is new again.
 * A claim (owner + lease) marks a key being processed by one request: a concurrent delivery of the same
 * record, in this process or another, is told `busy` (and answered 429) instead of doing the work twice.
 * A claim whose lease ran out (its process died) no longer counts.
 *
 * Two implementations: MemoryDeliveryLedger (embedded, bounded by entries too) and
 * RedisDeliveryLedger; test/k8s-audit-delivery-ledger.contract.ts runs one suite against both.
 */
export interface DeliveryLedger {
  /**
   * Atomically per key: `done` keys are reported done; keys claimed by another owner whose lease has
   * not run out are reported busy; every other key is claimed for `owner` (keeping its progress) and
   * reported as `claimed` with that progress. Keys must be distinct.
   */
  claim(scope: string, keys: readonly string[], owner: string): Promise<ClaimResult[]>;
  /**
   * Ends `owner`'s claims: `done` keys become done, `recorded` keys recorded, `released` keys absent
   * (their earlier progress, if any, must be passed as `recorded` to keep it).
   */
  settle(scope: string, outcome: SettleOutcome): Promise<void>;
}

export type ClaimResult = { state: 'claimed'; recorded: boolean } | { state: 'done' } | { state: 'busy' };

export interface SettleOutcome {
  done: readonly string[];
  recorded: readonly string[];
  released: readonly string[];
}

export interface DeliveryLedgerOptions {
  /** How long a done key is remembered. Redis keeps it between 1 and 1.25 × this (time buckets). */
  windowMs: number;
  /** How long a claim holds against other requests if its owner never settles (a crash). @default 60000 */
  leaseMs?: number;
  clock: Clock;
}

export const DEFAULT_LEASE_MS = 60_000;

/** Stored values: a one-letter progress, then `:<owner>:<lease end ms>` while claimed. */
export const PROGRESS = { none: '-', recorded: 'r', done: 'd' } as const;

export function encodeClaim(progress: string, owner: string, leaseEndMs: number): string {
  return `${progress}:${owner}:${leaseEndMs}`;
}

/** The same decision the Redis script makes (redis-delivery-ledger.ts), for one stored value. */
export function decideClaim(stored: string | undefined, owner: string, nowMs: number): ClaimResult & { progress: string } {
  if (stored === undefined) return { state: 'claimed', recorded: false, progress: PROGRESS.none };
  const progress = stored.charAt(0);
  if (progress === PROGRESS.done) return { state: 'done', progress };
  const match = /^.:([^:]*):(\d+)$/.exec(stored);
  if (match && match[1] !== owner && Number(match[2]) > nowMs) return { state: 'busy', progress };
  return { state: 'claimed', recorded: progress === PROGRESS.recorded, progress };
}

export interface MemoryDeliveryLedgerOptions extends DeliveryLedgerOptions {
  /** At most this many keys are kept; beyond it the least recently written go first. */
  maxEntries: number;
}

/**
 * The embedded default: a Map in this process, in write order (a write moves a key to the end), so
 * both expiry and the size bound drop from the front. Not shared between processes, lost on restart.
 * Atomic because nothing awaits between reading and writing.
 */
export class MemoryDeliveryLedger implements DeliveryLedger {
  readonly #entries = new Map<string, { value: string; writtenMs: number }>();
  readonly #windowMs: number;
  readonly #leaseMs: number;
  readonly #maxEntries: number;
  readonly #clock: Clock;

  constructor(options: MemoryDeliveryLedgerOptions) {
    this.#windowMs = options.windowMs;
    this.#leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.#maxEntries = options.maxEntries;
    this.#clock = options.clock;
  }

  claim(scope: string, keys: readonly string[], owner: string): Promise<ClaimResult[]> {
    const now = this.#clock().getTime();
    this.#expire(now);
    const results = keys.map((key) => {
      const id = entryId(scope, key);
      const decision = decideClaim(this.#entries.get(id)?.value, owner, now);
      if (decision.state === 'claimed') this.#write(id, encodeClaim(decision.progress, owner, now + this.#leaseMs), now);
      return decision.state === 'claimed' ? { state: decision.state, recorded: decision.recorded } : { state: decision.state };
    });
    return Promise.resolve(results);
  }

  settle(scope: string, outcome: SettleOutcome): Promise<void> {
    const now = this.#clock().getTime();
    for (const key of outcome.done) this.#write(entryId(scope, key), PROGRESS.done, now);
    for (const key of outcome.recorded) this.#write(entryId(scope, key), PROGRESS.recorded, now);
    for (const key of outcome.released) this.#entries.delete(entryId(scope, key));
    this.#expire(now);
    return Promise.resolve();
  }

  /** Keys held now (for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }

  #write(id: string, value: string, now: number): void {
    this.#entries.delete(id);
    this.#entries.set(id, { value, writtenMs: now });
  }

  #expire(now: number): void {
    for (const [id, entry] of this.#entries) {
      if (this.#entries.size <= this.#maxEntries && entry.writtenMs > now - this.#windowMs) break;
      this.#entries.delete(id);
    }
  }
}

function entryId(scope: string, key: string): string {
  return `${scope}\u0000${key}`;
}
