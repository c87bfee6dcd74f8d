import { controlKey } from './catalogue.js';
import { hostOf, type StoredResult } from './results.js';

/**
 * Stored results indexed the ways queries read them, built when results are written (each
 * evaluation, or an asOf read from the history), never per query: by control, and per host the
 * controls failing for it, so `Host.failedControls` looks up a host instead of scanning every result.
 */
export class ResultIndex {
  private readonly byControl = new Map<string, IndexedResult[]>();
  private readonly failingByHost = new Map<string, Set<string>>();
  private readonly indexed = new Map<StoredResult, IndexedResult>();
  readonly size: number;

  /**
   * `reuse`: an index whose entries may be shared, e.g. the current one when an asOf read rebuilds
   * the past from it (only the results changed since are new objects).
   */
  constructor(results: Iterable<StoredResult>, reuse?: ResultIndex) {
    let size = 0;
    for (const stored of results) {
      size++;
      // As a caller sees it when no waiver covers it: most requests then read these objects as they are.
      const r: IndexedResult = reuse?.indexed.get(stored) ?? { ...stored, viewStatus: stored.status, waiverId: null };
      this.indexed.set(stored, r);
      const key = controlKey(r.framework, r.controlId);
      const list = this.byControl.get(key);
      if (list) list.push(r);
      else this.byControl.set(key, [r]);
      const host = hostOf(r.subject);
      if (host !== null && r.status === 'FAIL') {
        const failing = this.failingByHost.get(host);
        if (failing) failing.add(key);
        else this.failingByHost.set(host, new Set([key]));
      }
    }
    this.size = size;
  }

  controlKeys(): Iterable<string> {
    return this.byControl.keys();
  }

  resultsOf(key: string): readonly IndexedResult[] {
    return this.byControl.get(key) ?? NONE;
  }

  /** Keys of the evaluated controls with a FAIL (as stored: before waivers) for this host. */
  failingControlsOf(hostId: string): ReadonlySet<string> {
    return this.failingByHost.get(hostId) ?? NO_KEYS;
  }
}

/** A stored result with the view fields of an unwaived one (see view.ts ViewResult). */
export type IndexedResult = StoredResult & { viewStatus: StoredResult['status']; waiverId: null };

const NONE: readonly IndexedResult[] = [];
const NO_KEYS: ReadonlySet<string> = new Set();
