import { randomUUID } from 'node:crypto';
import { execReplies, type Redis } from '@vigil/lib/redis';
import { oneSlotPrefix } from '@vigil/lib/redis-slot';
import type { Waiver, WaiverChange, WaiverGrant, WaiverStore } from './waiver-store.js';

/**
 * Waivers in Redis, kept across restarts and shared by replicas. One hash tag, so the grant (MULTI)
 * and the revocation (a script) that write a waiver and its log entry together stay in one slot on
 * Redis Cluster:
 *
 * - `<prefix>{<prefix>waivers}:waivers`  hash: waiver id → JSON Waiver
 * - `<prefix>{<prefix>waivers}:log`      list: JSON WaiverChange, oldest first
 *
 * Nothing expires: waivers and their log are the audit trail of accepted risk, and grow only with
 * admins' actions.
 */
export class RedisWaiverStore implements WaiverStore {
  private readonly base: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly ownsConnection = true,
  ) {
    this.base = oneSlotPrefix(prefix, 'waivers');
  }

  async grant(input: WaiverGrant): Promise<Waiver> {
    const waiver: Waiver = { ...input, id: randomUUID(), revokedAt: null, revokedBy: null };
    const change: WaiverChange = { waiverId: waiver.id, action: 'GRANTED', by: input.createdBy, at: input.createdAt };
    execReplies(await this.redis.multi().hset(this.waiversKey, waiver.id, JSON.stringify(waiver)).rpush(this.logKey, JSON.stringify(change)).exec(), 'compliance store');
    return waiver;
  }

  async revoke(id: string, by: string, at: string): Promise<Waiver | null> {
    const change: WaiverChange = { waiverId: id, action: 'REVOKED', by, at };
    // Read, decide and write in one script: two admins revoking at once log one revocation.
    const json = (await this.redis.eval(REVOKE, 2, this.waiversKey, this.logKey, id, by, at, JSON.stringify(change))) as string | null;
    return json === null ? null : (JSON.parse(json) as Waiver);
  }

  async list(): Promise<Waiver[]> {
    return Object.values(await this.redis.hgetall(this.waiversKey)).map((json) => JSON.parse(json) as Waiver);
  }

  async log(): Promise<WaiverChange[]> {
    return (await this.redis.lrange(this.logKey, 0, -1)).map((json) => JSON.parse(json) as WaiverChange);
  }

  async close(): Promise<void> {
    if (this.ownsConnection) await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private get waiversKey(): string {
    return `${this.base}waivers`;
  }
  private get logKey(): string {
    return `${this.base}log`;
  }
}

// cjson re-encodes the waiver: every field is a string or null, which it keeps as they are.
const REVOKE = `
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then return nil end
local waiver = cjson.decode(json)
if waiver.revokedAt ~= cjson.null then return json end
waiver.revokedAt = ARGV[3]
waiver.revokedBy = ARGV[2]
local updated = cjson.encode(waiver)
redis.call('HSET', KEYS[1], ARGV[1], updated)
redis.call('RPUSH', KEYS[2], ARGV[4])
return updated
`;
