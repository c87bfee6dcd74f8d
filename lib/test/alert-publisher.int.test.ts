import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertLog } from '../src/alerts/alert-log.js';
import { AlertLifecycle } from '../src/alerts/alert-lifecycle.js';
import type { AlertStateStore } from '../src/alerts/alert-state.js';
import type { NewAlert } from '../src/alerts/alert.js';
import { MemoryAlertLog } from '../src/alerts/memory-alert-log.js';
import { MemoryAlertStateStore } from '../src/alerts/memory-alert-state-store.js';
import { AlertPublisher } from '../src/alerts/publisher.js';
import { RedisAlertLog } from '../src/alerts/redis-alert-log.js';
import { RedisAlertStateStore } from '../src/alerts/redis-alert-state-store.js';
import { systemClock, type Clock } from '../src/clock.js';
import { createLogger } from '../src/logger.js';
import { createRedis } from '../src/redis.js';
import { startRedisServer, type RedisServer } from '../../test/support/redis-server.js';

/**
 * occurredAt is what correlation windows compare. An alert raised without one must carry the
 * raising process's clock, like the alerts whose sources give one, and not the log's: Redis stamps
 * its stream ids by its own clock, which may be far from Vigil's.
 */

const DAY = 86_400_000;
const logger = createLogger('test', { level: 'silent' });

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

interface Logs {
  log: AlertLog;
  /** The log's own time (what raisedAt comes from), in ms. */
  logNowMs(): Promise<number>;
  /** Lifecycle state beside the log, on the publisher's clock as in a running stack. */
  stateStore(clock: Clock): AlertStateStore;
  dispose(): Promise<void>;
}

const alert = (extra: Partial<NewAlert> = {}): NewAlert => ({
  source: 'HOSTS',
  severity: 'HIGH',
  title: 'sshd config changed',
  rule: 'sshd-config-changed',
  subject: { type: 'Host', hostId: 'web-1', displayName: 'web-1' },
  ...extra,
});

function publisherContract(name: string, make: () => Promise<Logs>) {
  describe(`AlertPublisher on the ${name} log`, () => {
    it('stamps an alert raised without occurredAt with its own clock, even 400 days away from the log clock', async () => {
      const logs = await make();
      try {
        const before = await logs.logNowMs();
        const at = new Date(before + 400 * DAY);
        const publisher = new AlertPublisher(logs.log, logger, () => at);
        const raised = await publisher.raise(alert());
        const after = await logs.logNowMs();
        expect(raised.occurredAt).toBe(at.toISOString());
        // raisedAt stays when the log accepted it, by the log's clock.
        expect(Date.parse(raised.raisedAt)).toBeGreaterThanOrEqual(Math.floor(before));
        expect(Date.parse(raised.raisedAt)).toBeLessThanOrEqual(after);
        // Stored with the alert, so every reader (correlation, the router, queries) sees the same time.
        const [stored] = await logs.log.get([raised.id]);
        expect(stored?.occurredAt).toBe(at.toISOString());
        expect((await logs.log.listNewestFirst({ limit: 1 }))[0]?.occurredAt).toBe(at.toISOString());
      } finally {
        await logs.dispose();
      }
    });

    it('keeps the occurredAt a source gives', async () => {
      const logs = await make();
      try {
        const far = new Date((await logs.logNowMs()) + 400 * DAY);
        const publisher = new AlertPublisher(logs.log, logger, () => far);
        const given = '2024-01-02T03:04:05.000Z';
        const raised = await publisher.raise(alert({ occurredAt: given }));
        expect(raised.occurredAt).toBe(given);
        expect((await logs.log.get([raised.id]))[0]?.occurredAt).toBe(given);
      } finally {
        await logs.dispose();
      }
    });

    it('stamps through the lifecycle too, and a folded repeat keeps the occurredAt of the first raise', async () => {
      const logs = await make();
      try {
        let nowMs = (await logs.logNowMs()) + 400 * DAY;
        const clock: Clock = () => new Date(nowMs);
        const store = logs.stateStore(clock);
        try {
          const lifecycle = new AlertLifecycle(logs.log, store, { clock, foldWindowMs: 60_000, logger });
          const publisher = new AlertPublisher(logs.log, logger, clock, undefined, lifecycle);
          const first = await publisher.raise(alert());
          const firstAt = new Date(nowMs).toISOString();
          expect(first.occurredAt).toBe(firstAt);
          nowMs += 5_000;
          const repeat = await publisher.raise(alert());
          expect(repeat.id).toBe(first.id);
          expect(repeat.occurredAt).toBe(firstAt);
          expect((await logs.log.get([first.id]))[0]?.occurredAt).toBe(firstAt);
          expect((await store.states([first.id]))[0]).toMatchObject({ count: 2, lastSeen: new Date(nowMs).toISOString() });
        } finally {
          await store.close();
        }
      } finally {
        await logs.dispose();
      }
    });
  });
}

publisherContract('memory', async () => {
  // The embedded log on the machine's clock: the publisher's clock is the one that is off.
  const log = new MemoryAlertLog({ maxLength: 1000, now: systemClock });
  return {
    log,
    logNowMs: async () => systemClock().getTime(),
    stateStore: (clock) => new MemoryAlertStateStore(clock),
    dispose: () => log.close(),
  };
});

publisherContract('redis stream', async () => {
  const redis = createRedis(server.url, logger, 'test');
  const blocking = createRedis(server.url, logger, 'test-blocking');
  const prefix = `${server.uniquePrefix()}:`;
  const log = new RedisAlertLog(redis, blocking, { prefix, maxLength: 1000, logger, blockMs: 100 });
  // Redis's own clock (TIME), which stamps its stream ids; redis-server keeps real time even under test:any-date.
  const logNowMs = async () => {
    const [seconds, micros] = await redis.time();
    return Number(seconds) * 1000 + Number(micros) / 1000;
  };
  return {
    log,
    logNowMs,
    stateStore: (clock) => new RedisAlertStateStore(createRedis(server.url, logger, 'test-state'), { prefix: `${prefix}alerts:`, clock, ownsConnection: true }),
    dispose: async () => {
      await log.close();
      redis.disconnect();
    },
  };
});
