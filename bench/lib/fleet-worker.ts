/**
 * One probe worker process of the `fleet` benchmark's scaling rows: what a hosts-subgraph replica
 * runs to probe, and nothing else. Production code throughout: the BullMQ probe scheduler on the
 * shared Redis (every worker adds the same jobs, one job per host, so together they probe each host
 * once), the probe pipeline, the Redis fact store and the ssh2 client. The parent (FleetWorkerProcess)
 * sends the inventory, says when to start, and receives each finished probe's outcome in batches.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MemoryAlertLog } from '@vigil/lib/alerts/memory-alert-log';
import { AlertPublisher } from '@vigil/lib/alerts/publisher';
import { systemClock } from '@vigil/lib/clock';
import { createLogger } from '@vigil/lib/logger';
import { createRedis } from '@vigil/lib/redis';
import { RedisFactStore } from '@vigil/subgraph-hosts/facts/redis-fact-store';
import type { ProbeReport } from '@vigil/subgraph-hosts/facts/types';
import type { InventoryHost } from '@vigil/subgraph-hosts/inventory/build-inventory';
import { createProbePipeline, type ReportProbe } from '@vigil/subgraph-hosts/probe-pipeline';
import { createProbeScheduler, type ProbeScheduler } from '@vigil/subgraph-hosts/scheduling/probe-scheduler';
import { probeHostReport } from '@vigil/subgraph-hosts/sources/probe/probe-report';

export interface FleetWorkerConfig {
  redisUrl: string;
  /** BullMQ prefix, shared by the row's workers. */
  queuePrefix: string;
  /** Fact store prefix, shared by the row's workers. */
  factsPrefix: string;
  hosts: InventoryHost[];
  /** BullMQ Worker concurrency of this process. */
  concurrency: number;
}

/** One finished probe: ok as the pipeline sees it (report status OK). */
export interface ProbeOutcome {
  hostId: string;
  kind: 'facts' | 'metrics';
  ok: boolean;
  /** The report's status, or the first failed collector's when the report is OK but partial. */
  reason: string | null;
  /** Wall-clock (Date.now) when it finished, comparable across the processes of one machine. */
  at: number;
  /** How long probeHostReport took. */
  ms: number;
}

type ParentMessage = { type: 'configure'; config: FleetWorkerConfig } | { type: 'start' } | { type: 'stop' };
type ChildMessage =
  | { type: 'configured' }
  | { type: 'started' }
  | { type: 'outcomes'; outcomes: ProbeOutcome[] }
  | { type: 'stopped'; cpuUserMs: number; cpuSystemMs: number; maxRssBytes: number }
  | { type: 'failed'; error: string };

/** Why a probe is not a clean success, in a form that can be counted: `STATUS: message`. */
export function reasonOf(report: ProbeReport): string | null {
  if (report.status !== 'OK') return `${report.status}: ${report.message ?? ''}`;
  const failed = Object.entries(report.collectors).find(([, outcome]) => outcome.status !== 'OK');
  return failed === undefined ? null : `partial (${failed[0]} ${failed[1].status}): ${failed[1].message ?? ''}`;
}

/** The parent's handle on one worker process (this file, run under tsx). */
export class FleetWorkerProcess {
  private readonly waiters = new Map<string, (message: ChildMessage) => void>();
  private failure: Error | null = null;

