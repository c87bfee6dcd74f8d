import { describe, expect, it } from 'vitest';
import { changePosition, type FactStore, type FactStoreOptions } from '../src/facts/fact-store.js';
import type { CollectorName, CollectorOutcome, FactChange, HostFacts, MetricsSnapshot, ProbeReport, User } from '../src/facts/types.js';
import type { InstalledPackage, OsInfo } from '../src/sources/probe/types.js';

/** Behaviour every FactStore must have; run against each implementation in fact-store.int.test.ts. */
export function factStoreContract(name: string, makeStore: (options?: FactStoreOptions) => Promise<FactStore>) {
  const T0 = '2026-11-22T10:00:00.000Z';
  const T1 = '2026-11-22T11:00:00.000Z';
  const T2 = '2026-11-22T12:00:00.000Z';
  const T3 = '2026-11-22T13:00:00.000Z';
  const DAY = 86_400_000;
  const plus = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();
  // The reports below are stamped T0..T3; the stores trim by their clock, so every store here reads
  // "now" just after T3 unless a test moves it. On the real clock they would be trimmed on arrival
  // once T0 is older than a retention window.
  const make = (options?: FactStoreOptions) => makeStore({ now: () => new Date(plus(T3, 60_000)), ...options });

  const os: OsInfo = { id: 'debian', idLike: [], name: 'Debian GNU/Linux', prettyName: 'Debian GNU/Linux 12 (bookworm)', version: '12 (bookworm)', versionId: '12', kernel: '6.1.0', arch: 'x86_64' };
  const pkg = (pkgName: string, version: string, arch: string | null = 'amd64'): InstalledPackage => ({ name: pkgName, version, arch });
  const user = (userName: string, uid: number, shell = '/bin/bash'): User => ({ name: userName, uid, gid: uid, gecos: '', home: `/home/${userName}`, shell });
  const snapshot = (at: string, load1: number): MetricsSnapshot => ({
    at,
    load1,
    load5: 0.5,
    load15: 0.25,
    memTotalKb: 2_000_000,
    memAvailableKb: 1_000_000,
    swapTotalKb: 0,
    swapFreeKb: 0,
    uptimeSeconds: 3600,
    disks: [{ mountpoint: '/', sizeKb: 100, usedKb: 40, availableKb: 60 }],
  });

  /** A successful probe: every collector whose fact is given (and metrics, if given) is OK unless overridden. */
  const report = (
    hostId: string,
    at: string,
    facts: Partial<HostFacts>,
    extra: { collectors?: Partial<Record<CollectorName, CollectorOutcome>>; metrics?: MetricsSnapshot } = {},
  ): ProbeReport => {
    const collectors: Partial<Record<CollectorName, CollectorOutcome>> = {};
    for (const type of Object.keys(facts) as (keyof HostFacts)[]) collectors[type] = { status: 'OK', message: null };
    if (extra.metrics) collectors.metrics = { status: 'OK', message: null };
    return {
      hostId,
      status: 'OK',
      message: null,
      startedAt: at,
      finishedAt: at,
      packageManager: 'dpkg',
      collectors: { ...collectors, ...extra.collectors },
      facts,
      metrics: extra.metrics ?? null,
    };
  };
  const failed = (hostId: string, at: string, message = 'connection refused by 10.0.0.1:22'): ProbeReport => ({
    hostId,
    status: 'UNREACHABLE',
    message,
    startedAt: at,
    finishedAt: at,
    packageManager: null,
    collectors: {},
    facts: {},
    metrics: null,
  });

  const base = [pkg('bash', '5.2.15-2+b2'), pkg('openssl', '3.0.11-1~deb12u1'), pkg('zlib1g', '1:1.2.13.dfsg-1')];

  describe(`FactStore contract: ${name}`, () => {
    it('knows nothing of a host never probed', async () => {
      const store = await make();
      expect(await store.getProbeStates(['nope'])).toEqual([null]);
      expect(await store.getFreshness(['nope'])).toEqual([null]);
      expect(await store.getFacts('packages', ['nope'])).toEqual([null]);
      expect(await store.getChanges('nope', { limit: 10 })).toEqual([]);
      expect(await store.getFactsAsOf('packages', 'nope', T0)).toBeNull();
      expect(await store.getMetrics('nope', T0, T3)).toEqual([]);
      expect(await store.hostsWithPackage('openssl')).toEqual([]);
      await store.close();
    });

    it('writes on change only: the same report twice writes history once and the second save changes nothing', async () => {
      const store = await make();
      const first = await store.saveReport(report('a', T0, { os: [os], packages: base }));
      expect(first.previous).toBeNull();
      expect(first.changes.map((c) => [c.type, c.key, c.change])).toEqual([
        ['os', 'os', 'ADDED'],
        ['packages', 'bash:amd64', 'ADDED'],
        ['packages', 'openssl:amd64', 'ADDED'],
        ['packages', 'zlib1g:amd64', 'ADDED'],
      ]);
      expect(first.changes[1]).toEqual({ type: 'packages', key: 'bash:amd64', change: 'ADDED', before: null, after: base[0], at: T0 });

      // Same facts, items in another order and objects built in another field order.
      const reordered = [...base].reverse().map((p) => ({ arch: p.arch, version: p.version, name: p.name }));
      const second = await store.saveReport(report('a', T1, { os: [os], packages: reordered }));
      expect(second.changes).toEqual([]);
      expect(second.previous).toEqual(first.state);

      const history = await store.getChanges('a', { limit: 100 });
      expect(history).toEqual(first.changes);
      expect((await store.getFacts('packages', ['a']))[0]).toEqual(base);
      await store.close();
    });

    it('each fact type\'s first collection is its baseline: recorded, and left out of changes when asked', async () => {
      const store = await make();
      expect(await store.getBaselines(['a'])).toEqual([null]);
      await store.saveReport(report('a', T0, { os: [os], packages: base }));
      // Users first collected later (say sudo was granted): that collection is their baseline.
      await store.saveReport(report('a', T1, { os: [os], packages: base, users: [user('root', 0)] }));
      const upgraded = base.map((p) => (p.name === 'openssl' ? pkg('openssl', '3.0.13-1~deb12u1') : p));
      await store.saveReport(report('a', T2, { os: [os], packages: upgraded, users: [user('root', 0), user('eve', 0)] }));
      expect(await store.getBaselines(['a', 'never'])).toEqual([{ os: T0, packages: T0, users: T1 }, null]);

      const news = await store.getChanges('a', { limit: 100, excludeBaseline: true });
      expect(news.map((c) => [c.type, c.key, c.change, c.at])).toEqual([
        ['packages', 'openssl:amd64', 'CHANGED', T2],
        ['users', 'eve', 'ADDED', T2],
      ]);
      // The limit counts what is returned, not the baseline entries skipped.
      expect(await store.getChanges('a', { limit: 1, excludeBaseline: true })).toEqual(news.slice(0, 1));
      expect(await store.getChanges('a', { since: T0, types: ['users'], limit: 100, excludeBaseline: true })).toEqual(news.slice(1));
      // With the baseline: every entry, as before.
      expect(await store.getChanges('a', { limit: 100 })).toHaveLength(4 + 1 + 2);
      // The baseline stays in the history: it is what asOf rebuilds the first state from.
      expect(await store.getFactsAsOf('packages', 'a', T0)).toEqual(base);
      await store.close();
    });

    it('one package upgraded between two probes is exactly one CHANGED entry with before and after', async () => {
      const store = await make();
      await store.saveReport(report('a', T0, { packages: base }));
      const upgraded = base.map((p) => (p.name === 'openssl' ? pkg('openssl', '3.0.13-1~deb12u1') : p));
      const saved = await store.saveReport(report('a', T1, { packages: upgraded }));
      const expected = { type: 'packages', key: 'openssl:amd64', change: 'CHANGED', before: pkg('openssl', '3.0.11-1~deb12u1'), after: pkg('openssl', '3.0.13-1~deb12u1'), at: T1 };
      expect(saved.changes).toEqual([expected]);
      expect(await store.getChanges('a', { since: T1, limit: 100 })).toEqual([expected]);
      expect(await store.getChanges('a', { limit: 100 })).toHaveLength(4);
      await store.close();
    });

    it('records added and removed items, and keeps an emptied type as [] rather than null', async () => {
      const store = await make();
      await store.saveReport(report('a', T0, { packages: base, users: [user('alice', 1000)], listeningPorts: [] }));
      const saved = await store.saveReport(
        report('a', T1, { packages: [...base.filter((p) => p.name !== 'zlib1g'), pkg('curl', '7.88.1-10+deb12u5')], users: [], listeningPorts: [] }),
      );
      expect(saved.changes.map((c) => [c.type, c.key, c.change, c.before, c.after])).toEqual([
        ['packages', 'curl:amd64', 'ADDED', null, pkg('curl', '7.88.1-10+deb12u5')],
        ['packages', 'zlib1g:amd64', 'REMOVED', pkg('zlib1g', '1:1.2.13.dfsg-1'), null],
        ['users', 'alice', 'REMOVED', user('alice', 1000), null],
      ]);
      expect(await store.getFacts('users', ['a'])).toEqual([[]]);
      expect(await store.getFacts('listeningPorts', ['a'])).toEqual([[]]);
      expect(await store.getFacts('services', ['a'])).toEqual([null]);
      expect((await store.getFacts('packages', ['a']))[0]?.map((p) => p.name)).toEqual(['bash', 'curl', 'openssl']);
      await store.close();
    });

    it('keeps every item when several share a key (rpm installs several kernels of one name and arch)', async () => {
      const store = await make();
      const k = (version: string) => pkg('kernel-core', version, 'x86_64');
      const versions = async () => (await store.hostsWithPackage('kernel-core')).map((h) => h.version);
      const summary = (changes: FactChange[]) => changes.map((c) => [c.change, (c.before as InstalledPackage | null)?.version ?? null, (c.after as InstalledPackage | null)?.version ?? null]);

      await store.saveReport(report('r', T0, { packages: [k('362'), k('362')] }));
      expect((await store.getFacts('packages', ['r']))[0]).toEqual([k('362')]);
      // A second kernel installed beside the first: one ADDED, the first untouched.
      const installed = await store.saveReport(report('r', T1, { packages: [k('427'), k('362')] }));
      expect(summary(installed.changes)).toEqual([['ADDED', null, '427']]);
      expect((await store.getFacts('packages', ['r']))[0]).toHaveLength(2);
      expect(await versions()).toEqual(['362', '427']);
      // The old kernel removed: one REMOVED, the new one untouched.
      const removed = await store.saveReport(report('r', T2, { packages: [k('427')] }));
      expect(summary(removed.changes)).toEqual([['REMOVED', '362', null]]);
      expect(await versions()).toEqual(['427']);
      // Saving the same set again changes nothing, whatever keys the items ended up under.
      expect((await store.saveReport(report('r', T3, { packages: [k('427')] }))).changes).toEqual([]);
      expect(await store.getFactsAsOf('packages', 'r', T1)).toEqual(expect.arrayContaining([k('362'), k('427')]));
      expect(await store.getFactsAsOf('packages', 'r', T0)).toEqual([k('362')]);
      await store.close();
    });

    it('a collector not OK leaves its fact untouched and records why in its freshness', async () => {
      const store = await make();
      await store.saveReport(report('a', T0, { packages: base, users: [user('alice', 1000)] }));
      const saved = await store.saveReport(
        report('a', T1, { users: [user('alice', 1000), user('bob', 1001)] }, { collectors: { packages: { status: 'DENIED', message: 'dpkg-query: permission denied' } } }),
      );
      expect(saved.changes.map((c) => c.key)).toEqual(['bob']);
      expect((await store.getFacts('packages', ['a']))[0]).toEqual(base);
      expect(await store.getChanges('a', { types: ['packages'], limit: 100 })).toHaveLength(3);

      const [freshness] = await store.getFreshness(['a']);
      expect(freshness?.packages).toEqual({ status: 'DENIED', message: 'dpkg-query: permission denied', lastAttemptAt: T1, lastSuccessAt: T0 });
      expect(freshness?.users).toEqual({ status: 'OK', message: null, lastAttemptAt: T1, lastSuccessAt: T1 });
      expect(freshness?.firewall).toEqual({ status: 'NEVER', message: null, lastAttemptAt: null, lastSuccessAt: null });

      // Recovery: OK again, the message goes.
      await store.saveReport(report('a', T2, { packages: base }));
      expect((await store.getFreshness(['a']))[0]?.packages).toEqual({ status: 'OK', message: null, lastAttemptAt: T2, lastSuccessAt: T2 });
      await store.close();
    });

    it('a failed probe keeps facts and freshness, counts consecutive failures and resets them on success', async () => {
      const store = await make();
      const ok = await store.saveReport(report('a', T0, { packages: base }));
      expect(ok.state).toEqual({ lastAttempt: { status: 'OK', message: null, finishedAt: T0 }, lastSuccessAt: T0, consecutiveFailures: 0, packageManager: 'dpkg' });

      const fail1 = await store.saveReport(failed('a', T1));
      expect(fail1.previous).toEqual(ok.state);
      expect(fail1.changes).toEqual([]);
      expect(fail1.state).toEqual({
        lastAttempt: { status: 'UNREACHABLE', message: 'connection refused by 10.0.0.1:22', finishedAt: T1 },
        lastSuccessAt: T0,
        consecutiveFailures: 1,
        packageManager: 'dpkg',
      });
      const fail2 = await store.saveReport(failed('a', T2, 'timed out'));
      expect(fail2.state.consecutiveFailures).toBe(2);
      expect(await store.getProbeStates(['a'])).toEqual([fail2.state]);
      expect((await store.getFacts('packages', ['a']))[0]).toEqual(base);
      expect((await store.getFreshness(['a']))[0]?.packages?.lastSuccessAt).toBe(T0);

      const back = await store.saveReport(report('a', T3, { packages: base }));
      expect(back.previous?.consecutiveFailures).toBe(2);
      expect(back.state).toEqual({ lastAttempt: { status: 'OK', message: null, finishedAt: T3 }, lastSuccessAt: T3, consecutiveFailures: 0, packageManager: 'dpkg' });

      // A host whose very first probe fails.
      const never = await store.saveReport(failed('b', T0));
      expect(never.previous).toBeNull();
      expect(never.state).toMatchObject({ lastSuccessAt: null, consecutiveFailures: 1, packageManager: null });
      expect(await store.getFreshness(['b'])).toEqual([null]);
      await store.close();
    });

    it('ignores a report that finished before the last one saved (a late, overlapping probe)', async () => {
      const store = await make();
      const latest = await store.saveReport(report('a', T2, { packages: base }));
      const late = await store.saveReport(report('a', T1, { packages: [pkg('bash', '4.0')] }));
      expect(late).toEqual({ changes: [], previous: latest.state, state: latest.state });
      expect((await store.getFacts('packages', ['a']))[0]).toEqual(base);
      expect(await store.getChanges('a', { limit: 100 })).toHaveLength(3);
      expect(await store.getProbeStates(['a'])).toEqual([latest.state]);
      await store.close();
    });

    it('reconstructs any earlier state exactly (asOf)', async () => {
      const store = await make();
      const s0 = base;
      const s1 = [pkg('bash', '5.2.15-2+b7'), pkg('curl', '7.88.1-10+deb12u5'), pkg('openssl', '3.0.11-1~deb12u1'), pkg('zlib1g', '1:1.2.13.dfsg-1')];
      const s2 = [pkg('bash', '5.2.15-2+b7'), pkg('curl', '7.88.1-10+deb12u5'), pkg('openssl', '3.0.13-1~deb12u1')];
      await store.saveReport(report('a', T0, { packages: s0 }));
      await store.saveReport(report('a', T1, { packages: s1 }));
      await store.saveReport(report('a', T2, { packages: s2, users: [user('alice', 1000)] }));
      await store.saveReport(report('a', T3, { packages: s2, users: [user('alice', 1000, '/usr/sbin/nologin')] }));

      expect(await store.getFactsAsOf('packages', 'a', plus(T0, -1))).toBeNull();
      expect(await store.getFactsAsOf('packages', 'a', T0)).toEqual(s0);
      expect(await store.getFactsAsOf('packages', 'a', plus(T0, 30 * 60_000))).toEqual(s0);
      expect(await store.getFactsAsOf('packages', 'a', plus(T1, -1))).toEqual(s0);
      expect(await store.getFactsAsOf('packages', 'a', T1)).toEqual(s1);
      expect(await store.getFactsAsOf('packages', 'a', T2)).toEqual(s2);
      expect(await store.getFactsAsOf('packages', 'a', plus(T3, DAY))).toEqual(s2);

      // A type first collected later is null before then, and follows its own changes after.
      expect(await store.getFactsAsOf('users', 'a', T1)).toBeNull();
      expect(await store.getFactsAsOf('users', 'a', T2)).toEqual([user('alice', 1000)]);
      expect(await store.getFactsAsOf('users', 'a', T3)).toEqual([user('alice', 1000, '/usr/sbin/nologin')]);
      await store.close();
    });

    it('lists changes newest first, filtered by since and types, bounded by limit', async () => {
      const store = await make();
      await store.saveReport(report('a', T0, { packages: [pkg('bash', '1')], users: [user('alice', 1000)] }));
      await store.saveReport(report('a', T1, { packages: [pkg('bash', '2'), pkg('curl', '1')], users: [user('alice', 1000)] }));
      await store.saveReport(report('a', T2, { packages: [pkg('bash', '2'), pkg('curl', '1')], users: [user('alice', 1000), user('bob', 1001)] }));

      const all = await store.getChanges('a', { limit: 100 });
      expect(all.map((c) => `${c.at}|${c.type}|${c.key}|${c.change}`)).toEqual([
        `${T2}|users|bob|ADDED`,
        `${T1}|packages|bash:amd64|CHANGED`,
        `${T1}|packages|curl:amd64|ADDED`,
        `${T0}|packages|bash:amd64|ADDED`,
        `${T0}|users|alice|ADDED`,
      ]);
      expect(await store.getChanges('a', { since: T1, limit: 100 })).toEqual(all.slice(0, 3));
      expect(await store.getChanges('a', { since: plus(T1, 1), limit: 100 })).toEqual(all.slice(0, 1));
      expect(await store.getChanges('a', { limit: 2 })).toEqual(all.slice(0, 2));
      expect(await store.getChanges('a', { limit: 4 })).toEqual(all.slice(0, 4));
      expect(await store.getChanges('a', { types: ['users'], limit: 100 })).toEqual([all[0], all[4]]);
      expect(await store.getChanges('a', { types: ['packages'], since: T1, limit: 1 })).toEqual([all[1]]);
      expect(await store.getChanges('a', { types: [], limit: 100 })).toEqual([]);
      expect(await store.getChanges('a', { limit: 0 })).toEqual([]);
      expect(await store.getChanges('other', { limit: 10 })).toEqual([]);
      await expect(store.getChanges('a', { limit: -1 })).rejects.toThrow(RangeError);
      await store.close();
    });

    it('pages changes after a position, every change once, and counts them from the index', async () => {
      const store = await make();
      // Reports of many changes at one time: a page boundary falls inside a report and inside a type.
      const pkgs = (n: number, version: string) => Array.from({ length: n }, (_, i) => pkg(`p${String(i).padStart(2, '0')}`, version));
      await store.saveReport(report('a', T0, { packages: pkgs(7, '1'), users: [user('alice', 1000)] }));
      await store.saveReport(report('a', T1, { packages: pkgs(9, '2'), users: [user('alice', 1000), user('bob', 1001), user('carol', 1002)] }));
      await store.saveReport(report('a', T2, { packages: pkgs(9, '2'), users: [user('bob', 1001)] }));
      for (const selection of [{}, { excludeBaseline: true }, { since: T1 }, { types: ['users' as const] }, { types: ['packages' as const], excludeBaseline: true }]) {
        const all = await store.getChanges('a', { ...selection, limit: 1000 });
        expect(await store.countChanges('a', selection)).toBe(all.length);
        for (const size of [1, 2, 3, 5]) {
          const paged: FactChange[] = [];
          let after: ReturnType<typeof changePosition> | undefined;
          for (;;) {
            const page = await store.getChanges('a', { ...selection, limit: size, ...(after ? { after } : {}) });
            paged.push(...page);
            const last = page.at(-1);
            if (page.length < size || !last) break;
            after = changePosition(last);
          }
          expect(paged, `${JSON.stringify(selection)} by ${size}`).toEqual(all);
        }
      }
      expect(await store.countChanges('a', {})).toBe(7 + 1 + 9 + 2 + 2);
      expect(await store.countChanges('a', { excludeBaseline: true })).toBe(9 + 2 + 2);
      expect(await store.countChanges('other', {})).toBe(0);
      expect(await store.countChanges('a', { types: [] })).toBe(0);
      await store.close();
    });

    it('keeps metric snapshots in a time range and trims those older than the retention on write', async () => {
      let now = new Date(T0);
      const store = await make({ metricsRetentionDays: 2, now: () => now });
      const days = [0, 1, 2, 3].map((d) => plus(T0, d * DAY));
      for (const [i, at] of days.entries()) {
        now = new Date(at);
        await store.saveReport(report('a', at, {}, { metrics: snapshot(at, i) }));
      }
      // At day 3 with 2 days' retention, day 0 is gone; days 1..3 remain.
      expect((await store.getMetrics('a', days[0] ?? T0, days[3] ?? T0)).map((m) => m.load1)).toEqual([1, 2, 3]);
      // Inclusive bounds, oldest first.
      expect((await store.getMetrics('a', days[1] ?? T0, days[2] ?? T0)).map((m) => m.at)).toEqual([days[1], days[2]]);
      expect(await store.getMetrics('a', plus(days[1] ?? T0, 1), plus(days[2] ?? T0, -1))).toEqual([]);
      expect((await store.getMetrics('a', days[3] ?? T0, days[3] ?? T0))[0]).toEqual(snapshot(days[3] ?? T0, 3));

      // Trimming happens on write, even a write without a snapshot.
      now = new Date(plus(T0, 4 * DAY + 1));
      await store.saveReport(failed('a', now.toISOString()));
      expect((await store.getMetrics('a', T0, now.toISOString())).map((m) => m.load1)).toEqual([3]);
      await store.close();
    });

    it('trims change history older than the retention on write', async () => {
      let now = new Date(T0);
      const store = await make({ historyRetentionDays: 10, now: () => now });
      await store.saveReport(report('a', T0, { packages: [pkg('bash', '1')], users: [user('alice', 1000)] }));
      now = new Date(plus(T0, 5 * DAY));
      await store.saveReport(report('a', now.toISOString(), { packages: [pkg('bash', '2')], users: [user('alice', 1000)] }));
      expect(await store.getChanges('a', { limit: 100 })).toHaveLength(3);

      now = new Date(plus(T0, 12 * DAY));
      await store.saveReport(report('a', now.toISOString(), { packages: [pkg('bash', '2')] }));
      // The day-0 entries of both types are gone (users was not even reported); the day-5 change stays.
      expect((await store.getChanges('a', { limit: 100 })).map((c) => [c.key, c.change])).toEqual([['bash:amd64', 'CHANGED']]);
      // Current state is never trimmed.
      expect(await store.getFacts('users', ['a'])).toEqual([[user('alice', 1000)]]);
      await store.close();
    });

    it('answers which hosts have a package, with versions, and follows upgrades and removals', async () => {
      const store = await make();
      await store.saveReport(report('web-1', T0, { packages: [pkg('openssl', '3.0.11-1'), pkg('libc6', '2.36-9', 'amd64'), pkg('libc6', '2.36-9', 'i386')] }));
      await store.saveReport(report('web-2', T0, { packages: [pkg('openssl', '3.0.9-1'), pkg('curl', '7.88.1')] }));
      await store.saveReport({ ...report('db-1', T0, { packages: [pkg('openssl', '3.1.4-r5', 'x86_64')] }), packageManager: 'apk' });
      await store.saveReport(report('bare', T0, { packages: [pkg('curl', '7.88.1')] }));

      expect(await store.hostsWithPackage('openssl')).toEqual([
        { hostId: 'db-1', version: '3.1.4-r5', arch: 'x86_64', packageManager: 'apk' },
        { hostId: 'web-1', version: '3.0.11-1', arch: 'amd64', packageManager: 'dpkg' },
        { hostId: 'web-2', version: '3.0.9-1', arch: 'amd64', packageManager: 'dpkg' },
      ]);
      expect((await store.hostsWithPackage('libc6')).map((h) => [h.hostId, h.arch])).toEqual([
        ['web-1', 'amd64'],
        ['web-1', 'i386'],
      ]);
      expect(await store.hostsWithPackage('openss')).toEqual([]);

      await store.saveReport(report('web-1', T1, { packages: [pkg('openssl', '3.0.13-1'), pkg('libc6', '2.36-9', 'amd64'), pkg('libc6', '2.36-9', 'i386')] }));
      await store.saveReport(report('web-2', T1, { packages: [pkg('curl', '7.88.1')] }));
      // A failed probe or a denied collector changes nothing in the index.
      await store.saveReport(failed('db-1', T1));
      await store.saveReport(report('bare', T1, {}, { collectors: { packages: { status: 'TIMEOUT', message: 'dpkg-query timed out' } } }));

      expect(await store.hostsWithPackage('openssl')).toEqual([
        { hostId: 'db-1', version: '3.1.4-r5', arch: 'x86_64', packageManager: 'apk' },
        { hostId: 'web-1', version: '3.0.13-1', arch: 'amd64', packageManager: 'dpkg' },
      ]);
      expect((await store.hostsWithPackage('curl')).map((h) => h.hostId)).toEqual(['bare', 'web-2']);
      await store.close();
    });

    it('reads facts, states and freshness of several hosts in one call, in the order asked', async () => {
      const store = await make();
      await store.saveReport(report('a', T0, { packages: [pkg('zlib1g', '1'), pkg('bash', '1')] }));
      await store.saveReport(report('b', T0, { packages: [pkg('curl', '1')] }));
      await store.saveReport(report('c', T0, { users: [user('root', 0)] }));
      expect(await store.getFacts('packages', ['b', 'missing', 'a', 'c'])).toEqual([[pkg('curl', '1')], null, [pkg('bash', '1'), pkg('zlib1g', '1')], null]);
      expect((await store.getProbeStates(['c', 'missing', 'a'])).map((s) => s?.lastAttempt.finishedAt ?? null)).toEqual([T0, null, T0]);
      expect((await store.getFreshness(['missing', 'c'])).map((f) => f?.users?.status ?? null)).toEqual([null, 'OK']);
      expect(await store.getFacts('packages', [])).toEqual([]);
      expect(await store.getProbeStates([])).toEqual([]);
      expect(await store.getFreshness([])).toEqual([]);
      await store.close();
    });

    it('saves reports of different hosts concurrently without losing any', async () => {
      const store = await make();
      const hosts = Array.from({ length: 25 }, (_, i) => `host-${String(i).padStart(2, '0')}`);
      await Promise.all(hosts.map((id, i) => store.saveReport(report(id, T0, { packages: [pkg('openssl', `3.0.${i}`), pkg(`only-${id}`, '1')] }))));
      await Promise.all(hosts.map((id, i) => store.saveReport(report(id, T1, { packages: [pkg('openssl', `3.1.${i}`), pkg(`only-${id}`, '1')] }))));
      expect((await store.hostsWithPackage('openssl')).map((h) => `${h.hostId}=${h.version}`)).toEqual(hosts.map((id, i) => `${id}=3.1.${i}`));
      const facts = await store.getFacts('packages', hosts);
      expect(facts.map((items) => items?.map((p) => p.version))).toEqual(hosts.map((_, i) => ['1', `3.1.${i}`]));
      for (const id of hosts) expect(await store.getChanges(id, { limit: 10 })).toHaveLength(3);
      await store.close();
    });

    it('does not let a caller mutate what it stored', async () => {
      const store = await make();
      const items = [pkg('bash', '1')];
      const saved = await store.saveReport(report('a', T0, { packages: items }));
      const first = items[0];
      if (first) first.version = 'tampered';
      saved.state.consecutiveFailures = 99;
      const [read] = await store.getFacts('packages', ['a']);
      const readFirst = read?.[0];
      if (readFirst) readFirst.version = 'tampered too';
      expect(await store.getFacts('packages', ['a'])).toEqual([[pkg('bash', '1')]]);
      expect((await store.getProbeStates(['a']))[0]?.consecutiveFailures).toBe(0);
      await store.close();
    });
  });
}
