import { describe, expect, it } from 'vitest';
import type { ProbeKind, ProbeScheduler, ProbeSchedulerOptions } from '../src/scheduling/probe-scheduler.js';

/**
 * An instrumented stand-in for the probe function (the scheduler's injected dependency): records
 * every call, detects two probes of one host in flight at once, and tracks the in-flight maximum.
 * One fleet can be shared by several schedulers ("replicas") so overlaps across them show too.
 */
export class FakeFleet {
  readonly calls: { hostId: string; kind: ProbeKind; at: number; replica: string }[] = [];
  readonly overlaps: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private readonly busy = new Set<string>();
  private readonly gates = new Map<string, Promise<void>>();
  /** Decides each probe's outcome; ok by default. */
  outcome: (hostId: string, kind: ProbeKind) => boolean = () => true;

  constructor(private readonly durationMs = 5) {}

  probeFor(replica: string): ProbeSchedulerOptions['probe'] {
    return async (hostId, kind) => {
      if (this.busy.has(hostId)) this.overlaps.push(`${hostId}:${kind}@${replica}`);
      this.busy.add(hostId);
      this.inFlight += 1;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      this.calls.push({ hostId, kind, at: Date.now(), replica });
      try {
        await sleep(this.durationMs);
        const gate = this.gates.get(hostId);
        if (gate) await gate;
        return { ok: this.outcome(hostId, kind) };
      } finally {
        this.inFlight -= 1;
        this.busy.delete(hostId);
      }
    };
  }

  /** Probes of `hostId` that start from now on hold until the returned release is called. */
  hold(hostId: string): () => void {
    let release = () => {};
    this.gates.set(hostId, new Promise<void>((resolve) => (release = resolve)));
    return () => {
      this.gates.delete(hostId);
      release();
    };
  }

  count(hostId: string, kind?: ProbeKind): number {
    return this.calls.filter((call) => call.hostId === hostId && (kind === undefined || call.kind === kind)).length;
  }

  running(hostId: string): boolean {
    return this.busy.has(hostId);
  }
}

export type SchedulerFactory = (options: Omit<ProbeSchedulerOptions, 'logger'>) => Promise<ProbeScheduler>;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `condition` holds; fails after `timeoutMs` (generous: this waits on behaviour, not speed). */
export async function eventually(condition: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export const hostList = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `host-${i + 1}` }));

/**
 * Behaviour every ProbeScheduler has; run against each implementation in probe-scheduler.int.test.ts.
 * Cadences are tens of milliseconds; assertions are on counts, order and overlap with generous
 * bounds, never on how fast anything ran.
 */
