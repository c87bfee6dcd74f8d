import { createRedis, keyPrefix } from '@vigil/lib/redis';
import type { SharedServices } from '@vigil/lib/shared-services';
import type { SubgraphDefinition } from '@vigil/lib/subgraph-server';
import type { ClusterConfig } from './config.js';
import type { ClusterContext } from './context.js';
import { falcoIngestRouter } from './http/falco-ingest.js';
import { createClusterSubgraph } from './server.js';
import { MemorySecurityEventStore } from './store/memory-security-event-store.js';
import { RedisSecurityEventStore } from './store/redis-security-event-store.js';
import type { SecurityEventStore } from './store/security-event-store.js';

export function createClusterRuntime(config: ClusterConfig, shared: SharedServices): { definition: SubgraphDefinition<ClusterContext>; store: SecurityEventStore } {
  const redis = shared.redisUrl ? createRedis(shared.redisUrl, shared.logger, 'cluster') : null;
  const store: SecurityEventStore = redis
    ? new RedisSecurityEventStore(redis, { prefix: keyPrefix(shared.namespace, 'cluster'), retentionDays: config.retentionDays })
    : new MemorySecurityEventStore({ retentionDays: config.retentionDays });
  const falco = falcoIngestRouter({
    store,
    publisher: shared.publisher,
    cluster: config.name,
    alertMinPriority: config.falco.alertMinPriority,
    maxBodyBytes: config.falco.maxBodyBytes,
    ...(config.falco.token ? { token: config.falco.token } : {}),
    logger: shared.logger.child({ component: 'falco-ingest' }),
  });
  const definition = createClusterSubgraph({ store }, (app) => app.use(falco));
  return {
    store,
    definition: {
      ...definition,
      close: async () => {
        await redis?.quit().catch(() => redis.disconnect());
      },
    },
  };
}
