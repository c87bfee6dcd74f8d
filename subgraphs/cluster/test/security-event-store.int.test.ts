import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneSlotPrefix } from '@vigil/lib/redis-slot';
import { createLogger } from '@vigil/lib/logger';
import { createRedis, type Redis } from '@vigil/lib/redis';
import type { Severity } from '@vigil/lib/alerts/alert';
import { startRedisServer, type RedisServer } from '../../../test/support/redis-server.js';
import { MemorySecurityEventStore } from '../src/store/memory-security-event-store.js';
import { RedisSecurityEventStore } from '../src/store/redis-security-event-store.js';
import { SECURITY_SOURCES, type NormalisedSecurityEvent, type SecuritySource } from '../src/store/security-event-store.js';
import { securityEventStoreContract } from './security-event-store.contract.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

const logger = createLogger('test', { level: 'silent' });

/** A Falco-shaped occurrence with the given source, severity and cluster (the store ignores details). */
function falcoLike(key: string, at: Date, source: SecuritySource, severity: Severity, cluster: string): NormalisedSecurityEvent {
  return {
    dedupKey: key,
    source,
    category: 'RUNTIME',
    severity,
    eventType: 'r',
    title: 't',
    cluster,
    resource: null,
    hostname: null,
    occurredAt: at.toISOString(),
    details: {
      priority: 'Notice',
      rule: 'r',
      output: null,
      source: null,
      tags: [],
      outputFields: {},
      time: at.toISOString(),
      hostname: null,
      containerId: null,
      containerImage: null,
      uuid: null,
    },
    raw: {},
  };
}

