import type { AlertPublisher } from './alerts/publisher.js';
import type { Clock } from './clock.js';
import type { HostDirectory } from './host-directory.js';
import type { Logger } from './logger.js';
import type { Registry } from 'prom-client';

/** What every subgraph runtime is given: created once per process, shared, closed by the owner. */
export interface SharedServices {
  logger: Logger;
  publisher: AlertPublisher;
  /** Unset: in-memory stores (the one-process embedded stack). */
  redisUrl: string | undefined;
  /** First segment of Redis keys. */
  namespace: string;
  /** The wall clock every retention, expiry and score is measured against (tests inject their own). */
  clock: Clock;
  /**
   * Where this service's Prometheus metrics go (lib/src/metrics.ts creates it): one per service
   * process, one per stack in the one-process layout (shared by its subgraphs, also exposed by the
   * gateway's /metrics). Never prom-client's global registry. Get-or-create metrics with
   * counter()/gauge()/histogram() from lib/src/metrics.ts, since subgraphs may share it.
   */
  metrics: Registry;
  /**
   * Host identities the hosts subgraph publishes and the cluster subgraph matches Nodes against. One
   * process (the stack) passes one instance to both; unset, each creates its own (Redis when configured).
   */
  hostDirectory?: HostDirectory;
}
