import type { Logger } from '@vigil/lib/logger';
import type { BackoffOptions, ProbeFunction, ProbeKind, ProbeSchedulerOptions, RefreshResult } from './probe-scheduler.js';

/**
 * The scheduling policy both schedulers share, as pure functions over one host's schedule: which
 * kinds are due, what a run's outcome does to the next due times (cadence, jitter, backoff), and how
 * a refresh request is answered. The schedulers only differ in where the schedule is kept and how
 * "one run per host at a time" is enforced (a map in one process; one BullMQ job per host in Redis).
 */

/** One host's schedule. Plain JSON: the BullMQ scheduler keeps it as the data of the host's job. */
export interface HostSchedule {
  hostId: string;
  factsDueAt: number;
  metricsDueAt: number;
  /** Consecutive failed runs; 0 after a successful one. */
  failures: number;
  /** While failing: no run before this time (exponential backoff). */
  retryAt: number | null;
  /** When the last facts probe finished (ok or not): refresh debounce and firstRoundDone. */
  lastFactsAt: number | null;
}

export interface ScheduleSettings {
  factsIntervalMs: number;
  metricsIntervalMs: number;
  concurrency: number;
  jitterRatio: number;
  backoff: BackoffOptions;
  refreshDebounceMs: number;
}

export function resolveSettings(options: ProbeSchedulerOptions): ScheduleSettings {
  const factsIntervalMs = options.factsIntervalMs ?? 3_600_000;
  const settings: ScheduleSettings = {
    factsIntervalMs,
    metricsIntervalMs: options.metricsIntervalMs ?? 300_000,
    concurrency: options.concurrency ?? 8,
    jitterRatio: options.jitterRatio ?? 0.1,
    backoff: {
      initialMs: options.backoff?.initialMs ?? 30_000,
      maxMs: options.backoff?.maxMs ?? factsIntervalMs,
      factor: options.backoff?.factor ?? 2,
    },
    refreshDebounceMs: options.refreshDebounceMs ?? 30_000,
  };
  const problems: string[] = [];
  const positive = (name: string, value: number) => {
    if (!Number.isFinite(value) || value <= 0) problems.push(`${name} must be a positive number (got ${value})`);
  };
  positive('factsIntervalMs', settings.factsIntervalMs);
  positive('metricsIntervalMs', settings.metricsIntervalMs);
  positive('backoff.initialMs', settings.backoff.initialMs);
  positive('backoff.maxMs', settings.backoff.maxMs);
  if (!Number.isInteger(settings.concurrency) || settings.concurrency < 1) problems.push(`concurrency must be an integer ≥ 1 (got ${settings.concurrency})`);
  if (!(settings.jitterRatio >= 0 && settings.jitterRatio < 1)) problems.push(`jitterRatio must be in [0, 1) (got ${settings.jitterRatio})`);
  if (!(settings.backoff.factor >= 1)) problems.push(`backoff.factor must be ≥ 1 (got ${settings.backoff.factor})`);
  if (!(settings.refreshDebounceMs >= 0)) problems.push(`refreshDebounceMs must be ≥ 0 (got ${settings.refreshDebounceMs})`);
  const ids = options.hosts.map((host) => host.id);
  const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
  if (duplicate !== undefined) problems.push(`host id ${JSON.stringify(duplicate)} appears twice`);
  if (problems.length > 0) throw new Error(`invalid probe scheduler options: ${problems.join('; ')}`);
  return settings;
}

/** A new host is due for both kinds at once, so the first round starts immediately. */
export function initialSchedule(hostId: string, now: number): HostSchedule {
  return { hostId, factsDueAt: now, metricsDueAt: now, failures: 0, retryAt: null, lastFactsAt: null };
}

/** `ms` spread uniformly over ±ratio. */
export function jittered(ms: number, ratio: number, random: () => number): number {
  return Math.max(0, Math.round(ms * (1 + ratio * (2 * random() - 1))));
}

/** Delay after the `failures`-th consecutive failed run: initial · factor^(failures−1), capped. */
export function backoffDelay(failures: number, backoff: BackoffOptions): number {
  return Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** Math.max(0, failures - 1));
}

/** Facts first: a refresh asks for facts, and an unreachable host then skips the metrics probe. */
export function dueKinds(schedule: HostSchedule, now: number, refreshRequested: boolean): ProbeKind[] {
  const kinds: ProbeKind[] = [];
  if (refreshRequested || schedule.factsDueAt <= now) kinds.push('facts');
  if (schedule.metricsDueAt <= now) kinds.push('metrics');
  return kinds;
}

