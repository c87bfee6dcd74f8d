// A scheduler replica in its own process, for probe-scheduler.int.test.ts to kill mid-probe: its
// probe announces itself on stdout and never finishes.
import { createLogger } from '@vigil/lib/logger';
import { createProbeScheduler } from '../src/scheduling/probe-scheduler.js';

const { REDIS_URL, PREFIX, HOST_ID } = process.env;
if (!REDIS_URL || !PREFIX || !HOST_ID) throw new Error('REDIS_URL, PREFIX and HOST_ID are required');

const scheduler = createProbeScheduler({
  hosts: [{ id: HOST_ID }],
  probe: (hostId, kind) => {
    process.stdout.write(`probing ${hostId} ${kind}\n`);
    return new Promise<never>(() => {});
  },
  logger: createLogger('probe-replica', { level: 'silent' }),
  redisUrl: REDIS_URL,
  prefix: PREFIX,
  factsIntervalMs: 60_000,
  metricsIntervalMs: 60_000,
  lockDurationMs: 1_000,
  stalledIntervalMs: 250,
});
await scheduler.start();
// The pending probe holds no handle that keeps Node alive; this does, until the test kills us.
setInterval(() => {}, 60_000);
