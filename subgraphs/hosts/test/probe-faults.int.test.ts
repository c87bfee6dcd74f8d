import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAlertLog } from '@vigil/lib/alerts/memory-alert-log';
import { AlertPublisher } from '@vigil/lib/alerts/publisher';
import { systemClock } from '@vigil/lib/clock';
import { createLogger } from '@vigil/lib/logger';
import { createRedis, type Redis } from '@vigil/lib/redis';
import { fleetHosts, type FleetHost } from '../../../bench/lib/fleet-hosts.js';
import { startFleetDouble, type FleetDouble } from '../../../bench/lib/ssh-fleet-double.js';
import { startRedisServer, type RedisServer } from '../../../test/support/redis-server.js';
import { RedisFactStore } from '../src/facts/redis-fact-store.js';
import type { ProbeReport } from '../src/facts/types.js';
import { createProbePipeline, type ReportProbe } from '../src/probe-pipeline.js';
import { createProbeScheduler } from '../src/scheduling/probe-scheduler.js';
import { probeHostReport } from '../src/sources/probe/probe-report.js';

/**
 * Faulty SSH hosts through the production path (BullMQ scheduler on a real Redis, probe pipeline,
 * Redis fact store, ssh2 client with host key checks) against the fleet double of the benchmark
 * (bench/lib/ssh-fleet-double.ts), which answers from the captured Debian 12 outputs. Every fourth
 * host is faulty, the four kinds in turn (two of each): each must end with its own reason within its timeout, and
 * must not hold a worker slot longer, so the healthy hosts all complete.
 */
const CONNECT_TIMEOUT_MS = 2_000;
const COMMAND_TIMEOUT_MS = 3_000;
const SLOW_BANNER_MS = 6_000;
const HOSTS = 32;

const logger = createLogger('test', { level: 'silent' });
let redisServer: RedisServer;
let redis: Redis;
let double: FleetDouble;
let dir: string;
let hosts: FleetHost[];

beforeAll(async () => {
  redisServer = await startRedisServer();
  redis = createRedis(redisServer.url, logger, 'test');
  dir = mkdtempSync(join(tmpdir(), 'vigil-probe-faults-'));
  const hostKey = ssh2.utils.generateKeyPairSync('ed25519');
  const otherHostKey = ssh2.utils.generateKeyPairSync('ed25519');
  const clientKey = ssh2.utils.generateKeyPairSync('ed25519');
  const clientKeyPath = join(dir, 'id_ed25519');
  writeFileSync(clientKeyPath, clientKey.private, { mode: 0o600 });
  double = await startFleetDouble({
    hostKey: hostKey.private,
    changedHostKey: otherHostKey.private,
    clientPublicKey: clientKey.public,
    userPrefix: 'h',
    hosts: HOSTS,
    delayMsPerCommand: 5,
    faultShare: 0.25,
    slowBannerMs: SLOW_BANNER_MS,
  });
  hosts = fleetHosts({
    hosts: HOSTS,
    userPrefix: 'h',
    faultShare: 0.25,
    ports: double,
    hostPublicKey: hostKey.public,
    clientKeyPath,
    knownHostsPath: join(dir, 'known_hosts'),
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    commandTimeoutMs: COMMAND_TIMEOUT_MS,
  });
});

