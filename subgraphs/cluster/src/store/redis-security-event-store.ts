import { createHash } from 'node:crypto';
import type { Redis } from '@vigil/lib/redis';
import {
  DAY_MS,
  encodeCursor,
  escapeSegment,
  isAfterCursor,
  matchesFilter,
  resourceKey,
  securityEventId,
  validateLimit,
  validatePage,
  type CursorPosition,
  type KubeObjectRef,
  type NormalisedSecurityEvent,
  type PageRequest,
  type SecurityEvent,
  type SecurityEventFilter,
  type SecurityEventPage,
  type SecurityEventStore,
  type SecurityEventStoreOptions,
} from './security-event-store.js';

/**
 * Atomic merge of one occurrence (Lua runs without interleaving, so two writers never lose a count).
 * KEYS: 1 event hash, 2 time index, 3.. resource/host indexes for this occurrence.
 * ARGV: 1 id, 2 doc JSON, 3 occurredAt ms, 4 now ms, 5 retention ms, 6 host index key or ''.
 * The hash keeps the doc of the newest occurrence, first/last seen (ms), count, and the host index
 * it is listed in: the host of a pod's events can change (Falco's pod restarted), and the stale
 * entry is removed then. That key is not in KEYS, which only matters on Redis Cluster (not supported:
 * the indexes span slots anyway).
 * Retention is on lastSeen: the key's TTL is lastSeen + retention - now, and index entries at or below
 * now - retention are trimmed on every write to that index.
 */
const RECORD_SCRIPT = `
local at = tonumber(ARGV[3])
local cutoff = tonumber(ARGV[4]) - tonumber(ARGV[5])
local stored = redis.call('HMGET', KEYS[1], 'first', 'last', 'doc', 'host')
local storedLast = tonumber(stored[2])
local isNew = 0
local first, last, count = at, at, 1
local doc = ARGV[2]
local moveHost = false
if not storedLast or storedLast <= cutoff then
  -- Absent, or past retention by the caller's clock but not yet expired by Redis': starts afresh.
  isNew = 1
  moveHost = true
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'doc', doc, 'first', at, 'last', at, 'count', 1, 'host', ARGV[6])
else
  first = math.min(tonumber(stored[1]), at)
  last = storedLast
  count = redis.call('HINCRBY', KEYS[1], 'count', 1)
  if at >= last then
    last = at
    moveHost = true
    redis.call('HSET', KEYS[1], 'doc', doc, 'last', at, 'first', first, 'host', ARGV[6])
  else
    doc = stored[3]
    redis.call('HSET', KEYS[1], 'first', first)
  end
end
if moveHost and stored[4] and stored[4] ~= '' and stored[4] ~= ARGV[6] then
  redis.call('ZREM', stored[4], ARGV[1])
end
local ttl = last - cutoff
for i = 2, #KEYS do
  if ttl > 0 then
    redis.call('ZADD', KEYS[i], last, ARGV[1])
  else
    redis.call('ZREM', KEYS[i], ARGV[1])
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', cutoff)
  local current = redis.call('PTTL', KEYS[i])
  if ttl > 0 and current < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
end
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
else
  redis.call('DEL', KEYS[1])
end
return {isNew, string.format('%.0f', first), string.format('%.0f', last), count, doc}
`;
const RECORD_SHA = createHash('sha1').update(RECORD_SCRIPT).digest('hex');

/** Index entries read per round trip while scanning; filters run in this process. */
const SCAN_BATCH = 200;

type StoredDoc = Omit<SecurityEvent, 'id' | 'firstSeen' | 'lastSeen' | 'count'>;

/**
 * Security events in Redis, keys under `prefix`:
 * - `<prefix>event:<id>`: hash {doc (JSON of the newest occurrence), first, last (ms), count, host}, TTL = retention;
 * - `<prefix>events:by-last-seen`: sorted set id → lastSeen ms, the listing order;
 * - `<prefix>events:by-resource:<cluster>/<ns>/<kind>/<name>` and `<prefix>events:by-host:<hostname>`:
 *   the same per object and per host, for the batched lookups.
 *
 * Limitation: list() walks the time index newest first and filters in this process, so a filter that
 * matches few events may read many. A hostname filter or a full resource filter walks the smaller
 * per-host / per-resource index instead; other filters need their own indexes when volumes demand it.
 */
