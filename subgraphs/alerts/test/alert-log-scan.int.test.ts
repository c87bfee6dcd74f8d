import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Alert, NewAlert } from '@vigil/lib/alerts/alert';
import type { AlertLog } from '@vigil/lib/alerts/alert-log';
import { MemoryAlertLog } from '@vigil/lib/alerts/memory-alert-log';
import { RedisAlertLog } from '@vigil/lib/alerts/redis-alert-log';
import { createLogger } from '@vigil/lib/logger';
import { createRedis } from '@vigil/lib/redis';
import { startRedisServer, type RedisServer } from '../../../test/support/redis-server.js';
import { ALERT_SCAN_LIMIT, ALERT_SCAN_PAGE, scanAlertLogNewestFirst, type AlertScanOptions } from '../src/alert-log-scan.js';

// The newest-first walk behind Query.alerts, Identity.alerts and the timeline's alerts, against both
// alert logs: where it stops, what it reports, and how many reads that takes. Pages of 3 and a limit
// of 9 keep the logs small; the defaults are checked once on the memory log.

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

const logger = createLogger('test', { level: 'silent' });
const disposers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const dispose of disposers.splice(0).reverse()) await dispose();
});

const LOGS: [string, () => AlertLog][] = [
  [
    'memory',
    () => {
      const log = new MemoryAlertLog({ maxLength: 1000 });
      disposers.push(() => log.close());
      return log;
    },
  ],
  [
    'redis stream',
    () => {
      const redis = createRedis(server.url, logger, 'test');
      const blocking = createRedis(server.url, logger, 'test-blocking');
      const log = new RedisAlertLog(redis, blocking, { prefix: `${server.uniquePrefix()}:`, maxLength: 1000, logger, blockMs: 100 });
      disposers.push(async () => {
        await log.close();
        redis.disconnect();
        blocking.disconnect();
      });
      return log;
    },
  ],
];

const numbered = (n: number): NewAlert => ({ source: 'CLUSTER', severity: 'HIGH', title: `alert ${n}`, subject: { type: 'Host', hostId: `host-${n}`, displayName: `host ${n}` } });
const numberOf = (alert: Alert) => Number(alert.title.slice('alert '.length));

/** Alerts 0…count-1, oldest first, with a change entry among them: the reads skip changes, so the scan never counts them. */
async function fill(log: AlertLog, count: number): Promise<Alert[]> {
  const alerts: Alert[] = [];
  for (let n = 0; n < count; n++) {
    alerts.push(await log.append(numbered(n)));
    if (n === 1) await log.appendChange({ kind: 'ACKNOWLEDGED', alertId: alerts[0]!.id, at: new Date(0).toISOString(), by: 'test' });
  }
  return alerts;
}

/** Scans with pages of 3 and a limit of 9 unless told otherwise; `matches` picks what is kept, as a caller's filter does. */
async function scan(log: AlertLog, options: Partial<AlertScanOptions> & { matches?: (n: number) => boolean; want?: number } = {}) {
  const reads: { before: string | undefined; limit: number }[] = [];
  const counted = {
    listNewestFirst: (read: { before?: string; limit: number }) => {
      reads.push({ before: read.before, limit: read.limit });
      return log.listNewestFirst(read);
    },
  };
  const visited: number[] = [];
  const matched: number[] = [];
  const { matches = () => true, want, ...rest } = options;
  const result = await scanAlertLogNewestFirst(counted, {
    pageSize: 3,
    scanLimit: 9,
    ...(want === undefined ? {} : { enough: () => matched.length >= want }),
    ...rest,
    visit: (alert) => {
      visited.push(numberOf(alert));
      if (matches(numberOf(alert))) matched.push(numberOf(alert));
    },
  });
  return { result, reads, visited, matched, befores: reads.map((read) => read.before) };
}

