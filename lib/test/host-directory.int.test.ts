import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { MemoryHostDirectory, RedisHostDirectory, type HostDirectory } from '../src/host-directory.js';
import { createRedis } from '../src/redis.js';
import { startRedisServer, type RedisServer } from '../../test/support/redis-server.js';

// One contract, both implementations: the hosts subgraph publishes, the cluster subgraph lists.

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

const logger = pino({ level: 'silent' });

const implementations: [string, () => HostDirectory][] = [
  ['memory', () => new MemoryHostDirectory()],
  // A random namespace per directory: tests never see each other's keys.
  ['redis', () => new RedisHostDirectory(createRedis(server.url, logger, 'test'), server.uniquePrefix(), true)],
];

describe.each(implementations)('HostDirectory (%s)', (_name, create) => {
  it('merges partial updates: what an update leaves out keeps its published value', async () => {
    const directory = create();
    try {
      await directory.publish({ hostId: 'web-1', labels: { env: 'prod' }, addresses: ['192.0.2.10'] });
      await directory.publish({ hostId: 'web-1', machineId: 'ab'.repeat(16), hostname: 'web-1' });
      // A probe whose interfaces collector succeeded replaces the addresses; its os collector failed, so the machine ID stays.
      await directory.publish({ hostId: 'web-1', addresses: ['192.0.2.10', '10.0.0.11'] });
      await directory.publish({ hostId: 'a-host' });
      expect(await directory.list()).toEqual([
        { hostId: 'a-host', labels: {}, machineId: null, systemUuid: null, hostname: null, addresses: [] },
        { hostId: 'web-1', labels: { env: 'prod' }, machineId: 'ab'.repeat(16), systemUuid: null, hostname: 'web-1', addresses: ['192.0.2.10', '10.0.0.11'] },
      ]);
    } finally {
      await directory.close();
    }
  });

  it('retain drops hosts that left the inventory', async () => {
    const directory = create();
    try {
      for (const hostId of ['a', 'b', 'c']) await directory.publish({ hostId });
      await directory.retain(['b', 'z']);
      expect((await directory.list()).map((h) => h.hostId)).toEqual(['b']);
    } finally {
      await directory.close();
    }
  });
});