export class RedisSecurityEventStore implements SecurityEventStore {
  private readonly now: () => Date;
  private readonly retentionMs: number;
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    options: SecurityEventStoreOptions & { prefix: string },
  ) {
    this.now = options.now ?? (() => new Date());
    this.retentionMs = options.retentionDays * DAY_MS;
    this.prefix = options.prefix;
  }

  async record(input: NormalisedSecurityEvent): Promise<{ event: SecurityEvent; isNew: boolean }> {
    const id = securityEventId(input.dedupKey);
    const { occurredAt, ...doc } = input;
    const hostKey = input.hostname === null ? '' : this.hostKey(input.hostname);
    const keys = [this.eventKey(id), this.timeIndexKey()];
    if (input.resource) keys.push(this.resourceKey(input.resource));
    if (hostKey !== '') keys.push(hostKey);
    const args = [id, JSON.stringify(doc), String(Date.parse(occurredAt)), String(this.now().getTime()), String(this.retentionMs), hostKey];
    const reply = await this.evalRecord(keys, args);
    if (!Array.isArray(reply) || reply.length !== 5) throw new Error('unexpected reply from the record script');
    const [isNew, first, last, count, storedDoc] = reply.map(String);
    return {
      isNew: isNew === '1',
      event: toEvent(id, storedDoc ?? '', first ?? '', last ?? '', count ?? ''),
    };
  }

  async list(filter: SecurityEventFilter, page: PageRequest): Promise<SecurityEventPage> {
    const after = validatePage(page);
    const events: SecurityEvent[] = [];
    let hasNextPage = false;
    for await (const batch of this.scan(this.indexFor(filter), filter, after)) {
      const loaded = await this.load(batch);
      for (const event of loaded) {
        if (!event || !matchesFilter(event, filter) || (after !== undefined && !isAfterCursor(event, after))) continue;
        if (events.length === page.first) {
          hasNextPage = true;
          break;
        }
        events.push(event);
      }
      if (hasNextPage) break;
    }
    const last = events.at(-1);
    return { events, hasNextPage, endCursor: last ? encodeCursor(last) : null };
  }

  async get(ids: readonly string[]): Promise<(SecurityEvent | null)[]> {
    return this.load(ids);
  }

  async forResources(refs: readonly KubeObjectRef[], limitPerResource: number): Promise<SecurityEvent[][]> {
    validateLimit('limitPerResource', limitPerResource);
    return this.newestPerIndex(
      refs.map((ref) => this.resourceKey(ref)),
      limitPerResource,
    );
  }

  async forHosts(hostnames: readonly string[], limitPerHost: number): Promise<SecurityEvent[][]> {
    validateLimit('limitPerHost', limitPerHost);
    return this.newestPerIndex(
      hostnames.map((h) => this.hostKey(h)),
      limitPerHost,
    );
  }

  /** Two round trips for any number of indexes: one pipeline of ZRANGEs, one of HMGETs. */
  private async newestPerIndex(keys: readonly string[], limit: number): Promise<SecurityEvent[][]> {
    if (keys.length === 0 || limit === 0) return keys.map(() => []);
    const minScore = `(${this.cutoff()}`;
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.zrange(key, '+inf', minScore, 'BYSCORE', 'REV', 'LIMIT', 0, limit);
    const idLists = unwrap(await pipeline.exec()).map((ids) => (Array.isArray(ids) ? ids.map(String) : []));
    const events = await this.load(idLists.flat());
    let offset = 0;
    return idLists.map((ids) => {
      const slice = events.slice(offset, offset + ids.length);
      offset += ids.length;
      return slice.filter((e): e is SecurityEvent => e !== null);
    });
  }

  /**
   * Index entries newest first, in batches, from the cursor (or `to`) down to `from` / the retention
   * cutoff. Entries sharing a score come in descending member order, the same tie order as the cursor.
   */
  private async *scan(key: string, filter: SecurityEventFilter, after: CursorPosition | undefined): AsyncGenerator<string[]> {
    const cutoff = this.cutoff();
    const fromMs = filter.from?.getTime();
    const min = fromMs !== undefined && fromMs > cutoff ? String(fromMs) : `(${cutoff}`;
    const maxMs = Math.min(after?.lastSeenMs ?? Number.POSITIVE_INFINITY, filter.to?.getTime() ?? Number.POSITIVE_INFINITY);
    let max = Number.isFinite(maxMs) ? String(maxMs) : '+inf';
    let offset = 0;
    for (;;) {
      const reply = await this.redis.zrange(key, max, min, 'BYSCORE', 'REV', 'LIMIT', offset, SCAN_BATCH, 'WITHSCORES');
      const ids: string[] = [];
      const scores: string[] = [];
      for (let i = 0; i + 1 < reply.length; i += 2) {
        ids.push(String(reply[i]));
        scores.push(String(reply[i + 1]));
      }
      if (ids.length > 0) yield ids;
      if (ids.length < SCAN_BATCH) return;
      // Resume at the last score seen, skipping the entries with that score already returned.
      const lastScore = scores.at(-1) ?? max;
      const sameScore = scores.filter((s) => s === lastScore).length;
      if (lastScore === max) offset += sameScore;
      else {
        max = lastScore;
        offset = sameScore;
      }
    }
  }

  private async load(ids: readonly string[]): Promise<(SecurityEvent | null)[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hmget(this.eventKey(id), 'doc', 'first', 'last', 'count');
    const rows = unwrap(await pipeline.exec());
    return rows.map((row, i) => {
      if (!Array.isArray(row)) return null;
      const [doc, first, last, count] = row.map((v) => (v === null ? null : String(v)));
      const id = ids[i];
      if (id === undefined || doc == null || first == null || last == null || count == null) return null;
      // Expired by TTL between the index read and now, or just outside the window.
      if (Number(last) <= this.cutoff()) return null;
      return toEvent(id, doc, first, last, count);
    });
  }

  private indexFor(filter: SecurityEventFilter): string {
    if (filter.hostname !== undefined) return this.hostKey(filter.hostname);
    const { cluster, namespace, resourceKind: kind, resourceName: name } = filter;
    if (cluster !== undefined && namespace !== undefined && kind !== undefined && name !== undefined) {
      return this.resourceKey({ cluster, namespace, kind, name });
    }
    return this.timeIndexKey();
  }

  private async evalRecord(keys: string[], args: string[]): Promise<unknown> {
    try {
      return await this.redis.evalsha(RECORD_SHA, keys.length, ...keys, ...args);
    } catch (error) {
      // First use on this server (or after SCRIPT FLUSH): send the script itself once.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.redis.eval(RECORD_SCRIPT, keys.length, ...keys, ...args);
    }
  }

  private cutoff(): number {
    return this.now().getTime() - this.retentionMs;
  }

  private eventKey(id: string): string {
    return `${this.prefix}event:${id}`;
  }

  private timeIndexKey(): string {
    return `${this.prefix}events:by-last-seen`;
  }

  private resourceKey(ref: KubeObjectRef): string {
    return `${this.prefix}events:by-resource:${resourceKey(ref)}`;
  }

  private hostKey(hostname: string): string {
    return `${this.prefix}events:by-host:${escapeSegment(hostname)}`;
  }
}

function toEvent(id: string, doc: string, first: string, last: string, count: string): SecurityEvent {
  const stored = JSON.parse(doc) as StoredDoc;
  return {
    ...stored,
    id,
    firstSeen: new Date(Number(first)).toISOString(),
    lastSeen: new Date(Number(last)).toISOString(),
    count: Number(count),
  };
}

function unwrap(results: [error: Error | null, value: unknown][] | null): unknown[] {
  return (results ?? []).map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}