export function probeSchedulerContract(name: string, make: SchedulerFactory) {
  describe(`ProbeScheduler contract: ${name}`, () => {
    it('probes every host for facts first, then facts and metrics on their cadences', async () => {
      const fleet = new FakeFleet();
      const hosts = hostList(4);
      const scheduler = await make({ hosts, probe: fleet.probeFor('a'), factsIntervalMs: 400, metricsIntervalMs: 100 });
      await scheduler.start();
      await scheduler.firstRoundDone();
      for (const { id } of hosts) expect(fleet.count(id, 'facts')).toBeGreaterThanOrEqual(1);
      const started = Math.min(...fleet.calls.map((call) => call.at));
      await sleep(900);
      await scheduler.stop();
      const elapsed = Date.now() - started;
      for (const { id } of hosts) {
        expect(fleet.calls.find((call) => call.hostId === id)?.kind).toBe('facts');
        // Jitter is ±10 %; bounds allow for it plus the first run of each kind at start.
        expect(fleet.count(id, 'facts')).toBeGreaterThanOrEqual(2);
        expect(fleet.count(id, 'facts')).toBeLessThanOrEqual(Math.floor(elapsed / 360) + 1);
        expect(fleet.count(id, 'metrics')).toBeGreaterThanOrEqual(4);
        expect(fleet.count(id, 'metrics')).toBeLessThanOrEqual(Math.floor(elapsed / 90) + 1);
      }
      expect(fleet.overlaps).toEqual([]);
    });

    it('never runs two probes of one host at once and keeps within its concurrency', async () => {
      const fleet = new FakeFleet(15);
      const hosts = hostList(10);
      const scheduler = await make({ hosts, probe: fleet.probeFor('a'), concurrency: 3, factsIntervalMs: 120, metricsIntervalMs: 40, refreshDebounceMs: 0 });
      await scheduler.start();
      // Refreshes racing the cadence are the likeliest way to start a second probe of a host.
      const until = Date.now() + 900;
      let i = 0;
      while (Date.now() < until) {
        await scheduler.refresh(`host-${(i++ % hosts.length) + 1}`);
        await sleep(7);
      }
      await scheduler.stop();
      expect(fleet.overlaps).toEqual([]);
      expect(fleet.maxInFlight).toBeLessThanOrEqual(3);
      expect(fleet.maxInFlight).toBeGreaterThanOrEqual(2);
      for (const { id } of hosts) expect(fleet.count(id, 'metrics')).toBeGreaterThanOrEqual(2);
    });

    it('backs off exponentially while a host fails and resets after a success', async () => {
      const fleet = new FakeFleet(1);
      let attempts = 0;
      fleet.outcome = () => ++attempts > 5;
      const scheduler = await make({
        hosts: [{ id: 'flaky' }],
        probe: fleet.probeFor('a'),
        factsIntervalMs: 60_000,
        metricsIntervalMs: 50,
        jitterRatio: 0,
        backoff: { initialMs: 40, factor: 2, maxMs: 10_000 },
      });
      await scheduler.start();
      // Attempts 1–5 fail (facts first, so the metrics probe of each failed run is skipped); the 6th succeeds.
      await eventually(() => fleet.count('flaky') >= 7, 8_000, 'the host to recover');
      const failing = fleet.calls.slice(0, 6).map((call) => call.at);
      const gaps = failing.slice(1).map((at, k) => at - (failing[k] ?? at));
      gaps.forEach((gap, k) => {
        const backoff = 40 * 2 ** k;
        expect(gap).toBeGreaterThanOrEqual(backoff - 2);
        expect(gap).toBeLessThan(backoff + 250);
      });
      expect(fleet.calls.slice(0, 6).every((call) => call.kind === 'facts')).toBe(true);
      // After the success the metrics cadence is back to its interval, not the last backoff (640 ms).
      const recovered = fleet.calls[5]?.at ?? 0;
      await sleep(500);
      await scheduler.stop();
      const metricsAfter = fleet.calls.filter((call) => call.kind === 'metrics' && call.at > recovered);
      expect(metricsAfter.length).toBeGreaterThanOrEqual(4);
    });

    it('answers refresh: unknown host, debounced, queued, already queued', async () => {
      const fleet = new FakeFleet(20);
      const scheduler = await make({
        hosts: hostList(2),
        probe: fleet.probeFor('a'),
        factsIntervalMs: 60_000,
        metricsIntervalMs: 60_000,
        refreshDebounceMs: 300,
      });
      await scheduler.start();
      await scheduler.firstRoundDone();
      expect((await scheduler.refresh('nope')).status).toBe('UNKNOWN_HOST');
      const debounced = await scheduler.refresh('host-1');
      expect(debounced.status).toBe('RECENTLY_PROBED');
      expect(debounced.message).toMatch(/debounced/);
      await eventually(() => !fleet.running('host-1') && !fleet.running('host-2'), 5_000, 'first round to finish');
      await sleep(350);
      expect(fleet.count('host-1', 'facts')).toBe(1);
      expect(await scheduler.refresh('host-1')).toMatchObject({ status: 'QUEUED' });
      expect(['ALREADY_QUEUED', 'RUNNING']).toContain((await scheduler.refresh('host-1')).status);
      await eventually(() => fleet.count('host-1', 'facts') === 2, 5_000, 'the refreshed facts probe');
      // The probe function has returned, but the run may still be recording its result: RUNNING
      // until then, and debounced after.
      let after = await scheduler.refresh('host-1');
      for (let tries = 0; after.status === 'RUNNING' && tries < 100; tries += 1) {
        await sleep(10);
        after = await scheduler.refresh('host-1');
      }
      expect(after.status).toBe('RECENTLY_PROBED');
      expect(after.message).toMatch(/debounced/);
      await sleep(100);
      await scheduler.stop();
      expect(fleet.count('host-1', 'facts')).toBe(2);
      expect(fleet.count('host-2', 'facts')).toBe(1);
    });

    it('a refresh while a facts probe runs answers RUNNING and starts no second probe', async () => {
      const fleet = new FakeFleet(5);
      const scheduler = await make({ hosts: hostList(1), probe: fleet.probeFor('a'), factsIntervalMs: 60_000, metricsIntervalMs: 60_000, refreshDebounceMs: 0 });
      await scheduler.start();
      await scheduler.firstRoundDone();
      await eventually(() => !fleet.running('host-1'), 5_000, 'first round to finish');
      const release = fleet.hold('host-1');
      expect((await scheduler.refresh('host-1')).status).toBe('QUEUED');
      await eventually(() => fleet.running('host-1'), 5_000, 'the refreshed probe to start');
      expect((await scheduler.refresh('host-1')).status).toBe('RUNNING');
      release();
      await eventually(() => !fleet.running('host-1'), 5_000, 'the probe to finish');
      await sleep(300);
      await scheduler.stop();
      expect(fleet.count('host-1', 'facts')).toBe(2);
      expect(fleet.overlaps).toEqual([]);
    });

    it('a refresh during a metrics-only run is answered by a facts probe right after it', async () => {
      const fleet = new FakeFleet(5);
      const scheduler = await make({ hosts: hostList(1), probe: fleet.probeFor('a'), factsIntervalMs: 60_000, metricsIntervalMs: 150, refreshDebounceMs: 0 });
      await scheduler.start();
      await scheduler.firstRoundDone();
      // The first run (facts, then metrics) is over once its metrics probe returned.
      await eventually(() => fleet.count('host-1', 'metrics') >= 1 && !fleet.running('host-1'), 5_000, 'first round to finish');
      const release = fleet.hold('host-1');
      await eventually(() => fleet.running('host-1'), 5_000, 'the next metrics probe');
      expect(fleet.calls.at(-1)?.kind).toBe('metrics');
      expect((await scheduler.refresh('host-1')).status).toBe('RUNNING');
      release();
      await eventually(() => fleet.count('host-1', 'facts') === 2, 5_000, 'the facts probe after the metrics run');
      await scheduler.stop();
      expect(fleet.overlaps).toEqual([]);
    });

    it('stop() drains: no probe is in flight when it resolves and none starts after', async () => {
      const fleet = new FakeFleet(30);
      const scheduler = await make({ hosts: hostList(6), probe: fleet.probeFor('a'), concurrency: 3, factsIntervalMs: 100, metricsIntervalMs: 20 });
      await scheduler.start();
      await eventually(() => fleet.inFlight > 0 && fleet.calls.length > 6, 5_000, 'probes in flight');
      await scheduler.stop();
      expect(fleet.inFlight).toBe(0);
      const calls = fleet.calls.length;
      await sleep(250);
      expect(fleet.calls.length).toBe(calls);
      await expect(scheduler.refresh('host-1')).rejects.toThrow(/stopped/);
    });

    it('firstRoundDone waits for the slowest host and rejects if stopped before', async () => {
      const fleet = new FakeFleet(5);
      const release = fleet.hold('host-3');
      const scheduler = await make({ hosts: hostList(3), probe: fleet.probeFor('a'), concurrency: 3, factsIntervalMs: 60_000, metricsIntervalMs: 60_000 });
      await scheduler.start();
      let done = false;
      const first = scheduler.firstRoundDone().then(() => (done = true));
      await eventually(() => fleet.count('host-1') > 0 && fleet.count('host-2') > 0 && fleet.running('host-3'), 5_000, 'the first probes');
      await sleep(100);
      expect(done).toBe(false);
      release();
      await first;
      await scheduler.stop();

      const stuck = new FakeFleet(5);
      const releaseStuck = stuck.hold('host-1');
      const stopped = await make({ hosts: hostList(1), probe: stuck.probeFor('b'), factsIntervalMs: 60_000, metricsIntervalMs: 60_000 });
      await stopped.start();
      const never = stopped.firstRoundDone();
      await eventually(() => stuck.running('host-1'), 5_000, 'the held probe');
      const stopping = stopped.stop();
      await expect(never).rejects.toThrow(/stopped/);
      // stop() waits for the held probe; rejecting firstRoundDone did not.
      releaseStuck();
      await stopping;
    });
  });
}
