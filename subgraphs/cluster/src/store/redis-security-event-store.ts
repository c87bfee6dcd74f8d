import { createHash } from 'node:crypto';
import type { Redis } from '@vigil/lib/redis';
import { SEVERITIES, severityRank } from '@vigil/lib/alerts/alert';
import {
  DAY_MS,
  SECURITY_SOURCES,
  encodeCursor,
  encodeVulnerabilityCursor,
  isAfterCursor,
  isAfterVulnerabilityCursor,
  matchesFilter,
  parseResolvedAt,
  securityEventId,
  validateLimit,
  validatePage,
  validateReportKeys,
  validateVulnerabilityPage,
  vulnerabilityIdOf,
  vulnerabilityMatches,
  type CursorPosition,
  type ForVulnerabilitiesOptions,
  type KubeObjectRef,
  type NormalisedSecurityEvent,
  type PageRequest,
  type RecordOptions,
  type RetentionWindow,
  type SecurityEvent,
  type SecurityEventFilter,
  type SecurityEventPage,
  type SecurityEventStore,
  type SecurityEventStoreOptions,
  type VulnerabilityIdFilter,
  type VulnerabilityIdPage,
} from './security-event-store.js';
import { kubernetesUserOf } from '../sources/identity.js';
import { MicroBatcher } from './micro-batcher.js';
import { securityEventKeys, type SecurityEventKeys } from './security-event-keys.js';

/**
 * Atomic merge of a batch of occurrences, in order (Lua runs without interleaving, so two writers
 * never lose a count, and a repeat later in the batch sees what the earlier one wrote).
 * ARGV: 1 now ms, 2 retention ms, then per occurrence 8 values: number of its keys, id, doc JSON,
 * occurredAt ms, host index key or '', per-vulnerability index key or '', vulnerability id or '',
 * count increment (1; 0 for a restatement of a stored finding).
 * KEYS: per occurrence, in order: its event hash, the vulnerability index (written only when its
 * vulnerability id is set), the indexes of event ids for this occurrence (time, resource, host,
 * per-vulnerability, identity), and last its source, severity and cluster indexes (in that order).
 * The hash keeps the doc of the newest occurrence, first/last seen (ms), count, resolved (ms, absent
 * while open: any occurrence reopens) and the host, vulnerability, source, severity and cluster
 * indexes it is listed in: the host of a pod's events can change (Falco's pod restarted), a finding's
 * severity can change, and the stale entry is removed then. An occurrence older than lastSeen keeps
 * the stored doc, so the event stays in the source/severity/cluster indexes of that doc. Old keys
 * are not in KEYS, which only matters on Redis Cluster (not supported: the indexes span slots anyway).
 * Retention is on lastSeen: the key's TTL is lastSeen + retention - now, and index entries at or below
 * now - retention are trimmed. Trimming and extending an index's TTL happen once per index per batch
 * (after every occurrence is merged, to the longest TTL any of them needs): that is most of the work
 * saved by batching. The vulnerability index scores each vulnerability id by the newest lastSeen of
 * its events (ZADD GT: Redis 6.2+).
 * Returns per occurrence {isNew, first, last, count, doc}, doc '' when it is the occurrence's own (the
 * caller has it: not sent back nor parsed again), the stored one's for an occurrence older than it.
 */
