import { ApiException, ApiextensionsV1Api, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import type { Logger } from '@vigil/lib/logger';
import type { KubeCluster } from './kube-clusters.js';
import { describeKubeError } from './kube-rest.js';
import type { PulledSourceName, PulledSourceSpec } from './pulled-source-specs.js';

/** What Vigil knows about one pulled source on one cluster. */
export interface SourceState {
  cluster: string;
  name: PulledSourceName;
  /** CRD sources: the CRD exists and serves our version. ConfigMap sources: ≥1 labelled ConfigMap exists. */
  installed: boolean;
  /** Last successful list or watch event (bookmarks included), ISO-8601. */
  lastSync: string | null;
  /** The last failure, short and credential-free; null once a list, watch or detection succeeds. */
  error: string | null;
}

type SourcePatch = Partial<Pick<SourceState, 'installed' | 'lastSync' | 'error'>>;

/** Per cluster and source state, written by detection and the informers, read by the API and health checks. */
export class SourceRegistry {
  private readonly states = new Map<string, SourceState>();

  private static key(cluster: string, name: PulledSourceName): string {
    return `${cluster}\u0000${name}`;
  }

  register(cluster: string, name: PulledSourceName): void {
    const key = SourceRegistry.key(cluster, name);
    if (!this.states.has(key)) this.states.set(key, { cluster, name, installed: false, lastSync: null, error: null });
  }

  update(cluster: string, name: PulledSourceName, patch: SourcePatch): void {
    this.register(cluster, name);
    const key = SourceRegistry.key(cluster, name);
    const current = this.states.get(key);
    if (current) this.states.set(key, { ...current, ...patch });
  }

  get(cluster: string, name: PulledSourceName): SourceState | undefined {
    const state = this.states.get(SourceRegistry.key(cluster, name));
    return state ? { ...state } : undefined;
  }

  /** Every state, ordered by cluster then source name. */
  list(): SourceState[] {
    return [...this.states.values()]
      .map((state) => ({ ...state }))
      .sort((a, b) => (a.cluster === b.cluster ? (a.name < b.name ? -1 : 1) : a.cluster < b.cluster ? -1 : 1));
  }
}

export type CrdDetection = { installed: true } | { installed: false; reason: string | null };

/**
 * Whether a CRD source is installed: its CRD exists, is Established, and serves the version we read.
 * 404 is a definite "not installed"; any other failure (401, 403, network) is thrown — unknown is not
 * the same as absent.
 */
export async function detectCrd(api: ApiextensionsV1Api, source: PulledSourceSpec): Promise<CrdDetection> {
  if (source.detection.kind !== 'crd') return { installed: true };
  let crd: V1CustomResourceDefinition;
  try {
    crd = await api.readCustomResourceDefinition({ name: source.detection.crdName });
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return { installed: false, reason: null };
    throw error;
  }
  const version = source.resource.version;
  const served = crd.spec.versions.filter((v) => v.served).map((v) => v.name);
  if (!served.includes(version)) {
    return { installed: false, reason: `CRD ${source.detection.crdName} does not serve ${version} (serves: ${served.join(', ') || 'none'})` };
  }
  const established = crd.status?.conditions?.find((c) => c.type === 'Established');
  if (established && established.status !== 'True') return { installed: false, reason: null };
  return { installed: true };
}

export interface SourceDetectorOptions {
  clusters: readonly KubeCluster[];
  sources: readonly PulledSourceSpec[];
  registry: SourceRegistry;
  logger: Logger;
  /** How often CRDs are checked again, so tools installed (or removed) later are noticed. @default 300000 */
  intervalMs?: number;
  /** Called after each successful check of a CRD source, installed or not; awaited. */
  onDetected(cluster: KubeCluster, source: PulledSourceSpec, installed: boolean): Promise<void>;
}

/**
 * Checks every CRD source on every cluster now and then every `intervalMs`. ConfigMap sources need
 * no check (see PulledSourceSpec.detection): their informer is the detector.
 */
export class SourceDetector {
  private readonly apis = new Map<string, ApiextensionsV1Api>();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: SourceDetectorOptions) {
    for (const cluster of options.clusters) this.apis.set(cluster.name, cluster.kubeConfig.makeApiClient(ApiextensionsV1Api));
  }

  /** Runs the first check; resolves when it is done, then keeps checking on the interval. */
  start(): Promise<void> {
    return this.checkNow();
  }

  /** One check of every CRD source on every cluster (serialised with the periodic ones). */
  checkNow(): Promise<void> {
    if (this.stopped) return this.round;
    if (this.timer) clearTimeout(this.timer);
    this.round = this.round
      .then(() => this.checkAll())
      .catch((error: unknown) => this.options.logger.error({ err: describeKubeError(error) }, 'source detection round failed'))
      .finally(() => this.schedule());
    return this.round;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.round;
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.checkNow(), this.options.intervalMs ?? 300_000);
    this.timer.unref();
  }

  private async checkAll(): Promise<void> {
    const crdSources = this.options.sources.filter((s) => s.detection.kind === 'crd');
    await Promise.all(
      this.options.clusters.map(async (cluster) => {
        for (const source of crdSources) {
          if (this.stopped) return;
          await this.checkOne(cluster, source);
        }
      }),
    );
  }

  private async checkOne(cluster: KubeCluster, source: PulledSourceSpec): Promise<void> {
    const { registry, logger } = this.options;
    const api = this.apis.get(cluster.name);
    if (!api) return;
    let detection: CrdDetection;
    try {
      detection = await detectCrd(api, source);
    } catch (error) {
      const message = describeKubeError(error);
      logger.warn({ cluster: cluster.name, source: source.name, err: message }, 'source detection failed');
      registry.update(cluster.name, source.name, { error: `detection failed: ${message}` });
      return;
    }
    const previous = registry.get(cluster.name, source.name);
    if (previous?.installed !== detection.installed) {
      logger.info({ cluster: cluster.name, source: source.name, installed: detection.installed }, 'source detected');
    }
    registry.update(cluster.name, source.name, {
      installed: detection.installed,
      // A detection error is resolved by a successful check; the informer reports its own errors.
      ...(detection.installed ? (previous?.error?.startsWith('detection failed') ? { error: null } : {}) : { error: detection.reason }),
    });
    try {
      await this.options.onDetected(cluster, source, detection.installed);
    } catch (error) {
      logger.error({ cluster: cluster.name, source: source.name, err: describeKubeError(error) }, 'reacting to detection failed');
    }
  }
}
