import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { INITIAL_STATE, type AlertAction, type AlertState, type AlertStateStore, type Silence } from './alert-state.js';

/** An ended silence is kept this long (so a console can show what was silenced), then purged. */
export const SILENCE_PURGE_AFTER_MS = 7 * 24 * 3600_000;

/**
 * Lifecycle state in Redis. Every key carries one hash tag (`{<prefix>lifecycle}`), so the scripts
 * that touch a fold key and an alert's state hash together stay valid on Redis Cluster (one slot).
 *   <prefix>{<prefix>lifecycle}:state:<alert id>  hash: acknowledged, resolved (JSON), count, lastSeen, fold
 *   <prefix>{<prefix>lifecycle}:fold:<sha1 of fold key>  hash: id, last (ms); expires a window after the last sighting
 *   <prefix>{<prefix>lifecycle}:silences  hash: silence id → JSON
 * State hashes expire `retentionMs` after their last change (the alert log is trimmed too).
 */
export class RedisAlertStateStore implements AlertStateStore {
  private readonly base: string;

  constructor(
    private readonly redis: Redis,
    private readonly options: { prefix: string; clock: () => Date; retentionMs?: number; ownsConnection?: boolean },
  ) {
    this.base = `${options.prefix}{${options.prefix}lifecycle}:`;
  }

  private get retentionMs(): number {
    return this.options.retentionMs ?? 90 * 24 * 3600_000;
  }

  async states(ids: readonly string[]): Promise<AlertState[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.stateKey(id));
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, value]) => {
      if (error) throw error;
      return toState(value as Record<string, string>);
    });
  }

  async acknowledge(id: string, action: AlertAction): Promise<AlertState> {
    const key = this.stateKey(id);
    await this.redis.multi().hset(key, 'acknowledged', JSON.stringify(action)).pexpire(key, this.retentionMs).exec();
    return (await this.states([id]))[0] ?? INITIAL_STATE;
  }

  async resolve(id: string, action: AlertAction): Promise<AlertState> {
    await this.redis.eval(RESOLVE, 1, this.stateKey(id), JSON.stringify(action), id, String(this.retentionMs));
    return (await this.states([id]))[0] ?? INITIAL_STATE;
  }

  async fold(key: string, at: Date, windowMs: number): Promise<{ alertId: string; count: number } | null> {
    const result = (await this.redis.eval(FOLD, 1, this.foldKey(key), String(at.getTime()), String(windowMs), `${this.base}state:`, at.toISOString(), String(this.retentionMs))) as
      | [id: string, count: number]
      | null;
    return result ? { alertId: result[0], count: Number(result[1]) } : null;
  }

  async openFold(key: string, alertId: string, at: Date, windowMs: number): Promise<void> {
    const fold = this.foldKey(key);
    const state = this.stateKey(alertId);
    await this.redis
      .multi()
      .hset(fold, 'id', alertId, 'last', String(at.getTime()))
      .pexpire(fold, windowMs)
      .hset(state, 'count', '1', 'fold', fold)
      .pexpire(state, this.retentionMs)
      .exec();
  }

  async addSilence(silence: Silence): Promise<void> {
    await this.redis.hset(this.silencesKey(), silence.id, JSON.stringify(silence));
  }

  async silences(): Promise<Silence[]> {
    const all = Object.values(await this.redis.hgetall(this.silencesKey())).map((json) => JSON.parse(json) as Silence);
    const now = this.options.clock().getTime();
    const purge = all.filter((s) => Date.parse(s.expired?.at ?? s.expiresAt) + SILENCE_PURGE_AFTER_MS < now).map((s) => s.id);
    if (purge.length > 0) await this.redis.hdel(this.silencesKey(), ...purge);
    return all.filter((s) => !purge.includes(s.id)).sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
  }

  async expireSilence(id: string, action: AlertAction): Promise<Silence | null> {
    const json = await this.redis.hget(this.silencesKey(), id);
    if (json === null) return null;
    const silence = JSON.parse(json) as Silence;
    if (silence.expired) return silence;
    const ended = { ...silence, expired: action };
    await this.redis.hset(this.silencesKey(), id, JSON.stringify(ended));
    return ended;
  }

  async close(): Promise<void> {
    if (this.options.ownsConnection) await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private stateKey(id: string): string {
    return `${this.base}state:${id}`;
  }

  private foldKey(key: string): string {
    // Hashed: a fold key holds rule names and subjects of any length and character.
    return `${this.base}fold:${createHash('sha1').update(key).digest('hex')}`;
  }

  private silencesKey(): string {
    return `${this.base}silences`;
  }
}

function toState(hash: Record<string, string>): AlertState {
  if (Object.keys(hash).length === 0) return INITIAL_STATE;
  return {
    acknowledged: hash['acknowledged'] ? (JSON.parse(hash['acknowledged']) as AlertAction) : null,
    resolved: hash['resolved'] ? (JSON.parse(hash['resolved']) as AlertAction) : null,
    count: hash['count'] ? Number(hash['count']) : 1,
    lastSeen: hash['lastSeen'] ?? null,
  };
}

// The state key is built inside the script from the id the fold key holds; it shares the fold key's
// hash tag, so it is in the same slot (allowed on Redis Cluster, though not declared in KEYS).
const FOLD = `
local id = redis.call('HGET', KEYS[1], 'id')
if not id then return nil end
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
local now = tonumber(ARGV[1])
if now - last > tonumber(ARGV[2]) then return nil end
redis.call('HSET', KEYS[1], 'last', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local state = ARGV[3] .. id
local count = redis.call('HINCRBY', state, 'count', 1)
redis.call('HSET', state, 'lastSeen', ARGV[4])
redis.call('PEXPIRE', state, ARGV[5])
return {id, count}
`;

// Resolving closes the fold window, but only if the fold key still points at this alert.
const RESOLVE = `
redis.call('HSET', KEYS[1], 'resolved', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local fold = redis.call('HGET', KEYS[1], 'fold')
if fold and redis.call('HGET', fold, 'id') == ARGV[2] then redis.call('DEL', fold) end
return 1
`;