export interface ProbeOutcome {
  kind: ProbeKind;
  ok: boolean;
}

/**
 * The schedule after a run. A kind probed successfully is next due one (jittered) interval later; a
 * failed kind stays due and the host waits out an exponential backoff, counted per host and reset
 * by the next successful run. Kinds not probed (skipped after a failure, or left at stop) stay due.
 */
export function afterRun(
  schedule: HostSchedule,
  outcomes: readonly ProbeOutcome[],
  now: number,
  settings: ScheduleSettings,
  random: () => number,
): HostSchedule {
  if (outcomes.length === 0) return schedule;
  const next = { ...schedule };
  for (const { kind, ok } of outcomes) {
    if (kind === 'facts') next.lastFactsAt = now;
    if (!ok) continue;
    if (kind === 'facts') next.factsDueAt = now + jittered(settings.factsIntervalMs, settings.jitterRatio, random);
    else next.metricsDueAt = now + jittered(settings.metricsIntervalMs, settings.jitterRatio, random);
  }
  if (outcomes.some((outcome) => !outcome.ok)) {
    next.failures = schedule.failures + 1;
    next.retryAt = now + jittered(backoffDelay(next.failures, settings.backoff), settings.jitterRatio, random);
  } else {
    next.failures = 0;
    next.retryAt = null;
  }
  return next;
}

/** When the host's next run is due; `refreshPending` (asked for during a run that had no facts) means now. */
export function nextRunAt(schedule: HostSchedule, now: number, refreshPending: boolean): number {
  if (refreshPending) return now;
  const due = Math.min(schedule.factsDueAt, schedule.metricsDueAt);
  return schedule.retryAt !== null ? Math.max(due, schedule.retryAt) : due;
}

/**
 * Runs the due probes of one host one after the other (never concurrently: facts and metrics of a
 * host share one run), stopping early when a probe fails (the host is probably unreachable: the next
 * probe would fail too and only lengthen the run) or when the scheduler is stopping.
 */
export async function runDueProbes(
  hostId: string,
  kinds: readonly ProbeKind[],
  probe: ProbeFunction,
  stopping: () => boolean,
  logger: Logger,
): Promise<ProbeOutcome[]> {
  const outcomes: ProbeOutcome[] = [];
  for (const kind of kinds) {
    if (stopping()) break;
    let ok = false;
    try {
      ({ ok } = await probe(hostId, kind));
    } catch (error) {
      // The probe function owns its errors; one that escapes still must not end the host's schedule.
      logger.warn({ host: hostId, kind, err: error instanceof Error ? error.message : String(error) }, 'probe threw');
    }
    outcomes.push({ kind, ok });
    if (!ok) break;
  }
  return outcomes;
}

export type HostPhase = 'scheduled' | 'waiting' | 'running' | 'missing';

export type RefreshAction = { result: RefreshResult; request: boolean; runNow: boolean };

/**
 * How a refresh is answered, given where the host's run is. `request` records "facts wanted": a run
 * that is queued or running picks it up (a running run that included facts satisfies it; one that
 * did not runs again right after, for facts). `runNow` moves a scheduled run to now.
 */
export function decideRefresh(hostId: string, phase: HostPhase, schedule: HostSchedule | null, now: number, debounceMs: number): RefreshAction {
  const name = JSON.stringify(hostId);
  if (phase === 'running') {
    return {
      result: { status: 'RUNNING', message: `A probe of ${name} is running; its facts will be current when it finishes.` },
      request: true,
      runNow: false,
    };
  }
  const last = schedule?.lastFactsAt ?? null;
  if (last !== null && now - last < debounceMs) {
    return {
      result: {
        status: 'RECENTLY_PROBED',
        message: `Facts of ${name} were probed ${duration(now - last)} ago; refreshes within ${duration(debounceMs)} of a probe are debounced.`,
      },
      request: false,
      runNow: false,
    };
  }
  if (phase === 'waiting') {
    return { result: { status: 'ALREADY_QUEUED', message: `A probe of ${name} is already queued; it will include facts.` }, request: true, runNow: false };
  }
  return { result: { status: 'QUEUED', message: `A facts probe of ${name} was queued to run now.` }, request: true, runNow: true };
}

export function unknownHost(hostId: string): RefreshResult {
  return { status: 'UNKNOWN_HOST', message: `No host has id ${JSON.stringify(hostId.slice(0, 128))}.` };
}

function duration(ms: number): string {
  return ms < 1000 ? `${Math.max(0, Math.round(ms))} ms` : `${Math.round(ms / 1000)} s`;
}
