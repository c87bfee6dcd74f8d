import type { Redis } from '@vigil/lib/redis';

/**
 * Where a live tail stopped: the newest VictoriaLogs `_time` it finished (ns) and the records
 * (`auditID/stage`) at exactly that instant it finished, so a tail resumed from it re-reads that
 * instant and knows which of its rows are repeats. Older rows read again after a resume (the tail
 * reaches back a little further, since VictoriaLogs may show a row a moment after younger ones of
 * another stream) are recognised by the delivery ledger.
 */
export interface TailCheckpoint {
  timeNs: bigint;
  keys: string[];
}

/** Per tail (one VictoriaLogs tenant). Two implementations: Memory (embedded; lost with the process) and Redis (survives restarts, shared by replicas). */
export interface TailCheckpointStore {
  load(): Promise<TailCheckpoint | null>;
  save(checkpoint: TailCheckpoint): Promise<void>;
}

/** Keys at one instant kept in a checkpoint: a burst larger than this at one nanosecond is left to the ledger. */
const MAX_KEYS = 10_000;

export function encodeCheckpoint(checkpoint: TailCheckpoint): string {
  return JSON.stringify({ t: checkpoint.timeNs.toString(), k: checkpoint.keys.slice(-MAX_KEYS) });
}

/** The stored checkpoint, or null for anything unreadable (then the tail starts afresh, and says so). */
export function decodeCheckpoint(text: string | null): TailCheckpoint | null {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return null;
    const t: unknown = Reflect.get(value, 't');
    const k: unknown = Reflect.get(value, 'k');
    if (typeof t !== 'string' || !/^\d{1,20}$/.test(t) || !Array.isArray(k) || !k.every((key) => typeof key === 'string')) return null;
    return { timeNs: BigInt(t), keys: k as string[] };
  } catch {
    return null;
  }
}

export class MemoryTailCheckpointStore implements TailCheckpointStore {
  #value: string | null = null;

  load(): Promise<TailCheckpoint | null> {
    return Promise.resolve(decodeCheckpoint(this.#value));
  }

  save(checkpoint: TailCheckpoint): Promise<void> {
    this.#value = encodeCheckpoint(checkpoint);
    return Promise.resolve();
  }
}

/** One string key per tail, `<prefix>audit:tail:checkpoint:<accountId>:<projectId>`, no expiry (one per configured tenant). */
export class RedisTailCheckpointStore implements TailCheckpointStore {
  readonly #redis: Redis;
  readonly #key: string;

  constructor(redis: Redis, options: { prefix: string; tenant: { accountId: number; projectId: number } }) {
    this.#redis = redis;
    this.#key = `${options.prefix}audit:tail:checkpoint:${String(options.tenant.accountId)}:${String(options.tenant.projectId)}`;
  }

  async load(): Promise<TailCheckpoint | null> {
    return decodeCheckpoint(await this.#redis.get(this.#key));
  }

  async save(checkpoint: TailCheckpoint): Promise<void> {
    await this.#redis.set(this.#key, encodeCheckpoint(checkpoint));
  }
}
