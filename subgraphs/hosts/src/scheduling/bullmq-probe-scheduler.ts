import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import type { Logger } from '@vigil/lib/logger';
import { deferred, type Deferred } from './deferred.js';
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
  type HostPhase,
  type HostSchedule,
  type ScheduleSettings,
} from './schedule.js';

export type BullmqSchedulerOptions = ProbeSchedulerOptions & {
  redisUrl: string;
  /** Redis key prefix shared by the replicas of one deployment, e.g. `vigil:hosts:`. */
  prefix: string;
  /**
   * How long a replica's claim on a host's job lasts without renewal. BullMQ renews it every half
   * of this while the run is alive; set it above the longest run (facts + metrics probe, bounded by
   * the probes' own connect and command timeouts) so that even missed renewals cannot hand a live
   * run's host to another replica. A replica that dies mid-run releases its hosts after at most
   * lockDurationMs + stalledIntervalMs. @default 120_000
   */
  lockDurationMs?: number | undefined;
  /** How often workers look for jobs whose lock expired (their replica died). @default 30_000 */
  stalledIntervalMs?: number | undefined;
};

const QUEUE_NAME = 'host-probes';
const JOB_NAME = 'probe-host';
/** How often firstRoundDone looks at hosts probed by other replicas. */
const FIRST_ROUND_POLL_MS = 200;

/** BullMQ forbids ':' in custom ids and integer-looking ones; the prefix and encoding rule out both. */
export function hostJobId(hostId: string): string {
  return `host-${encodeURIComponent(hostId)}`;
}

/**
 * The fleet scheduler on Redis, shared by every replica, built on BullMQ's guarantees rather than
 * locks of our own:
 *
 * - ONE job per host, with a deterministic jobId. Adding a job whose id exists is a no-op, so every
 *   replica can (re)create the fleet's jobs at start and on a timer without ever duplicating one.
 * - The job never completes: its processor runs the probes that are due and then moves the job
 *   back to `delayed` for its next due time, atomically with writing the new schedule into the
 *   job's data (the moveToDelayed script, checked against the worker's lock token). A host's job is
 *   therefore always in exactly one of delayed / waiting / active, and only the worker holding the
 *   lock of an active job probes: one probe per host at a time across all replicas, facts and
 *   metrics included (both run inside the same job, one after the other). The cadence is the job's,
 *   not the replica's, so N replicas probe each host once per interval, not N times.
 * - Bounded concurrency is Worker concurrency (per replica).
 * - A replica that dies mid-run stops renewing its lock; BullMQ's stalled-job checker (any live
 *   worker) moves the job back to waiting after the lock expires, and another replica runs it.
 *   maxStalledCount is raised because the job is long-lived (the default of 1 would fail a host's
 *   job for good on its second crash ever); a job that fails anyway is re-added (see 'failed').
 * - refresh() promotes the delayed job (BullMQ's promote is atomic and only applies to delayed jobs)
 *   after recording "facts wanted" in a small hash the next run reads; a waiting or active job is
 *   never duplicated.
 *
 * Residual risk, BullMQ's at-least-once contract: a replica frozen (not dead) for longer than
 * lockDurationMs could resume a probe while another replica re-runs the host. Its schedule write
 * is then refused (the lock token no longer matches), so only the overlap itself remains.
 */
export class BullmqProbeScheduler implements ProbeScheduler {
  private readonly settings: ScheduleSettings;
  private readonly random: () => number;
  private readonly probe: ProbeFunction;
  private readonly logger: Logger;
  private readonly hostIds: ReadonlySet<string>;
  private readonly redisUrl: string;
  private readonly prefix: string;
  private readonly lockDurationMs: number;
  private readonly stalledIntervalMs: number;
  private queueInstance: Queue<HostSchedule> | null = null;
  private worker: Worker<HostSchedule> | null = null;
  private reconcileTimer: NodeJS.Timeout | null = null;
  private state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';
  private readonly started: Deferred = deferred();
  private stopped: Promise<void> | null = null;
  private firstRound: Promise<void> | null = null;
  private startedAt = 0;
  /** Hosts whose facts this replica probed since start (others are looked up in Redis). */
  private readonly factsProbedHere = new Set<string>();
  private readonly logError = throttled(10_000);

  constructor(options: BullmqSchedulerOptions) {
    this.settings = resolveSettings(options);
    this.random = options.random ?? Math.random;
    this.probe = options.probe;
    this.logger = options.logger;
    this.hostIds = new Set(options.hosts.map((host) => host.id));
    this.redisUrl = options.redisUrl;
    // In braces: BullMQ's scripts touch several keys of the queue, which Redis Cluster allows only
    // within one slot, so the whole prefix is the hash tag (BullMQ's advice for Cluster).
    const bare = options.prefix.replace(/:+$/, '');
    this.prefix = bare ? `{${bare}}` : '';
    this.lockDurationMs = options.lockDurationMs ?? 120_000;
    this.stalledIntervalMs = options.stalledIntervalMs ?? 30_000;
    if (!this.prefix) throw new Error('invalid probe scheduler options: prefix must not be empty');
  }

