import { describe, expect, it } from 'vitest';
import { INITIAL_STATE, type AlertStateStore, type Silence } from '../src/alerts/alert-state.js';

/** The behaviour every AlertStateStore must have; run against each in alert-state-store.int.test.ts. */
export function alertStateStoreContract(name: string, make: (clock: () => Date) => Promise<{ store: AlertStateStore; dispose: () => Promise<void> }>) {
  // Times relative to an injected clock, never today's date.
  const t0 = new Date(Date.UTC(2031, 0, 1));
  const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

  describe(`AlertStateStore contract: ${name}`, () => {
    it('an alert never acted on has the initial state; ack and resolve are recorded with who, when and why', async () => {
      const { store, dispose } = await make(() => at(0));
      try {
        expect(await store.states(['1-0'])).toEqual([INITIAL_STATE]);
        await store.acknowledge('1-0', { by: 'alice', at: at(1).toISOString(), comment: 'looking' });
        const resolved = await store.resolve('1-0', { by: 'bob', at: at(2).toISOString(), comment: null });
        expect(resolved).toEqual({ ...INITIAL_STATE, acknowledged: { by: 'alice', at: at(1).toISOString(), comment: 'looking' }, resolved: { by: 'bob', at: at(2).toISOString(), comment: null } });
        const [again, other] = await store.states(['1-0', '2-0']);
        expect(again).toEqual(resolved);
        expect(other).toEqual(INITIAL_STATE);
      } finally {
        await dispose();
      }
    });

    it('folds repeats within the window after the last sighting, counting them; not after the window or a resolution', async () => {
      const { store, dispose } = await make(() => at(0));
      try {
        const window = 60_000;
        expect(await store.fold('k', at(0), window)).toBeNull();
        await store.openFold('k', '5-0', at(0), window);
        expect(await store.fold('k', at(50), window)).toEqual({ alertId: '5-0', count: 2 });
        // Sliding: 100 s after the first sighting, but 50 s after the last.
        expect(await store.fold('k', at(100), window)).toEqual({ alertId: '5-0', count: 3 });
        expect(await store.fold('other', at(100), window)).toBeNull();
        const [state] = await store.states(['5-0']);
        expect(state).toMatchObject({ count: 3, lastSeen: at(100).toISOString() });
        expect(await store.fold('k', at(161), window)).toBeNull();

        await store.openFold('k', '6-0', at(200), window);
        await store.resolve('6-0', { by: 'carol', at: at(201).toISOString(), comment: null });
        expect(await store.fold('k', at(202), window)).toBeNull();
      } finally {
        await dispose();
      }
    });

    it('keeps silences newest first, ends one early, and purges those ended more than a week ago', async () => {
      let now = at(0);
      const { store, dispose } = await make(() => now);
      try {
        const silence = (id: string, createdSeconds: number, expiresSeconds: number): Silence => ({
          id,
          matchers: { sources: ['HOSTS'], rules: [], severities: [], subjects: [], labels: { team: 'a' } },
          comment: `silence ${id}`,
          createdBy: 'alice',
          createdAt: at(createdSeconds).toISOString(),
          expiresAt: at(expiresSeconds).toISOString(),
          expired: null,
          scope: null,
        });
        await store.addSilence(silence('a', 0, 3600));
        await store.addSilence(silence('b', 10, 7200));
        expect((await store.silences()).map((s) => s.id)).toEqual(['b', 'a']);
        const ended = await store.expireSilence('a', { by: 'bob', at: at(20).toISOString(), comment: null });
        expect(ended?.expired).toEqual({ by: 'bob', at: at(20).toISOString(), comment: null });
        expect((await store.silences()).find((s) => s.id === 'a')?.expired?.by).toBe('bob');
        expect(await store.expireSilence('nope', { by: 'bob', at: at(20).toISOString(), comment: null })).toBeNull();
        now = at(8 * 24 * 3600);
        expect((await store.silences()).map((s) => s.id)).toEqual([]);
      } finally {
        await dispose();
      }
    });
  });
}
