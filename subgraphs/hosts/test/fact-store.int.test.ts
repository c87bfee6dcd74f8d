import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneSlotPrefix } from '@vigil/lib/redis-slot';
import { createLogger } from '@vigil/lib/logger';
import { createRedis, type Redis } from '@vigil/lib/redis';
import { startRedisServer, type RedisServer } from '../../../test/support/redis-server.js';
import type { FactStoreOptions } from '../src/facts/fact-store.js';
import { MemoryFactStore } from '../src/facts/memory-fact-store.js';
import { RedisFactStore } from '../src/facts/redis-fact-store.js';
import type { ProbeReport } from '../src/facts/types.js';
import type { InstalledPackage } from '../src/sources/probe/types.js';
import { factStoreContract } from './fact-store.contract.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

const logger = createLogger('test', { level: 'silent' });
const redisFor = (purpose: string) => createRedis(server.url, logger, purpose);

factStoreContract('memory', async (options?: FactStoreOptions) => new MemoryFactStore(options));
factStoreContract('redis', async (options?: FactStoreOptions) => new RedisFactStore(redisFor('test'), `${server.uniquePrefix()}:`, options));

const T0 = '2026-11-22T10:00:00.000Z';
const T1 = '2026-11-22T11:00:00.000Z';
/** The stores trim metrics and history by their clock: pin it beside the reports' stamps, not to today. */
const atReports = { now: () => new Date('2026-11-22T12:30:00.000Z') };

const packages = (count: number, version = '1.0'): InstalledPackage[] =>
  Array.from({ length: count }, (_, i) => ({ name: `pkg-${String(i).padStart(4, '0')}`, version, arch: 'amd64' }));

const packagesReport = (hostId: string, at: string, items: InstalledPackage[]): ProbeReport => ({
  hostId,
  status: 'OK',
  message: null,
  startedAt: at,
  finishedAt: at,
  packageManager: 'dpkg',
  collectors: { packages: { status: 'OK', message: null } },
  facts: { packages: items },
  metrics: null,
});

/** Counts the client's round trips: each command called on it directly, and each pipeline or MULTI (one exec each). */
function countingClient(redis: Redis): { client: Redis; roundTrips: () => number } {
  const counted = new Set([...redis.getBuiltinCommands().filter((c) => c !== 'quit'), 'pipeline', 'multi']);
  let roundTrips = 0;
  const client = new Proxy(redis, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string' || !counted.has(property)) return value;
      return (...args: unknown[]): unknown => {
        roundTrips += 1;
        return Reflect.apply(value, target, args);
      };
    },
  });
  return { client, roundTrips: () => roundTrips };
}

/** Every command (with its arguments) the server executes while `action` runs, from any client, via MONITOR. */
async function monitored(action: () => Promise<unknown>): Promise<string[][]> {
  const watcher = redisFor('monitor-control');
  const monitor = await watcher.monitor();
  const seen: string[][] = [];
  const marker = `end-of-action-${Math.random()}`;
  const done = new Promise<void>((resolve) =>
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() === 'echo' && args[1] === marker) resolve();
      else seen.push(args);
    }),
  );
  await action();
  // MONITOR reports commands in execution order: once the marker, sent after the action, is seen,
  // every command of the action has been seen too.
  const probe = redisFor('monitor-marker');
  await probe.echo(marker);
  await done;
  monitor.disconnect();
  await probe.quit();
  await watcher.quit();
  return seen;
}

