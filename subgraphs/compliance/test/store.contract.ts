import { describe, expect, it } from 'vitest';
import { hostSubject, nodeSubject, resultKey, type StoredResult } from '../src/results.js';
import type { ResultStore } from '../src/store/result-store.js';
import type { WaiverStore } from '../src/store/waiver-store.js';

/** One contract for every ResultStore and WaiverStore (CONVENTIONS §5): memory and Redis must agree. */

export const T = (minutes: number) => new Date(Date.UTC(2026, 10, 15, 9, minutes)).toISOString();

export function result(controlId: string, host: string, status: StoredResult['status'], since: string, observed: string = status): StoredResult {
  return {
    framework: 'NIST_800_53',
    controlId,
    controlTitle: `control ${controlId}`,
    subject: hostSubject(host, { env: 'prod' }),
    status,
    severity: 'MEDIUM',
    since,
    evidence: [{ source: 'hosts.probeStatus', summary: `${host} is ${observed}`, satisfied: status === 'PASS', observed, expected: 'PASS', hostId: host, observedAt: since, reference: { kind: 'HOST_FACT', hostId: host, fact: 'probeStatus', key: null } }],
  };
}

export const keyOf = (r: StoredResult) => resultKey(r.framework, r.controlId, r.subject);

export function resultStoreContract(name: string, create: () => Promise<ResultStore>): void {
  describe(`ResultStore (${name})`, () => {
    it('keeps the current results and rebuilds any earlier time from the changes written', async () => {
      const store = await create();
      const a0 = result('CM-8', 'web-1', 'PASS', T(0));
      const b0 = result('CM-8', 'web-2', 'PASS', T(0));
      await store.applyChanges([{ key: keyOf(a0), result: a0 }, { key: keyOf(b0), result: b0 }], T(0));
      const a1 = result('CM-8', 'web-1', 'FAIL', T(10));
      await store.applyChanges([{ key: keyOf(a1), result: a1 }, { key: keyOf(b0), result: null }], T(10));
      const a2 = result('CM-8', 'web-1', 'FAIL', T(20), 'UNREACHABLE');
      const c2 = result('AC-6', 'web-3', 'FAIL', T(20));
      await store.applyChanges([{ key: keyOf(a2), result: a2 }, { key: keyOf(c2), result: c2 }], T(20));

      expect([...(await store.current()).values()]).toEqual(expect.arrayContaining([a2, c2]));
      expect((await store.current()).size).toBe(2);
      expect(await store.resultsAt(T(-1))).toEqual(new Map());
      expect(await store.resultsAt(T(0))).toEqual(new Map([[keyOf(a0), a0], [keyOf(b0), b0]]));
      expect(await store.resultsAt(T(5))).toEqual(new Map([[keyOf(a0), a0], [keyOf(b0), b0]]));
      expect(await store.resultsAt(T(10))).toEqual(new Map([[keyOf(a1), a1]]));
      expect(await store.resultsAt(T(25))).toEqual(new Map([[keyOf(a2), a2], [keyOf(c2), c2]]));
      // Given the writer's copy of the current state, the same answers from the later changes alone.
      const current = await store.current();
      for (const t of [T(-1), T(0), T(5), T(10), T(25)]) expect(await store.resultsAt(t, current)).toEqual(await store.resultsAt(t));
      await store.close();
    });

    it('two evaluations in the same millisecond are undone in the order they were written', async () => {
      const store = await create();
      const first = result('CM-8', 'web-1', 'PASS', T(0));
      const second = result('CM-8', 'web-1', 'FAIL', T(0));
      await store.applyChanges([{ key: keyOf(first), result: first }], T(0));
      await store.applyChanges([{ key: keyOf(second), result: second }], T(0));
      const third = result('CM-8', 'web-1', 'ERROR', T(1));
      await store.applyChanges([{ key: keyOf(third), result: third }], T(1));
      expect(await store.resultsAt(T(0))).toEqual(new Map([[keyOf(second), second]]));
      await store.close();
    });

    it('score points: a range oldest first, and the newest per framework', async () => {
      const store = await create();
      await store.appendScores([
        { framework: 'NIST_800_53', at: T(0), score: 1, passed: 2, failed: 0 },
        { framework: 'CIS_KUBERNETES', at: T(0), score: null, passed: 0, failed: 0 },
      ]);
      await store.appendScores([{ framework: 'NIST_800_53', at: T(10), score: 0.5, passed: 1, failed: 1 }]);
      expect((await store.scores('NIST_800_53', T(0), T(30))).map((p) => p.score)).toEqual([1, 0.5]);
      expect((await store.scores('NIST_800_53', T(5), T(30))).map((p) => p.at)).toEqual([T(10)]);
      const latest = await store.latestScores();
      expect(latest.get('NIST_800_53')).toEqual({ framework: 'NIST_800_53', at: T(10), score: 0.5, passed: 1, failed: 1 });
      expect(latest.get('CIS_KUBERNETES')?.score).toBeNull();
      expect(latest.has('ISO_27001')).toBe(false);
      await store.close();
    });

    it('node subjects and whole-control results round-trip unchanged', async () => {
      const store = await create();
      const node: StoredResult = { ...result('4.2.1', 'x', 'FAIL', T(0)), framework: 'CIS_KUBERNETES', subject: nodeSubject('prod', 'node-a') };
      const whole: StoredResult = { ...result('SI-4', 'x', 'NOT_APPLICABLE', T(0)), subject: null };
      await store.applyChanges([{ key: keyOf(node), result: node }, { key: keyOf(whole), result: whole }], T(0));
      expect(await store.current()).toEqual(new Map([[keyOf(node), node], [keyOf(whole), whole]]));
      await store.close();
    });
  });
}

export function waiverStoreContract(name: string, create: () => Promise<WaiverStore>): void {
  describe(`WaiverStore (${name})`, () => {
    it('grants, revokes once, and logs every change with who made it', async () => {
      const store = await create();
      const granted = await store.grant({ framework: 'CIS_KUBERNETES', controlId: '4.2.1', subjectKey: 'node:prod/node-a', reason: 'kubelet "replaced" next sprint / OPS-1', owner: 'platform', expiresAt: T(60), createdBy: 'ada', createdAt: T(0) });
      expect(granted).toMatchObject({ controlId: '4.2.1', revokedAt: null, revokedBy: null, createdBy: 'ada' });
      expect(await store.list()).toEqual([granted]);
      const revoked = await store.revoke(granted.id, 'bob', T(5));
      expect(revoked).toEqual({ ...granted, revokedAt: T(5), revokedBy: 'bob' });
      // A second revocation keeps the first one and logs nothing.
      expect(await store.revoke(granted.id, 'carol', T(6))).toEqual(revoked);
      expect(await store.revoke('no-such-waiver', 'bob', T(6))).toBeNull();
      expect(await store.list()).toEqual([revoked]);
      expect(await store.log()).toEqual([
        { waiverId: granted.id, action: 'GRANTED', by: 'ada', at: T(0) },
        { waiverId: granted.id, action: 'REVOKED', by: 'bob', at: T(5) },
      ]);
      await store.close();
    });
  });
}
