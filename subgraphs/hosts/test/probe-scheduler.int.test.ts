import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@vigil/lib/logger';
import { cleanEnv } from '../../../test/support/clean-env.js';
import { startRedisServer, type RedisServer } from '../../../test/support/redis-server.js';
import { createProbeScheduler, type ProbeScheduler } from '../src/scheduling/probe-scheduler.js';
import { eventually, FakeFleet, hostList, probeSchedulerContract, sleep } from './probe-scheduler.contract.js';

const logger = createLogger('test', { level: 'silent' });

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

/** Every scheduler a test makes is stopped after it, even when the test failed half-way. */
const made: ProbeScheduler[] = [];
afterEach(async () => {
  await Promise.allSettled(made.splice(0).map((scheduler) => scheduler.stop()));
});
function track<T extends ProbeScheduler>(scheduler: T): T {
  made.push(scheduler);
  return scheduler;
}

probeSchedulerContract('in-process', async (options) => track(createProbeScheduler({ ...options, logger, prefix: 'unused' })));
probeSchedulerContract('bullmq', async (options) =>
  track(createProbeScheduler({ ...options, logger, redisUrl: server.url, prefix: server.uniquePrefix() })),
);

describe('BullmqProbeScheduler across replicas', () => {
  it('two replicas on one Redis never probe a host at once and together keep the cadence', async () => {
    const fleet = new FakeFleet(10);
    const hosts = hostList(6);
    const prefix = server.uniquePrefix();
    const options = { hosts, logger, redisUrl: server.url, prefix, concurrency: 2, factsIntervalMs: 300, metricsIntervalMs: 100 };
    const a = track(createProbeScheduler({ ...options, probe: fleet.probeFor('a') }));
    const b = track(createProbeScheduler({ ...options, probe: fleet.probeFor('b') }));
    await Promise.all([a.start(), b.start()]);
    await Promise.all([a.firstRoundDone(), b.firstRoundDone()]);
    const started = Math.min(...fleet.calls.map((call) => call.at));
    await sleep(1_500);
    await Promise.all([a.stop(), b.stop()]);
    const elapsed = Date.now() - started;

    expect(fleet.overlaps).toEqual([]);
    expect(fleet.maxInFlight).toBeLessThanOrEqual(4);
    for (const { id } of hosts) {
      // One replica alone would reach these; two replicas each on its own cadence would double them.
      expect(fleet.count(id, 'facts')).toBeLessThanOrEqual(Math.floor(elapsed / 270) + 1);
      expect(fleet.count(id, 'metrics')).toBeLessThanOrEqual(Math.floor(elapsed / 90) + 1);
      expect(fleet.count(id, 'metrics')).toBeGreaterThanOrEqual(Math.floor(elapsed / 250));
    }
    // Both replicas took part.
    expect(fleet.calls.some((call) => call.replica === 'a')).toBe(true);
    expect(fleet.calls.some((call) => call.replica === 'b')).toBe(true);
  });

  it('a replica killed mid-probe releases its host to another only after its lock expires', async () => {
    const prefix = server.uniquePrefix();
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./probe-replica.child.ts', import.meta.url))], {
      env: cleanEnv({ REDIS_URL: server.url, PREFIX: prefix, HOST_ID: 'h1' }),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await eventually(() => out.includes('probing h1 facts'), 15_000, 'the child replica to start probing');
      // A live replica on the same schedule does not touch the host while the child holds it.
      const fleet = new FakeFleet(5);
      const survivor = track(
        createProbeScheduler({
          hosts: [{ id: 'h1' }],
          probe: fleet.probeFor('survivor'),
          logger,
          redisUrl: server.url,
          prefix,
          factsIntervalMs: 60_000,
          metricsIntervalMs: 60_000,
          lockDurationMs: 1_000,
          stalledIntervalMs: 250,
        }),
      );
      await survivor.start();
      await sleep(1_200);
      expect(fleet.count('h1')).toBe(0);
      child.kill('SIGKILL');
      await exited;
      // The stalled-job checker finds the expired lock and the survivor re-runs the host's due probes.
      await eventually(() => fleet.count('h1', 'facts') === 1, 8_000, 'the survivor to take the host over');
      await survivor.firstRoundDone();
      expect(fleet.overlaps).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
