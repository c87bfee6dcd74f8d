import { createRedis, keyPrefix } from '@vigil/lib/redis';
import type { SharedServices } from '@vigil/lib/shared-services';
import type { SubgraphDefinition } from '@vigil/lib/subgraph-server';
import type { HostsConfig } from './config.js';
import type { HostsContext } from './context.js';
import { buildInventory } from './inventory.js';
import { ProbeScheduler } from './probe-scheduler.js';
import { createHostsSubgraph } from './server.js';
import { probeHost } from './sources/probe/probe.js';
import type { HostTarget, ProbeResult } from './sources/probe/types.js';
import type { HostStore } from './store/host-store.js';
import { MemoryHostStore } from './store/memory-host-store.js';
import { RedisHostStore } from './store/redis-host-store.js';

export interface HostsRuntime {
  definition: SubgraphDefinition<HostsContext>;
  scheduler: ProbeScheduler;
  store: HostStore;
  /** Starts probing; call once the subgraph is serving. */
  start(): void;
}

export function createHostsRuntime(
  config: HostsConfig,
  shared: SharedServices,
  options: { probe?: (target: HostTarget) => Promise<ProbeResult> } = {},
): HostsRuntime {
  const inventory = buildInventory(config);
  const store: HostStore = shared.redisUrl
    ? new RedisHostStore(createRedis(shared.redisUrl, shared.logger, 'hosts'), keyPrefix(shared.namespace, 'hosts'))
    : new MemoryHostStore();
  const scheduler = new ProbeScheduler({
    hosts: inventory,
    store,
    probe: options.probe ?? ((target) => probeHost(target)),
    publisher: shared.publisher,
    intervalMs: config.probe.intervalSeconds * 1000,
    concurrency: config.probe.concurrency,
    logger: shared.logger.child({ component: 'probe-scheduler' }),
  });
  const definition = createHostsSubgraph({ inventory, store });
  return {
    definition: {
      ...definition,
      close: async () => {
        await scheduler.stop();
        await store.close();
      },
    },
    scheduler,
    store,
    start: () => scheduler.start(),
  };
}
