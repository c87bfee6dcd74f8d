import type { Logger } from '@vigil/lib/logger';
import type { ProbeFunction, ProbeScheduler, ProbeSchedulerOptions, RefreshResult } from './probe-scheduler.js';
import {
  afterRun,
  decideRefresh,
  dueKinds,
  initialSchedule,
  nextRunAt,
  resolveSettings,
  runDueProbes,
  unknownHost,
  type HostSchedule,
  type ScheduleSettings,
} from './schedule.js';
import { deferred, type Deferred } from './deferred.js';

/** Time and timers, injectable so tests can drive the scheduler without waiting. */
export interface Clock {
  now(): number;
  /** Calls `callback` once after `ms`; the returned handle cancels it. */
  setTimer(callback: () => void, ms: number): { cancel(): void };
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(callback, ms) {
    const timer = setTimeout(callback, ms);
    // Pending probes alone must not keep a process alive that is otherwise done.
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};

export type InProcessSchedulerOptions = ProbeSchedulerOptions & { clock?: Clock | undefined };

interface HostEntry {
  schedule: HostSchedule;
  /** scheduled: a timer is set (or, before start, will be); waiting: in the ready queue; running: probing. */
  phase: 'scheduled' | 'waiting' | 'running';
  timer: { cancel(): void } | null;
  /** A refresh asked for facts; cleared by a run that probes facts. */
  refreshRequested: boolean;
}

/**
 * The embedded scheduler (no Redis): one timer per host for its next run, a FIFO of hosts whose run
 * is due, at most `concurrency` runs at once. A host is in exactly one phase, and only the ready
 * queue starts runs, so one host never has two probes in flight. Single process only: replicas
 * without a shared Redis would each probe the whole fleet.
 */
export class InProcessProbeScheduler implements ProbeScheduler {
  private readonly settings: ScheduleSettings;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly probe: ProbeFunction;
  private readonly logger: Logger;
  private readonly hosts = new Map<string, HostEntry>();
  private readonly ready: string[] = [];
  private readonly runs = new Set<Promise<void>>();
  private inFlight = 0;
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private stopped: Promise<void> | null = null;
  private readonly firstRound: Deferred;
  private readonly awaitingFirstFacts = new Set<string>();

  constructor(options: InProcessSchedulerOptions) {
    this.settings = resolveSettings(options);
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.probe = options.probe;
    this.logger = options.logger;
    for (const { id } of options.hosts) {
      this.hosts.set(id, { schedule: initialSchedule(id, 0), phase: 'waiting', timer: null, refreshRequested: false });
    }
    this.firstRound = deferred();
  }

  async start(): Promise<void> {
    if (this.state !== 'new') return;
    this.state = 'running';
    const now = this.clock.now();
    for (const [id, entry] of this.hosts) {
      entry.schedule = initialSchedule(id, now);
      this.awaitingFirstFacts.add(id);
      this.ready.push(id);
    }
    if (this.awaitingFirstFacts.size === 0) this.firstRound.resolve();
    this.pump();
  }

  stop(): Promise<void> {
    this.stopped ??= this.drain();
    return this.stopped;
  }

  firstRoundDone(): Promise<void> {
    return this.firstRound.promise;
  }

  async refresh(hostId: string): Promise<RefreshResult> {
    const entry = this.hosts.get(hostId);
    if (!entry) return unknownHost(hostId);
    if (this.state === 'stopping' || this.state === 'stopped') throw new Error('the probe scheduler is stopped');
    const action = decideRefresh(hostId, entry.phase, entry.schedule, this.clock.now(), this.settings.refreshDebounceMs);
    if (action.request) entry.refreshRequested = true;
    if (action.runNow && entry.phase === 'scheduled' && this.state === 'running') this.enqueue(hostId, entry);
    return action.result;
  }

  private async drain(): Promise<void> {
    this.state = 'stopping';
    this.firstRound.reject(new Error('the probe scheduler stopped before every host had its first facts probe'));
    for (const entry of this.hosts.values()) {
      entry.timer?.cancel();
      entry.timer = null;
      if (entry.phase === 'waiting') entry.phase = 'scheduled';
    }
    this.ready.length = 0;
    // Runs see `stopping` before each probe, so this waits for at most the probe each has in flight.
    await Promise.allSettled([...this.runs]);
    this.state = 'stopped';
  }

  private enqueue(hostId: string, entry: HostEntry): void {
    entry.timer?.cancel();
    entry.timer = null;
    entry.phase = 'waiting';
    this.ready.push(hostId);
    this.pump();
  }

  private pump(): void {
    while (this.state === 'running' && this.inFlight < this.settings.concurrency) {
      const hostId = this.ready.shift();
      if (hostId === undefined) return;
      const entry = this.hosts.get(hostId);
      if (!entry || entry.phase !== 'waiting') continue;
      const run = this.run(hostId, entry);
      this.runs.add(run);
      void run.finally(() => this.runs.delete(run));
    }
  }

  private async run(hostId: string, entry: HostEntry): Promise<void> {
    entry.phase = 'running';
    this.inFlight += 1;
    try {
      const kinds = dueKinds(entry.schedule, this.clock.now(), entry.refreshRequested);
      const outcomes = await runDueProbes(hostId, kinds, this.probe, () => this.state !== 'running', this.logger);
      const finishedAt = this.clock.now();
      entry.schedule = afterRun(entry.schedule, outcomes, finishedAt, this.settings, this.random);
      if (outcomes.some((outcome) => outcome.kind === 'facts')) {
        // A refresh asked for during a facts probe is answered by it (RUNNING said so).
        entry.refreshRequested = false;
        if (this.awaitingFirstFacts.delete(hostId) && this.awaitingFirstFacts.size === 0) this.firstRound.resolve();
      }
      entry.phase = 'scheduled';
      if (this.state === 'running') {
        const at = nextRunAt(entry.schedule, finishedAt, entry.refreshRequested);
        entry.timer = this.clock.setTimer(() => this.enqueue(hostId, entry), Math.max(0, at - finishedAt));
      }
    } catch (error) {
      // Only a bug in the policy could land here; keep the host on its cadence rather than drop it.
      this.logger.error({ host: hostId, err: error instanceof Error ? error.message : String(error) }, 'probe run failed');
      entry.phase = 'scheduled';
      if (this.state === 'running') entry.timer = this.clock.setTimer(() => this.enqueue(hostId, entry), this.settings.metricsIntervalMs);
    } finally {
      this.inFlight -= 1;
      this.pump();
    }
  }
}
