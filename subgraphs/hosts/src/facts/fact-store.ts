import type { InstalledPackage, PackageManager, ProbeStatusCode } from '../sources/probe/types.js';
import { canonicalJson, compareStrings, type TypedChange } from './fact-diff.js';
import {
  COLLECTOR_NAMES,
  FACT_TYPES,
  type CollectorName,
  type CollectorOutcome,
  type CollectorStatus,
  type FactChange,
  type FactItems,
  type FactType,
  type MetricsSnapshot,
  type ProbeReport,
} from './types.js';

/** Why a collector's fact is or is not current. */
export interface CollectorFreshness {
  /** The outcome of the last attempt; NEVER when this collector has not reported for the host. */
  status: CollectorStatus | 'NEVER';
  message: string | null;
  lastAttemptAt: string | null;
  lastSuccessAt: string | null;
}

/** The connection-level history of a host's probes. */
export interface ProbeState {
  lastAttempt: { status: ProbeStatusCode; message: string | null; finishedAt: string };
  lastSuccessAt: string | null;
  /** Probes in a row that were not OK; 0 after a success. */
  consecutiveFailures: number;
  /** From the last success that knew it; kept through failures. */
  packageManager: PackageManager | null;
}

export interface SaveResult {
  /** What the report changed, fact type order then key order. Empty when nothing changed. */
  changes: FactChange[];
  /** The probe state before this report; null for the host's first report. */
  previous: ProbeState | null;
  state: ProbeState;
}

/** One host that has a package installed, as the fleet index holds it. */
export interface PackageHolder {
  hostId: string;
  version: string;
  arch: string | null;
  packageManager: PackageManager | null;
}

/**
 * Where probe reports are kept. State facts are stored write-on-change: the current items per fact
 * type plus a history of every added / removed / changed item, from which any earlier state is
 * rebuilt. Metrics are snapshots kept for a retention window.
 *
 * Concurrency: reports for different hosts may be saved concurrently. Reports for one host must be
 * saved one at a time, in probe order — the scheduler's guarantee of at most one probe per host at a
 * time, awaited through saveReport. The diff is read-then-write; two overlapping saves for one host
 * could each diff against the same old state. Of an overlap the scheduler cannot rule out (a replica
 * frozen past its job lock), the late report is ignored when it finished before the last one saved.
 */
export interface FactStore {
  /**
   * Applies a probe report: probe state; for each collector outcome its freshness; for each fact type
   * present in report.facts, the diff against the current items by FACT_KEYS, written only on change
   * (current state + one history entry per added/removed/changed item, at report.finishedAt); the
   * metrics snapshot appended; the package index updated on change. A fact type absent from
   * report.facts (its collector not OK) is left as it was. A report that finished before the last
   * one saved for the host changes nothing (changes [], state = previous).
   */
  saveReport(report: ProbeReport): Promise<SaveResult>;
  getProbeStates(hostIds: readonly string[]): Promise<(ProbeState | null)[]>;
  /**
   * Per host: null when no collector ever reported; otherwise an entry for every collector, NEVER
   * for those that have not reported. A probe that failed to connect reports no collector, so it
   * leaves freshness as it was: combine with the probe state to show that.
   */
  getFreshness(hostIds: readonly string[]): Promise<(Partial<Record<CollectorName, CollectorFreshness>> | null)[]>;
  /** Current items of one fact type for several hosts (one round trip), sorted by key. null = never collected. */
  getFacts<T extends FactType>(type: T, hostIds: readonly string[]): Promise<(FactItems[T][] | null)[]>;
  /**
   * History, newest first (one report's changes in the order saveReport returned them), at or after
   * `since`, optionally only some types, at most `limit` entries.
   */
  getChanges(hostId: string, options: ChangesOptions): Promise<FactChange[]>;
  /** How many changes getChanges would return over every page (no limit, no `after`), counted from the index. */
  countChanges(hostId: string, options: ChangesSelection): Promise<number>;
  /**
   * Per host, when each fact type was first collected: that report's changes (every item ADDED) are
   * the type's baseline, not news. null when nothing was ever collected for the host.
   */
  getBaselines(hostIds: readonly string[]): Promise<(Partial<Record<FactType, string>> | null)[]>;
  /**
   * The items of a fact type as they were at `time` (current state with later changes undone); null
   * if the type had not been collected by then. Exact within the history retention window; for an
   * earlier time the oldest retained changes are all that can be undone.
   */
  getFactsAsOf<T extends FactType>(type: T, hostId: string, time: string): Promise<FactItems[T][] | null>;
  /** Metric snapshots with from <= at <= to, oldest first. */
  getMetrics(hostId: string, from: string, to: string): Promise<MetricsSnapshot[]>;
  /**
   * Fleet index: every host that has a package with this exact name, one entry per installed
   * (arch, version), sorted by host, arch, version. Reads only the index entry for that name.
   */
  hostsWithPackage(name: string): Promise<PackageHolder[]>;
  close(): Promise<void>;
}

/** Which changes of a host's history: the part of ChangesOptions that is not paging. */
export interface ChangesSelection {
  since?: string;
  types?: readonly FactType[];
  /**
   * Leave out each type's baseline: the changes written by the report that first collected it (at
   * its getBaselines time). `limit` counts what is returned. @default false
   */
  excludeBaseline?: boolean;
}

export interface ChangesOptions extends ChangesSelection {
  limit: number;
  /** Only changes that come after this one in the newest-first order (the last of a previous page). */
  after?: ChangePosition;
}

/**
 * A change's place in the newest-first order: time, then fact type order, then key. Within one
 * report and type the changes are in key order (diffItems), so the position is unique; only two
 * reports of one host finished in the same millisecond that changed the same key could share one.
 */
