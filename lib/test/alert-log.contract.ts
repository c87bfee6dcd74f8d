import { describe, expect, it } from 'vitest';
import type { AlertLog } from '../src/alerts/alert-log.js';
import { SlowConsumerError } from '../src/alerts/alert-log.js';
import type { Alert, NewAlert } from '../src/alerts/alert.js';

/** The behaviour every AlertLog implementation must have; run against each in *.int.test.ts. */
export function alertLogContract(name: string, make: () => Promise<{ log: AlertLog; dispose: () => Promise<void> }>) {
  const alert = (n: number, extra: Partial<NewAlert> = {}): NewAlert => ({
    source: 'CLUSTER',
    severity: 'HIGH',
    title: `alert ${n}`,
    subject: { type: 'Host', hostId: `host-${n}`, displayName: `host ${n}` },
    ...extra,
  });

  async function collect(iterable: AsyncIterable<Alert>, count: number): Promise<Alert[]> {
    const out: Alert[] = [];
    for await (const a of iterable) {
      out.push(a);
      if (out.length === count) break;
    }
    return out;
  }

  describe(`AlertLog contract: ${name}`, () => {
    it('appends with increasing ids and reads back newest first with paging', async () => {
      const { log, dispose } = await make();
      try {
        const appended: Alert[] = [];
        for (let i = 0; i < 5; i++) appended.push(await log.append(alert(i)));
        const ids = appended.map((a) => a.id);
        expect(new Set(ids).size).toBe(5);
        const page1 = await log.listNewestFirst({ limit: 2 });
        expect(page1.map((a) => a.title)).toEqual(['alert 4', 'alert 3']);
        const page2 = await log.listNewestFirst({ limit: 10, before: page1[1]!.id });
        expect(page2.map((a) => a.title)).toEqual(['alert 2', 'alert 1', 'alert 0']);
        expect(await log.lastId()).toBe(ids[4]);
        const [found, missing] = await log.get([ids[2]!, '1-999']);
        expect(found?.title).toBe('alert 2');
        expect(found?.subject).toEqual({ type: 'Host', hostId: 'host-2', displayName: 'host 2' });
        expect(missing).toBeNull();
        expect(Date.parse(found!.raisedAt)).not.toBeNaN();
        expect(found!.occurredAt).toBe(found!.raisedAt);
      } finally {
        await dispose();
      }
    });

    it('keeps occurredAt when the source gives one', async () => {
      const { log, dispose } = await make();
      try {
        const stored = await log.append(alert(1, { occurredAt: '2024-01-02T03:04:05.000Z' }));
        expect(stored.occurredAt).toBe('2024-01-02T03:04:05.000Z');
        expect((await log.get([stored.id]))[0]?.occurredAt).toBe('2024-01-02T03:04:05.000Z');
      } finally {
        await dispose();
      }
    });

    it('tail replays everything after a cursor, then continues live, with no gap and no repeat', async () => {
      const { log, dispose } = await make();
      const controller = new AbortController();
      try {
        const first = await log.append(alert(0));
        await log.append(alert(1));
        await log.append(alert(2));
        const received = collect(log.tail(first.id, { signal: controller.signal }), 4);
        // Appended while the reader replays or waits: must arrive exactly once each.
        await log.append(alert(3));
        await new Promise((r) => setTimeout(r, 50));
        await log.append(alert(4));
        expect((await received).map((a) => a.title)).toEqual(['alert 1', 'alert 2', 'alert 3', 'alert 4']);
      } finally {
        controller.abort();
        await dispose();
      }
    });

    it('tail from the last id delivers only new alerts, to several readers', async () => {
      const { log, dispose } = await make();
      const controller = new AbortController();
      try {
        await log.append(alert(0));
        const last = await log.lastId();
        const readers = [1, 2, 3].map(() => collect(log.tail(last, { signal: controller.signal }), 2));
        await new Promise((r) => setTimeout(r, 50));
        await log.append(alert(1));
        await log.append(alert(2));
        for (const reader of readers) expect((await reader).map((a) => a.title)).toEqual(['alert 1', 'alert 2']);
      } finally {
        controller.abort();
        await dispose();
      }
    });

    it('ends a tail when its signal aborts', async () => {
      const { log, dispose } = await make();
      try {
        const controller = new AbortController();
        const iterator = log.tail(await log.lastId(), { signal: controller.signal })[Symbol.asyncIterator]();
        const pending = iterator.next();
        setTimeout(() => controller.abort(), 20);
        expect((await pending).done).toBe(true);
      } finally {
        await dispose();
      }
    });

    it('disconnects a reader that falls too far behind instead of buffering without bound', async () => {
      const { log, dispose } = await make();
      const controller = new AbortController();
      try {
        const iterator = log.tail(await log.lastId(), { signal: controller.signal, maxBuffered: 3 })[Symbol.asyncIterator]();
        const firstRead = iterator.next();
        await new Promise((r) => setTimeout(r, 50));
        for (let i = 0; i < 8; i++) await log.append(alert(i));
        await new Promise((r) => setTimeout(r, 100));
        expect((await firstRead).value?.title).toBe('alert 0');
        // The remaining 7 overflowed the 3-alert buffer.
        await expect(async () => {
          for (;;) if ((await iterator.next()).done) break;
        }).rejects.toBeInstanceOf(SlowConsumerError);
      } finally {
        controller.abort();
        await dispose();
      }
    });
  });
}
