import { afterAll, beforeAll } from 'vitest';
import { pino } from 'pino';
import { MemoryAlertLog } from '../src/alerts/memory-alert-log.js';
import { RedisAlertLog } from '../src/alerts/redis-alert-log.js';
import { createRedis } from '../src/redis.js';
import { startRedisServer, type RedisServer } from '../../test/support/redis-server.js';
import { alertLogContract } from './alert-log.contract.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

const logger = pino({ level: 'silent' });

alertLogContract('memory', async () => {
  const log = new MemoryAlertLog({ maxLength: 1000 });
  return { log, dispose: () => log.close() };
});

alertLogContract('redis stream', async () => {
  const redis = createRedis(server.url, logger, 'test');
  const blocking = createRedis(server.url, logger, 'test-blocking');
  const log = new RedisAlertLog(redis, blocking, { prefix: `${server.uniquePrefix()}:`, maxLength: 1000, logger, blockMs: 100 });
  return {
    log,
    dispose: async () => {
      await log.close();
      redis.disconnect();
    },
  };
});
