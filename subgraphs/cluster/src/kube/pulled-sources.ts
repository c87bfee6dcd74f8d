import type { Logger } from '@vigil/lib/logger';
import type { KubeCluster } from './kube-clusters.js';
import type { KubeObject } from './kube-object.js';
import { PULLED_SOURCES, type PulledSourceName, type PulledSourceSpec } from './pulled-source-specs.js';
import { ReportInformer, type InformerStatus, type ReportInformerOptions } from './report-informer.js';
import type { InformerMetrics } from './informer-metrics.js';
import { SourceDetector, SourceRegistry } from './source-detection.js';

export type PulledChange = { type: 'upsert'; object: KubeObject } | { type: 'delete'; object: KubeObject };

/**
 * Receives every change. Calls for one cluster and source come one at a time, in order (the next
 * waits for the previous to settle); different sources and clusters run concurrently. A rejection
 * is reported in the source's state and the change is offered again after the informer's backoff.
 */
export type PulledSourceHandler = (cluster: string, source: PulledSourceName, change: PulledChange) => Promise<void>;

export interface PulledSourcesOptions {
  clusters: readonly KubeCluster[];
  handler: PulledSourceHandler;
  logger: Logger;
  /** @default PULLED_SOURCES (all of them) */
  sources?: readonly PulledSourceSpec[];
  /** How often CRDs are checked again. @default 300000 (5 minutes) */
  detectionIntervalMs?: number;
  /** Informer tuning shared by every source; see ReportInformerOptions for the defaults. */
  informer?: Pick<ReportInformerOptions, 'backoffInitialMs' | 'backoffMaxMs' | 'pageSize' | 'watchTimeoutSeconds'>;
  /** Relists and sync state per cluster and source (kube/informer-metrics.ts). */
  metrics?: InformerMetrics;
}

export interface PulledSources {
  registry: SourceRegistry;
  /** Settles once every source on every cluster was detected once and its informer started. */
  ready: Promise<void>;
  /** Checks the CRDs again now instead of waiting for the interval. */
  detectNow(): Promise<void>;
  /** Stops detection and every informer (no deletes are emitted: the data did not go away). */
  stop(): Promise<void>;
}

/** One source on one cluster: its informer, started and stopped as detection says. */
class SourceRunner {
  private informer: ReportInformer | undefined;
  /** Transitions run one at a time, so a stop never races a start. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly cluster: KubeCluster,
    private readonly source: PulledSourceSpec,
    private readonly options: PulledSourcesOptions,
    private readonly registry: SourceRegistry,
    private readonly logger: Logger,
  ) {}

  setInstalled(installed: boolean): Promise<void> {
    return this.enqueue(async () => {
      if (installed && !this.informer) this.startInformer();
      else if (!installed && this.informer) {
        // The CRD is gone, and with it every object of its kind.
        const informer = this.informer;
        this.informer = undefined;
        await informer.stop({ purge: true });
        this.options.metrics?.forget(this.cluster.name, this.source.name);
        this.logger.info('source removed; informer stopped');
      }
    });
  }

  stop(): Promise<void> {
    return this.enqueue(async () => {
      const informer = this.informer;
      this.informer = undefined;
      await informer?.stop();
    });
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(task, task);
    return this.queue;
  }

  private startInformer(): void {
    const { cluster, source, options, registry } = this;
    const handle = (change: PulledChange) => options.handler(cluster.name, source.name, change);
    const informer = new ReportInformer({
      ...options.informer,
      kubeConfig: cluster.kubeConfig,
      resource: source.resource,
      logger: this.logger,
      handler: {
        onUpsert: (object) => handle({ type: 'upsert', object }),
        onDelete: (object) => handle({ type: 'delete', object }),
      },
      onStatus: (status) => {
        // A late status from an informer already replaced or stopped must not overwrite the state.
        if (this.informer !== informer) return;
        registry.update(cluster.name, source.name, this.patchFor(status));
        options.metrics?.observe(cluster.name, source.name, status);
      },
      onRelist: () => options.metrics?.relisted(cluster.name, source.name),
    });
    this.informer = informer;
    informer.start();
    this.logger.info('informer started');
  }

  private patchFor(status: InformerStatus): Parameters<SourceRegistry['update']>[2] {
    switch (status.type) {
      case 'synced':
        return {
          lastSync: status.at.toISOString(),
          error: null,
          ...(this.source.detection.kind === 'labelled-configmaps' ? { installed: status.objects > 0 } : this.source.detection.kind === 'builtin' ? { installed: true } : {}),
        };
      case 'connected':
        return { error: null };
      case 'error':
        return { error: status.message };
    }
  }
}

/**
 * Wires detection and informers for every cluster and source: CRD sources start their informer when
 * their CRD appears (checked at start and every `detectionIntervalMs`) and stop it, emitting deletes,
 * when it disappears; ConfigMap sources watch from the start. State is in `registry.list()`.
 */
export function startPulledSources(options: PulledSourcesOptions): PulledSources {
  const sources = options.sources ?? PULLED_SOURCES;
  const registry = new SourceRegistry();
  const runners = new Map<string, SourceRunner>();
  const runnerKey = (cluster: string, source: PulledSourceName) => `${cluster}\u0000${source}`;
  for (const cluster of options.clusters) {
    for (const source of sources) {
      registry.register(cluster.name, source.name);
      const logger = options.logger.child({ cluster: cluster.name, source: source.name });
      runners.set(runnerKey(cluster.name, source.name), new SourceRunner(cluster, source, options, registry, logger));
    }
  }

  const detector = new SourceDetector({
    clusters: options.clusters,
    sources,
    registry,
    logger: options.logger,
    intervalMs: options.detectionIntervalMs,
    onDetected: (cluster, source, installed) => runners.get(runnerKey(cluster.name, source.name))?.setInstalled(installed) ?? Promise.resolve(),
  });

  const configMapStarts = options.clusters.flatMap((cluster) =>
    sources.filter((s) => s.detection.kind === 'labelled-configmaps' || s.detection.kind === 'builtin').map((s) => runners.get(runnerKey(cluster.name, s.name))?.setInstalled(true)),
  );
  const ready = Promise.all([detector.start(), ...configMapStarts]).then(() => undefined);

  return {
    registry,
    ready,
    detectNow: () => detector.checkNow(),
    async stop() {
      await detector.stop();
      await Promise.all([...runners.values()].map((runner) => runner.stop()));
    },
  };
}
