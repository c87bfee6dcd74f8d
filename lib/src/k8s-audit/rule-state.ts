import type { Clock } from '../clock.js';
import type { RequestCounts } from './rules.js';

/**
 * The memory of the audit rules that look past one request (rule-evaluator.ts): request and failure
 * counts per cluster in time buckets, "this rule fired for this cluster" holds, and when each cluster
 * was last heard from (with its silence mark). Two implementations: MemoryAuditRuleState (embedded) and
 * RedisAuditRuleState (shared by replicas, survives restarts); test/k8s-audit-rule-state.contract.ts
 * runs one suite against both. Every time is passed in (ms), so a feed may count by arrival time (the
 * webhook) or by event time (a tail); expiry is measured against the injected clock.
 */
export interface AuditRuleState {
  /**
   * Adds `counts` to bucket `bucket` (a bucket number: time / bucketMs) of the cluster and returns the
   * sums over the `buckets` buckets ending with it. Atomic.
   */
  addRequestCounts(cluster: string, bucket: number, counts: RequestCounts, window: RateWindow): Promise<RequestCounts>;
  /** Takes the hold on `rule` firing for `cluster` for `holdMs`; false if it is held already. */
  claimFiring(cluster: string, rule: string, holdMs: number): Promise<boolean>;
  /** Gives a hold back (raising the alert failed: the next evaluation may fire). */
  releaseFiring(cluster: string, rule: string): Promise<void>;
  /**
   * The cluster was heard from at `atMs` (its last-seen moves forward only). If it was marked silent,
   * the mark is removed and returned (the last-seen time the silence was raised for): the caller
   * raises the resolution. Atomic.
   */
  heardFrom(cluster: string, atMs: number): Promise<{ silentSinceMs: number } | null>;
  /** Marks every cluster last heard from at or before `cutoffMs` and not marked yet; returns them. Atomic. */
  markSilent(cutoffMs: number): Promise<{ cluster: string; lastSeenMs: number }[]>;
  /** Sets (a number: the last-seen time) or removes (null) a cluster's silence mark: undoes markSilent or heardFrom when their alert could not be raised. */
  setSilenceMark(cluster: string, lastSeenMs: number | null): Promise<void>;
}

export interface RateWindow {
  bucketMs: number;
  /** Buckets summed, the current one included. */
  buckets: number;
}

/** How long the last-seen and silence records live without a write: forgets a cluster that was removed. */
export const SILENCE_RETENTION_MS = 30 * 86_400_000;

/**
 * The embedded default: Maps in this process, not shared, lost on restart (so a silence that began
 * before a restart is not detected until the cluster has been heard from again). Bounded: rate buckets
 * are pruned to the window, holds expire by the clock, and the per-cluster maps hold the clusters of
 * this process' configuration (names never come from a sender).
 */
export class MemoryAuditRuleState implements AuditRuleState {
  readonly #rates = new Map<string, Map<number, RequestCounts>>();
  readonly #holds = new Map<string, number>();
  readonly #lastSeen = new Map<string, number>();
  readonly #silent = new Map<string, number>();
  readonly #clock: Clock;

  constructor(options: { clock: Clock }) {
    this.#clock = options.clock;
  }

  addRequestCounts(cluster: string, bucket: number, counts: RequestCounts, window: RateWindow): Promise<RequestCounts> {
    let buckets = this.#rates.get(cluster);
    if (!buckets) this.#rates.set(cluster, (buckets = new Map()));
    const current = buckets.get(bucket) ?? { requests: 0, failures: 0 };
    buckets.set(bucket, { requests: current.requests + counts.requests, failures: current.failures + counts.failures });
    const sum = { requests: 0, failures: 0 };
    // Older buckets can only be read by a feed that goes back in time: drop them, as Redis' TTL would.
    const newest = Math.max(...buckets.keys());
    for (const [n, c] of buckets) {
      if (n <= newest - window.buckets) buckets.delete(n);
      else if (n <= bucket && n > bucket - window.buckets) {
        sum.requests += c.requests;
        sum.failures += c.failures;
      }
    }
    return Promise.resolve(sum);
  }

  claimFiring(cluster: string, rule: string, holdMs: number): Promise<boolean> {
    const now = this.#clock().getTime();
    for (const [key, until] of this.#holds) if (until <= now) this.#holds.delete(key);
    const key = `${rule}\u0000${cluster}`;
    if (this.#holds.has(key)) return Promise.resolve(false);
    this.#holds.set(key, now + holdMs);
    return Promise.resolve(true);
  }

  releaseFiring(cluster: string, rule: string): Promise<void> {
    this.#holds.delete(`${rule}\u0000${cluster}`);
    return Promise.resolve();
  }

  heardFrom(cluster: string, atMs: number): Promise<{ silentSinceMs: number } | null> {
    this.#lastSeen.set(cluster, Math.max(atMs, this.#lastSeen.get(cluster) ?? atMs));
    const mark = this.#silent.get(cluster);
    if (mark === undefined) return Promise.resolve(null);
    this.#silent.delete(cluster);
    return Promise.resolve({ silentSinceMs: mark });
  }

  markSilent(cutoffMs: number): Promise<{ cluster: string; lastSeenMs: number }[]> {
    const now = this.#clock().getTime();
    const marked: { cluster: string; lastSeenMs: number }[] = [];
    for (const [cluster, lastSeenMs] of this.#lastSeen) {
      if (lastSeenMs <= now - SILENCE_RETENTION_MS) {
        this.#lastSeen.delete(cluster);
        this.#silent.delete(cluster);
      } else if (lastSeenMs <= cutoffMs && !this.#silent.has(cluster)) {
        this.#silent.set(cluster, lastSeenMs);
        marked.push({ cluster, lastSeenMs });
      }
    }
    return Promise.resolve(marked);
  }

  setSilenceMark(cluster: string, lastSeenMs: number | null): Promise<void> {
    if (lastSeenMs === null) this.#silent.delete(cluster);
    else this.#silent.set(cluster, lastSeenMs);
    return Promise.resolve();
  }
}
