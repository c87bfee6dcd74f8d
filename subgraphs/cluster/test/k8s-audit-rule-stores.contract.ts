import { describe, expect, it } from 'vitest';
import type { Clock } from '@vigil/lib/clock';
import type { DeliveryLedger } from '../src/sources/k8s-audit/delivery-ledger.js';
import type { AuditRuleState } from '../src/sources/k8s-audit/rule-state.js';

/**
 * One suite per port of the audit webhook's memory (delivery ledger, rule state), run against the
 * in-memory and the Redis implementation (k8s-audit-rule-stores.int.test.ts). Time is a clock the test
 * moves; no test depends on today's date.
 */

export const T0 = Date.parse('2025-06-01T12:00:00.000Z');
export const MINUTE = 60_000;

/** A clock the test moves by hand. */
export function manualClock(start = T0): Clock & { advance(ms: number): void; set(ms: number): void } {
  let now = start;
  const clock = () => new Date(now);
  clock.advance = (ms: number) => (now += ms);
  clock.set = (ms: number) => (now = ms);
  return clock;
}

export interface LedgerUnderTest {
  ledger: DeliveryLedger;
  /** The same data as another process sees it (Redis: its own connection; memory: the same object). */
  peer: DeliveryLedger;
  clock: ReturnType<typeof manualClock>;
  dispose(): Promise<void>;
}

export type MakeLedger = (options: { windowMs: number; leaseMs: number }) => Promise<LedgerUnderTest>;

