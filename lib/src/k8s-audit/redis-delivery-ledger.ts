import type { Redis } from '../redis.js';
import { DEFAULT_LEASE_MS, PROGRESS, type ClaimResult, type DeliveryLedger, type DeliveryLedgerOptions, type SettleOutcome } from './delivery-ledger.js';
import { RedisScript } from './redis-script.js';

/** Buckets read per lookup: a key is remembered for BUCKETS - 1 to BUCKETS bucket widths. */
const BUCKETS = 5;

/**
 * Claims, in one atomic step (decideClaim in delivery-ledger.ts, in Lua).
 * KEYS: the scope's buckets, newest first (the first is written). ARGV: 1 owner, 2 now ms,
 * 3 lease end ms, 4 TTL ms of the newest bucket, 5.. the keys (hash fields).
 * Returns per field: 'd' done, 'b' busy, else the progress kept ('-' none, 'r' recorded).
 */
const CLAIM = new RedisScript(`
local out = {}
local now = tonumber(ARGV[2])
for i = 5, #ARGV do
  local field = ARGV[i]
  local stored = false
  for j = 1, #KEYS do
    stored = redis.call('HGET', KEYS[j], field)
    if stored then break end
  end
  local progress = '${PROGRESS.none}'
  local result = nil
  if stored then
    progress = string.sub(stored, 1, 1)
    if progress == '${PROGRESS.done}' then
      result = progress
    else
      local owner, leaseEnd = string.match(stored, '^.:([^:]*):(%d+)$')
      if owner and owner ~= ARGV[1] and tonumber(leaseEnd) > now then result = 'b' end
    end
  end
  if not result then
    redis.call('HSET', KEYS[1], field, progress .. ':' .. ARGV[1] .. ':' .. ARGV[3])
    result = progress
  end
  out[#out + 1] = result
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return out
`);

/**
 * KEYS[1]: the newest bucket. ARGV: 1 TTL ms, 2 number of done fields, 3 number of recorded fields,
 * then the done, recorded and released fields. A released key is written as '-' rather than deleted:
 * an older bucket may still hold its claim, which the newest value must hide.
 */
const SETTLE = new RedisScript(`
local nDone = tonumber(ARGV[2])
local nRecorded = tonumber(ARGV[3])
for i = 4, #ARGV do
  local value = '${PROGRESS.none}'
  if i < 4 + nDone then value = '${PROGRESS.done}' elseif i < 4 + nDone + nRecorded then value = '${PROGRESS.recorded}' end
  redis.call('HSET', KEYS[1], ARGV[i], value)
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`);

/** Keys (hash fields) per script call: a 400-record batch is one call; bounds the time one script blocks Redis. */
const FIELDS_PER_CALL = 1000;

/**
 * The ledger in Redis, shared by every replica: per scope (cluster), one hash per time bucket of a
 * quarter window, `<prefix>audit:ledger:{<scope>}:<bucket number>`, field = key, value = progress and
 * claim. Lookups read the newest five buckets, newest first; writes go to the newest. Each bucket
 * expires (relative TTL, so Redis' clock need not agree with the injected one) when it leaves the
 * five: a key is remembered for at least the window and at most 1.25 × it. One script call per batch,
 * not one command per record.
 */
export class RedisDeliveryLedger implements DeliveryLedger {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #bucketMs: number;
  readonly #leaseMs: number;
  readonly #clock: DeliveryLedgerOptions['clock'];

  constructor(redis: Redis, options: DeliveryLedgerOptions & { prefix: string }) {
    this.#redis = redis;
    this.#prefix = options.prefix;
    this.#bucketMs = Math.max(1000, Math.ceil(options.windowMs / (BUCKETS - 1)));
    this.#leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.#clock = options.clock;
  }

  async claim(scope: string, keys: readonly string[], owner: string): Promise<ClaimResult[]> {
    const now = this.#clock().getTime();
    const { buckets, ttlMs } = this.#buckets(scope, now);
    const results: ClaimResult[] = [];
    for (let at = 0; at < keys.length; at += FIELDS_PER_CALL) {
      const chunk = keys.slice(at, at + FIELDS_PER_CALL);
      const reply = await CLAIM.run(this.#redis, buckets, [owner, now, now + this.#leaseMs, ttlMs, ...chunk]);
      if (!Array.isArray(reply) || reply.length !== chunk.length) throw new Error('delivery ledger: unexpected reply from the claim script');
      for (const value of reply as unknown[]) {
        if (value === PROGRESS.done) results.push({ state: 'done' });
        else if (value === 'b') results.push({ state: 'busy' });
        else results.push({ state: 'claimed', recorded: value === PROGRESS.recorded });
      }
    }
    return results;
  }

  async settle(scope: string, outcome: SettleOutcome): Promise<void> {
    const now = this.#clock().getTime();
    const { buckets, ttlMs } = this.#buckets(scope, now);
    const [newest] = buckets;
    if (newest === undefined) return;
    // Chunks in order: done, then recorded, then released, each chunk with its own counts.
    const tagged = [
      ...outcome.done.map((key) => ['d', key] as const),
      ...outcome.recorded.map((key) => ['r', key] as const),
      ...outcome.released.map((key) => ['-', key] as const),
    ];
    for (let at = 0; at < tagged.length; at += FIELDS_PER_CALL) {
      const chunk = tagged.slice(at, at + FIELDS_PER_CALL);
      const count = (tag: string) => chunk.filter(([t]) => t === tag).length;
      await SETTLE.run(this.#redis, [newest], [ttlMs, count('d'), count('r'), ...chunk.map(([, key]) => key)]);
    }
  }

  /** The scope's bucket keys newest first, and the TTL that keeps the newest until it leaves the lookup. */
  #buckets(scope: string, nowMs: number): { buckets: string[]; ttlMs: number } {
    const current = Math.floor(nowMs / this.#bucketMs);
    // The hash tag keeps a scope's buckets in one slot (one script touches them all).
    const buckets = Array.from({ length: BUCKETS }, (_, i) => `${this.#prefix}audit:ledger:{${scope}}:${current - i}`);
    return { buckets, ttlMs: (current + BUCKETS) * this.#bucketMs - nowMs };
  }
}
