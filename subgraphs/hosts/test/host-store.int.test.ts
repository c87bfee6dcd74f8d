import { afterAll, beforeAll } from 'vitest';
import { createLogger } from '@vigil/lib/logger';
import { createRedis } from '@vigil/lib/redis';
import { startRedisServer, type RedisServer } from '../../../test/support/redis-server.js';
import { MemoryHostStore } from '../src/store/memory-host-store.js';
import { RedisHostStore } from '../src/store/redis-host-store.js';
import { hostStoreContract } from './host-store.contract.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

hostStoreContract('memory', async () => new MemoryHostStore());
hostStoreContract('redis', async () => new RedisHostStore(createRedis(server.url, createLogger('test', { level: 'silent' }), 'test'), `${server.uniquePrefix()}:`));
