import { afterAll, beforeAll } from 'vitest';
import { createLogger } from '../src/logger.js';
import { MemoryAlertStateStore } from '../src/alerts/memory-alert-state-store.js';
import { RedisAlertStateStore } from '../src/alerts/redis-alert-state-store.js';
import { createRedis } from '../src/redis.js';
import { startRedisServer, type RedisServer } from '../../test/support/redis-server.js';
import { alertStateStoreContract } from './alert-state-store.contract.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

alertStateStoreContract('memory', async (clock) => {
  const store = new MemoryAlertStateStore(clock);
  return { store, dispose: () => store.close() };
});

alertStateStoreContract('redis', async (clock) => {
  const redis = createRedis(server.url, createLogger('test', { level: 'silent' }), 'test');
  const store = new RedisAlertStateStore(redis, { prefix: `${server.uniquePrefix()}:alerts:`, clock });
  return {
    store,
    dispose: async () => {
      await store.close();
      redis.disconnect();
    },
  };
});
