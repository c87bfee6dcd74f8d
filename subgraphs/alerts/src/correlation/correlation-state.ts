import type { Alert } from '@vigil/lib/alerts/alert';
import type { Redis } from '@vigil/lib/redis';
import type { PartName } from './match.js';

/** What a pair's dedupe key says. */
export type PairClaim = { state: 'new' } | { state: 'claimed'; by: string; atMs: number } | { state: 'raised'; alertId: string };

/**
 * The engine's memory between alerts: the parts seen per rule and join value (the pending window),
 * and one key per pair already claimed or raised. In Redis both survive a restart of the process,
 * so a restart between the first part and the second still pairs them, and a replay does not raise
 * a pair twice. The in-memory one serves the embedded stack, which loses its alerts on restart anyway.
 */
export interface CorrelationState {
  /** Remembers one part (idempotent: the same alert twice is one entry); forgets parts older than `keepMs` before it. */
  remember(rule: string, part: PartName, join: string, alert: Alert, atMs: number, keepMs: number): Promise<void>;
  /** The remembered parts of `part` for this join whose time is within [fromMs, toMs]. */
  partsBetween(rule: string, part: PartName, join: string, fromMs: number, toMs: number): Promise<Alert[]>;
  /** Claims a pair atomically (SET NX): 'new' for the one caller that claimed it, else what is there. */
  claimPair(rule: string, pair: string, consumer: string, nowMs: number, ttlMs: number): Promise<PairClaim>;
  markRaised(rule: string, pair: string, alertId: string, ttlMs: number): Promise<void>;
  close(): Promise<void>;
}

function encodeClaim(claim: PairClaim): string {
  return JSON.stringify(claim);
}

function decodeClaim(value: string): PairClaim {
  return JSON.parse(value) as PairClaim;
}

/**
 * Keys, under `<namespace>:alerts:correlation:` — window: a sorted set per rule, part and join value
 * (score: the part's event time, member: the alert as JSON, so a replayed alert is the same member);
 * pair: a string per pair with an expiry longer than any window it can be re-found in.
 */
export class RedisCorrelationState implements CorrelationState {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly options: { ownsConnection: boolean },
  ) {}

  private windowKey(rule: string, part: PartName, join: string): string {
    return `${this.prefix}window:${rule}:${part}:${join}`;
  }

  private pairKey(rule: string, pair: string): string {
    return `${this.prefix}pair:${rule}:${pair}`;
  }

  async remember(rule: string, part: PartName, join: string, alert: Alert, atMs: number, keepMs: number): Promise<void> {
    const key = this.windowKey(rule, part, join);
    await this.redis
      .multi()
      .zadd(key, atMs, JSON.stringify(alert))
      .zremrangebyscore(key, '-inf', `(${atMs - keepMs}`)
      // A join value that stops seeing parts goes away on its own; writes keep an active one alive.
      .pexpire(key, keepMs + STATE_MARGIN_MS)
      .exec();
  }

  async partsBetween(rule: string, part: PartName, join: string, fromMs: number, toMs: number): Promise<Alert[]> {
    const members = await this.redis.zrangebyscore(this.windowKey(rule, part, join), fromMs, toMs);
    return members.map((member) => JSON.parse(member) as Alert);
  }

  async claimPair(rule: string, pair: string, consumer: string, nowMs: number, ttlMs: number): Promise<PairClaim> {
    const key = this.pairKey(rule, pair);
    const claimed = await this.redis.set(key, encodeClaim({ state: 'claimed', by: consumer, atMs: nowMs }), 'PX', ttlMs, 'NX');
    if (claimed === 'OK') return { state: 'new' };
    const value = await this.redis.get(key);
    // Expired between the two commands: nobody holds it now, so claiming again is safe.
    return value === null ? this.claimPair(rule, pair, consumer, nowMs, ttlMs) : decodeClaim(value);
  }

  async markRaised(rule: string, pair: string, alertId: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.pairKey(rule, pair), encodeClaim({ state: 'raised', alertId }), 'PX', ttlMs);
  }

  async close(): Promise<void> {
    if (this.options.ownsConnection) await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/**
 * How long window state outlives its window in Redis: a process down for less than this resumes
 * with its pending parts. Longer outages lose only pairs whose first part is older than this.
 */
export const STATE_MARGIN_MS = 24 * 3_600_000;

const MEMORY_MAX_PAIRS = 100_000;

export class MemoryCorrelationState implements CorrelationState {
  private readonly windows = new Map<string, Map<string, { atMs: number; alert: Alert }>>();
  private readonly pairs = new Map<string, PairClaim>();

  async remember(rule: string, part: PartName, join: string, alert: Alert, atMs: number, keepMs: number): Promise<void> {
    const key = JSON.stringify([rule, part, join]);
    let window = this.windows.get(key);
    if (!window) this.windows.set(key, (window = new Map()));
    window.set(alert.id, { atMs, alert });
    for (const [id, entry] of window) if (entry.atMs < atMs - keepMs) window.delete(id);
  }

  async partsBetween(rule: string, part: PartName, join: string, fromMs: number, toMs: number): Promise<Alert[]> {
    const window = this.windows.get(JSON.stringify([rule, part, join]));
    return [...(window?.values() ?? [])].filter((e) => e.atMs >= fromMs && e.atMs <= toMs).map((e) => e.alert);
  }

  async claimPair(rule: string, pair: string, consumer: string, nowMs: number): Promise<PairClaim> {
    const key = JSON.stringify([rule, pair]);
    const existing = this.pairs.get(key);
    if (existing) return existing;
    // Oldest first out: a pair old enough to be evicted is long past every window it could be re-found in.
    if (this.pairs.size >= MEMORY_MAX_PAIRS) this.pairs.delete(this.pairs.keys().next().value as string);
    this.pairs.set(key, { state: 'claimed', by: consumer, atMs: nowMs });
    return { state: 'new' };
  }

  async markRaised(rule: string, pair: string, alertId: string): Promise<void> {
    this.pairs.set(JSON.stringify([rule, pair]), { state: 'raised', alertId });
  }

  async close(): Promise<void> {}
}
