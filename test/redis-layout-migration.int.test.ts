import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@vigil/lib/logger';
import { migrateRedisLayout } from '@vigil/lib/redis-layout-migration';
import { oneSlotPrefix } from '@vigil/lib/redis-slot';
import type { NormalisedSecurityEvent } from '@vigil/subgraph-cluster/store/security-event-store';
import { RedisSecurityEventStore } from '@vigil/subgraph-cluster/store/redis-security-event-store';
import { SECURITY_EVENT_LAYOUT } from '@vigil/subgraph-cluster/store/security-event-keys';
import { FACT_STORE_LAYOUT } from '@vigil/subgraph-hosts/facts/fact-keys';
import { RedisFactStore } from '@vigil/subgraph-hosts/facts/redis-fact-store';
import type { ProbeReport } from '@vigil/subgraph-hosts/facts/types';
import { startRedisServer, type RedisServer } from './support/redis-server.js';

// An upgrade from the layout before the stores moved under one hash tag: the events (with their
// occurrence counts) and the hosts' facts stored under the old names are moved, not left unread.
// The old layout is made from the current stores' own keys with the hash-tag segment taken out,
// which is exactly what the stores wrote before (the move changed nothing but the prefix).

const logger = createLogger('test', { level: 'silent' });
const NOW = new Date('2025-06-01T12:00:00.000Z');
let server: RedisServer;
let redis: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url);
});

afterAll(async () => {
  redis.disconnect();
  await server?.stop();
});

/** Renames every key of a store from its one-slot name back to the old one: `<prefix><rest>`. */
async function toOldLayout(prefix: string, store: string): Promise<number> {
  const current = oneSlotPrefix(prefix, store);
  const keys = await redis.keys(`${current.replace(/[{}]/g, (c) => `\\${c}`)}*`);
  for (const key of keys) await redis.rename(key, prefix + key.slice(current.length));
  return keys.length;
}

const occurrence = (key: string, at: string): NormalisedSecurityEvent => ({
  dedupKey: key,
  source: 'FALCO',
  category: 'RUNTIME',
  severity: 'CRITICAL',
  eventType: 'Terminal shell in container',
  title: `title ${key}`,
  cluster: 'prod',
  resource: { cluster: 'prod', namespace: 'default', kind: 'Pod', name: 'web-1' },
  hostname: 'node-1',
  occurredAt: at,
  details: {
    priority: 'Critical',
    rule: 'Terminal shell in container',
    output: 'a shell',
    source: 'syscall',
    tags: ['container'],
    outputFields: {},
    time: at,
    hostname: 'node-1',
    containerId: 'ee97d9c4186f',
    containerImage: 'docker.io/library/alpine',
    uuid: null,
  },
  raw: { output: 'a shell' },
});

describe('moving stored events and facts to the one-slot key layout', () => {
  it('security events keep their occurrence counts', async () => {
    const namespace = server.uniquePrefix();
    const prefix = `${namespace}:cluster:`;
    const make = () => new RedisSecurityEventStore(redis, { prefix, retentionDays: 30, now: () => NOW });
    const before = make();
    await before.record(occurrence('shell', '2025-06-01T11:00:00.000Z'));
    await before.record(occurrence('shell', '2025-06-01T11:05:00.000Z'));
    await before.record(occurrence('other', '2025-06-01T11:10:00.000Z'));
    const counts = async () => Object.fromEntries((await make().list({}, { first: 10 })).events.map((e) => [e.title, e.count]));
    expect(await counts()).toEqual({ 'title shell': 2, 'title other': 1 });

    expect(await toOldLayout(prefix, 'events')).toBeGreaterThan(3);
    expect(await counts()).toEqual({});

    const moved = await migrateRedisLayout({ redisUrl: server.url, namespace, logger, stores: [SECURITY_EVENT_LAYOUT] });
    expect(moved.kept).toBe(0);
    expect(moved.moved).toBeGreaterThan(3);
    expect(await counts()).toEqual({ 'title shell': 2, 'title other': 1 });
    // Once moved, nothing is left under the old names, and a second run finds nothing.
    expect(await redis.keys(`${prefix}event*`)).toEqual([]);
    expect(await migrateRedisLayout({ redisUrl: server.url, namespace, logger, stores: [SECURITY_EVENT_LAYOUT] })).toEqual({ moved: 0, kept: 0 });
  });

  it('facts keep their state, history and package index; a key written since is not overwritten', async () => {
    const namespace = server.uniquePrefix();
    const prefix = `${namespace}:hosts:`;
    const make = () => new RedisFactStore(redis, prefix, { now: () => NOW });
    const report = (at: string, version: string): ProbeReport => ({
      hostId: 'web-1',
      status: 'OK',
      message: null,
      startedAt: at,
      finishedAt: at,
      packageManager: 'dpkg',
      collectors: { packages: { status: 'OK', message: null } },
      facts: { packages: [{ name: 'openssl', version, arch: 'amd64' }] },
      metrics: null,
    });
    await make().saveReport(report('2025-06-01T10:00:00.000Z', '3.0.11-1'));
    await make().saveReport(report('2025-06-01T11:00:00.000Z', '3.0.13-1'));
    const read = async () => ({
      packages: (await make().getFacts('packages', ['web-1']))[0],
      changes: (await make().getChanges('web-1', { limit: 10 })).length,
      holders: (await make().hostsWithPackage('openssl')).map((h) => h.hostId),
    });
    const stored = await read();
    expect(stored.packages).toEqual([{ name: 'openssl', version: '3.0.13-1', arch: 'amd64' }]);
    expect(stored.changes).toBeGreaterThan(0);

    await toOldLayout(prefix, 'facts');
    expect((await read()).packages).toBeNull();
    // Written after the upgrade, before the move: the new key wins, the old one is left and counted.
    const state = `${prefix}state:web-1`;
    await redis.copy(state, `${oneSlotPrefix(prefix, 'facts')}state:web-1`);

    const moved = await migrateRedisLayout({ redisUrl: server.url, namespace, logger, stores: [FACT_STORE_LAYOUT] });
    expect(moved.kept).toBe(1);
    expect(await redis.exists(state)).toBe(1);
    expect(await read()).toEqual(stored);
  });

  it('leaves the keys of other subgraphs and stores alone', async () => {
    const namespace = server.uniquePrefix();
    await redis.set(`${namespace}:cluster:audit:ledger:x`, '1');
    await redis.set(`${namespace}:alerts:event:1`, '1');
    expect(await migrateRedisLayout({ redisUrl: server.url, namespace, logger, stores: [SECURITY_EVENT_LAYOUT, FACT_STORE_LAYOUT] })).toEqual({ moved: 0, kept: 0 });
    expect(await redis.get(`${namespace}:cluster:audit:ledger:x`)).toBe('1');
    expect(await redis.get(`${namespace}:alerts:event:1`)).toBe('1');
  });
});