const RECORD_SCRIPT = `
local cutoff = tonumber(ARGV[1]) - tonumber(ARGV[2])
local ttlOf = {}
local touched = {}
local function touch(key, ttl)
  local known = ttlOf[key]
  if known == nil then
    touched[#touched + 1] = key
    ttlOf[key] = ttl
  elseif ttl > known then
    ttlOf[key] = ttl
  end
end
local results = {}
local k = 0
local a = 2
while a < #ARGV do
  local nkeys = tonumber(ARGV[a + 1])
  local id, doc, at = ARGV[a + 2], ARGV[a + 3], tonumber(ARGV[a + 4])
  local hostKey, vulnKey, vulnId, increment = ARGV[a + 5], ARGV[a + 6], ARGV[a + 7], tonumber(ARGV[a + 8])
  local eventKey, vulnIndex = KEYS[k + 1], KEYS[k + 2]
  local firstAttr = k + nkeys - 2
  local stored = redis.call('HMGET', eventKey, 'first', 'last', 'resolved', 'host', 'vuln', 'src', 'sev', 'clu')
  local storedLast = tonumber(stored[2])
  local isNew = 0
  local first, last, count = at, at, 1
  -- '' when the stored doc is this occurrence's: the caller has it already.
  local replyDoc = ''
  local moveIndexes = false
  if not storedLast or storedLast <= cutoff then
    -- Absent, or past retention by the caller's clock but not yet expired by Redis': starts afresh.
    isNew = 1
    moveIndexes = true
    redis.call('DEL', eventKey)
    redis.call('HSET', eventKey, 'doc', doc, 'first', at, 'last', at, 'count', 1, 'host', hostKey, 'vuln', vulnKey,
      'src', KEYS[firstAttr], 'sev', KEYS[firstAttr + 1], 'clu', KEYS[firstAttr + 2])
  else
    first = math.min(tonumber(stored[1]), at)
    last = storedLast
    count = redis.call('HINCRBY', eventKey, 'count', increment)
    -- It came back: a new occurrence reopens a resolved event.
    if stored[3] then redis.call('HDEL', eventKey, 'resolved') end
    if at >= last then
      last = at
      moveIndexes = true
      redis.call('HSET', eventKey, 'doc', doc, 'last', at, 'first', first, 'host', hostKey, 'vuln', vulnKey,
        'src', KEYS[firstAttr], 'sev', KEYS[firstAttr + 1], 'clu', KEYS[firstAttr + 2])
    else
      replyDoc = redis.call('HGET', eventKey, 'doc')
      redis.call('HSET', eventKey, 'first', first)
    end
  end
  if moveIndexes then
    if stored[4] and stored[4] ~= '' and stored[4] ~= hostKey then redis.call('ZREM', stored[4], id) end
    if stored[5] and stored[5] ~= '' and stored[5] ~= vulnKey then redis.call('ZREM', stored[5], id) end
  end
  local ttl = last - cutoff
  local indexes = {}
  for i = k + 3, firstAttr - 1 do indexes[#indexes + 1] = KEYS[i] end
  for j = 0, 2 do
    local key = KEYS[firstAttr + j]
    local old = stored[6 + j]
    if moveIndexes then
      if old and old ~= '' and old ~= key then redis.call('ZREM', old, id) end
    elseif old and old ~= '' then
      -- The stored doc stays: so do its source/severity/cluster indexes.
      key = old
    end
    indexes[#indexes + 1] = key
  end
  for _, key in ipairs(indexes) do
    if ttl > 0 then
      redis.call('ZADD', key, last, id)
    else
      redis.call('ZREM', key, id)
    end
    touch(key, ttl)
  end
  if vulnId ~= '' then
    if ttl > 0 then redis.call('ZADD', vulnIndex, 'GT', last, vulnId) end
    touch(vulnIndex, ttl)
  end
  if ttl > 0 then
    redis.call('PEXPIRE', eventKey, ttl)
  else
    redis.call('DEL', eventKey)
  end
  results[#results + 1] = {isNew, string.format('%.0f', first), string.format('%.0f', last), count, replyDoc}
  k = k + nkeys
  a = a + 8
end
for _, key in ipairs(touched) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', cutoff)
  local ttl = ttlOf[key]
  if ttl > 0 and redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
return results
`;

/**
 * Marks open, live events resolved. KEYS: event hashes. ARGV: 1 resolved-at ms, 2 retention cutoff ms.
 * Returns, per event it changed, {index into KEYS (1-based), doc, first, last, count}. Runs without
 * interleaving with the record script, so an occurrence lands wholly before (and is resolved) or after
 * (and reopens).
 */
