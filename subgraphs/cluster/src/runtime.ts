import { createHostDirectory } from '@vigil/lib/host-directory';
import { createRedis, keyPrefix } from '@vigil/lib/redis';
import type { SharedServices } from '@vigil/lib/shared-services';
import type { SubgraphDefinition } from '@vigil/lib/subgraph-server';
import type { ClusterConfig } from './config.js';
import type { ClusterContext } from './context.js';
import type { DeliveryLedger } from './sources/k8s-audit/delivery-ledger.js';
import type { AuditRuleState } from './sources/k8s-audit/rule-state.js';
import { falcoIngestRouter } from './http/falco-ingest.js';
import { K8S_AUDIT_PATH, createK8sAuditIntake } from './http/k8s-audit-ingest.js';
import { intakeMetrics } from './http/intake-metrics.js';
import { loadKubeClusters } from './kube/kube-clusters.js';
import { startPulledSources, type PulledSources } from './kube/pulled-sources.js';
import { informerMetrics } from './kube/informer-metrics.js';
import { createReportIngest } from './report-ingest.js';
import { NodeHostIndex } from './nodes/node-host-index.js';
import { NodeRegistry, parseNode } from './nodes/node-record.js';
import { createClusterSubgraph } from './server.js';
import { MemorySecurityEventStore } from './store/memory-security-event-store.js';
import { RedisSecurityEventStore } from './store/redis-security-event-store.js';
import type { SecurityEventStore } from './store/security-event-store.js';

export interface ClusterRuntime {
  definition: SubgraphDefinition<ClusterContext>;
  store: SecurityEventStore;
  /**
   * The audit webhook's delivery ledger and rule state: the audit subgraph's live tail shares them in one
   * process without Redis, so a request both see alerts once (with Redis both use the same keys).
   */
  auditRuleMemory: { ledger: DeliveryLedger; ruleState: AuditRuleState };
  /** Starts reading the configured clusters' reports; call once the subgraph is serving. */
  start(): Promise<void>;
}

export function createClusterRuntime(config: ClusterConfig, shared: SharedServices): ClusterRuntime {
  const redis = shared.redisUrl ? createRedis(shared.redisUrl, shared.logger, 'cluster') : null;
  const prefix = keyPrefix(shared.namespace, 'cluster');
  const store: SecurityEventStore = redis
    ? new RedisSecurityEventStore(redis, { prefix, retentionDays: config.retentionDays, now: shared.clock })
    : new MemorySecurityEventStore({ retentionDays: config.retentionDays, now: shared.clock });
  // Nodes from the informers, matched to the hosts the hosts subgraph publishes (Node ↔ Host by evidence).
  const nodes = new NodeRegistry();
  const hostDirectory = shared.hostDirectory ?? createHostDirectory({ redisUrl: shared.redisUrl, namespace: shared.namespace, logger: shared.logger });
  const nodeHostIndex = new NodeHostIndex({ nodes, directory: hostDirectory, clock: shared.clock });
  const hostOfNode = (cluster: string, nodeName: string) => nodeHostIndex.hostOfNode(cluster, nodeName);
  const falco = falcoIngestRouter({
    store,
    publisher: shared.publisher,
    cluster: config.name,
    alertMinPriority: config.falco.alertMinPriority,
    maxBodyBytes: config.falco.maxBodyBytes,
    maxInFlight: config.falco.maxInFlight,
    ...(config.falco.token ? { token: config.falco.token } : {}),
    logger: shared.logger.child({ component: 'falco-ingest' }),
    hostOfNode,
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

  const definition = createClusterSubgraph({ store, clusterNames, sourceStates: () => pulled?.registry.list() ?? [], nodeHostIndex }, (app) => {
    // Counted at the routes' answers (http/intake-metrics.ts), so the handlers stay as they are.
    app.use(intakeMetrics(shared.metrics, 'falco', '/ingest/falco'));
    app.use(falco);
    app.use(intakeMetrics(shared.metrics, 'k8s-audit', K8S_AUDIT_PATH));
    app.use(audit.router);
  });
  return {
    store,
    auditRuleMemory: { ledger: audit.ledger, ruleState: audit.ruleState },
    definition: {
      ...definition,
      close: async () => {
        await pulled?.stop();
        await audit.stop();
        await redis?.quit().catch(() => redis.disconnect());
        if (!shared.hostDirectory) await hostDirectory.close();
      },
    },
    start: async () => {
      if (kubeClusters.length === 0) return;
      const reports = createReportIngest({ store, publisher: shared.publisher, logger: shared.logger.child({ component: 'report-ingest' }), clock: shared.clock, hostOfNode });
      pulled = startPulledSources({
        clusters: kubeClusters,
        handler: async (cluster, source, change) => {
          if (source !== 'kubernetes-nodes') return reports(cluster, source, change);
          if (change.type === 'delete') nodes.delete(cluster, change.object.metadata.name);
          else nodes.upsert(parseNode(cluster, change.object));
        },
        logger: shared.logger.child({ component: 'pulled-sources' }),
        detectionIntervalMs: (config.kubernetes?.detectionIntervalSeconds ?? 300) * 1000,
        metrics: informerMetrics(shared.metrics),
      });
    },
  };
}