describe.each(LOGS)('scanAlertLogNewestFirst on the %s log', (_name, makeLog) => {
  it('stops at the scan limit with older alerts unread and says so', async () => {
    const log = makeLog();
    const alerts = await fill(log, 12);
    const { result, befores, matched } = await scan(log, { matches: (n) => n <= 1, want: 2 });
    expect(result).toEqual({ scanned: 9, ended: 'scan-limit' });
    expect(befores).toEqual([undefined, alerts[9]!.id, alerts[6]!.id]);
    expect(matched).toEqual([]);
  });

  it('fewer matches than asked: reads to the end of the log', async () => {
    const log = makeLog();
    const alerts = await fill(log, 7);
    const { result, befores, matched } = await scan(log, { matches: (n) => n % 2 === 0, want: 5 });
    expect(result).toEqual({ scanned: 7, ended: 'end-of-log' });
    expect(befores).toEqual([undefined, alerts[4]!.id, alerts[1]!.id]);
    expect(matched).toEqual([6, 4, 2, 0]);
  });

  it('exactly enough: no further read, and every alert of the last read is still visited', async () => {
    const log = makeLog();
    await fill(log, 12);
    const { result, reads, matched, visited } = await scan(log, { matches: (n) => n % 2 === 0, want: 2 });
    expect(result).toEqual({ scanned: 6, ended: 'enough' });
    expect(reads).toHaveLength(2);
    expect(visited).toEqual([11, 10, 9, 8, 7, 6]);
    expect(matched).toEqual([10, 8, 6]);
  });

  it('an empty log: one read, nothing visited', async () => {
    const log = makeLog();
    const { result, befores, visited } = await scan(log, { want: 1 });
    expect(result).toEqual({ scanned: 0, ended: 'end-of-log' });
    expect(befores).toEqual([undefined]);
    expect(visited).toEqual([]);
  });

  it('a filter that matches nothing reads the whole log within the limit, newest first', async () => {
    const log = makeLog();
    await fill(log, 7);
    const { result, reads, visited, matched } = await scan(log, { matches: () => false, want: 1, scanLimit: 100 });
    expect(result).toEqual({ scanned: 7, ended: 'end-of-log' });
    expect(reads).toHaveLength(3);
    expect(visited).toEqual([6, 5, 4, 3, 2, 1, 0]);
    expect(matched).toEqual([]);
  });

  it('a log that ends on a page boundary takes one empty read to find out', async () => {
    const log = makeLog();
    const alerts = await fill(log, 6);
    const { result, befores } = await scan(log, { scanLimit: 100 });
    expect(result).toEqual({ scanned: 6, ended: 'end-of-log' });
    expect(befores).toEqual([undefined, alerts[3]!.id, alerts[0]!.id]);
  });

  it('a limit that falls on the end of the log still reports scan-limit: it cannot know without another read', async () => {
    const log = makeLog();
    await fill(log, 9);
    const { result, reads } = await scan(log, { matches: () => false, want: 1 });
    expect(result).toEqual({ scanned: 9, ended: 'scan-limit' });
    expect(reads).toHaveLength(3);
  });

  it('the limit is checked before each read, so whole pages are read past a limit that is not a multiple', async () => {
    const log = makeLog();
    await fill(log, 12);
    const { result, reads } = await scan(log, { scanLimit: 7 });
    expect(result).toEqual({ scanned: 9, ended: 'scan-limit' });
    expect(reads).toHaveLength(3);
  });

  it('before: starts strictly older than the cursor; null is the newest', async () => {
    const log = makeLog();
    const alerts = await fill(log, 7);
    const after = await scan(log, { before: alerts[5]!.id });
    expect(after.visited).toEqual([4, 3, 2, 1, 0]);
    expect(after.befores).toEqual([alerts[5]!.id, alerts[2]!.id]);
    const fromNewest = await scan(log, { before: null, scanLimit: 3 });
    expect(fromNewest.visited).toEqual([6, 5, 4]);
    expect(fromNewest.befores).toEqual([undefined]);
  });

  it('enough before the first read: no read at all', async () => {
    const log = makeLog();
    await fill(log, 3);
    const { result, reads } = await scan(log, { enough: () => true });
    expect(result).toEqual({ scanned: 0, ended: 'enough' });
    expect(reads).toEqual([]);
  });

  it('pastRange ends the scan after the read whose oldest alert is out of range', async () => {
    const log = makeLog();
    await fill(log, 12);
    const oldestSeen: number[] = [];
    const { result, visited } = await scan(log, {
      scanLimit: 100,
      pastRange: (oldest) => {
        oldestSeen.push(numberOf(oldest));
        return numberOf(oldest) < 8;
      },
    });
    expect(result).toEqual({ scanned: 6, ended: 'past-range' });
    expect(oldestSeen).toEqual([9, 6]);
    expect(visited).toEqual([11, 10, 9, 8, 7, 6]);
  });

  it('pastRange is not asked about a short read: the log has ended', async () => {
    const log = makeLog();
    await fill(log, 4);
    const oldestSeen: number[] = [];
    const { result } = await scan(log, {
      pastRange: (oldest) => {
        oldestSeen.push(numberOf(oldest));
        return false;
      },
    });
    expect(result).toEqual({ scanned: 4, ended: 'end-of-log' });
    expect(oldestSeen).toEqual([1]);
  });
});

describe('scanAlertLogNewestFirst defaults', () => {
  it(`reads pages of ${String(ALERT_SCAN_PAGE)} and stops after ${String(ALERT_SCAN_LIMIT)} alerts`, async () => {
    const log = new MemoryAlertLog({ maxLength: ALERT_SCAN_LIMIT + 2 * ALERT_SCAN_PAGE });
    disposers.push(() => log.close());
    for (let n = 0; n < ALERT_SCAN_LIMIT + ALERT_SCAN_PAGE; n++) await log.append(numbered(n));
    const { result, reads } = await scan(log, { pageSize: undefined, scanLimit: undefined, matches: () => false, want: 1 });
    expect(result).toEqual({ scanned: ALERT_SCAN_LIMIT, ended: 'scan-limit' });
    expect(reads.map((read) => read.limit)).toEqual(Array.from({ length: Math.ceil(ALERT_SCAN_LIMIT / ALERT_SCAN_PAGE) }, () => ALERT_SCAN_PAGE));
  });

  it('refuses a page size that could never end the scan', async () => {
    const log = new MemoryAlertLog({ maxLength: 10 });
    disposers.push(() => log.close());
    await expect(scanAlertLogNewestFirst(log, { pageSize: 0, visit: () => undefined })).rejects.toThrow('pageSize must be a positive integer, got 0');
  });
});