const RESOLVE_SCRIPT = `
local cutoff = tonumber(ARGV[2])
local changed = {}
for i = 1, #KEYS do
  local stored = redis.call('HMGET', KEYS[i], 'doc', 'first', 'last', 'count', 'resolved')
  local last = tonumber(stored[3])
  if stored[1] and last and last > cutoff and not stored[5] then
    redis.call('HSET', KEYS[i], 'resolved', ARGV[1])
    table.insert(changed, {i, stored[1], stored[2], stored[3], stored[4]})
  end
end
return changed
`;

const SCRIPTS = {
  record: { source: RECORD_SCRIPT, sha: createHash('sha1').update(RECORD_SCRIPT).digest('hex') },
  resolve: { source: RESOLVE_SCRIPT, sha: createHash('sha1').update(RESOLVE_SCRIPT).digest('hex') },
} as const;

/**
 * Large enough that a burst of concurrent webhook requests shares one script call, small enough that
 * one call (about 20 µs of Redis time per occurrence) never blocks Redis for long.
 */
const DEFAULT_MAX_RECORD_BATCH = 128;

/** One record() call's part of the record script's KEYS and ARGV. */
interface RecordCall {
  keys: string[];
  args: string[];
}

/** Stored with every report's keys so an empty list survives (Redis drops empty sets). */
const REPORT_SENTINEL = '';

/** Index entries read per round trip while scanning; filters run in this process. */
const SCAN_BATCH = 200;

type StoredDoc = Omit<SecurityEvent, 'id' | 'firstSeen' | 'lastSeen' | 'count' | 'resolvedAt'>;

/** A sorted-set entry: an event id and its lastSeen ms. */
interface IndexEntry {
  member: string;
  score: number;
}

/**
 * Security events in Redis, keys under `<prefix>{<prefix>events}:` (shown as `<prefix>` below; one
 * hash tag, so the scripts over an event and its indexes are valid on Redis Cluster: lib/src/redis-slot.ts),
 * built in security-event-keys.ts (which also tells the layout migration their families):
 * - `<prefix>event:<id>`: hash {doc (JSON of the newest occurrence), first, last (ms), count, host,
 *   vuln, resolved (ms, only while resolved)}, TTL = retention;
 * - `<prefix>events:by-last-seen`: sorted set id → lastSeen ms, the listing order;
 * - `<prefix>events:by-resource:<cluster>/<ns>/<kind>/<name>`, `<prefix>events:by-host:<hostname>`,
 *   `<prefix>events:by-vulnerability:<vulnerabilityId>` and `<prefix>events:by-identity:<username>`: the
 *   same per object, per host, per Trivy vulnerability id and per Kubernetes identity, for the batched
 *   lookups (the identity never changes for an event: it is part of its dedup key);
 * - `<prefix>events:by-source:<source>`, `<prefix>events:by-severity:<severity>` and
 *   `<prefix>events:by-cluster:<cluster>`: the same per source, severity and cluster, for list();
 * - `<prefix>vulnerabilities:by-last-seen`: sorted set vulnerability id → newest lastSeen of its events;
 * - `<prefix>report-keys:<reportId>`: set of a report's open dedup keys (plus '' so that an empty list
 *   is kept), TTL = retention from the last setReportKeys.
 * Every index is trimmed of entries past retention on write and expires with its newest entry.
 *
 * list() walks one index newest first and applies the whole filter in this process. Of the indexes the
 * filter allows (its host, its full resource, the union of its sources' or of the severities at or
 * above minSeverity, its cluster) it walks the one with the fewest entries (ZCARD), merging a union's
 * sets in this process, a batch per set at a time; with none of those it walks the time index.
 * Limitation: the other conditions (category, namespace, kind, name, resolved, and the indexes not
 * chosen) still filter in process, so a filter selective only in its combination may read many.
 */
export class RedisSecurityEventStore implements SecurityEventStore {
  private readonly now: () => Date;
  private readonly retentionMs: number;
  private readonly keys: SecurityEventKeys;
  private readonly batcher: MicroBatcher<RecordCall, unknown>;