afterAll(async () => {
  await double?.close();
  await redis?.quit().catch(() => redis.disconnect());
  await redisServer?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const faultOf = (id: string) => hosts.find((host) => host.id === id)?.fault ?? null;

describe('faulty hosts in a fleet probed by the BullMQ scheduler', () => {
  it('ends each faulty host with its reason within its timeout, and probes every healthy host', async () => {
    expect(hosts.map((host) => host.fault)).toEqual(
      Array.from({ length: HOSTS }, (_, i) => ((i + 1) % 4 === 0 ? (['hang-after-auth', 'drop-mid-command', 'slow-banner', 'changed-host-key'] as const)[((i + 1) / 4 - 1) % 4] : null)),
    );
    const reports = new Map<string, { report: ProbeReport; ms: number }>();
    const probe: ReportProbe = async (target, options) => {
      const started = performance.now();
      const report = await probeHostReport(target, options);
      reports.set(`${target.id} ${options.kind}`, { report, ms: performance.now() - started });
      return report;
    };
    const prefix = redisServer.uniquePrefix();
    const store = new RedisFactStore(redis, `${prefix}:facts:`);
    const pipeline = createProbePipeline({
      hosts,
      store,
      publisher: new AlertPublisher(new MemoryAlertLog({ maxLength: 1_000 }), logger, systemClock),
      probe,
      sudo: new Set(),
      alertRules: { unreachableAfter: 3 },
      logger,
    });
    // Two slots for four faulty hosts: a fault that held its slot for good would stall the round.
    const scheduler = createProbeScheduler({ hosts, probe: pipeline, logger, redisUrl: redisServer.url, prefix, concurrency: 2, factsIntervalMs: 3_600_000, metricsIntervalMs: 3_600_000 });
    const started = performance.now();
    try {
      await scheduler.start();
      await scheduler.firstRoundDone();
    } finally {
      await scheduler.stop();
    }
    const roundMs = performance.now() - started;

    const states = await store.getProbeStates(hosts.map((host) => host.id));
    const byHost = new Map(hosts.map((host, i) => [host.id, states[i]?.lastAttempt ?? null]));
    for (const host of hosts) {
      const facts = reports.get(`${host.id} facts`);
      const metrics = reports.get(`${host.id} metrics`);
      expect(facts, host.id).toBeDefined();
      const collectorStates = Object.values(facts?.report.collectors ?? {}).map((outcome) => outcome.status);
      switch (faultOf(host.id)) {
        case null:
          expect(facts?.report.status, host.id).toBe('OK');
          expect(collectorStates.every((status) => status === 'OK'), host.id).toBe(true);
          expect(metrics?.report.status, host.id).toBe('OK');
          expect(byHost.get(host.id)?.status).toBe('OK');
          break;
        case 'hang-after-auth':
          expect(facts?.report).toMatchObject({ status: 'TIMEOUT', message: expect.stringMatching(/did not open its session within 3000 ms \(hangs after authentication\)/) });
          // At the batch's command timeout, not the probe's overall deadline (twice it).
          expect(facts?.ms).toBeGreaterThanOrEqual(COMMAND_TIMEOUT_MS - 50);
          expect(facts?.ms).toBeLessThan(2 * COMMAND_TIMEOUT_MS);
          // A failed facts probe ends the host's run: no metrics probe hangs in its turn.
          expect(metrics).toBeUndefined();
          expect(byHost.get(host.id)).toMatchObject({ status: 'TIMEOUT', message: facts?.report.message });
          break;
        case 'drop-mid-command': {
          // What ran before the drop is kept; what did not names the drop.
          const failed = Object.values(facts?.report.collectors ?? {}).filter((outcome) => outcome.status !== 'OK');
          expect(collectorStates).toContain('OK');
          expect(failed.length).toBeGreaterThan(0);
          for (const outcome of failed) expect(outcome.message, host.id).toMatch(/the host dropped the connection mid-command/);
          expect(facts?.ms).toBeLessThan(COMMAND_TIMEOUT_MS);
          break;
        }
        case 'slow-banner':
          expect(facts?.report).toMatchObject({ status: 'TIMEOUT', message: expect.stringMatching(/SSH handshake with 127\.0\.0\.1:\d+ did not complete within 2000 ms/) });
          expect(facts?.ms).toBeLessThan(CONNECT_TIMEOUT_MS + 1_500);
          expect(metrics).toBeUndefined();
          expect(byHost.get(host.id)?.status).toBe('TIMEOUT');
          break;
        case 'changed-host-key':
          expect(facts?.report).toMatchObject({ status: 'HOST_KEY_MISMATCH', message: expect.stringMatching(/presented ssh-ed25519 key SHA256:\S+, not the ssh-ed25519 key .* lists for it/) });
          expect(collectorStates).toEqual([]);
          expect(byHost.get(host.id)?.status).toBe('HOST_KEY_MISMATCH');
          break;
      }
    }
    const stats = double.stats();
    // Refused before authentication: the changed-key hosts were never logged into, let alone probed.
    expect(stats.changedKeyConnections).toBe(2);
    expect(stats.changedKeyAuthenticated).toBe(0);
    expect(stats.hungSessions).toBe(2);
    // Facts and metrics probes of the drop hosts (a partial facts probe is not a failed one).
    expect(stats.dropped).toBe(4);
    expect(stats.slowBannerConnections).toBe(2);
    // 24 healthy hosts at ~0.5 s and 6 faults at their timeouts (2–3 s), two at a time.
    expect(roundMs).toBeLessThan(40_000);
  }, 90_000);
});
