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

    it('changes share the log order but never show up as alerts', async () => {
      const { log, dispose } = await make();
      const controller = new AbortController();
      try {
        const a0 = await log.append(alert(0));
        const change = await log.appendChange({ kind: 'ACKNOWLEDGED', alertId: a0.id, at: '2031-01-01T00:00:00.000Z', by: 'alice', comment: 'mine' });
        const a1 = await log.append(alert(1));
        expect(compareIds(change.id, a0.id)).toBeGreaterThan(0);
        expect(compareIds(a1.id, change.id)).toBeGreaterThan(0);
        expect((await log.listNewestFirst({ limit: 2 })).map((a) => a.title)).toEqual(['alert 1', 'alert 0']);
        expect((await log.listNewestFirst({ limit: 1, before: a1.id })).map((a) => a.title)).toEqual(['alert 0']);
        expect(await log.get([change.id])).toEqual([null]);
        expect(await log.lastId()).toBe(a1.id);
        const events = [];
        for await (const event of log.tailEvents(null, { signal: controller.signal })) {
          events.push(event);
          if (events.length === 3) break;
        }
        expect(events.map((e) => e.type)).toEqual(['raised', 'changed', 'raised']);
        expect(events[1]).toEqual({ id: change.id, type: 'changed', change: { kind: 'ACKNOWLEDGED', alertId: a0.id, at: '2031-01-01T00:00:00.000Z', by: 'alice', comment: 'mine', id: change.id } });
        expect((await collect(log.tail(null, { signal: controller.signal }), 2)).map((a) => a.title)).toEqual(['alert 0', 'alert 1']);
      } finally {
        controller.abort();
        await dispose();
      }
    });

    it('consumer groups: start after the newest entry, keep read entries pending until acked, hand them over after a restart', async () => {
      const { log, dispose } = await make();
      try {
        await log.append(alert(0));
        await log.groups.ensure('out');
        await log.groups.ensure('out');
        const a1 = await log.append(alert(1));
        const c1 = await log.appendChange({ kind: 'RESOLVED', alertId: a1.id, at: '2031-01-01T00:00:00.000Z', by: 'bob' });
        const read = await log.groups.readNew('out', 'run-1', { count: 10, blockMs: 0 });
        expect(read.map((e) => e.id)).toEqual([a1.id, c1.id]);
        expect(await log.groups.readNew('out', 'run-1', { count: 10, blockMs: 0 })).toEqual([]);
        expect(await log.groups.pendingCount('out')).toBe(2);
        await log.groups.ack('out', [a1.id]);
        expect(await log.groups.pendingCount('out')).toBe(1);
        // A second run of the consumer takes over what the first read and never acknowledged.
        const claimed = await log.groups.claimPending('out', 'run-2', { minIdleMs: 0, count: 10 });
        expect(claimed.map((e) => e.id)).toEqual([c1.id]);
        await log.groups.ack('out', [c1.id]);
        expect(await log.groups.claimPending('out', 'run-2', { minIdleMs: 0, count: 10 })).toEqual([]);
        // A blocked read returns as soon as an entry arrives.
        const waiting = log.groups.readNew('out', 'run-2', { count: 10, blockMs: 5000 });
        await new Promise((r) => setTimeout(r, 50));
        const a2 = await log.append(alert(2));
        expect((await waiting).map((e) => e.id)).toEqual([a2.id]);
        // Another group is independent.
        await log.groups.ensure('other');
        expect(await log.groups.readNew('other', 'x', { count: 10, blockMs: 0 })).toEqual([]);
      } finally {
        await dispose();
      }
    });
  });
}

function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am !== bm ? am - bm : as - bs;
}