  constructor(
    private readonly redis: Redis,
    options: SecurityEventStoreOptions & {
      prefix: string;
      /** Occurrences merged in one script call at most. @default 128 */
      maxRecordBatch?: number;
    },
  ) {
    this.now = options.now ?? (() => new Date());
    this.retentionMs = options.retentionDays * DAY_MS;
    // One hash tag for the whole store: the record script writes an event and its indexes together.
    this.keys = securityEventKeys(options.prefix);
    this.batcher = new MicroBatcher((batch) => this.recordBatch(batch), { maxBatch: options.maxRecordBatch ?? DEFAULT_MAX_RECORD_BATCH });
  }

  async record(input: NormalisedSecurityEvent, options: RecordOptions = {}): Promise<{ event: SecurityEvent; isNew: boolean }> {
    const id = securityEventId(input.dedupKey);
    const { occurredAt, ...doc } = input;
    const hostKey = input.hostname === null ? '' : this.keys.host(input.hostname);
    const vulnerabilityId = vulnerabilityIdOf(input);
    const vulnerabilityKey = vulnerabilityId === null ? '' : this.keys.vulnerability(vulnerabilityId);
    const keys = [this.keys.event(id), this.keys.vulnerabilityIndex(), this.keys.timeIndex()];
    if (input.resource) keys.push(this.keys.resource(input.resource));
    if (hostKey !== '') keys.push(hostKey);
    if (vulnerabilityKey !== '') keys.push(vulnerabilityKey);
    const identity = kubernetesUserOf(input);
    if (identity !== null) keys.push(this.keys.identity(identity));
    // Last, in this order: the script reads them by position.
    keys.push(this.keys.source(input.source), this.keys.severity(input.severity), this.keys.cluster(input.cluster));
    const args = [
      String(keys.length),
      id,
      JSON.stringify(doc),
      String(Date.parse(occurredAt)),
      hostKey,
      vulnerabilityKey,
      vulnerabilityId ?? '',
      options.restatement ? '0' : '1',
    ];
    const reply = await this.batcher.add({ keys, args });
    if (!Array.isArray(reply) || reply.length !== 5) throw new Error('unexpected reply from the record script');
    const [isNew, first, last, count, storedDoc] = reply.map(String);
    return {
      isNew: isNew === '1',
      event: toEvent(id, storedDoc ? storedDoc : doc, first ?? '', last ?? '', count ?? '', null),
    };
  }

  /** One EVALSHA for every occurrence queued since the last: durable when each caller's promise resolves. */
  private async recordBatch(batch: readonly RecordCall[]): Promise<unknown[]> {
    const keys = batch.flatMap((call) => call.keys);
    const args = [String(this.now().getTime()), String(this.retentionMs), ...batch.flatMap((call) => call.args)];
    const reply = await this.evalScript('record', keys, args);
    if (!Array.isArray(reply) || reply.length !== batch.length) throw new Error('unexpected reply from the record script');
    return reply;
  }

  retention(): RetentionWindow {
    return { days: this.retentionMs / DAY_MS, cutoff: new Date(this.cutoff()) };
  }

