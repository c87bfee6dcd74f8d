import type { Logger } from '@vigil/lib/logger';
import type { AlertPublisher } from '@vigil/lib/alerts/publisher';
import type { InventoryHost } from './inventory.js';
import type { HostStore } from './store/host-store.js';
import type { HostTarget, ProbeResult, ProbeStatusCode } from './sources/probe/types.js';

export interface ProbeSchedulerOptions {
  hosts: readonly InventoryHost[];
  store: HostStore;
  probe: (target: HostTarget) => Promise<ProbeResult>;
  publisher: AlertPublisher;
  intervalMs: number;
  concurrency: number;
  logger: Logger;
}

/**
 * Probes the inventory at start and then every interval, a bounded number of hosts at a time,
 * never two probes of one host at once. Results go to the store; queries read only the store.
 * (Per-host backoff, jitter and cross-replica locking arrive with the fleet scheduler.)
 */
export class ProbeScheduler {
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Map<string, Promise<ProbeResult>>();
  private readonly lastStatus = new Map<string, ProbeStatusCode>();
  private round: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly options: ProbeSchedulerOptions) {}

  start(): void {
    this.round = this.runRound();
    this.timer = setInterval(() => {
      this.round ??= this.runRound();
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** Resolves when the round in progress (if any) has finished; tests and the first query use it. */
  async settled(): Promise<void> {
    await this.round;
  }

  /** Probes one host now, or joins the probe already running for it. */
  probeNow(hostId: string): Promise<ProbeResult> | null {
    const host = this.options.hosts.find((h) => h.id === hostId);
    return host ? this.probeOne(host) : null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.inFlight.values()]);
  }

  private async runRound(): Promise<void> {
    const started = Date.now();
    const queue = [...this.options.hosts];
    const workers = Array.from({ length: Math.min(this.options.concurrency, queue.length) }, async () => {
      for (let host = queue.shift(); host && !this.stopped; host = queue.shift()) await this.probeOne(host);
    });
    await Promise.all(workers);
    this.options.logger.info({ hosts: this.options.hosts.length, ms: Date.now() - started }, 'probe round finished');
    this.round = null;
  }

  private probeOne(host: InventoryHost): Promise<ProbeResult> {
    const running = this.inFlight.get(host.id);
    if (running) return running;
    const probe = this.options
      .probe(host.target)
      .then(async (result) => {
        await this.options.store.saveProbe(result);
        await this.alertOnTransition(host, result);
        this.options.logger.info({ host: host.id, status: result.status, packages: result.packages?.length }, 'host probed');
        return result;
      })
      .finally(() => this.inFlight.delete(host.id));
    this.inFlight.set(host.id, probe);
    return probe;
  }

  /** A changed host key may be an attack: alert once when it starts, not on every round. */
  private async alertOnTransition(host: InventoryHost, result: ProbeResult): Promise<void> {
    const previous = this.lastStatus.get(host.id);
    this.lastStatus.set(host.id, result.status);
    if (result.status !== 'HOST_KEY_MISMATCH' || previous === 'HOST_KEY_MISMATCH') return;
    await this.options.publisher.raise({
      source: 'HOSTS',
      severity: 'CRITICAL',
      title: `Host key changed for ${host.id}: probe refused`,
      description: result.message ?? undefined,
      rule: 'host-key-changed',
      subject: { type: 'Host', hostId: host.id, displayName: host.id },
      occurredAt: result.finishedAt,
    });
  }
}