/** Records the key of every ZRANGE the client sends (list() walks indexes with ZRANGE). */
function countZranges(client: Redis): string[] {
  const keys: string[] = [];
  const original = client.zrange.bind(client) as (...args: unknown[]) => Promise<unknown>;
  (client as unknown as { zrange: (...args: unknown[]) => Promise<unknown> }).zrange = (...args: unknown[]) => {
    keys.push(String(args[0]));
    return original(...args);
  };
  return keys;
}

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
      const base = oneSlotPrefix(prefix, 'events');
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
          `${base}event:${event.id}`,
          `${base}events:by-last-seen`,
          `${base}events:by-resource:prod/default/Deployment/web`,
          `${base}events:by-vulnerability:CVE-2024-0001`,
          `${base}events:by-source:TRIVY`,
          `${base}events:by-severity:HIGH`,
          `${base}events:by-cluster:prod`,
          `${base}vulnerabilities:by-last-seen`,
          `${base}report-keys:prod/TRIVY/uid-1`,
        ].sort(),
      );
      expect(await redis.hget(`${base}event:${event.id}`, 'resolved')).toBe(String(now.getTime()));
      expect(await redis.zscore(`${base}vulnerabilities:by-last-seen`, 'CVE-2024-0001')).toBe(String(now.getTime() - 86_400_000));
      const sixDaysMs = 6 * 86_400_000;
      for (const key of keys.filter((k) => !k.includes('report-keys:'))) {
        const ttl = await redis.pttl(key);
        expect(ttl, key).toBeGreaterThan(sixDaysMs - 60_000);
        expect(ttl, key).toBeLessThanOrEqual(sixDaysMs);
      }
      // Report keys: the whole retention from the last set.
      const reportTtl = await redis.pttl(`${base}report-keys:prod/TRIVY/uid-1`);
      expect(reportTtl).toBeGreaterThan(7 * 86_400_000 - 60_000);
      expect(reportTtl).toBeLessThanOrEqual(7 * 86_400_000);
      await store.setReportKeys('prod/TRIVY/uid-1', []);
      expect(await redis.pttl(`${base}report-keys:prod/TRIVY/uid-1`)).toBeGreaterThan(7 * 86_400_000 - 60_000);
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
      const base = oneSlotPrefix(prefix, 'events');
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
          `${base}event:${event.id}`,
          `${base}events:by-host:node-1`,
          `${base}events:by-last-seen`,
          `${base}events:by-resource:prod/ns%2Fwith-slash/Pod/p`,
          `${base}events:by-source:FALCO`,
          `${base}events:by-severity:LOW`,
          `${base}events:by-cluster:prod`,
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

  it('walks the smallest index the filter allows in list(), not the time index', async () => {
    const redis = createRedis(server.url, logger, 'test');
    try {
      const prefix = `${server.uniquePrefix()}:`;
      const base = oneSlotPrefix(prefix, 'events');
      const now = new Date();
      const store = new RedisSecurityEventStore(redis, { prefix, retentionDays: 7, now: () => now });
      const at = (i: number) => new Date(now.getTime() - (i % 10) * 60_000);
      for (let i = 0; i < 60; i++) await store.record(falcoLike(`bulk-${i}`, at(i), 'FALCO', 'LOW', 'prod'));
      for (let i = 0; i < 5; i++) await store.record(falcoLike(`kyverno-${i}`, at(i), 'KYVERNO', i < 2 ? 'CRITICAL' : 'HIGH', 'prod'));
      for (let i = 0; i < 3; i++) await store.record(falcoLike(`edge-${i}`, at(i), 'FALCO', 'MEDIUM', 'edge/1'));
      const zranges = countZranges(redis);
      const walked = async (filter: Parameters<typeof store.list>[0], expected: number) => {
        zranges.length = 0;
        const page = await store.list(filter, { first: 100 });
        expect(page.events, JSON.stringify(filter)).toHaveLength(expected);
        return [...new Set(zranges)].map((key) => key.slice(base.length)).sort();
      };
      expect(await walked({}, 68)).toEqual(['events:by-last-seen']);
      expect(await walked({ sources: ['KYVERNO'] }, 5)).toEqual(['events:by-source:KYVERNO']);
      expect(await walked({ sources: ['KYVERNO', 'TRIVY'] }, 5)).toEqual(['events:by-source:KYVERNO', 'events:by-source:TRIVY']);
      expect(await walked({ minSeverity: 'HIGH' }, 5)).toEqual(['events:by-severity:CRITICAL', 'events:by-severity:HIGH']);
      expect(await walked({ cluster: 'edge/1' }, 3)).toEqual(['events:by-cluster:edge%2F1']);
      // Several allowed: the smallest (3 in edge/1, 63 FALCO, 8 at MEDIUM or above).
      expect(await walked({ sources: ['FALCO'], minSeverity: 'MEDIUM', cluster: 'edge/1' }, 3)).toEqual(['events:by-cluster:edge%2F1']);
      expect(await walked({ sources: ['KYVERNO'], minSeverity: 'CRITICAL', cluster: 'prod' }, 2)).toEqual(['events:by-severity:CRITICAL']);
      // Filters no index narrows walk the time index.
      expect(await walked({ minSeverity: 'INFO', sources: [...SECURITY_SOURCES] }, 68)).toEqual(['events:by-last-seen']);
      expect(await walked({ sources: [] }, 0)).toEqual([]);
      // Paging through a chosen index keeps to it.
      zranges.length = 0;
      const first = await store.list({ minSeverity: 'MEDIUM' }, { first: 4 });
      const second = await store.list({ minSeverity: 'MEDIUM' }, { first: 4, after: first.endCursor ?? '' });
      expect([...first.events, ...second.events].map((e) => e.dedupKey).sort()).toEqual(
        ['edge-0', 'edge-1', 'edge-2', 'kyverno-0', 'kyverno-1', 'kyverno-2', 'kyverno-3', 'kyverno-4'].sort(),
      );
      expect(zranges.some((key) => key.endsWith('events:by-last-seen'))).toBe(false);
    } finally {
      redis.disconnect();
    }
  });

  it('trims the source, severity and cluster indexes at retention', async () => {
    const redis = createRedis(server.url, logger, 'test');
    try {
      const prefix = `${server.uniquePrefix()}:`;
      const base = oneSlotPrefix(prefix, 'events');
      let now = Date.now();
      const store = new RedisSecurityEventStore(redis, { prefix, retentionDays: 7, now: () => new Date(now) });
      const old = (await store.record(falcoLike('old', new Date(now - 6 * 86_400_000), 'TRIVY', 'HIGH', 'prod'))).event;
      const kept = (await store.record(falcoLike('kept', new Date(now - 86_400_000), 'TRIVY', 'HIGH', 'prod'))).event;
      const indexes = ['events:by-source:TRIVY', 'events:by-severity:HIGH', 'events:by-cluster:prod'].map((k) => `${base}${k}`);
      for (const key of indexes) expect((await redis.zrange(key, 0, -1)).sort(), key).toEqual([old.id, kept.id].sort());
      now += 2 * 86_400_000;
      const fresh = (await store.record(falcoLike('fresh', new Date(now), 'TRIVY', 'HIGH', 'prod'))).event;
      for (const key of indexes) {
        expect(await redis.zrange(key, 0, -1), key).toEqual([kept.id, fresh.id]);
        // The index expires with its newest entry: the whole retention from now.
        expect(await redis.pttl(key)).toBeGreaterThan(7 * 86_400_000 - 60_000);
      }
      expect((await store.list({ sources: ['TRIVY'] }, { first: 10 })).events.map((e) => e.id)).toEqual([fresh.id, kept.id]);
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
