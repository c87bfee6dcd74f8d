import { execReplies, type Redis } from '@vigil/lib/redis';
import { oneSlotPrefix } from '@vigil/lib/redis-slot';
import { FRAMEWORKS, type FrameworkId } from '../frameworks.js';
import type { StoredResult } from '../results.js';
import type { HistoryRetention, ResultChange, ResultStore, ScorePoint } from './result-store.js';

/**
 * Results in Redis. Every key carries one hash tag, so the MULTI that writes an evaluation's changes
 * to the current state and to the log together is valid on Redis Cluster (one slot):
 *
 * - `<prefix>{<prefix>results}:current`         hash: result key → JSON StoredResult
 * - `<prefix>{<prefix>results}:log`             sorted set by time of the change (ms): the sequence,
 *                                               the result key and the result before the change
 *                                               (see encodeEntry)
 * - `<prefix>{<prefix>results}:seq`             counter ordering changes written in the same ms
 * - `<prefix>{<prefix>results}:scores:<fw>`     sorted set by time (ms): JSON ScorePoint
 *
 * `asOf` design: a per-evaluation log of changes, each holding the result before it, read backwards
 * from the current state. `resultsAt(t)` reads the log entries after t (ZRANGE BYSCORE from +inf
 * down to t, newest first) and undoes each later change (the key set back to `before`) on the
 * engine's in-memory copy of the current state (or, without one, the current hash read in the same
 * MULTI). The cost is the changes since t, not the whole history: write-on-change keeps the log to
 * what actually moved (a status or the identity of the evidence), and "how were we on the day of the
 * audit" is usually recent. The alternative — one sorted set per control × subject — costs a command
 * per key (tens of thousands for a fleet) on every asOf read, so it was not taken.
 *
 * Retention: log entries and score points older than `historyMs` (by the store's clock) are trimmed
 * on every write; an asOf before that is answered with the oldest changes kept (as the hosts fact
 * store does). The current hash is bounded by the catalogue × subjects.
 *
 * Concurrency: one engine writes (runs never overlap, see ComplianceEngine); `before` values are read
 * just ahead of the MULTI that writes the changes.
 */