export function deliveryLedgerContract(name: string, make: MakeLedger): void {
  describe(`${name} delivery ledger`, () => {
    const WINDOW = 60 * MINUTE;
    const LEASE = MINUTE;

    it('claims new keys, then reports them done once settled, for the window', async () => {
      const t = await make({ windowMs: WINDOW, leaseMs: LEASE });
      try {
        const keys = ['a/ResponseComplete', 'b/ResponseStarted', 'b/rule:podExec'];
        expect(await t.ledger.claim('prod', keys, 'one')).toEqual(keys.map(() => ({ state: 'claimed', recorded: false })));
        await t.ledger.settle('prod', { done: keys, recorded: [], released: [] });
        expect(await t.peer.claim('prod', keys, 'two')).toEqual(keys.map(() => ({ state: 'done' })));
        t.clock.advance(WINDOW - 1000);
        expect(await t.peer.claim('prod', ['a/ResponseComplete'], 'three')).toEqual([{ state: 'done' }]);
        // Forgotten after the window (Redis: by 1.25 × the window at most).
        t.clock.advance(WINDOW / 4 + 2000);
        expect(await t.peer.claim('prod', ['a/ResponseComplete'], 'four')).toEqual([{ state: 'claimed', recorded: false }]);
      } finally {
        await t.dispose();
      }
    });

    it('keeps scopes apart', async () => {
      const t = await make({ windowMs: WINDOW, leaseMs: LEASE });
      try {
        await t.ledger.claim('prod', ['a/ResponseComplete'], 'one');
        await t.ledger.settle('prod', { done: ['a/ResponseComplete'], recorded: [], released: [] });
        expect(await t.ledger.claim('staging', ['a/ResponseComplete'], 'two')).toEqual([{ state: 'claimed', recorded: false }]);
      } finally {
        await t.dispose();
      }
    });

    it('a claim held by another owner is busy until settled or until its lease ends; the owner may claim again', async () => {
      const t = await make({ windowMs: WINDOW, leaseMs: LEASE });
      try {
        await t.ledger.claim('prod', ['a/ResponseComplete', 'b/ResponseComplete'], 'one');
        expect(await t.peer.claim('prod', ['a/ResponseComplete', 'c/ResponseComplete'], 'two')).toEqual([
          { state: 'busy' },
          { state: 'claimed', recorded: false },
        ]);
        expect(await t.ledger.claim('prod', ['a/ResponseComplete'], 'one')).toEqual([{ state: 'claimed', recorded: false }]);
        await t.ledger.settle('prod', { done: [], recorded: [], released: ['a/ResponseComplete'] });
        expect(await t.peer.claim('prod', ['a/ResponseComplete'], 'two')).toEqual([{ state: 'claimed', recorded: false }]);
        // 'b' is never settled (its process died): free once the lease is over.
        t.clock.advance(LEASE - 1);
        expect(await t.peer.claim('prod', ['b/ResponseComplete'], 'three')).toEqual([{ state: 'busy' }]);
        t.clock.advance(2);
        expect(await t.peer.claim('prod', ['b/ResponseComplete'], 'three')).toEqual([{ state: 'claimed', recorded: false }]);
      } finally {
        await t.dispose();
      }
    });

    it('keeps the progress of a failed attempt: recorded keys come back as recorded, fired rules as done', async () => {
      const t = await make({ windowMs: WINDOW, leaseMs: LEASE });
      try {
        const keys = ['a/ResponseComplete', 'b/ResponseComplete', 'a/rule:rbacChange', 'b/rule:rbacChange'];
        await t.ledger.claim('prod', keys, 'one');
        await t.ledger.settle('prod', { done: ['a/rule:rbacChange'], recorded: ['a/ResponseComplete', 'b/ResponseComplete'], released: ['b/rule:rbacChange'] });
        expect(await t.peer.claim('prod', keys, 'two')).toEqual([
          { state: 'claimed', recorded: true },
          { state: 'claimed', recorded: true },
          { state: 'done' },
          { state: 'claimed', recorded: false },
        ]);
        // Still recorded while claimed by 'two' (busy for others), and after 'two' fails again keeping it.
        expect(await t.ledger.claim('prod', ['a/ResponseComplete'], 'three')).toEqual([{ state: 'busy' }]);
        await t.peer.settle('prod', { done: [], recorded: ['a/ResponseComplete'], released: [] });
        expect(await t.ledger.claim('prod', ['a/ResponseComplete'], 'three')).toEqual([{ state: 'claimed', recorded: true }]);
      } finally {
        await t.dispose();
      }
    });

    it('handles a large batch in one claim, in order', async () => {
      const t = await make({ windowMs: WINDOW, leaseMs: LEASE });
      try {
        const keys = Array.from({ length: 2500 }, (_, i) => `${String(i).padStart(5, '0')}/ResponseComplete`);
        await t.ledger.claim('prod', keys.slice(0, 1200), 'one');
        await t.ledger.settle('prod', { done: keys.slice(0, 1200).filter((_, i) => i % 2 === 0), recorded: [], released: keys.slice(0, 1200).filter((_, i) => i % 2 === 1) });
        const results = await t.peer.claim('prod', keys, 'two');
        expect(results).toHaveLength(2500);
        expect(results.slice(0, 4)).toEqual([{ state: 'done' }, { state: 'claimed', recorded: false }, { state: 'done' }, { state: 'claimed', recorded: false }]);
        expect(results.slice(1200).every((r) => r.state === 'claimed')).toBe(true);
      } finally {
        await t.dispose();
      }
    });
  });
}

export interface RuleStateUnderTest {
  state: AuditRuleState;
  peer: AuditRuleState;
  clock: ReturnType<typeof manualClock>;
  dispose(): Promise<void>;
}

export type MakeRuleState = () => Promise<RuleStateUnderTest>;

