import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@vigil/lib/logger';
import { createRedis, type Redis } from '@vigil/lib/redis';
import { startRedisServer, type RedisServer } from '../../../test/support/redis-server.js';
import { MemorySecurityEventStore } from '../src/store/memory-security-event-store.js';
import { RedisSecurityEventStore } from '../src/store/redis-security-event-store.js';
import type { NormalisedSecurityEvent } from '../src/store/security-event-store.js';

// record() merges the occurrences of concurrent callers in one script call (group commit): the same
// counts as one call each, every caller answered only once its batch is in Redis.

let server: RedisServer;
let client: Redis;
beforeAll(async () => {
  server = await startRedisServer();
  client = createRedis(server.url, createLogger('test', { level: 'silent' }), 'test');
});
afterAll(async () => {
  client?.disconnect();
  await server?.stop();
});

const T0 = Date.parse('2026-03-01T12:00:00Z');
const clock = () => new Date(T0 + 60_000);

function occurrence(key: string, offsetMs: number, pod = key): NormalisedSecurityEvent {
  const at = new Date(T0 + offsetMs).toISOString();
  return {
    dedupKey: key,
    source: 'FALCO',
    category: 'RUNTIME',
    severity: 'MEDIUM',
    eventType: `rule ${key}`,
    title: `rule ${key}`,
    cluster: 'prod',
    resource: { cluster: 'prod', namespace: 'default', kind: 'Pod', name: pod },
    hostname: 'node-1',
    occurredAt: at,
    details: { priority: 'Warning', rule: `rule ${key}`, output: `at ${offsetMs}`, source: 'syscall', tags: [], outputFields: {}, time: at, hostname: 'node-1', containerId: null, containerImage: null, uuid: null },
    raw: {},
  };
}

/** Script calls the server ran (EVALSHA and EVAL), from its own statistics. */
async function scriptCalls(): Promise<number> {
  const info = await client.info('commandstats');
  return [...info.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

describe('RedisSecurityEventStore: record() in batches', () => {
  it('merges a burst of concurrent occurrences, repeats within it included, in one script call with the counts of one call each', async () => {
    const store = new RedisSecurityEventStore(client, { prefix: `${server.uniquePrefix()}:`, retentionDays: 30, now: clock });
    const memory = new MemorySecurityEventStore({ retentionDays: 30, now: clock });
    // 60 occurrences of 7 keys, out of time order, so the batch holds repeats, older repeats and new keys.
    const burst = Array.from({ length: 60 }, (_, i) => occurrence(`k${i % 7}`, ((i * 37) % 50) * 1000));
    await store.record(occurrence('warm', 0));
    const before = await scriptCalls();
    const redisResults = await Promise.all(burst.map((o) => store.record(o)));
    const calls = (await scriptCalls()) - before;
    const memoryResults = [];
    for (const o of burst) memoryResults.push(await memory.record(o));

    expect(calls).toBe(1);
    expect(redisResults.map((r) => [r.isNew, r.event.count, r.event.firstSeen, r.event.lastSeen, r.event.details])).toEqual(
      memoryResults.map((r) => [r.isNew, r.event.count, r.event.firstSeen, r.event.lastSeen, r.event.details]),
    );
    expect(redisResults.filter((r) => r.isNew)).toHaveLength(7);
    const listed = await store.list({ sources: ['FALCO'] }, { first: 100 });
    const expected = await memory.list({ sources: ['FALCO'] }, { first: 100 });
    expect(listed.events.filter((e) => e.eventType !== 'rule warm')).toEqual(expected.events);
    expect(listed.events.reduce((sum, e) => sum + e.count, 0)).toBe(61);
    const [ofPod] = await store.forResources([{ cluster: 'prod', namespace: 'default', kind: 'Pod', name: 'k3' }], 5);
    expect(ofPod?.map((e) => e.count)).toEqual([burst.filter((o) => o.dedupKey === 'k3').length]);
  });

  it('splits a burst larger than maxRecordBatch into several calls, in order', async () => {
    const store = new RedisSecurityEventStore(client, { prefix: `${server.uniquePrefix()}:`, retentionDays: 30, now: clock, maxRecordBatch: 10 });
    const before = await scriptCalls();
    const results = await Promise.all(Array.from({ length: 35 }, (_, i) => store.record(occurrence('same', i * 100))));
    expect((await scriptCalls()) - before).toBe(4);
    expect(results.map((r) => r.event.count)).toEqual(Array.from({ length: 35 }, (_, i) => i + 1));
    expect(results.at(-1)?.event.lastSeen).toBe(new Date(T0 + 3400).toISOString());
  });

  it('rejects every caller of a batch that fails, keeps what earlier batches stored, and goes on with the next', async () => {
    // A fault-injecting client: the next script call fails as a dropped connection would.
    const faulty = createRedis(server.url, createLogger('test', { level: 'silent' }), 'test-faulty');
    try {
      const prefix = `${server.uniquePrefix()}:`;
      const store = new RedisSecurityEventStore(faulty, { prefix, retentionDays: 30, now: clock });
      await Promise.all([store.record(occurrence('a', 0)), store.record(occurrence('b', 0))]);
      const evalsha = faulty.evalsha.bind(faulty);
      let failNext = true;
      (faulty as unknown as { evalsha: (...args: unknown[]) => Promise<unknown> }).evalsha = (...args: unknown[]) => {
        if (!failNext) return (evalsha as (...a: unknown[]) => Promise<unknown>)(...args);
        failNext = false;
        return Promise.reject(new Error('Connection is closed.'));
      };
      const failed = await Promise.allSettled([store.record(occurrence('a', 1000)), store.record(occurrence('c', 1000)), store.record(occurrence('a', 2000))]);
      expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
      const reader = new RedisSecurityEventStore(client, { prefix, retentionDays: 30, now: clock });
      const afterFailure = await reader.list({}, { first: 10 });
      expect(afterFailure.events.map((e) => [e.eventType, e.count]).sort()).toEqual([
        ['rule a', 1],
        ['rule b', 1],
      ]);
      // The sender retries what was refused: counted once.
      await Promise.all([store.record(occurrence('a', 1000)), store.record(occurrence('c', 1000)), store.record(occurrence('a', 2000))]);
      const afterRetry = await reader.list({}, { first: 10 });
      expect(afterRetry.events.map((e) => [e.eventType, e.count]).sort()).toEqual([
        ['rule a', 3],
        ['rule b', 1],
        ['rule c', 1],
      ]);
    } finally {
      faulty.disconnect();
    }
  });
});
