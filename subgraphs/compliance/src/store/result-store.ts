import type { FrameworkId } from '../frameworks.js';
import type { StoredResult } from '../results.js';

/** A result that changed at one evaluation: the new result, or null when its subject is gone. */
export interface ResultChange {
  key: string;
  result: StoredResult | null;
}

/** A framework's score at one time (written when it changes). */
export interface ScorePoint {
  framework: FrameworkId;
  at: string;
  /** passed / (passed + failed), 0..1; null when nothing passed or failed. */
  score: number | null;
  passed: number;
  failed: number;
}

/**
 * Where compliance results live, write-on-change: the current result per control and subject, and a
 * history of every change (the time, the new result), from which `resultsAt(time)` rebuilds the
 * state at any past time; and each framework's score, appended when it changes.
 */
export interface ResultStore {
  current(): Promise<Map<string, StoredResult>>;
  /** Records the changes of one evaluation at `at` (ISO-8601), atomically for readers. */
  applyChanges(changes: readonly ResultChange[], at: string): Promise<void>;
  /**
   * The results as they were at `time`: the last change of each key at or before it. `current`: the
   * caller's copy of what current() answers (the engine's: it is the one writer), so the store reads
   * only the changes made after `time`.
   */
  resultsAt(time: string, current?: ReadonlyMap<string, StoredResult>): Promise<Map<string, StoredResult>>;
  appendScores(points: readonly ScorePoint[]): Promise<void>;
  /** Score points of a framework, oldest first, within [from, to]. */
  scores(framework: FrameworkId, from: string, to: string): Promise<ScorePoint[]>;
  /** Each framework's newest score point (a restarted engine compares its first scores against them). */
  latestScores(): Promise<Map<FrameworkId, ScorePoint>>;
  close(): Promise<void>;
}

/** How long the history and score points are kept (by the store's clock), trimmed on write. */
export interface HistoryRetention {
  historyMs: number;
  now: () => Date;
}

/** In the process: for the embedded stack without Redis, lost on restart. */
export class MemoryResultStore implements ResultStore {
  private readonly state = new Map<string, StoredResult>();
  /** Every change, in time order. */
  private readonly log: { at: string; key: string; result: StoredResult | null }[] = [];
  private readonly points: ScorePoint[] = [];

  async current(): Promise<Map<string, StoredResult>> {
    return new Map(this.state);
  }

  async applyChanges(changes: readonly ResultChange[], at: string): Promise<void> {
    for (const change of changes) {
      if (change.result === null) this.state.delete(change.key);
      else this.state.set(change.key, change.result);
      this.log.push({ at, key: change.key, result: change.result });
    }
  }

  async resultsAt(time: string): Promise<Map<string, StoredResult>> {
    const out = new Map<string, StoredResult>();
    for (const entry of this.log) {
      if (entry.at > time) break;
      if (entry.result === null) out.delete(entry.key);
      else out.set(entry.key, entry.result);
    }
    return out;
  }

  async appendScores(points: readonly ScorePoint[]): Promise<void> {
    this.points.push(...points);
  }

  async scores(framework: FrameworkId, from: string, to: string): Promise<ScorePoint[]> {
    return this.points.filter((p) => p.framework === framework && p.at >= from && p.at <= to);
  }

  async latestScores(): Promise<Map<FrameworkId, ScorePoint>> {
    const latest = new Map<FrameworkId, ScorePoint>();
    for (const p of this.points) latest.set(p.framework, p);
    return latest;
  }

  async close(): Promise<void> {}
}
