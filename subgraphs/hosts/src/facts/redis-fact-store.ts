import { execReplies, type Redis } from '@vigil/lib/redis';
import { factKeys, type FactKeys } from './fact-keys.js';
import {
  assignKeys,
  canonicalItems,
  canonicalJson,
  compareNewestFirst,
  decodeHistoryMember,
  diffItems,
  digestItems,
  encodeHistoryMember,
  sortedItems,
  timeMs,
  undoChanges,
  type CanonicalItem,
  type TypedChange,
} from './fact-diff.js';
import {
  attemptOf,
  freshnessOf,
  isAfterPosition,
  isStale,
  nextProbeState,
  outcomesOf,
  packageIndexUpdates,
  parseHolders,
  resolveRetention,
  validateLimit,
  type ChangesOptions,
  type ChangesSelection,
  type CollectorAttempt,
  type CollectorFreshness,
  type FactStore,
  type FactStoreOptions,
  type PackageHolder,
  type ProbeState,
  type Retention,
  type SaveResult,
} from './fact-store.js';
import { COLLECTOR_NAMES, FACT_TYPES, type CollectorName, type FactChange, type FactItems, type FactType, type MetricsSnapshot, type ProbeReport } from './types.js';

interface PresentType {
  type: FactType;
  items: CanonicalItem[];
  digest: string;
}

/**
 * Facts in Redis. Keys, under `<prefix>{<prefix>facts}:` (`vigil:hosts:{vigil:hosts:facts}:` in
 * production; one hash tag, so a save's MULTI and the MGET of states are valid on Redis Cluster),
 * built in fact-keys.ts (which also tells the layout migration their families):
 *
 * - `state:<host>`              string, JSON ProbeState
 * - `freshness:<host>`          hash: `<collector>` → JSON last attempt {status, message, at};
 *                               `<collector>:ok` → time of its last success
 * - `facts:<host>:<type>`       hash: item key → canonical JSON of the item (absent when empty)
 * - `meta:<host>`               hash: `first:<type>` → time first collected (tells [] from never);
 *                               `digest:<type>` → SHA-256 of the current item set
 * - `history:<host>:<type>`     sorted set by time (ms): `<8 digits>:<JSON FactChange>`
 * - `metrics:<host>`            sorted set by time (ms): JSON MetricsSnapshot
 * - `pkg:<name>`                hash: JSON [host, item key] → JSON {hostId, version, arch, packageManager}
 *
 * A save is two round trips when nothing changed (read state + digests; one MULTI) and three when
 * something did (plus reading the changed types' items), whatever the number of items: every write
 * of a report — 700 package fields, 700 history entries, 700 index entries — is one MULTI.
 *
 * Retention: history and metrics are trimmed by time (ZREMRANGEBYSCORE against `now`) on every save
 * of the host, and the sorted sets expire a retention period after their last write, so a host that
 * is no longer probed ages out too. Current state, freshness and the package index are bounded by
 * what the hosts have.
 *
 * Concurrency: saves for different hosts touch disjoint keys, except `pkg:<name>` where each host
 * writes only its own fields, so they may run concurrently. The diff is read-then-write, so saves for
 * ONE host must not overlap: the scheduler runs at most one probe per host at a time and saves its
 * report before the next (see FactStore).
 */
