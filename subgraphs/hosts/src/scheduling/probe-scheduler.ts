import type { Logger } from '@vigil/lib/logger';
import { BullmqProbeScheduler, type BullmqSchedulerOptions } from './bullmq-probe-scheduler.js';
import { InProcessProbeScheduler, type Clock } from './in-process-probe-scheduler.js';

export type ProbeKind = 'facts' | 'metrics';

/** Probes one host and stores the result; `ok` false when the host was unreachable or the probe failed. */
export type ProbeFunction = (hostId: string, kind: ProbeKind) => Promise<{ ok: boolean }>;

export type RefreshStatus = 'QUEUED' | 'ALREADY_QUEUED' | 'RECENTLY_PROBED' | 'RUNNING' | 'UNKNOWN_HOST';

export interface RefreshResult {
  status: RefreshStatus;
  message: string;
}

/**
 * Probes every host of the inventory on two cadences (facts, metrics) with bounded concurrency,
 * per-host exponential backoff and jitter, and never two probes of one host at once.
 */
export interface ProbeScheduler {
  start(): Promise<void>;
  /** Stops taking work and waits for the probes in flight; no probe starts after it resolves. */
  stop(): Promise<void>;
  /** Asks for a facts probe of one host now, debounced (see RefreshResult). */
  refresh(hostId: string): Promise<RefreshResult>;
  /**
   * Resolves when every host has completed (ok or not) at least its first facts probe since start
   * (tests, benchmarks); rejects if stopped first. The BullMQ scheduler counts probes by any replica,
   * and a replica joining a running schedule also accepts facts probed within the last facts interval.
   */
  firstRoundDone(): Promise<void>;
}

export interface BackoffOptions {
  /** @default 30_000 */
  initialMs: number;
  /** @default factsIntervalMs */
  maxMs: number;
  /** @default 2 */
  factor: number;
}

export interface ProbeSchedulerOptions {
  /** Host ids; the probe function resolves each to its target. */
  hosts: readonly { id: string }[];
  probe: ProbeFunction;
  logger: Logger;
  /** @default 3_600_000 (1 h) */
  factsIntervalMs?: number;
  /** @default 300_000 (5 min) */
  metricsIntervalMs?: number;
  /** Probes in flight at once (per process for the BullMQ scheduler). @default 8 */
  concurrency?: number;
  /** Each next run is spread by ±this fraction so a fleet does not probe in lockstep. @default 0.1 */
  jitterRatio?: number;
  /** Per host, after a failed run; reset by a successful one. */
  backoff?: Partial<BackoffOptions>;
  /** A refresh this soon after the last facts probe finished is answered ALREADY_QUEUED. @default 30_000 */
  refreshDebounceMs?: number;
  /** Source of jitter, in [0, 1). @default Math.random */
  random?: () => number;
}

export type CreateProbeSchedulerOptions = ProbeSchedulerOptions & {
  /** With a URL, the schedule lives in Redis (BullMQ) and replicas share it; without, in this process. */
  redisUrl?: string;
  /** Redis key prefix, e.g. `vigil:hosts:` (a trailing colon is dropped). */
  prefix: string;
  lockDurationMs?: BullmqSchedulerOptions['lockDurationMs'];
  stalledIntervalMs?: BullmqSchedulerOptions['stalledIntervalMs'];
  /** In-process scheduler only (the BullMQ one runs on the wall clock Redis delays use). */
  clock?: Clock;
};

export function createProbeScheduler(options: CreateProbeSchedulerOptions): ProbeScheduler {
  const { redisUrl, prefix, lockDurationMs, stalledIntervalMs, clock, ...common } = options;
  if (redisUrl) return new BullmqProbeScheduler({ ...common, redisUrl, prefix, lockDurationMs, stalledIntervalMs });
  return new InProcessProbeScheduler({ ...common, clock });
}
