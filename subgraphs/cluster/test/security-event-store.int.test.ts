import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@vigil/lib/logger';
import { createRedis } from '@vigil/lib/redis';
import { startRedisServer, type RedisServer } from '../../../test/support/redis-server.js';
import { MemorySecurityEventStore } from '../src/store/memory-security-event-store.js';
import { RedisSecurityEventStore } from '../src/store/redis-security-event-store.js';
import { securityEventStoreContract } from './security-event-store.contract.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

const logger = createLogger('test', { level: 'silent' });

securityEventStoreContract('memory', async (options) => {
  const store = new MemorySecurityEventStore(options);
  return { store, peer: async () => store, dispose: async () => undefined };
});

securityEventStoreContract('redis', async (options) => {
  const prefix = `${server.uniquePrefix()}:`;
  const clients = [createRedis(server.url, logger, 'test')];
  const open = () => {
    const client = createRedis(server.url, logger, 'test-peer');
    clients.push(client);
    return new RedisSecurityEventStore(client, { ...options, prefix });
  };
  const [first] = clients;
  if (!first) throw new Error('no client');
  return {
    store: new RedisSecurityEventStore(first, { ...options, prefix }),
    peer: async () => open(),
    dispose: async () => {
      for (const client of clients) client.disconnect();
    },
  };
});

describe('MemorySecurityEventStore specifics', () => {
  it('forgets report keys retentionDays after they were last set', async () => {
    let now = Date.parse('2025-06-01T12:00:00.000Z');
    const store = new MemorySecurityEventStore({ retentionDays: 7, now: () => new Date(now) });
    await store.setReportKeys('prod/TRIVY/uid', ['k']);
    now += 7 * 86_400_000 - 1;
    expect(await store.getReportKeys('prod/TRIVY/uid')).toEqual(['k']);
    await store.setReportKeys('prod/TRIVY/uid', ['k', 'l']);
    now += 7 * 86_400_000 - 1;
    expect(await store.getReportKeys('prod/TRIVY/uid')).toEqual(['k', 'l']);
    now += 1;
    expect(await store.getReportKeys('prod/TRIVY/uid')).toBeNull();
  });
});