  async start(): Promise<void> {
    if (this.state !== 'new') return;
    this.state = 'starting';
    this.startedAt = Date.now();
    await this.ensureJobs();
    const worker = new Worker<HostSchedule>(QUEUE_NAME, (job, token) => this.process(job, token), {
      // Workers block on Redis (BZPOPMIN): their connection must retry forever, not fail commands.
      connection: { url: this.redisUrl, maxRetriesPerRequest: null, connectionName: 'vigil:hosts-probe-worker' },
      prefix: this.prefix,
      concurrency: this.settings.concurrency,
      lockDuration: this.lockDurationMs,
      stalledInterval: this.stalledIntervalMs,
      maxStalledCount: 1_000_000,
    });
    this.worker = worker;
    worker.on('error', (error) => this.logError(() => this.logger.error({ err: error.message }, 'probe worker error')));
    worker.on('stalled', (jobId) => this.logger.warn({ job: jobId }, 'host probe stalled (its replica stopped); another run takes over'));
    worker.on('failed', (job, error) => {
      if (!job || this.state !== 'running') return;
      this.logger.error({ host: job.data.hostId, err: error.message }, 'host probe job failed; re-adding it');
      void this.readd(job).catch((err: unknown) => this.logger.error({ host: job.data.hostId, err: String(err) }, 'could not re-add host probe job'));
    });
    await worker.waitUntilReady();
    // Re-adding is idempotent; this repairs a host whose job a replica with an older inventory removed.
    this.reconcileTimer = setInterval(() => {
      this.ensureJobs().catch((error: unknown) => this.logError(() => this.logger.error({ err: String(error) }, 'probe schedule reconcile failed')));
    }, this.settings.metricsIntervalMs);
    this.reconcileTimer.unref();
    this.state = 'running';
    this.started.resolve();
  }

  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  firstRoundDone(): Promise<void> {
    this.firstRound ??= this.waitForFirstRound();
    return this.firstRound;
  }

  async refresh(hostId: string): Promise<RefreshResult> {
    if (!this.hostIds.has(hostId)) return unknownHost(hostId);
    if (this.state === 'stopping' || this.state === 'stopped') throw new Error('the probe scheduler is stopped');
    const queue = this.queue();
    // State before data: the data read second is never older than the state, so a run finishing in
    // between can only make the debounce stricter, never let a stale lastFactsAt through.
    const state = await queue.getJobState(hostJobId(hostId));
    const job = await queue.getJob(hostJobId(hostId));
    const phase = job ? phaseOf(state) : 'missing';
    const now = Date.now();
    const action = decideRefresh(hostId, phase, job?.data ?? null, now, this.settings.refreshDebounceMs);
    if (action.request) await (await queue.getBackend().client).hset(this.refreshKey(), { [hostId]: now });
    if (!action.runNow) return action.result;
    if (phase === 'missing' || !job) {
      await this.readd(job ?? null, hostId);
      return action.result;
    }
    try {
      await job.promote();
      return action.result;
    } catch (error) {
      // It may have left `delayed` between our read and the promote (due now, or taken by a
      // worker); the recorded request then applies to that run.
      const again = phaseOf(await job.getState());
      if (again === 'scheduled') throw error;
      if (again === 'missing') await this.readd(job);
      return decideRefresh(hostId, again, null, now, 0).result;
    }
  }

  private queue(): Queue<HostSchedule> {
    if (!this.queueInstance) {
      this.queueInstance = new Queue<HostSchedule>(QUEUE_NAME, {
        connection: { url: this.redisUrl, connectionName: 'vigil:hosts-probe-queue' },
        prefix: this.prefix,
        streams: { events: { maxLen: 1000 } },
      });
      this.queueInstance.on('error', (error) => this.logError(() => this.logger.error({ err: error.message }, 'probe queue error')));
    }
    return this.queueInstance;
  }

  private refreshKey(): string {
    return this.queue().toKey('refresh-requests');
  }

  /** Creates the job of every host that has none; existing jobs (any replica's) are left as they are. */
  private async ensureJobs(): Promise<void> {
    const now = Date.now();
    const ids = [...this.hostIds];
    for (let i = 0; i < ids.length; i += 500) {
      await this.queue().addBulk(
        ids.slice(i, i + 500).map((hostId) => ({ name: JOB_NAME, data: initialSchedule(hostId, now), opts: jobOptions(hostId) })),
      );
    }
  }

  /** Puts a host whose job failed or vanished back on the schedule, due now. */
  private async readd(job: Job<HostSchedule> | null, hostId = job?.data.hostId): Promise<void> {
    if (hostId === undefined) return;
    // A failed job normally is removed already (removeOnFail); one locked by a live worker is not
    // removed, and then the add below is a no-op.
    await job?.remove().catch(() => undefined);
    const fresh = initialSchedule(hostId, Date.now());
    // Its old schedule was due when its last run began; keep its failure count and last facts time.
    const schedule = job ? { ...fresh, failures: job.data.failures, lastFactsAt: job.data.lastFactsAt } : fresh;
    await this.queue().add(JOB_NAME, schedule, jobOptions(hostId));
  }

