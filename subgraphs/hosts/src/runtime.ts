import { createHostDirectory } from '@vigil/lib/host-directory';
import { createRedis, keyPrefix } from '@vigil/lib/redis';
import type { SharedServices } from '@vigil/lib/shared-services';
import type { SubgraphDefinition } from '@vigil/lib/subgraph-server';
import type { HostsConfig } from './config.js';
import type { HostsContext } from './context.js';
import type { FactStore } from './facts/fact-store.js';
import { MemoryFactStore } from './facts/memory-fact-store.js';
import { RedisFactStore } from './facts/redis-fact-store.js';
import { buildInventory, type InventoryHost } from './inventory/build-inventory.js';
import { createProbePipeline, type ReportProbe } from './probe-pipeline.js';
import { measuredProbe } from './probe-metrics.js';
import { createProbeScheduler, type ProbeScheduler } from './scheduling/probe-scheduler.js';
import { systemClock as schedulerTimers } from './scheduling/in-process-probe-scheduler.js';
import { createHostsSubgraph } from './server.js';
import { inventoryIdentity } from './host-identity.js';
import { probeHostReport } from './sources/probe/probe-report.js';

export interface HostsRuntime {
  definition: SubgraphDefinition<HostsContext>;
  inventory: readonly InventoryHost[];
  scheduler: ProbeScheduler;
  store: FactStore;
  /** Starts the schedule; call once the subgraph is serving. */
  start(): Promise<void>;
}

export function createHostsRuntime(config: HostsConfig, shared: SharedServices, options: { probe?: ReportProbe } = {}): HostsRuntime {
  const warnings: string[] = [];
  const inventory = buildInventory(config, warnings);
  for (const warning of warnings) shared.logger.warn({ warning }, 'ansible inventory import');
  const prefix = keyPrefix(shared.namespace, 'hosts');
  const retention = { metricsRetentionDays: config.retention.metricsDays, historyRetentionDays: config.retention.historyDays, now: shared.clock };
  const store: FactStore = shared.redisUrl
    ? new RedisFactStore(createRedis(shared.redisUrl, shared.logger, 'hosts'), prefix, retention)
    : new MemoryFactStore(retention);
  const hostDirectory = shared.hostDirectory ?? createHostDirectory({ redisUrl: shared.redisUrl, namespace: shared.namespace, logger: shared.logger });
  const probe = createProbePipeline({
    hosts: inventory,
    store,
    publisher: shared.publisher,
    probe: measuredProbe(options.probe ?? probeHostReport, shared.metrics),
    sudo: new Set(config.probe.sudo),
    alertRules: { unreachableAfter: config.probe.unreachableAfter },
    logger: shared.logger.child({ component: 'probe' }),
    hostDirectory,
  });
  const scheduler = createProbeScheduler({
    hosts: inventory,
    probe,
    logger: shared.logger.child({ component: 'probe-scheduler' }),
    factsIntervalMs: config.probe.factsIntervalSeconds * 1000,
    metricsIntervalMs: config.probe.metricsIntervalSeconds * 1000,
    concurrency: config.probe.concurrency,
    jitterRatio: config.probe.jitterRatio,
    redisUrl: shared.redisUrl,
    prefix,
    // A run is a facts and a metrics probe, each bounded by connect + command timeouts; the lock must outlive both.
    clock: { ...schedulerTimers, now: () => shared.clock().getTime() },
    lockDurationMs: 2 * (config.probe.connectTimeoutMs + 2 * config.probe.commandTimeoutMs) + 30_000,
  });
  const definition = createHostsSubgraph({ inventory, store, scheduler, clock: shared.clock });
  return {
    definition: {
      ...definition,
      close: async () => {
        await scheduler.stop();
        await store.close();
        if (!shared.hostDirectory) await hostDirectory.close();
      },
    },
    inventory,
    scheduler,
    store,
    start: async () => {
      // The inventory's own evidence (labels, probe address) first, and hosts that left it dropped,
      // so the cluster subgraph matches against this inventory before any probe finishes.
      await hostDirectory.retain(inventory.map((h) => h.id));
      for (const host of inventory) await hostDirectory.publish(inventoryIdentity(host));
      await scheduler.start();
    },
  };
}