  private constructor(
    private readonly child: ChildProcess,
    onOutcomes: (outcomes: ProbeOutcome[]) => void,
  ) {
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'outcomes') return onOutcomes(message.outcomes);
      if (message.type === 'failed') this.failure = new Error(`fleet worker: ${message.error}`);
      for (const [type, waiter] of this.waiters) if (type === message.type || message.type === 'failed') waiter(message);
    });
    child.once('exit', (code, signal) => {
      this.failure ??= new Error(`fleet worker exited (code ${code}, signal ${signal})`);
      for (const waiter of this.waiters.values()) waiter({ type: 'failed', error: this.failure.message });
    });
  }

  static async launch(config: FleetWorkerConfig, onOutcomes: (outcomes: ProbeOutcome[]) => void): Promise<FleetWorkerProcess> {
    const child = fork(fileURLToPath(import.meta.url), [], {
      execArgv: ['--import', import.meta.resolve('tsx')],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    const worker = new FleetWorkerProcess(child, onOutcomes);
    try {
      await worker.request({ type: 'configure', config }, 'configured', 60_000);
      return worker;
    } catch (error) {
      worker.kill();
      throw error;
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Starts the scheduler (adds the fleet's jobs if missing, then takes them). */
  async start(): Promise<void> {
    await this.request({ type: 'start' }, 'started', 60_000);
  }

  /** Stops the scheduler (runs in flight finish), flushes the outcomes, reports its CPU, exits. */
  async stop(): Promise<Extract<ChildMessage, { type: 'stopped' }>> {
    const stopped = await this.request({ type: 'stop' }, 'stopped', 120_000);
    return stopped as Extract<ChildMessage, { type: 'stopped' }>;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private request(message: ParentMessage, answer: ChildMessage['type'], timeoutMs: number): Promise<ChildMessage> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(answer);
        reject(new Error(`fleet worker: no ${answer} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(answer, (reply) => {
        clearTimeout(timer);
        this.waiters.delete(answer);
        if (reply.type === answer) resolve(reply);
        else reject(this.failure ?? new Error(`fleet worker: expected ${answer}, got ${reply.type}`));
      });
      this.child.send(message);
    });
  }
}

/** Child side. */
function serveParent(): void {
  const reply = (message: ChildMessage) => process.send?.(message);
  const logger = createLogger('bench-fleet-worker', { level: 'silent' });
  let config: FleetWorkerConfig | null = null;
  let scheduler: ProbeScheduler | null = null;
  let pending: ProbeOutcome[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    reply({ type: 'outcomes', outcomes: pending });
    pending = [];
  };
  // Batched: one IPC message per probe would cost the parent more than the probing it measures.
  const flusher = setInterval(flush, 100);
  const redisHolder: { close?: () => Promise<unknown> } = {};

  const build = (settings: FleetWorkerConfig): ProbeScheduler => {
    const redis = createRedis(settings.redisUrl, logger, 'hosts');
    redisHolder.close = () => redis.quit().catch(() => redis.disconnect());
    const probe: ReportProbe = async (target, options) => {
      const started = performance.now();
      const report = await probeHostReport(target, options);
      pending.push({ hostId: target.id, kind: options.kind, ok: report.status === 'OK', reason: reasonOf(report), at: Date.now(), ms: performance.now() - started });
      return report;
    };
    const pipeline = createProbePipeline({
      hosts: settings.hosts,
      store: new RedisFactStore(redis, settings.factsPrefix),
      publisher: new AlertPublisher(new MemoryAlertLog({ maxLength: 10_000 }), logger, systemClock),
      probe,
      sudo: new Set(),
      alertRules: { unreachableAfter: 3 },
      logger,
    });
    return createProbeScheduler({
      hosts: settings.hosts,
      probe: pipeline,
      logger,
      redisUrl: settings.redisUrl,
      prefix: settings.queuePrefix,
      concurrency: settings.concurrency,
      // One round: the next runs, retries of failed hosts included, are an hour away.
      factsIntervalMs: 3_600_000,
      metricsIntervalMs: 3_600_000,
      backoff: { initialMs: 3_600_000 },
    });
  };

  process.on('message', (message: ParentMessage) => {
    void (async () => {
      switch (message.type) {
        case 'configure':
          config = message.config;
          scheduler = build(config);
          reply({ type: 'configured' });
          return;
        case 'start':
          if (scheduler === null) throw new Error('not configured');
          await scheduler.start();
          reply({ type: 'started' });
          return;
        case 'stop': {
          await scheduler?.stop();
          await redisHolder.close?.();
          clearInterval(flusher);
          flush();
          const cpu = process.cpuUsage();
          reply({ type: 'stopped', cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000, maxRssBytes: process.resourceUsage().maxRSS * 1024 });
          process.disconnect();
          return;
        }
      }
    })().catch((error: unknown) => reply({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) }));
  });
  // The parent gone means the benchmark is over, however it ended.
  process.on('disconnect', () => process.exit(0));
}

if (process.send !== undefined && process.argv[1] === fileURLToPath(import.meta.url)) serveParent();