  private async process(job: Job<HostSchedule>, token: string | undefined): Promise<void> {
    const hostId = job.data.hostId;
    if (!this.hostIds.has(hostId)) {
      // Not in this replica's inventory (the host was removed, or a newer replica added it): let the
      // job complete and disappear; replicas that know the host re-add it on their next reconcile.
      this.logger.info({ host: hostId }, 'host not in inventory; dropping its probe schedule');
      return;
    }
    const client = await this.queue().getBackend().client;
    const refreshKey = this.refreshKey();
    // A request made before the last facts probe finished was answered by it (it raced that run).
    const requested = async () => {
      const at = Number((await client.hget(refreshKey, hostId)) ?? Number.NaN);
      return Number.isFinite(at) && at > (job.data.lastFactsAt ?? -Infinity);
    };
    const refreshRequested = await requested();
    const kinds = dueKinds(job.data, Date.now(), refreshRequested);
    const outcomes = await runDueProbes(hostId, kinds, this.probe, () => this.state !== 'running', this.logger);
    const finishedAt = Date.now();
    const schedule = afterRun(job.data, outcomes, finishedAt, this.settings, this.random);
    let refreshPending = false;
    if (outcomes.some((outcome) => outcome.kind === 'facts')) {
      // A refresh asked for during a facts probe is answered by it (RUNNING said so).
      await client.hdel(refreshKey, hostId);
    } else {
      // Asked for during a run without facts (or one cut short by stop): run again now, for facts.
      refreshPending = refreshRequested || (await requested());
    }
    const at = nextRunAt(schedule, finishedAt, refreshPending);
    const worker = this.worker;
    if (!worker) throw new Error('probe job processed without a worker');
    // Schedule and move in one script, checked against our lock token: a replica that lost the job
    // (stalled and re-run elsewhere) can neither move it nor overwrite the new holder's schedule.
    const now = Date.now();
    await worker.getBackend().moveToDelayed(job.id ?? hostJobId(hostId), now, Math.max(0, at - now), token, {
      skipAttempt: true,
      fieldsToUpdate: { data: JSON.stringify(schedule) },
    });
    // Counted once the job is back in `delayed`, so a refresh right after firstRoundDone sees it idle.
    if (outcomes.some((outcome) => outcome.kind === 'facts')) this.factsProbedHere.add(hostId);
    throw new DelayedError();
  }

  private async waitForFirstRound(): Promise<void> {
    await this.started.promise;
    // A host counts once a facts probe finished since start, by any replica; a replica joining a
    // running schedule also accepts facts probed within the last facts interval (it does not
    // restart the fleet's schedule, so waiting for "since start" could take a whole interval).
    const since = this.startedAt - this.settings.factsIntervalMs;
    const pending = new Set(this.hostIds);
    for (;;) {
      for (const hostId of pending) if (this.factsProbedHere.has(hostId)) pending.delete(hostId);
      for (const hostId of pending) {
        const job = await this.queue().getJob(hostJobId(hostId));
        const last = job?.data.lastFactsAt ?? null;
        if (last !== null && last >= since) pending.delete(hostId);
      }
      if (pending.size === 0) return;
      if (this.state !== 'running') throw new Error('the probe scheduler stopped before every host had its first facts probe');
      await new Promise((resolve) => setTimeout(resolve, FIRST_ROUND_POLL_MS));
    }
  }

  private async shutdown(): Promise<void> {
    const wasStarted = this.state !== 'new';
    this.state = 'stopping';
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    this.reconcileTimer = null;
    if (!wasStarted) this.started.reject(new Error('the probe scheduler stopped before it started'));
    // Worker.close waits for the runs in flight; they see `stopping` before each probe, and leave
    // the kinds they did not probe due, so another replica (or the next start) picks them up.
    await this.worker?.close();
    await this.queueInstance?.close();
    this.state = 'stopped';
  }
}

function jobOptions(hostId: string) {
  return { jobId: hostJobId(hostId), removeOnComplete: true, removeOnFail: true };
}

function phaseOf(state: Awaited<ReturnType<Job['getState']>>): HostPhase {
  switch (state) {
    case 'active':
      return 'running';
    case 'delayed':
      return 'scheduled';
    case 'waiting':
    case 'prioritized':
    case 'waiting-children':
      return 'waiting';
    case 'completed':
    case 'failed':
    case 'unknown':
      return 'missing';
  }
}

/** A down Redis reports an error per reconnect attempt; one line per interval is enough. */
function throttled(intervalMs: number): (log: () => void) => void {
  let last = 0;
  return (log) => {
    const now = Date.now();
    if (now - last < intervalMs) return;
    last = now;
    log();
  };
}