describe('RedisSecurityEventStore specifics', () => {
  it('keeps vulnerability indexes and report keys under its prefix, with retention TTLs', async () => {
    const redis = createRedis(server.url, logger, 'test');
    try {
      const prefix = `${server.uniquePrefix()}:`;
      const now = new Date();
      const store = new RedisSecurityEventStore(redis, { prefix, retentionDays: 7, now: () => now });
      const { event } = await store.record({
        dedupKey: 'trivy/prod/default/Deployment/web/app/CVE-2024-0001',
        source: 'TRIVY',
        category: 'VULNERABILITY',
        severity: 'HIGH',
        eventType: 'vulnerability',
        title: 't',
        cluster: 'prod',
        resource: { cluster: 'prod', namespace: 'default', kind: 'Deployment', name: 'web' },
        hostname: null,
        occurredAt: new Date(now.getTime() - 86_400_000).toISOString(),
        details: {
          kind: 'TRIVY_VULNERABILITY',
          vulnerabilityId: 'CVE-2024-0001',
          pkgName: 'openssl',
          installedVersion: '1',
          fixedVersion: null,
          title: null,
          primaryLink: null,
          score: null,
          trivySeverity: 'HIGH',
          links: [],
          publishedDate: null,
          lastModifiedDate: null,
          packages: [],
          image: { registry: null, repository: 'web', tag: null, digest: null },
          container: 'app',
          os: null,
          scanner: { name: null, version: null },
        },
        raw: {},
      });
      await store.setReportKeys('prod/TRIVY/uid-1', [event.dedupKey]);
      await store.resolve([event.dedupKey], now.toISOString());
      const keys = (await redis.keys(`${prefix}*`)).sort();
      expect(keys).toEqual(
        [
          `${prefix}event:${event.id}`,
          `${prefix}events:by-last-seen`,
          `${prefix}events:by-resource:prod/default/Deployment/web`,
          `${prefix}events:by-vulnerability:CVE-2024-0001`,
          `${prefix}vulnerabilities:by-last-seen`,
          `${prefix}report-keys:prod/TRIVY/uid-1`,
        ].sort(),
      );
      expect(await redis.hget(`${prefix}event:${event.id}`, 'resolved')).toBe(String(now.getTime()));
      expect(await redis.zscore(`${prefix}vulnerabilities:by-last-seen`, 'CVE-2024-0001')).toBe(String(now.getTime() - 86_400_000));
      const sixDaysMs = 6 * 86_400_000;
      for (const key of keys.filter((k) => !k.includes('report-keys:'))) {
        const ttl = await redis.pttl(key);
        expect(ttl, key).toBeGreaterThan(sixDaysMs - 60_000);
        expect(ttl, key).toBeLessThanOrEqual(sixDaysMs);
      }
      // Report keys: the whole retention from the last set.
      const reportTtl = await redis.pttl(`${prefix}report-keys:prod/TRIVY/uid-1`);
      expect(reportTtl).toBeGreaterThan(7 * 86_400_000 - 60_000);
      expect(reportTtl).toBeLessThanOrEqual(7 * 86_400_000);
      await store.setReportKeys('prod/TRIVY/uid-1', []);
      expect(await redis.pttl(`${prefix}report-keys:prod/TRIVY/uid-1`)).toBeGreaterThan(7 * 86_400_000 - 60_000);
      expect(await store.getReportKeys('prod/TRIVY/uid-1')).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });

  it('loads its resolve script again after SCRIPT FLUSH', async () => {
    const redis = createRedis(server.url, logger, 'test');
    try {
      const store = new RedisSecurityEventStore(redis, { prefix: `${server.uniquePrefix()}:`, retentionDays: 7 });
      await redis.script('FLUSH');
      expect(await store.resolve(['absent'], new Date().toISOString())).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });

  it('keeps keys under its prefix, with TTLs on event keys and index keys', async () => {
    const redis = createRedis(server.url, logger, 'test');
    try {
      const prefix = `${server.uniquePrefix()}:`;
      const now = new Date();
      const store = new RedisSecurityEventStore(redis, { prefix, retentionDays: 7, now: () => now });
      const { event } = await store.record({
        dedupKey: 'falco/prod/ttl',
        source: 'FALCO',
        category: 'RUNTIME',
        severity: 'LOW',
        eventType: 'r',
        title: 't',
        cluster: 'prod',
        resource: { cluster: 'prod', namespace: 'ns/with-slash', kind: 'Pod', name: 'p' },
        hostname: 'node-1',
        occurredAt: new Date(now.getTime() - 86_400_000).toISOString(),
        details: {
          priority: 'Notice',
          rule: 'r',
          output: null,
          source: null,
          tags: [],
          outputFields: {},
          time: now.toISOString(),
          hostname: 'node-1',
          containerId: null,
          containerImage: null,
          uuid: null,
        },
        raw: {},
      });
      const keys = (await redis.keys(`${prefix}*`)).sort();
      expect(keys).toEqual(
        [
          `${prefix}event:${event.id}`,
          `${prefix}events:by-host:node-1`,
          `${prefix}events:by-last-seen`,
          `${prefix}events:by-resource:prod/ns%2Fwith-slash/Pod/p`,
        ].sort(),
      );
      const sixDaysMs = 6 * 86_400_000;
      for (const key of keys) {
        const ttl = await redis.pttl(key);
        // lastSeen was a day ago: six days of the seven-day window remain.
        expect(ttl, key).toBeGreaterThan(sixDaysMs - 60_000);
        expect(ttl, key).toBeLessThanOrEqual(sixDaysMs);
      }
    } finally {
      redis.disconnect();
    }
  });

  it('loads its script again after SCRIPT FLUSH', async () => {
    const redis = createRedis(server.url, logger, 'test');
    try {
      const store = new RedisSecurityEventStore(redis, { prefix: `${server.uniquePrefix()}:`, retentionDays: 7 });
      const occurrence = {
        dedupKey: 'k',
        source: 'FALCO' as const,
        category: 'RUNTIME' as const,
        severity: 'LOW' as const,
        eventType: 'r',
        title: 't',
        cluster: 'prod',
        resource: null,
        hostname: null,
        occurredAt: new Date().toISOString(),
        details: {
          priority: 'Notice' as const,
          rule: 'r',
          output: null,
          source: null,
          tags: [],
          outputFields: {},
          time: new Date().toISOString(),
          hostname: null,
          containerId: null,
          containerImage: null,
          uuid: null,
        },
        raw: {},
      };
      await store.record(occurrence);
      await redis.script('FLUSH');
      expect((await store.record(occurrence)).event.count).toBe(2);
    } finally {
      redis.disconnect();
    }
  });
});
