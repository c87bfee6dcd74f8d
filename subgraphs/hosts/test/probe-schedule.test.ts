import { describe, expect, it } from 'vitest';
import { createLogger } from '@vigil/lib/logger';
import { InProcessProbeScheduler, type Clock } from '../src/scheduling/in-process-probe-scheduler.js';
import type { ProbeKind } from '../src/scheduling/probe-scheduler.js';
import { afterRun, backoffDelay, decideRefresh, initialSchedule, jittered, nextRunAt, resolveSettings } from '../src/scheduling/schedule.js';

const logger = createLogger('test', { level: 'silent' });
const settings = resolveSettings({ hosts: [], probe: async () => ({ ok: true }), logger });

/** A clock whose timers fire only when the test advances it; probes resolve in between. */
class ManualClock implements Clock {
  private time = 1_000_000;
  private timers: { at: number; callback: () => void }[] = [];
  now = () => this.time;
  setTimer(callback: () => void, ms: number) {
    const timer = { at: this.time + ms, callback };
    this.timers.push(timer);
    return { cancel: () => (this.timers = this.timers.filter((t) => t !== timer)) };
  }
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      await flush();
      const next = this.timers.filter((t) => t.at <= end).sort((x, y) => x.at - y.at)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = Math.max(this.time, next.at);
      next.callback();
    }
    this.time = end;
    await flush();
  }
}
const flush = async () => {
  for (let i = 0; i < 20; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
};

describe('schedule policy', () => {
  it('defaults: facts hourly, metrics every 5 min, 8 at a time, ±10 % jitter, backoff 30 s ×2 up to an hour, 30 s debounce', () => {
    expect(settings).toEqual({
      factsIntervalMs: 3_600_000,
      metricsIntervalMs: 300_000,
      concurrency: 8,
      jitterRatio: 0.1,
      backoff: { initialMs: 30_000, maxMs: 3_600_000, factor: 2 },
      refreshDebounceMs: 30_000,
    });
  });

  it('rejects bad options, all reported together', () => {
    expect(() => resolveSettings({ hosts: [{ id: 'a' }, { id: 'a' }], probe: async () => ({ ok: true }), logger, concurrency: 0, jitterRatio: 2 })).toThrow(
      /concurrency.*jitterRatio.*appears twice/,
    );
  });

  it('jitter stays within ±ratio and spreads a fleet', () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const values = Array.from({ length: 200 }, () => jittered(1000, 0.1, random));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(900);
    expect(Math.max(...values)).toBeLessThanOrEqual(1100);
    expect(new Set(values).size).toBeGreaterThan(100);
  });

  it('backoff doubles per failed run up to the cap, and a success resets it', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n, settings.backoff))).toEqual([
      30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000,
    ]);
    const exact = { ...settings, jitterRatio: 0 };
    let schedule = initialSchedule('h', 0);
    schedule = afterRun(schedule, [{ kind: 'facts', ok: false }], 10, exact, Math.random);
    expect(schedule).toMatchObject({ failures: 1, retryAt: 30_010, factsDueAt: 0 });
    expect(nextRunAt(schedule, 10, false)).toBe(30_010);
    schedule = afterRun(schedule, [{ kind: 'facts', ok: false }], 30_010, exact, Math.random);
    expect(nextRunAt(schedule, 30_010, false)).toBe(90_010);
    schedule = afterRun(schedule, [{ kind: 'facts', ok: true }, { kind: 'metrics', ok: true }], 90_010, exact, Math.random);
    expect(schedule).toMatchObject({ failures: 0, retryAt: null, factsDueAt: 3_690_010, metricsDueAt: 390_010, lastFactsAt: 90_010 });
  });

  it('refresh decisions', () => {
    const probed = { ...initialSchedule('h', 0), lastFactsAt: 1_000 };
    expect(decideRefresh('h', 'running', probed, 2_000, 30_000)).toMatchObject({ result: { status: 'RUNNING' }, request: true, runNow: false });
    expect(decideRefresh('h', 'scheduled', probed, 2_000, 30_000)).toMatchObject({ result: { status: 'RECENTLY_PROBED' }, request: false, runNow: false });
    expect(decideRefresh('h', 'waiting', probed, 40_000, 30_000)).toMatchObject({ result: { status: 'ALREADY_QUEUED' }, request: true, runNow: false });
    expect(decideRefresh('h', 'scheduled', probed, 40_000, 30_000)).toMatchObject({ result: { status: 'QUEUED' }, request: true, runNow: true });
  });
});

describe('InProcessProbeScheduler on an injected clock', () => {
  it('runs a 40-host fleet at the default cadences over a simulated 2 hours, 8 at a time', async () => {
    const clock = new ManualClock();
    const calls: { hostId: string; kind: ProbeKind; at: number }[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const hosts = Array.from({ length: 40 }, (_, i) => ({ id: `h${i}` }));
    const scheduler = new InProcessProbeScheduler({
      hosts,
      logger,
      clock,
      probe: async (hostId, kind) => {
        calls.push({ hostId, kind, at: clock.now() });
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await Promise.resolve();
        inFlight -= 1;
        return { ok: true };
      },
    });
    const t0 = clock.now();
    await scheduler.start();
    await clock.advance(2 * 3_600_000);
    await scheduler.stop();
    expect(maxInFlight).toBeLessThanOrEqual(8);
    for (const { id } of hosts) {
      const facts = calls.filter((call) => call.hostId === id && call.kind === 'facts').map((call) => call.at - t0);
      const metrics = calls.filter((call) => call.hostId === id && call.kind === 'metrics');
      // t=0, ~1 h, ~2 h (each ±6 min): 2 or 3 within the two hours.
      expect(facts.length).toBeGreaterThanOrEqual(2);
      expect(facts.length).toBeLessThanOrEqual(3);
      expect(facts[1]).toBeGreaterThanOrEqual(0.9 * 3_600_000);
      expect(facts[1]).toBeLessThanOrEqual(1.1 * 3_600_000);
      // Every 5 min ±30 s: 22 to 27 in two hours.
      expect(metrics.length).toBeGreaterThanOrEqual(22);
      expect(metrics.length).toBeLessThanOrEqual(27);
    }
    // Jitter: the fleet's second facts probes are spread, not in lockstep.
    const second = new Set(hosts.map(({ id }) => calls.filter((call) => call.hostId === id && call.kind === 'facts')[1]?.at));
    expect(second.size).toBeGreaterThan(30);
  });
});
