import { describe, expect, it } from 'vitest';
import type { HostStore } from '../src/store/host-store.js';
import type { ProbeResult } from '../src/sources/probe/types.js';

/** Behaviour every HostStore must have; run against each implementation in host-store.int.test.ts. */
export function hostStoreContract(name: string, make: () => Promise<HostStore>) {
  const ok = (hostId: string, packages: [string, string][], at = '2026-11-22T10:00:00.000Z'): ProbeResult => ({
    hostId,
    status: 'OK',
    message: null,
    startedAt: at,
    finishedAt: at,
    os: { id: 'debian', idLike: [], name: 'Debian GNU/Linux', prettyName: 'Debian GNU/Linux 12 (bookworm)', version: '12 (bookworm)', versionId: '12', kernel: '6.1.0', arch: 'x86_64' },
    packageManager: 'dpkg',
    packages: packages.map(([pkg, version]) => ({ name: pkg, version, arch: 'amd64' })),
  });

  describe(`HostStore contract: ${name}`, () => {
    it('returns null for hosts never probed', async () => {
      const store = await make();
      expect(await store.getStates(['nope'])).toEqual([null]);
      expect(await store.getPackages(['nope'])).toEqual([null]);
      await store.close();
    });

    it('stores a successful probe with packages sorted by name', async () => {
      const store = await make();
      await store.saveProbe(ok('a', [['zlib1g', '1:1.2.13'], ['bash', '5.2.15-2+b2'], ['openssl', '3.0.11-1']]));
      const [state] = await store.getStates(['a']);
      expect(state?.lastAttempt.status).toBe('OK');
      expect(state?.lastSuccess?.packageCount).toBe(3);
      expect(state?.lastSuccess?.os?.prettyName).toBe('Debian GNU/Linux 12 (bookworm)');
      const [packages] = await store.getPackages(['a']);
      expect(packages?.map((p) => p.name)).toEqual(['bash', 'openssl', 'zlib1g']);
      await store.close();
    });

    it('a failed probe records the attempt and keeps the last success', async () => {
      const store = await make();
      await store.saveProbe(ok('a', [['bash', '5.2']]));
      await store.saveProbe({
        hostId: 'a',
        status: 'UNREACHABLE',
        message: 'connection refused by 10.0.0.1:22',
        startedAt: '2026-11-22T11:00:00.000Z',
        finishedAt: '2026-11-22T11:00:01.000Z',
        os: null,
        packageManager: null,
        packages: null,
      });
      const [state] = await store.getStates(['a']);
      expect(state?.lastAttempt).toEqual({ status: 'UNREACHABLE', message: 'connection refused by 10.0.0.1:22', finishedAt: '2026-11-22T11:00:01.000Z' });
      expect(state?.lastSuccess?.finishedAt).toBe('2026-11-22T10:00:00.000Z');
      expect((await store.getPackages(['a']))[0]?.map((p) => p.name)).toEqual(['bash']);
      await store.close();
    });

    it('reads several hosts in one call, in the order asked', async () => {
      const store = await make();
      await store.saveProbe(ok('a', [['a1', '1']]));
      await store.saveProbe(ok('b', [['b1', '1'], ['b2', '2']]));
      const states = await store.getStates(['b', 'missing', 'a']);
      expect(states.map((s) => s?.hostId ?? null)).toEqual(['b', null, 'a']);
      const packages = await store.getPackages(['b', 'a']);
      expect(packages.map((p) => p?.length)).toEqual([2, 1]);
      await store.close();
    });
  });
}
