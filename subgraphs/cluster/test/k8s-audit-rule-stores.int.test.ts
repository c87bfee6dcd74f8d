import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@vigil/lib/logger';
import { createRedis } from '@vigil/lib/redis';
import { startRedisServer, type RedisServer } from '../../../test/support/redis-server.js';
import { MemoryDeliveryLedger } from '../src/sources/k8s-audit/delivery-ledger.js';
import { RedisDeliveryLedger } from '../src/sources/k8s-audit/redis-delivery-ledger.js';
import { RedisAuditRuleState } from '../src/sources/k8s-audit/redis-rule-state.js';
import { MemoryAuditRuleState } from '../src/sources/k8s-audit/rule-state.js';
import { MINUTE, auditRuleStateContract, deliveryLedgerContract, manualClock } from './k8s-audit-rule-stores.contract.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

const logger = createLogger('test', { level: 'silent' });

deliveryLedgerContract('memory', async ({ windowMs, leaseMs }) => {
  const clock = manualClock();
  const ledger = new MemoryDeliveryLedger({ windowMs, leaseMs, maxEntries: 100_000, clock });
  return { ledger, peer: ledger, clock, dispose: () => Promise.resolve() };
});

deliveryLedgerContract('redis', async ({ windowMs, leaseMs }) => {
  const clock = manualClock();
  const prefix = `${server.uniquePrefix()}:`;
  const a = createRedis(server.url, logger, 'test-a');
  const b = createRedis(server.url, logger, 'test-b');
  return {
    ledger: new RedisDeliveryLedger(a, { prefix, windowMs, leaseMs, clock }),
    peer: new RedisDeliveryLedger(b, { prefix, windowMs, leaseMs, clock }),
    clock,
    dispose: async () => {
      a.disconnect();
      b.disconnect();
    },
  };
});

auditRuleStateContract('memory', async () => {
  const clock = manualClock();
  const state = new MemoryAuditRuleState({ clock });
  return { state, peer: state, clock, dispose: () => Promise.resolve() };
});

auditRuleStateContract('redis', async () => {
  const clock = manualClock();
  const prefix = `${server.uniquePrefix()}:`;
  const a = createRedis(server.url, logger, 'test-a');
  const b = createRedis(server.url, logger, 'test-b');
  return {
    state: new RedisAuditRuleState(a, { prefix, clock }),
    peer: new RedisAuditRuleState(b, { prefix, clock }),
    clock,
    dispose: async () => {
      a.disconnect();
      b.disconnect();
    },
  };
});

describe('bounds', () => {
  it('the memory ledger keeps at most maxEntries keys, dropping the least recently written', async () => {
    const clock = manualClock();
    const ledger = new MemoryDeliveryLedger({ windowMs: 60 * MINUTE, maxEntries: 1000, clock });
    const keys = Array.from({ length: 1500 }, (_, i) => `${i}/ResponseComplete`);
    await ledger.claim('prod', keys, 'one');
    await ledger.settle('prod', { done: keys, recorded: [], released: [] });
    expect(ledger.size).toBe(1000);
    expect(await ledger.claim('prod', ['0/ResponseComplete', '1499/ResponseComplete'], 'two')).toEqual([{ state: 'claimed', recorded: false }, { state: 'done' }]);
  });

  it('every Redis key the ledger and rule state write expires, within 1.25 windows (ledger) or one window (rates)', async () => {
    const clock = manualClock();
    const prefix = `${server.uniquePrefix()}:`;
    const redis = createRedis(server.url, logger, 'test');
    try {
      const windowMs = 60 * MINUTE;
      const ledger = new RedisDeliveryLedger(redis, { prefix, windowMs, clock });
      await ledger.claim('prod', ['a/ResponseComplete'], 'one');
      await ledger.settle('prod', { done: ['a/ResponseComplete'], recorded: [], released: [] });
      const state = new RedisAuditRuleState(redis, { prefix, clock });
      await state.addRequestCounts('prod', Math.floor(clock().getTime() / MINUTE), { requests: 1, failures: 1 }, { bucketMs: MINUTE, buckets: 5 });
      await state.claimFiring('prod', 'apiFailureRate', 5 * MINUTE);
      await state.heardFrom('prod', clock().getTime());
      await state.markSilent(clock().getTime());
      const keys = await redis.keys(`${prefix}*`);
      // A ledger bucket, a rate bucket, a firing hold, the last-seen and silence hashes.
      expect(keys.length).toBe(5);
      for (const key of keys) {
        const ttl = await redis.pttl(key);
        expect(ttl, key).toBeGreaterThan(0);
        if (key.includes(':ledger:')) expect(ttl, key).toBeLessThanOrEqual(windowMs * 1.25);
        if (key.includes(':rate:') || key.includes(':fired:')) expect(ttl, key).toBeLessThanOrEqual(5 * MINUTE);
      }
    } finally {
      redis.disconnect();
    }
  });
});