describe('RedisFactStore', () => {
  it('reads only the index key of the package asked for', async () => {
    const prefix = `${server.uniquePrefix()}:`;
    const base = oneSlotPrefix(prefix, 'facts');
    const store = new RedisFactStore(redisFor('test'), prefix, atReports);
    for (const host of ['a', 'b', 'c']) await store.saveReport(packagesReport(host, T0, [...packages(50), { name: 'openssl', version: `3.0.${host}`, arch: 'amd64' }]));

    let holders: unknown[] = [];
    const commands = await monitored(async () => {
      holders = await store.hostsWithPackage('openssl');
    });
    expect(holders).toHaveLength(3);
    const ours = commands.filter((args) => args.some((arg) => arg.startsWith(prefix)));
    expect(ours).toEqual([['hvals', `${base}pkg:openssl`]]);
    await store.close();
  });

  it('stores a first report of 700 packages in three round trips, and an unchanged one in two', async () => {
    const { client, roundTrips } = countingClient(redisFor('test'));
    const store = new RedisFactStore(client, `${server.uniquePrefix()}:`, atReports);
    const first = await store.saveReport(packagesReport('big', T0, packages(700)));
    expect(first.changes).toHaveLength(700);
    expect(roundTrips()).toBeLessThanOrEqual(3);

    const before = roundTrips();
    const again = await store.saveReport(packagesReport('big', T1, packages(700)));
    expect(again.changes).toEqual([]);
    expect(roundTrips() - before).toBeLessThanOrEqual(2);

    const upgraded = packages(700).map((p, i) => (i === 350 ? { ...p, version: '1.1' } : p));
    const mid = roundTrips();
    const one = await store.saveReport(packagesReport('big', '2026-11-22T12:00:00.000Z', upgraded));
    expect(one.changes.map((c) => c.key)).toEqual(['pkg-0350:amd64']);
    expect(roundTrips() - mid).toBeLessThanOrEqual(3);

    // Reads batch too: one round trip for N hosts.
    const read = roundTrips();
    await store.getFacts('packages', ['big', 'x', 'y']);
    await store.getFreshness(['big', 'x', 'y']);
    await store.getProbeStates(['big', 'x', 'y']);
    expect(roundTrips() - read).toBe(3);
    await store.close();
  });

  it('lays out keys under its prefix and gives every growing key an expiry', async () => {
    const prefix = `${server.uniquePrefix()}:`;
    const base = oneSlotPrefix(prefix, 'facts');
    const redis = redisFor('test');
    const store = new RedisFactStore(redis, prefix, atReports);
    await store.saveReport({
      ...packagesReport('h', T0, packages(2)),
      collectors: { packages: { status: 'OK', message: null }, metrics: { status: 'OK', message: null } },
      metrics: { at: T0, load1: 1, load5: 1, load15: 1, memTotalKb: 1, memAvailableKb: 1, swapTotalKb: 0, swapFreeKb: 0, uptimeSeconds: 1, disks: [] },
    });
    const keys = (await redis.keys(`${prefix}*`)).map((k) => k.slice(base.length)).sort();
    expect(keys).toEqual(['facts:h:packages', 'freshness:h', 'history:h:packages', 'meta:h', 'metrics:h', 'pkg:pkg-0000', 'pkg:pkg-0001', 'state:h']);
    expect(await redis.hlen(`${base}facts:h:packages`)).toBe(2);
    expect(await redis.zcard(`${base}history:h:packages`)).toBe(2);
    expect(await redis.pttl(`${base}history:h:packages`)).toBeGreaterThan(89 * 86_400_000);
    expect(await redis.pttl(`${base}metrics:h`)).toBeGreaterThan(6 * 86_400_000);
    await store.close();
  });

  it('stores a fleet of hosts with 700 packages each in reasonable time', async () => {
    const hostCount = Number(process.env.FACT_STORE_SCALE_HOSTS ?? 100);
    const store = new RedisFactStore(redisFor('test'), `${server.uniquePrefix()}:`, atReports);
    const items = packages(700);
    const started = performance.now();
    const ids = Array.from({ length: hostCount }, (_, i) => `host-${i}`);
    // The scheduler's bounded concurrency.
    for (let i = 0; i < ids.length; i += 16) {
      await Promise.all(ids.slice(i, i + 16).map((id) => store.saveReport(packagesReport(id, T0, items))));
    }
    const firstPass = performance.now() - started;
    const second = performance.now();
    for (let i = 0; i < ids.length; i += 16) {
      await Promise.all(ids.slice(i, i + 16).map((id) => store.saveReport(packagesReport(id, T1, items))));
    }
    const unchangedPass = performance.now() - second;
    expect(await store.hostsWithPackage('pkg-0042')).toHaveLength(hostCount);
    // Generous bounds for a shared CI box: 100 hosts take well under a second each pass locally.
    expect(firstPass).toBeLessThan(hostCount * 200);
    expect(unchangedPass).toBeLessThan(hostCount * 100);
    await store.close();
  });
});