export class RedisResultStore implements ResultStore {
  private readonly base: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly retention: HistoryRetention,
    private readonly ownsConnection = true,
  ) {
    this.base = oneSlotPrefix(prefix, 'results');
  }

  async current(): Promise<Map<string, StoredResult>> {
    return parseCurrent(await this.redis.hgetall(this.currentKey));
  }

  async applyChanges(changes: readonly ResultChange[], at: string): Promise<void> {
    if (changes.length === 0) return;
    const atMs = timeMs(at, 'at');
    const keys = changes.map((c) => c.key);
    const [before, seq] = execReplies(await this.redis.multi().hmget(this.currentKey, ...keys).incrby(this.seqKey, changes.length).exec(), 'compliance store') as [(string | null)[], number];
    const first = Number(seq) - changes.length + 1;
    const multi = this.redis.multi();
    const sets = new Map<string, string>();
    const deletes: string[] = [];
    const entries: (string | number)[] = [];
    changes.forEach((change, i) => {
      if (change.result === null) deletes.push(change.key);
      else sets.set(change.key, JSON.stringify(change.result));
      entries.push(atMs, encodeEntry(first + i, change.key, before[i] ?? null));
    });
    if (sets.size > 0) multi.hset(this.currentKey, sets);
    if (deletes.length > 0) multi.hdel(this.currentKey, ...deletes);
    multi.zadd(this.logKey, ...entries);
    multi.zremrangebyscore(this.logKey, '-inf', `(${this.oldestKeptMs()}`);
    execReplies(await multi.exec(), 'compliance store');
  }

  async resultsAt(time: string, current?: ReadonlyMap<string, StoredResult>): Promise<Map<string, StoredResult>> {
    const tMs = timeMs(time, 'time');
    const later = (max: string) => this.redis.zrange(this.logKey, '+inf', max, 'BYSCORE', 'REV');
    let state: Map<string, StoredResult | string>;
    let members: string[];
    if (current) {
      // The writer's copy of the current state: only the changes after `time` are read. A change
      // written after the copy was taken is undone to its `before`, which is what the copy holds.
      state = new Map(current);
      members = await later(`(${tMs}`);
    } else {
      // Without one, the current hash and the later changes are read as one snapshot.
      const [hash, entries] = execReplies(await this.redis.multi().hgetall(this.currentKey).zrange(this.logKey, '+inf', `(${tMs}`, 'BYSCORE', 'REV').exec(), 'compliance store') as [Record<string, string>, string[]];
      state = new Map(Object.entries(hash));
      members = entries;
    }
    const entries = members.map(decodeEntry);
    // Same-millisecond entries come back in member order, not write order: the sequence decides.
    entries.sort((a, b) => b.seq - a.seq);
    for (const { key, before } of entries) {
      if (before === null) state.delete(key);
      else state.set(key, before);
    }
    const out = new Map<string, StoredResult>();
    for (const [key, value] of state) out.set(key, typeof value === 'string' ? (JSON.parse(value) as StoredResult) : value);
    return out;
  }

  async appendScores(points: readonly ScorePoint[]): Promise<void> {
    if (points.length === 0) return;
    const multi = this.redis.multi();
    const oldest = `(${this.oldestKeptMs()}`;
    for (const framework of new Set(points.map((p) => p.framework))) {
      const key = this.scoresKey(framework);
      multi.zadd(key, ...points.filter((p) => p.framework === framework).flatMap((p) => [timeMs(p.at, 'at'), JSON.stringify(p)]));
      multi.zremrangebyscore(key, '-inf', oldest);
    }
    execReplies(await multi.exec(), 'compliance store');
  }

  async scores(framework: FrameworkId, from: string, to: string): Promise<ScorePoint[]> {
    const members = await this.redis.zrange(this.scoresKey(framework), timeMs(from, 'from'), timeMs(to, 'to'), 'BYSCORE');
    return members.map((m) => JSON.parse(m) as ScorePoint).sort((a, b) => a.at.localeCompare(b.at));
  }

  async latestScores(): Promise<Map<FrameworkId, ScorePoint>> {
    const pipeline = this.redis.pipeline();
    for (const framework of FRAMEWORKS) pipeline.zrange(this.scoresKey(framework), -1, -1);
    const replies = execReplies(await pipeline.exec(), 'compliance store') as string[][];
    const latest = new Map<FrameworkId, ScorePoint>();
    FRAMEWORKS.forEach((framework, i) => {
      const member = replies[i]?.[0];
      if (member !== undefined) latest.set(framework, JSON.parse(member) as ScorePoint);
    });
    return latest;
  }

  async close(): Promise<void> {
    if (this.ownsConnection) await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private oldestKeptMs(): number {
    return this.retention.now().getTime() - this.retention.historyMs;
  }

  private get currentKey(): string {
    return `${this.base}current`;
  }
  private get logKey(): string {
    return `${this.base}log`;
  }
  private get seqKey(): string {
    return `${this.base}seq`;
  }
  private scoresKey(framework: FrameworkId): string {
    return `${this.base}scores:${framework}`;
  }
}

/**
 * A log entry: `<seq> <JSON result key>` on the first line, the result's JSON before the change on
 * the rest (empty: it did not exist). Only `before` is kept: the result after a change is the next
 * entry's `before` for that key, or the current one, so nothing is lost, and an asOf read moves half
 * the bytes and parses each result once.
 */
interface LogEntry {
  seq: number;
  key: string;
  before: string | null;
}

function encodeEntry(seq: number, key: string, before: string | null): string {
  return `${seq} ${JSON.stringify(key)}\n${before ?? ''}`;
}

function decodeEntry(member: string): LogEntry {
  const space = member.indexOf(' ');
  const newline = member.indexOf('\n');
  const before = member.slice(newline + 1);
  return { seq: Number(member.slice(0, space)), key: JSON.parse(member.slice(space + 1, newline)) as string, before: before === '' ? null : before };
}

function parseCurrent(hash: Record<string, string>): Map<string, StoredResult> {
  const out = new Map<string, StoredResult>();
  for (const [key, json] of Object.entries(hash)) out.set(key, JSON.parse(json) as StoredResult);
  return out;
}

function timeMs(value: string, name: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new RangeError(`${name} must be an ISO-8601 time, got ${JSON.stringify(value)}`);
  return ms;
}