  async list(filter: SecurityEventFilter, page: PageRequest): Promise<SecurityEventPage> {
    const after = validatePage(page);
    const events: SecurityEvent[] = [];
    let hasNextPage = false;
    const keys = await this.indexFor(filter);
    const entries = keys.length === 1 ? this.scan(keys[0] ?? '', filter, after) : mergeNewestFirst(keys.map((key) => this.scan(key, filter, after)));
    for await (const batch of entries) {
      const loaded = await this.load(batch.map((entry) => entry.member));
      for (const [i, event] of loaded.entries()) {
        if (!event || !matchesFilter(event, filter) || (after !== undefined && !isAfterCursor(event, after))) continue;
        // An entry left in an index the event moved out of, or one it moved past since read: its
        // place in this walk is not the event's place in the order.
        if (Date.parse(event.lastSeen) !== batch[i]?.score) continue;
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

  async count(filter: SecurityEventFilter): Promise<number> {
    const exact = this.exactIndexFor(filter);
    const cutoff = this.cutoff();
    const fromMs = filter.from?.getTime();
    const min = fromMs !== undefined && fromMs > cutoff ? String(fromMs) : `(${cutoff}`;
    const max = filter.to === undefined ? '+inf' : String(filter.to.getTime());
    if (exact !== null) {
      // The keys are disjoint (one source, severity or cluster per event), so their counts add up.
      if (exact.length === 0) return 0;
      const pipeline = this.redis.pipeline();
      for (const key of exact) pipeline.zcount(key, min, max);
      return unwrap(await pipeline.exec()).reduce<number>((sum, n) => sum + Number(n), 0);
    }
    let total = 0;
    const keys = await this.indexFor(filter);
    const entries = keys.length === 1 ? this.scan(keys[0] ?? '', filter, undefined) : mergeNewestFirst(keys.map((key) => this.scan(key, filter, undefined)));
    for await (const batch of entries) {
      const loaded = await this.load(batch.map((entry) => entry.member));
      for (const [i, event] of loaded.entries()) {
        if (event && matchesFilter(event, filter) && Date.parse(event.lastSeen) === batch[i]?.score) total += 1;
      }
    }
    return total;
  }

  /**
   * The index keys holding exactly the events the filter selects (time bounds aside), when there are
   * such: no condition that only a walk can check (category, part of an object's name, resolved, event
   * type, rule, image, tag), and at most one indexed condition. [] when the filter selects nothing.
   */
  private exactIndexFor(filter: SecurityEventFilter): string[] | null {
    const { cluster, namespace, resourceKind: kind, resourceName: name } = filter;
    const fullResource = cluster !== undefined && namespace !== undefined && kind !== undefined && name !== undefined;
    const walkOnly =
      filter.categories !== undefined ||
      filter.resolved !== undefined ||
      filter.eventType !== undefined ||
      filter.rule !== undefined ||
      filter.image !== undefined ||
      filter.tag !== undefined ||
      filter.imageDigest !== undefined ||
      (!fullResource && (namespace !== undefined || kind !== undefined || name !== undefined));
    if (walkOnly) return null;
    const groups: string[][] = [];
    if (filter.hostname !== undefined) groups.push([this.keys.host(filter.hostname)]);
    if (filter.vulnerabilityId !== undefined) groups.push([this.keys.vulnerability(filter.vulnerabilityId)]);
    if (fullResource) groups.push([this.keys.resource({ cluster, namespace, kind, name })]);
    else if (cluster !== undefined) groups.push([this.keys.cluster(cluster)]);
    if (filter.clusters !== undefined) {
      if (cluster !== undefined) {
        if (!filter.clusters.includes(cluster)) return [];
      } else groups.push([...new Set(filter.clusters)].map((c) => this.keys.cluster(c)));
    }
    if (filter.sources !== undefined) groups.push([...new Set(filter.sources)].map((source) => this.keys.source(source)));
    const { minSeverity } = filter;
    if (minSeverity !== undefined) groups.push(SEVERITIES.filter((s) => severityRank(s) >= severityRank(minSeverity)).map((s) => this.keys.severity(s)));
    if (groups.length === 0) return [this.keys.timeIndex()];
    return groups.length === 1 ? (groups[0] ?? null) : null;
  }

  async get(ids: readonly string[]): Promise<(SecurityEvent | null)[]> {
    return this.load(ids);
  }

  async forResources(refs: readonly KubeObjectRef[], limitPerResource: number): Promise<SecurityEvent[][]> {
    validateLimit('limitPerResource', limitPerResource);
    return this.newestPerIndex(
      refs.map((ref) => this.keys.resource(ref)),
      limitPerResource,
    );
  }

  async forHosts(hostnames: readonly string[], limitPerHost: number): Promise<SecurityEvent[][]> {
    validateLimit('limitPerHost', limitPerHost);
    return this.newestPerIndex(
      hostnames.map((h) => this.keys.host(h)),
      limitPerHost,
    );
  }

  async forIdentities(usernames: readonly string[], limitPerIdentity: number): Promise<SecurityEvent[][]> {
    validateLimit('limitPerIdentity', limitPerIdentity);
    return this.newestPerIndex(
      usernames.map((username) => this.keys.identity(username)),
      limitPerIdentity,
    );
  }

  async resolve(dedupKeys: readonly string[], at: string): Promise<SecurityEvent[]> {
    const resolvedMs = parseResolvedAt(at);
    const ids = [...new Set(dedupKeys.map((key) => securityEventId(key)))];
    if (ids.length === 0) return [];
    const reply = await this.evalScript(
      'resolve',
      ids.map((id) => this.keys.event(id)),
      [String(resolvedMs), String(this.cutoff())],
    );
    if (!Array.isArray(reply)) throw new Error('unexpected reply from the resolve script');
    const resolvedAt = new Date(resolvedMs).toISOString();
    return reply.map((row: unknown) => {
      if (!Array.isArray(row) || row.length !== 5) throw new Error('unexpected reply from the resolve script');
      const [index, doc, first, last, count] = row.map(String);
      const id = ids[Number(index) - 1];
      if (id === undefined) throw new Error('unexpected reply from the resolve script');
      return toEvent(id, doc ?? '', first ?? '', last ?? '', count ?? '', resolvedAt);
    });
  }

  async getReportKeys(reportId: string): Promise<string[] | null> {
    const members = await this.redis.smembers(this.keys.reportKeys(reportId));
    if (members.length === 0) return null;
    return members.filter((m) => m !== REPORT_SENTINEL).sort();
  }

  async setReportKeys(reportId: string, keys: readonly string[]): Promise<void> {
    validateReportKeys(keys);
    const key = this.keys.reportKeys(reportId);
    const results = await this.redis
      .multi()
      .del(key)
      .sadd(key, REPORT_SENTINEL, ...keys)
      .pexpire(key, this.retentionMs)
      .exec();
    unwrap(results);
  }

  async deleteReportKeys(reportId: string): Promise<void> {
    await this.redis.del(this.keys.reportKeys(reportId));
  }

  async forVulnerabilities(vulnerabilityIds: readonly string[], options: ForVulnerabilitiesOptions = {}): Promise<SecurityEvent[][]> {
    const lists = await this.allPerIndex(vulnerabilityIds.map((v) => this.keys.vulnerability(v)));
    return lists.map((events) => events.filter((e) => options.includeResolved === true || e.resolvedAt === null));
  }

  async vulnerabilityIds(filter: VulnerabilityIdFilter, page: PageRequest): Promise<VulnerabilityIdPage> {
    const after = validateVulnerabilityPage(page);
    const selected: { vulnerabilityId: string; lastSeenMs: number }[] = [];
    let hasNextPage = false;
    const max = after === undefined ? '+inf' : String(after.lastSeenMs);
    for await (const batch of this.scanIndex(this.keys.vulnerabilityIndex(), max, `(${this.cutoff()}`)) {
      const candidates = batch.filter((entry) => after === undefined || isAfterVulnerabilityCursor(entry.score, entry.member, after));
      if (candidates.length === 0) continue;
      const eventLists = await this.allPerIndex(candidates.map((entry) => this.keys.vulnerability(entry.member)));
      for (const [i, entry] of candidates.entries()) {
        if (!vulnerabilityMatches(eventLists[i] ?? [], filter)) continue;
        if (selected.length === page.first) {
          hasNextPage = true;
          break;
        }
        selected.push({ vulnerabilityId: entry.member, lastSeenMs: entry.score });
      }
      if (hasNextPage) break;
    }
    const last = selected.at(-1);
    return {
      vulnerabilityIds: selected.map((v) => v.vulnerabilityId),
      hasNextPage,
      endCursor: last ? encodeVulnerabilityCursor(last.lastSeenMs, last.vulnerabilityId) : null,
    };
  }

  /** Every live event of each index, newest first: two round trips for any number of indexes. */
  private async allPerIndex(keys: readonly string[]): Promise<SecurityEvent[][]> {
    if (keys.length === 0) return [];
    const minScore = `(${this.cutoff()}`;
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.zrange(key, '+inf', minScore, 'BYSCORE', 'REV');
    return this.loadPerIndex(unwrap(await pipeline.exec()));
  }

  private async loadPerIndex(replies: unknown[]): Promise<SecurityEvent[][]> {
    const idLists = replies.map((ids) => (Array.isArray(ids) ? ids.map(String) : []));
    const events = await this.load(idLists.flat());
    let offset = 0;
    return idLists.map((ids) => {
      const slice = events.slice(offset, offset + ids.length);
      offset += ids.length;
      return slice.filter((e): e is SecurityEvent => e !== null);
    });
  }

  /** Two round trips for any number of indexes: one pipeline of ZRANGEs, one of HMGETs. */
  private async newestPerIndex(keys: readonly string[], limit: number): Promise<SecurityEvent[][]> {
    if (keys.length === 0 || limit === 0) return keys.map(() => []);
    const minScore = `(${this.cutoff()}`;
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.zrange(key, '+inf', minScore, 'BYSCORE', 'REV', 'LIMIT', 0, limit);
    return this.loadPerIndex(unwrap(await pipeline.exec()));
  }

  /**
   * Index entries newest first, in batches, from the cursor (or `to`) down to `from` / the retention
   * cutoff. Entries sharing a score come in descending member order, the same tie order as the cursor.
   */
  private async *scan(key: string, filter: SecurityEventFilter, after: CursorPosition | undefined): AsyncGenerator<IndexEntry[]> {
    const cutoff = this.cutoff();
    const fromMs = filter.from?.getTime();
    const min = fromMs !== undefined && fromMs > cutoff ? String(fromMs) : `(${cutoff}`;
    const maxMs = Math.min(after?.lastSeenMs ?? Number.POSITIVE_INFINITY, filter.to?.getTime() ?? Number.POSITIVE_INFINITY);
    yield* this.scanIndex(key, Number.isFinite(maxMs) ? String(maxMs) : '+inf', min);
  }

  /** A sorted set's entries from `max` down to `min`, in batches; ties in descending member order. */
  private async *scanIndex(key: string, startMax: string, min: string): AsyncGenerator<IndexEntry[]> {
    let max = startMax;
    let offset = 0;
    for (;;) {
      const reply = await this.redis.zrange(key, max, min, 'BYSCORE', 'REV', 'LIMIT', offset, SCAN_BATCH, 'WITHSCORES');
      const entries: IndexEntry[] = [];
      const scores: string[] = [];
      for (let i = 0; i + 1 < reply.length; i += 2) {
        entries.push({ member: String(reply[i]), score: Number(reply[i + 1]) });
        scores.push(String(reply[i + 1]));
      }
      if (entries.length > 0) yield entries;
      if (entries.length < SCAN_BATCH) return;
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
    for (const id of ids) pipeline.hmget(this.keys.event(id), 'doc', 'first', 'last', 'count', 'resolved');
    const rows = unwrap(await pipeline.exec());
    return rows.map((row, i) => {
      if (!Array.isArray(row)) return null;
      const [doc, first, last, count, resolved] = row.map((v) => (v === null ? null : String(v)));
      const id = ids[i];
      if (id === undefined || doc == null || first == null || last == null || count == null) return null;
      // Expired by TTL between the index read and now, or just outside the window.
      if (Number(last) <= this.cutoff()) return null;
      return toEvent(id, doc, first, last, count, resolved == null ? null : new Date(Number(resolved)).toISOString());
    });
  }

  /**
   * The index list() walks, as the sets whose union it is: of those the filter allows, the one with
   * the fewest entries (one ZCARD round trip when there is a choice); the time index if none.
   */
  private async indexFor(filter: SecurityEventFilter): Promise<string[]> {
    const candidates: string[][] = [];
    if (filter.hostname !== undefined) candidates.push([this.keys.host(filter.hostname)]);
    if (filter.vulnerabilityId !== undefined) candidates.push([this.keys.vulnerability(filter.vulnerabilityId)]);
    const { cluster, namespace, resourceKind: kind, resourceName: name } = filter;
    if (cluster !== undefined && namespace !== undefined && kind !== undefined && name !== undefined) {
      candidates.push([this.keys.resource({ cluster, namespace, kind, name })]);
    }
    if (filter.sources !== undefined) {
      const sources = [...new Set(filter.sources)];
      if (sources.length < SECURITY_SOURCES.length) candidates.push(sources.map((s) => this.keys.source(s)));
    }
    const { minSeverity } = filter;
    if (minSeverity !== undefined) {
      const severities = SEVERITIES.filter((s) => severityRank(s) >= severityRank(minSeverity));
      if (severities.length < SEVERITIES.length) candidates.push(severities.map((s) => this.keys.severity(s)));
    }
    if (cluster !== undefined) candidates.push([this.keys.cluster(cluster)]);
    const [only] = candidates;
    if (only === undefined) return [this.keys.timeIndex()];
    // A filter on no source at all matches nothing: no set to walk.
    if (candidates.length === 1 || candidates.some((keys) => keys.length === 0)) {
      return candidates.find((keys) => keys.length === 0) ?? only;
    }
    const pipeline = this.redis.pipeline();
    for (const key of candidates.flat()) pipeline.zcard(key);
    const sizes = unwrap(await pipeline.exec()).map(Number);
    let best = only;
    let bestSize = Number.POSITIVE_INFINITY;
    let offset = 0;
    for (const keys of candidates) {
      const size = sizes.slice(offset, offset + keys.length).reduce((sum, n) => sum + n, 0);
      offset += keys.length;
      if (size < bestSize) {
        best = keys;
        bestSize = size;
      }
    }
    return best;
  }

  private async evalScript(name: keyof typeof SCRIPTS, keys: string[], args: string[]): Promise<unknown> {
    const script = SCRIPTS[name];
    try {
      return await this.redis.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (error) {
      // First use on this server (or after SCRIPT FLUSH): send the script itself once.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.redis.eval(script.source, keys.length, ...keys, ...args);
    }
  }

  private cutoff(): number {
    return this.now().getTime() - this.retentionMs;
  }
}

function toEvent(id: string, doc: string | StoredDoc, first: string, last: string, count: string, resolvedAt: string | null): SecurityEvent {
  const stored = typeof doc === 'string' ? (JSON.parse(doc) as StoredDoc) : doc;
  return {
    ...stored,
    id,
    firstSeen: new Date(Number(first)).toISOString(),
    lastSeen: new Date(Number(last)).toISOString(),
    count: Number(count),
    resolvedAt,
  };
}

/**
 * Merges index walks (each newest first, ties by id descending) into one walk in that order, in
 * batches of SCAN_BATCH; holds at most one batch per walk. An id in several walks with one score comes
 * once (list() skips an entry whose score is not the event's lastSeen, so other duplicates drop there).
 */
async function* mergeNewestFirst(walks: AsyncGenerator<IndexEntry[]>[]): AsyncGenerator<IndexEntry[]> {
  const heads = walks.map((walk) => ({ walk, batch: [] as IndexEntry[], pos: 0, done: false }));
  const fill = async (head: (typeof heads)[number]): Promise<void> => {
    while (!head.done && head.pos >= head.batch.length) {
      const next = await head.walk.next();
      if (next.done) head.done = true;
      else {
        head.batch = next.value;
        head.pos = 0;
      }
    }
  };
  // Ids already merged at the current score.
  let seen = new Set<string>();
  let seenScore = Number.NaN;
  let out: IndexEntry[] = [];
  for (;;) {
    await Promise.all(heads.map(fill));
    let best: { head: (typeof heads)[number]; entry: IndexEntry } | undefined;
    for (const head of heads) {
      const entry = head.batch[head.pos];
      if (head.pos >= head.batch.length || !entry) continue;
      if (!best || entry.score > best.entry.score || (entry.score === best.entry.score && entry.member > best.entry.member)) {
        best = { head, entry };
      }
    }
    if (!best) break;
    best.head.pos += 1;
    if (best.entry.score !== seenScore) {
      seen = new Set();
      seenScore = best.entry.score;
    }
    if (seen.has(best.entry.member)) continue;
    seen.add(best.entry.member);
    out.push(best.entry);
    if (out.length === SCAN_BATCH) {
      yield out;
      out = [];
    }
  }
  if (out.length > 0) yield out;
}

function unwrap(results: [error: Error | null, value: unknown][] | null): unknown[] {
  return (results ?? []).map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}
