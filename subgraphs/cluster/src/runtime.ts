import { createRedis, keyPrefix } from '@vigil/lib/redis';
import type { SharedServices } from '@vigil/lib/shared-services';
import type { SubgraphDefinition } from '@vigil/lib/subgraph-server';
import type { ClusterConfig } from './config.js';
import type { ClusterContext } from './context.js';
import { falcoIngestRouter } from './http/falco-ingest.js';
import { createK8sAuditIntake } from './http/k8s-audit-ingest.js';
import { loadKubeClusters } from './kube/kube-clusters.js';
import { startPulledSources, type PulledSources } from './kube/pulled-sources.js';
import { createReportIngest } from './report-ingest.js';
import { createClusterSubgraph } from './server.js';
import { MemorySecurityEventStore } from './store/memory-security-event-store.js';
import { RedisSecurityEventStore } from './store/redis-security-event-store.js';
import type { SecurityEventStore } from './store/security-event-store.js';

export interface ClusterRuntime {
  definition: SubgraphDefinition<ClusterContext>;
  store: SecurityEventStore;
  /** Starts reading the configured clusters' reports; call once the subgraph is serving. */
  start(): Promise<void>;
}

export function createClusterRuntime(config: ClusterConfig, shared: SharedServices): ClusterRuntime {
  const redis = shared.redisUrl ? createRedis(shared.redisUrl, shared.logger, 'cluster') : null;
  const prefix = keyPrefix(shared.namespace, 'cluster');
  const store: SecurityEventStore = redis
    ? new RedisSecurityEventStore(redis, { prefix, retentionDays: config.retentionDays, now: shared.clock })
    : new MemorySecurityEventStore({ retentionDays: config.retentionDays, now: shared.clock });
  const falco = falcoIngestRouter({
    store,
    publisher: shared.publisher,
    cluster: config.name,
    alertMinPriority: config.falco.alertMinPriority,
    maxBodyBytes: config.falco.maxBodyBytes,
    maxInFlight: config.falco.maxInFlight,
    ...(config.falco.token ? { token: config.falco.token } : {}),
    logger: shared.logger.child({ component: 'falco-ingest' }),
  });
  const audit = createK8sAuditIntake({
    config: config.audit,
    cluster: config.name,
    store,
    publisher: shared.publisher,
    // The delivery ledger and rule state beside the security events: what was acknowledged is remembered durably.
    redis,
    prefix,
    clock: shared.clock,
    logger: shared.logger.child({ component: 'k8s-audit-ingest' }),
  });

  // Kubeconfig errors (missing file, unknown context) surface at start, as configuration errors do.
  const kubeClusters = config.kubernetes
    ? loadKubeClusters({ contexts: config.kubernetes.contexts, ...(config.kubernetes.kubeconfigPath ? { kubeconfigPath: config.kubernetes.kubeconfigPath } : {}) })
    : [];
  let pulled: PulledSources | null = null;
  const clusterNames = [...new Set([config.name, ...kubeClusters.map((c) => c.name)])];

  const definition = createClusterSubgraph({ store, clusterNames, sourceStates: () => pulled?.registry.list() ?? [] }, (app) => {
    app.use(falco);
    app.use(audit.router);
  });
  return {
    store,
    definition: {
      ...definition,
      close: async () => {
        await pulled?.stop();
        await audit.stop();
        await redis?.quit().catch(() => redis.disconnect());
      },
    },
    start: async () => {
      if (kubeClusters.length === 0) return;
      pulled = startPulledSources({
        clusters: kubeClusters,
        handler: createReportIngest({ store, publisher: shared.publisher, logger: shared.logger.child({ component: 'report-ingest' }), clock: shared.clock }),
        logger: shared.logger.child({ component: 'pulled-sources' }),
        detectionIntervalMs: (config.kubernetes?.detectionIntervalSeconds ?? 300) * 1000,
      });
    },
  };
}
