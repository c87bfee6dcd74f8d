import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisAlertStateStore } from '@vigil/lib/alerts/redis-alert-state-store';
import { ScriptSlotMonitor } from './support/redis-cluster-check.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';

/**
 * The Redis Cluster check the Redis tests run under with VIGIL_TEST_REDIS=cluster
 * (`npm run test:redis-cluster`): a one-node cluster refuses cross-slot commands and transactions
 * itself, and the script monitor catches the one thing a single node lets through. Proven here on
 * commands that break the rule, and on the lifecycle scripts that keep it (their keys share one hash tag).
 */
describe('the Redis Cluster check', () => {
  let server: RedisServer;
  let redis: Redis;
  let check: ScriptSlotMonitor;

  beforeAll(async () => {
    server = await startRedisServer({ cluster: true });
    redis = new Redis(server.url);
    // A second monitor on the same server, so this test can read the violations it provokes.
    check = await ScriptSlotMonitor.start(server.url);
  }, 30_000);

  afterAll(async () => {
    await check?.stop();
    redis?.disconnect();
    // The server's own monitor saw the provoked violations too: it must reject, naming them.
    await expect(server.stop()).rejects.toThrow(/several slots/);
  });

  it('refuses a multi-key command and a transaction across slots, allows them within one hash tag', async () => {
    await expect(redis.mget('a', 'b')).rejects.toThrow(/CROSSSLOT/);
    await expect(redis.multi().set('a', '1').set('b', '2').exec()).rejects.toThrow(/CROSSSLOT|EXECABORT/);
    expect(await redis.multi().set('{t}a', '1').set('{t}b', '2').exec()).toEqual([[null, 'OK'], [null, 'OK']]);
  });

  it('names a script that reaches keys of two slots, even a key it did not declare', async () => {
    await redis.eval("redis.call('SET', KEYS[1], '1') return redis.call('GET', 'undeclared')", 1, 'declared');
    await redis.eval("redis.call('SET', KEYS[1], '1') return redis.call('GET', '{declared}:other')", 1, 'declared');
    const violations = await check.settle();
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatch(/touched 2 slots: (declared, undeclared|undeclared, declared)/);
  });

  it('the lifecycle scripts (fold, resolve) stay in one slot', async () => {
    const store = new RedisAlertStateStore(redis, { prefix: 'vigil:alerts:', clock: () => new Date() });
    const at = new Date();
    await store.openFold('["CLUSTER","rule","host:a"]', '1-0', at, 60_000);
    expect(await store.fold('["CLUSTER","rule","host:a"]', at, 60_000)).toEqual({ alertId: '1-0', count: 2 });
    await store.resolve('1-0', { by: 'x', at: at.toISOString(), comment: null });
    const before = check.violations.length;
    expect((await check.settle()).slice(before)).toEqual([]);
  });
});