export class RedisFactStore implements FactStore {
  private readonly retention: Retention;
  private readonly keys: FactKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    options: FactStoreOptions = {},
  ) {
    this.retention = resolveRetention(options);
    // One hash tag for the whole store: a save's MULTI spans the host's keys and the package index.
    this.keys = factKeys(prefix);
  }

  async saveReport(report: ProbeReport): Promise<SaveResult> {
    const { hostId } = report;
    const at = report.finishedAt;
    const atMs = timeMs(at, 'report.finishedAt');
    const metricsMs = report.metrics ? timeMs(report.metrics.at, 'metrics.at') : null;

    const present: PresentType[] = [];
    for (const type of FACT_TYPES) {
      const items = report.facts[type];
      if (items === undefined) continue;
      const canonical = canonicalItems(type, items);
      present.push({ type, items: canonical, digest: digestItems(canonical) });
    }

    // Round trip 1: the probe state and the digest of every reported type's stored items.
    const read = this.redis.pipeline().get(this.keys.state(hostId));
    if (present.length > 0) read.hmget(this.keys.meta(hostId), ...present.map((p) => `digest:${p.type}`));
    const [stateJson, digests] = execReplies(await read.exec(), 'fact store');
    const storedDigests = Array.isArray(digests) ? digests : [];
    const previous = typeof stateJson === 'string' ? (JSON.parse(stateJson) as ProbeState) : null;
    if (previous && isStale(previous, atMs)) return { changes: [], previous, state: previous };
    const changed = present.filter((p, i) => storedDigests[i] !== p.digest);

    // Round trip 2, only when something changed: the stored items of the changed types.
    const stored = new Map<FactType, Map<string, string>>();
    if (changed.length > 0) {
      const pipeline = this.redis.pipeline();
      for (const p of changed) pipeline.hgetall(this.keys.facts(hostId, p.type));
      execReplies(await pipeline.exec(), 'fact store').forEach((fields, i) => {
        const type = changed[i]?.type;
        if (type !== undefined) stored.set(type, new Map(Object.entries(isStringRecord(fields) ? fields : {})));
      });
    }

    const state = nextProbeState(previous, report);
    const diffs = new Map<FactType, { keyed: Map<string, string>; changes: FactChange[] }>();
    let packageChanges: TypedChange<'packages'>[] = [];
    for (const p of changed) {
      const before = stored.get(p.type) ?? new Map<string, string>();
      const keyed = assignKeys(p.items, before);
      if (p.type === 'packages') {
        packageChanges = diffItems('packages', before, keyed, at);
        diffs.set(p.type, { keyed, changes: packageChanges });
      } else {
        diffs.set(p.type, { keyed, changes: diffItems(p.type, before, keyed, at) });
      }
    }

    // Last round trip: every write of the report, atomically.
    const multi = this.redis.multi().set(this.keys.state(hostId), JSON.stringify(state));
    const freshness = new Map<string, string>();
    for (const [name, outcome] of outcomesOf(report)) {
      freshness.set(name, JSON.stringify(attemptOf(outcome, at)));
      if (outcome.status === 'OK') freshness.set(`${name}:ok`, at);
    }
    if (freshness.size > 0) multi.hset(this.keys.freshness(hostId), freshness);

    for (const p of changed) {
      const { keyed, changes: diff } = diffs.get(p.type) ?? { keyed: new Map<string, string>(), changes: [] };
      const factsKey = this.keys.facts(hostId, p.type);
      const sets = new Map<string, string>();
      const removed: string[] = [];
      for (const change of diff) {
        const json = keyed.get(change.key);
        if (json === undefined) removed.push(change.key);
        else sets.set(change.key, json);
      }
      if (sets.size > 0) multi.hset(factsKey, sets);
      if (removed.length > 0) multi.hdel(factsKey, ...removed);
      if (diff.length > 0) {
        const historyKey = this.keys.history(hostId, p.type);
        multi.zadd(historyKey, ...diff.flatMap((change, index) => [atMs, encodeHistoryMember(index, change)]));
        multi.pexpire(historyKey, this.retention.historyMs);
      }
      multi.hset(this.keys.meta(hostId), `digest:${p.type}`, p.digest).hsetnx(this.keys.meta(hostId), `first:${p.type}`, at);
    }
    for (const update of packageIndexUpdates(hostId, state.packageManager, packageChanges)) {
      if (update.value === null) multi.hdel(this.keys.pkg(update.name), update.field);
      else multi.hset(this.keys.pkg(update.name), update.field, update.value);
    }

    const now = this.retention.now().getTime();
    for (const type of FACT_TYPES) multi.zremrangebyscore(this.keys.history(hostId, type), '-inf', `(${now - this.retention.historyMs}`);
    const metricsKey = this.keys.metrics(hostId);
    if (report.metrics && metricsMs !== null) {
      multi.zadd(metricsKey, metricsMs, canonicalJson(report.metrics)).pexpire(metricsKey, this.retention.metricsMs);
    }
    multi.zremrangebyscore(metricsKey, '-inf', `(${now - this.retention.metricsMs}`);
    execReplies(await multi.exec(), 'fact store');

    return { changes: [...diffs.values()].flatMap((d) => d.changes), previous, state };
  }

  async getProbeStates(hostIds: readonly string[]): Promise<(ProbeState | null)[]> {
    if (hostIds.length === 0) return [];
    const values = await this.redis.mget(hostIds.map((id) => this.keys.state(id)));
    return values.map((value) => (value === null ? null : (JSON.parse(value) as ProbeState)));
  }

  async getFreshness(hostIds: readonly string[]): Promise<(Partial<Record<CollectorName, CollectorFreshness>> | null)[]> {
    if (hostIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of hostIds) pipeline.hgetall(this.keys.freshness(id));
    return execReplies(await pipeline.exec(), 'fact store').map((fields) => {
      const record = isStringRecord(fields) ? fields : {};
      const attempts = new Map<CollectorName, CollectorAttempt>();
      const successes = new Map<CollectorName, string>();
      for (const name of COLLECTOR_NAMES) {
        const attempt = record[name];
        const success = record[`${name}:ok`];
        if (attempt !== undefined) attempts.set(name, JSON.parse(attempt) as CollectorAttempt);
        if (success !== undefined) successes.set(name, success);
      }
      return freshnessOf(attempts, successes);
    });
  }

  async getFacts<T extends FactType>(type: T, hostIds: readonly string[]): Promise<(FactItems[T][] | null)[]> {
    if (hostIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of hostIds) pipeline.hgetall(this.keys.facts(id, type)).hexists(this.keys.meta(id), `first:${type}`);
    const replies = execReplies(await pipeline.exec(), 'fact store');
    return hostIds.map((_, i) => {
      const fields = replies[2 * i];
      const collected = replies[2 * i + 1] === 1;
      return collected ? sortedItems<T>(Object.entries(isStringRecord(fields) ? fields : {})) : null;
    });
  }

  async getChanges(hostId: string, options: ChangesOptions): Promise<FactChange[]> {
    validateLimit(options.limit);
    if (options.limit === 0) return [];
    const { after } = options;
    const ranges = await this.changeRanges(hostId, options);
    // Each type's newest `limit` entries below the cursor's time, and every entry at that time (one
    // report's changes of the type at most), in the order the merge wants; then the merge.
    const pipeline = this.redis.pipeline();
    const max = after === undefined ? '+inf' : `(${after.ms}`;
    for (const range of ranges) {
      pipeline.zrange(range.key, max, range.min, 'BYSCORE', 'REV', 'LIMIT', 0, options.limit);
      if (after !== undefined && range.includes(after.ms)) pipeline.zrange(range.key, after.ms, after.ms, 'BYSCORE');
    }
    return execReplies(await pipeline.exec(), 'fact store')
      .flatMap((members) => (Array.isArray(members) ? members.map((m) => decodeHistoryMember(String(m))) : []))
      .filter((entry) => after === undefined || isAfterPosition(entry.change, after))
      .sort(compareNewestFirst)
      .slice(0, options.limit)
      .map((entry) => entry.change);
  }

  async countChanges(hostId: string, options: ChangesSelection): Promise<number> {
    const ranges = await this.changeRanges(hostId, options);
    if (ranges.length === 0) return 0;
    const pipeline = this.redis.pipeline();
    for (const range of ranges) pipeline.zcount(range.key, range.min, '+inf');
    return execReplies(await pipeline.exec(), 'fact store').reduce<number>((sum, n) => sum + Number(n), 0);
  }

  /** Per type asked for: its history key and the lowest score selected (ZRANGE syntax), `since` and baseline applied. */
  private async changeRanges(hostId: string, options: ChangesSelection): Promise<{ key: string; min: string; includes: (ms: number) => boolean }[]> {
    const sinceMs = options.since === undefined ? Number.NEGATIVE_INFINITY : timeMs(options.since, 'since');
    const types = [...new Set(options.types ?? FACT_TYPES)];
    if (types.length === 0) return [];
    // A type's baseline is the report that first collected it: every entry scored at that time, and
    // nothing older exists, so leaving it out is starting the range just above it.
    const firsts = options.excludeBaseline ? await this.redis.hmget(this.keys.meta(hostId), ...types.map((type) => `first:${type}`)) : [];
    return types.map((type, i) => {
      const first = firsts[i];
      const firstMs = typeof first === 'string' ? timeMs(first, 'first collection') : null;
      const above = firstMs !== null && firstMs >= sinceMs;
      const min = above ? `(${firstMs}` : Number.isFinite(sinceMs) ? String(sinceMs) : '-inf';
      return { key: this.keys.history(hostId, type), min, includes: (ms: number) => (above ? ms > firstMs : ms >= sinceMs) };
    });
  }

  async getBaselines(hostIds: readonly string[]): Promise<(Partial<Record<FactType, string>> | null)[]> {
    if (hostIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of hostIds) pipeline.hmget(this.keys.meta(id), ...FACT_TYPES.map((type) => `first:${type}`));
    return execReplies(await pipeline.exec(), 'fact store').map((values) => {
      const firsts: Partial<Record<FactType, string>> = {};
      FACT_TYPES.forEach((type, i) => {
        const value: unknown = Array.isArray(values) ? values[i] : null;
        if (typeof value === 'string') firsts[type] = value;
      });
      return Object.keys(firsts).length > 0 ? firsts : null;
    });
  }

  async getFactsAsOf<T extends FactType>(type: T, hostId: string, time: string): Promise<FactItems[T][] | null> {
    const atMs = timeMs(time, 'time');
    // MULTI, not a pipeline: the current items and the changes to undo must be one snapshot.
    const [first, fields, later] = execReplies(
      await this.redis
        .multi()
        .hget(this.keys.meta(hostId), `first:${type}`)
        .hgetall(this.keys.facts(hostId, type))
        .zrange(this.keys.history(hostId, type), '+inf', `(${atMs}`, 'BYSCORE', 'REV')
        .exec(),
      'fact store',
    );
    if (typeof first !== 'string' || timeMs(first, 'first collection') > atMs) return null;
    const changes = (Array.isArray(later) ? later.map((m) => decodeHistoryMember(String(m))) : []).sort(compareNewestFirst);
    return sortedItems<T>(
      undoChanges(
        new Map(Object.entries(isStringRecord(fields) ? fields : {})),
        changes.map((entry) => entry.change),
      ),
    );
  }

  async getMetrics(hostId: string, from: string, to: string): Promise<MetricsSnapshot[]> {
    const members = await this.redis.zrange(this.keys.metrics(hostId), timeMs(from, 'from'), timeMs(to, 'to'), 'BYSCORE');
    return members.map((member) => JSON.parse(member) as MetricsSnapshot);
  }

  async hostsWithPackage(name: string): Promise<PackageHolder[]> {
    return parseHolders(await this.redis.hvals(this.keys.pkg(name)));
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}


function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
