import {
  assignKeys,
  canonicalItems,
  canonicalJson,
  compareNewestFirst,
  compareStrings,
  decodeHistoryMember,
  diffItems,
  encodeHistoryMember,
  sortedItems,
  timeMs,
  undoChanges,
  type HistoryEntry,
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
import { FACT_TYPES, type CollectorName, type FactChange, type FactItems, type FactType, type MetricsSnapshot, type ProbeReport } from './types.js';

interface HostRecord {
  state: ProbeState | null;
  attempts: Map<CollectorName, CollectorAttempt>;
  successes: Map<CollectorName, string>;
  /** Per fact type: stored key → canonical JSON. Present once the type has been collected. */
  facts: Map<FactType, Map<string, string>>;
  firstCollected: Map<FactType, string>;
  /** Per fact type: history member → time (ms), the same members the Redis store keeps. */
  history: Map<FactType, Map<string, number>>;
  /** Snapshot JSON → time (ms): a snapshot saved twice is kept once, as in a sorted set. */
  metrics: Map<string, number>;
}

/**
 * The embedded default: facts in this process, with the same semantics as the Redis store (stored
 * as the same canonical JSON, so reads return fresh copies). saveReport does no I/O between its
 * read and its write, so each save is atomic.
 */
export class MemoryFactStore implements FactStore {
  private readonly hosts = new Map<string, HostRecord>();
  /** Package name → field (host, item key) → holder JSON. */
  private readonly packageIndex = new Map<string, Map<string, string>>();
  private readonly retention: Retention;

  constructor(options: FactStoreOptions = {}) {
    this.retention = resolveRetention(options);
  }

  async saveReport(report: ProbeReport): Promise<SaveResult> {
    // Parse every time before touching anything, so a bad report changes nothing.
    const atMs = timeMs(report.finishedAt, 'report.finishedAt');
    const metricsMs = report.metrics ? timeMs(report.metrics.at, 'metrics.at') : null;
    const host = this.record(report.hostId);
    const previous = host.state;
    if (previous && isStale(previous, atMs)) return { changes: [], previous, state: structuredClone(previous) };
    const state = nextProbeState(previous, report);
    host.state = state;

    for (const [name, outcome] of outcomesOf(report)) {
      host.attempts.set(name, attemptOf(outcome, report.finishedAt));
      if (outcome.status === 'OK') host.successes.set(name, report.finishedAt);
    }

    const changes: FactChange[] = [];
    const record = <T extends FactType>(type: T, items: FactItems[T][] | undefined): TypedChange<T>[] => {
      if (items === undefined) return [];
      const current = host.facts.get(type) ?? new Map<string, string>();
      const next = assignKeys(canonicalItems(type, items), current);
      const diff = diffItems(type, current, next, report.finishedAt);
      host.facts.set(type, next);
      if (!host.firstCollected.has(type)) host.firstCollected.set(type, report.finishedAt);
      const history = host.history.get(type) ?? new Map<string, number>();
      diff.forEach((change, index) => history.set(encodeHistoryMember(index, change), atMs));
      host.history.set(type, history);
      changes.push(...diff);
      return diff;
    };
    for (const type of FACT_TYPES) {
      if (type === 'packages') {
        for (const update of packageIndexUpdates(report.hostId, state.packageManager, record(type, report.facts.packages))) {
          const entries = this.packageIndex.get(update.name) ?? new Map<string, string>();
          if (update.value === null) entries.delete(update.field);
          else entries.set(update.field, update.value);
          if (entries.size === 0) this.packageIndex.delete(update.name);
          else this.packageIndex.set(update.name, entries);
        }
      } else {
        record(type, report.facts[type]);
      }
    }

    const now = this.retention.now().getTime();
    if (report.metrics && metricsMs !== null) host.metrics.set(canonicalJson(report.metrics), metricsMs);
    trimBefore(host.metrics, now - this.retention.metricsMs);
    for (const history of host.history.values()) trimBefore(history, now - this.retention.historyMs);

    return { changes, previous, state: structuredClone(state) };
  }

  async getProbeStates(hostIds: readonly string[]): Promise<(ProbeState | null)[]> {
    return hostIds.map((id) => {
      const state = this.hosts.get(id)?.state;
      return state ? structuredClone(state) : null;
    });
  }

  async getFreshness(hostIds: readonly string[]): Promise<(Partial<Record<CollectorName, CollectorFreshness>> | null)[]> {
    return hostIds.map((id) => {
      const host = this.hosts.get(id);
      return host ? freshnessOf(host.attempts, host.successes) : null;
    });
  }

  async getFacts<T extends FactType>(type: T, hostIds: readonly string[]): Promise<(FactItems[T][] | null)[]> {
    return hostIds.map((id) => {
      const items = this.hosts.get(id)?.facts.get(type);
      return items ? sortedItems<T>(items) : null;
    });
  }

  async getChanges(hostId: string, options: ChangesOptions): Promise<FactChange[]> {
    validateLimit(options.limit);
    const { after } = options;
    return this.selectedChanges(hostId, options)
      .filter((entry) => after === undefined || isAfterPosition(entry.change, after))
      .sort(compareNewestFirst)
      .slice(0, options.limit)
      .map((entry) => entry.change);
  }

  async countChanges(hostId: string, options: ChangesSelection): Promise<number> {
    return this.selectedChanges(hostId, options).length;
  }

  private selectedChanges(hostId: string, options: ChangesSelection): HistoryEntry[] {
    const sinceMs = options.since === undefined ? Number.NEGATIVE_INFINITY : timeMs(options.since, 'since');
    const host = this.hosts.get(hostId);
    if (!host) return [];
    return [...new Set(options.types ?? FACT_TYPES)].flatMap((type) => {
      const first = host.firstCollected.get(type);
      const baselineMs = options.excludeBaseline && first !== undefined ? timeMs(first, 'first collection') : null;
      return [...(host.history.get(type) ?? [])].filter(([, ms]) => ms >= sinceMs && ms !== baselineMs).map(([member]) => decodeHistoryMember(member));
    });
  }

  async getBaselines(hostIds: readonly string[]): Promise<(Partial<Record<FactType, string>> | null)[]> {
    return hostIds.map((id) => {
      const host = this.hosts.get(id);
      return host && host.firstCollected.size > 0 ? Object.fromEntries(host.firstCollected) : null;
    });
  }

  async getFactsAsOf<T extends FactType>(type: T, hostId: string, time: string): Promise<FactItems[T][] | null> {
    const atMs = timeMs(time, 'time');
    const host = this.hosts.get(hostId);
    const first = host?.firstCollected.get(type);
    if (!host || first === undefined || timeMs(first, 'first collection') > atMs) return null;
    const later = [...(host.history.get(type) ?? [])]
      .filter(([, ms]) => ms > atMs)
      .map(([member]) => decodeHistoryMember(member))
      .sort(compareNewestFirst);
    return sortedItems<T>(
      undoChanges(
        host.facts.get(type) ?? new Map<string, string>(),
        later.map((entry) => entry.change),
      ),
    );
  }

  async getMetrics(hostId: string, from: string, to: string): Promise<MetricsSnapshot[]> {
    const fromMs = timeMs(from, 'from');
    const toMs = timeMs(to, 'to');
    return [...(this.hosts.get(hostId)?.metrics ?? [])]
      .filter(([, ms]) => ms >= fromMs && ms <= toMs)
      .sort(([a, aMs], [b, bMs]) => aMs - bMs || compareStrings(a, b))
      .map(([json]) => JSON.parse(json) as MetricsSnapshot);
  }

  async hostsWithPackage(name: string): Promise<PackageHolder[]> {
    return parseHolders(this.packageIndex.get(name)?.values() ?? []);
  }

  async close(): Promise<void> {}

  private record(hostId: string): HostRecord {
    let host = this.hosts.get(hostId);
    if (!host) {
      host = { state: null, attempts: new Map(), successes: new Map(), facts: new Map(), firstCollected: new Map(), history: new Map(), metrics: new Map() };
      this.hosts.set(hostId, host);
    }
    return host;
  }
}

function trimBefore(entries: Map<string, number>, cutoffMs: number): void {
  for (const [member, ms] of entries) if (ms < cutoffMs) entries.delete(member);
}