export interface ChangePosition {
  ms: number;
  type: FactType;
  key: string;
}

export function changePosition(change: FactChange): ChangePosition {
  return { ms: Date.parse(change.at), type: change.type, key: change.key };
}

const TYPE_ORDER = new Map<FactType, number>(FACT_TYPES.map((type, i) => [type, i]));

/** Whether a change comes strictly after a position in the newest-first order. */
export function isAfterPosition(change: FactChange, position: ChangePosition): boolean {
  const ms = Date.parse(change.at);
  if (ms !== position.ms) return ms < position.ms;
  const byType = (TYPE_ORDER.get(change.type) ?? 0) - (TYPE_ORDER.get(position.type) ?? 0);
  if (byType !== 0) return byType > 0;
  return change.key > position.key;
}

export interface FactStoreOptions {
  /** Metric snapshots older than this (by `now`) are trimmed on write. @default 7 */
  metricsRetentionDays?: number;
  /** Change history older than this (by `now`) is trimmed on write. @default 90 */
  historyRetentionDays?: number;
  /** The clock retention is measured against. @default () => new Date() */
  now?: () => Date;
}

export interface Retention {
  metricsMs: number;
  historyMs: number;
  now: () => Date;
}

const DAY_MS = 86_400_000;

export function resolveRetention(options: FactStoreOptions = {}): Retention {
  const days = (name: string, value: number) => {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number of days, got ${value}`);
    return value * DAY_MS;
  };
  return {
    metricsMs: days('metricsRetentionDays', options.metricsRetentionDays ?? 7),
    historyMs: days('historyRetentionDays', options.historyRetentionDays ?? 90),
    now: options.now ?? (() => new Date()),
  };
}

export function validateLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
}

/**
 * A report that finished before the last one saved for its host: a probe that overlapped a later
 * one (a replica frozen past its job lock). Applying it would roll facts back and write history out
 * of order, so the stores ignore it.
 */
export function isStale(previous: ProbeState | null, finishedAtMs: number): boolean {
  return previous !== null && finishedAtMs < Date.parse(previous.lastAttempt.finishedAt);
}

export function nextProbeState(previous: ProbeState | null, report: ProbeReport): ProbeState {
  const ok = report.status === 'OK';
  return {
    lastAttempt: { status: report.status, message: report.message, finishedAt: report.finishedAt },
    lastSuccessAt: ok ? report.finishedAt : (previous?.lastSuccessAt ?? null),
    consecutiveFailures: ok ? 0 : (previous?.consecutiveFailures ?? 0) + 1,
    packageManager: (ok ? report.packageManager : null) ?? previous?.packageManager ?? null,
  };
}

/** The outcomes a report carries, in COLLECTOR_NAMES order. */
export function outcomesOf(report: ProbeReport): Array<[CollectorName, CollectorOutcome]> {
  const outcomes: Array<[CollectorName, CollectorOutcome]> = [];
  for (const name of COLLECTOR_NAMES) {
    const outcome = report.collectors[name];
    if (outcome) outcomes.push([name, outcome]);
  }
  return outcomes;
}

/** A collector's last attempt, stored apart from its last success so a failure never reads the success. */
export interface CollectorAttempt {
  status: CollectorStatus;
  message: string | null;
  at: string;
}

export function attemptOf(outcome: CollectorOutcome, at: string): CollectorAttempt {
  return { status: outcome.status, message: outcome.status === 'OK' ? null : outcome.message, at };
}

/** Every collector's freshness from its last attempt and last success; null when none has reported. */
export function freshnessOf(
  attempts: ReadonlyMap<CollectorName, CollectorAttempt>,
  successes: ReadonlyMap<CollectorName, string>,
): Partial<Record<CollectorName, CollectorFreshness>> | null {
  if (attempts.size === 0) return null;
  const freshness: Partial<Record<CollectorName, CollectorFreshness>> = {};
  for (const name of COLLECTOR_NAMES) {
    const attempt = attempts.get(name);
    freshness[name] = attempt
      ? { status: attempt.status, message: attempt.message, lastAttemptAt: attempt.at, lastSuccessAt: successes.get(name) ?? null }
      : { status: 'NEVER', message: null, lastAttemptAt: null, lastSuccessAt: null };
  }
  return freshness;
}

/** One write to the fleet package index: set (value) or delete (null) one host's entry for one package. */
export interface PackageIndexUpdate {
  name: string;
  field: string;
  value: string | null;
}

/**
 * The index writes for a host's package changes. One field per (host, stored item key), so several
 * arches or versions of one name on one host are separate entries and hosts never share a field:
 * concurrent saves for different hosts never touch the same field.
 */
export function packageIndexUpdates(hostId: string, packageManager: PackageManager | null, changes: readonly TypedChange<'packages'>[]): PackageIndexUpdate[] {
  return changes.map((change) => {
    const field = JSON.stringify([hostId, change.key]);
    const pkg: InstalledPackage | null = change.after;
    if (pkg === null) return { name: change.before?.name ?? '', field, value: null };
    const holder: PackageHolder = { hostId, version: pkg.version, arch: pkg.arch, packageManager };
    return { name: pkg.name, field, value: canonicalJson(holder) };
  });
}

export function parseHolders(values: Iterable<string>): PackageHolder[] {
  return [...values]
    .map((value) => JSON.parse(value) as PackageHolder)
    .sort((a, b) => compareStrings(a.hostId, b.hostId) || compareStrings(a.arch ?? '', b.arch ?? '') || compareStrings(a.version, b.version));
}
