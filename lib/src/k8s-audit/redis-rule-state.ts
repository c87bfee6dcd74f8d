import type { Clock } from '../clock.js';
import type { Redis } from '../redis.js';
import type { RequestCounts } from './rules.js';
import { SILENCE_RETENTION_MS, type AuditRuleState, type RateWindow } from './rule-state.js';
import { RedisScript } from './redis-script.js';

/** KEYS: the window's buckets, newest (the one added to) first. ARGV: 1 requests, 2 failures, 3 TTL ms. Returns {requests, failures} over KEYS. */
const ADD_COUNTS = new RedisScript(`
redis.call('HINCRBY', KEYS[1], 'r', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'f', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local requests, failures = 0, 0
for i = 1, #KEYS do
  local c = redis.call('HMGET', KEYS[i], 'r', 'f')
  requests = requests + (tonumber(c[1]) or 0)
  failures = failures + (tonumber(c[2]) or 0)
end
return {requests, failures}
`);

/**
 * KEYS[1]: the hold. ARGV: 1 now ms, 2 hold ms. The hold's end is kept in the value and compared with the
 * injected clock; the key's TTL (Redis' clock) only collects it.
 */
const CLAIM_FIRING = new RedisScript(`
local holdEnd = tonumber(redis.call('GET', KEYS[1]))
if holdEnd and holdEnd > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), 'PX', ARGV[2])
return 1
`);

/** KEYS: 1 last-seen hash, 2 silence hash. ARGV: 1 cluster, 2 at ms, 3 retention ms. Returns the removed mark or false. */
const HEARD_FROM = new RedisScript(`
local last = tonumber(redis.call('HGET', KEYS[1], ARGV[1]))
if not last or last < tonumber(ARGV[2]) then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local mark = redis.call('HGET', KEYS[2], ARGV[1])
if mark then redis.call('HDEL', KEYS[2], ARGV[1]) end
return mark
`);

/**
 * KEYS: 1 last-seen hash, 2 silence hash. ARGV: 1 cutoff ms, 2 forget-before ms, 3 retention ms.
 * Returns a flat list cluster, lastSeen, ... of the clusters newly marked. Clusters not heard from for
 * the retention are forgotten (a cluster removed from the configuration).
 */
const MARK_SILENT = new RedisScript(`
local seen = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #seen, 2 do
  local cluster, last = seen[i], tonumber(seen[i + 1])
  if last <= tonumber(ARGV[2]) then
    redis.call('HDEL', KEYS[1], cluster)
    redis.call('HDEL', KEYS[2], cluster)
  elseif last <= tonumber(ARGV[1]) and redis.call('HSETNX', KEYS[2], cluster, seen[i + 1]) == 1 then
    out[#out + 1] = cluster
    out[#out + 1] = seen[i + 1]
  end
end
if #out > 0 then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
return out
`);

/**
 * The rule state in Redis, keys under `prefix`:
 * - `audit:rate:{<cluster>}:<bucket>`: hash {r: requests, f: failures}, expiring when the bucket leaves the window;
 * - `audit:fired:{<cluster>}:<rule>`: the hold of a rule that fired: its end (ms, injected clock), TTL the hold;
 * - `audit:{silence}:last-seen` and `audit:{silence}:silent`: hashes cluster → ms, kept
 *   SILENCE_RETENTION_MS after their last write; they hold one field per cluster of the configuration.
 * Relative TTLs throughout, so Redis' clock need not agree with the injected one.
 */
export class RedisAuditRuleState implements AuditRuleState {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #clock: Clock;

  constructor(redis: Redis, options: { prefix: string; clock: Clock }) {
    this.#redis = redis;
    this.#prefix = options.prefix;
    this.#clock = options.clock;
  }

  async addRequestCounts(cluster: string, bucket: number, counts: RequestCounts, window: RateWindow): Promise<RequestCounts> {
    const keys = Array.from({ length: window.buckets }, (_, i) => `${this.#prefix}audit:rate:{${cluster}}:${bucket - i}`);
    // The bucket is read until `buckets` buckets after it begin; measured from the clock, at least one bucket.
    const ttlMs = Math.max(window.bucketMs, (bucket + window.buckets) * window.bucketMs - this.#clock().getTime());
    const reply = await ADD_COUNTS.run(this.#redis, keys, [counts.requests, counts.failures, ttlMs]);
    if (!Array.isArray(reply)) throw new Error('audit rule state: unexpected reply from the count script');
    return { requests: Number(reply[0]), failures: Number(reply[1]) };
  }

  async claimFiring(cluster: string, rule: string, holdMs: number): Promise<boolean> {
    const reply = await CLAIM_FIRING.run(this.#redis, [this.#firedKey(cluster, rule)], [this.#clock().getTime(), holdMs]);
    return reply === 1;
  }

  async releaseFiring(cluster: string, rule: string): Promise<void> {
    await this.#redis.del(this.#firedKey(cluster, rule));
  }

  async heardFrom(cluster: string, atMs: number): Promise<{ silentSinceMs: number } | null> {
    const reply = await HEARD_FROM.run(this.#redis, this.#silenceKeys(), [cluster, atMs, SILENCE_RETENTION_MS]);
    return typeof reply === 'string' ? { silentSinceMs: Number(reply) } : null;
  }

  async markSilent(cutoffMs: number): Promise<{ cluster: string; lastSeenMs: number }[]> {
    const forgetBefore = this.#clock().getTime() - SILENCE_RETENTION_MS;
    const reply = await MARK_SILENT.run(this.#redis, this.#silenceKeys(), [cutoffMs, forgetBefore, SILENCE_RETENTION_MS]);
    if (!Array.isArray(reply)) throw new Error('audit rule state: unexpected reply from the silence script');
    const marked: { cluster: string; lastSeenMs: number }[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) marked.push({ cluster: String(reply[i]), lastSeenMs: Number(reply[i + 1]) });
    return marked;
  }

  async setSilenceMark(cluster: string, lastSeenMs: number | null): Promise<void> {
    const [, silent] = this.#silenceKeys();
    if (lastSeenMs === null) await this.#redis.hdel(silent, cluster);
    else await this.#redis.multi().hset(silent, cluster, String(lastSeenMs)).pexpire(silent, SILENCE_RETENTION_MS).exec();
  }

  #firedKey(cluster: string, rule: string): string {
    return `${this.#prefix}audit:fired:{${cluster}}:${rule}`;
  }

  #silenceKeys(): [string, string] {
    return [`${this.#prefix}audit:{silence}:last-seen`, `${this.#prefix}audit:{silence}:silent`];
  }
}