export function auditRuleStateContract(name: string, make: MakeRuleState): void {
  describe(`${name} audit rule state`, () => {
    const window = { bucketMs: MINUTE, buckets: 5 };
    const bucketAt = (ms: number) => Math.floor(ms / MINUTE);

    it('sums request counts over the window of buckets, per cluster', async () => {
      const t = await make();
      try {
        const b = bucketAt(T0);
        expect(await t.state.addRequestCounts('prod', b, { requests: 10, failures: 2 }, window)).toEqual({ requests: 10, failures: 2 });
        expect(await t.peer.addRequestCounts('prod', b, { requests: 5, failures: 1 }, window)).toEqual({ requests: 15, failures: 3 });
        expect(await t.state.addRequestCounts('staging', b, { requests: 1, failures: 1 }, window)).toEqual({ requests: 1, failures: 1 });
        t.clock.advance(4 * MINUTE);
        expect(await t.state.addRequestCounts('prod', b + 4, { requests: 1, failures: 0 }, window)).toEqual({ requests: 16, failures: 3 });
        // Bucket b leaves the window.
        t.clock.advance(MINUTE);
        expect(await t.peer.addRequestCounts('prod', b + 5, { requests: 1, failures: 1 }, window)).toEqual({ requests: 2, failures: 1 });
      } finally {
        await t.dispose();
      }
    });

    it('holds a firing for its time, once between all holders, and gives it back on release', async () => {
      const t = await make();
      try {
        expect(await t.state.claimFiring('prod', 'apiFailureRate', 5 * MINUTE)).toBe(true);
        expect(await t.peer.claimFiring('prod', 'apiFailureRate', 5 * MINUTE)).toBe(false);
        expect(await t.peer.claimFiring('staging', 'apiFailureRate', 5 * MINUTE)).toBe(true);
        await t.state.releaseFiring('prod', 'apiFailureRate');
        expect(await t.peer.claimFiring('prod', 'apiFailureRate', 5 * MINUTE)).toBe(true);
        // Held by the injected clock, not the store's own.
        t.clock.advance(5 * MINUTE - 1);
        expect(await t.state.claimFiring('prod', 'apiFailureRate', 5 * MINUTE)).toBe(false);
        t.clock.advance(1);
        expect(await t.state.claimFiring('prod', 'apiFailureRate', 5 * MINUTE)).toBe(true);
      } finally {
        await t.dispose();
      }
    });

    it('marks a cluster silent once, returns the mark when it is heard from again, and arms again', async () => {
      const t = await make();
      try {
        expect(await t.state.heardFrom('prod', T0)).toBeNull();
        expect(await t.state.heardFrom('staging', T0 + 5 * MINUTE)).toBeNull();
        // Last-seen only moves forward (a late batch counted by event time).
        expect(await t.state.heardFrom('prod', T0 - MINUTE)).toBeNull();
        expect(await t.state.markSilent(T0 - 1)).toEqual([]);
        expect(await t.state.markSilent(T0)).toEqual([{ cluster: 'prod', lastSeenMs: T0 }]);
        expect(await t.peer.markSilent(T0 + MINUTE)).toEqual([]);
        expect(await t.peer.heardFrom('prod', T0 + 20 * MINUTE)).toEqual({ silentSinceMs: T0 });
        expect(await t.state.heardFrom('prod', T0 + 21 * MINUTE)).toBeNull();
        expect(await t.state.markSilent(T0 + 21 * MINUTE)).toEqual(
          expect.arrayContaining([
            { cluster: 'prod', lastSeenMs: T0 + 21 * MINUTE },
            { cluster: 'staging', lastSeenMs: T0 + 5 * MINUTE },
          ]),
        );
      } finally {
        await t.dispose();
      }
    });

    it('setSilenceMark undoes a mark or puts one back', async () => {
      const t = await make();
      try {
        await t.state.heardFrom('prod', T0);
        expect(await t.state.markSilent(T0)).toHaveLength(1);
        await t.state.setSilenceMark('prod', null);
        expect(await t.peer.markSilent(T0)).toEqual([{ cluster: 'prod', lastSeenMs: T0 }]);
        expect(await t.state.heardFrom('prod', T0 + MINUTE)).toEqual({ silentSinceMs: T0 });
        await t.state.setSilenceMark('prod', T0);
        expect(await t.peer.heardFrom('prod', T0 + 2 * MINUTE)).toEqual({ silentSinceMs: T0 });
      } finally {
        await t.dispose();
      }
    });

    it('forgets a cluster not heard from for 30 days', async () => {
      const t = await make();
      try {
        await t.state.heardFrom('gone', T0);
        t.clock.advance(31 * 24 * 60 * MINUTE);
        expect(await t.state.markSilent(t.clock().getTime())).toEqual([]);
      } finally {
        await t.dispose();
      }
    });
  });
}
