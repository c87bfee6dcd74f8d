import { systemClock } from '@vigil/lib/clock';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAlertLog } from '@vigil/lib/alerts/memory-alert-log';
import { AlertPublisher } from '@vigil/lib/alerts/publisher';
import { createLogger } from '@vigil/lib/logger';
import { executeSubgraph } from '../../../test/support/execute-subgraph.js';
import { startSilentListener, startSshd, type SilentListener, type SshdInstance } from '../../../test/support/sshd.js';
import { hostsConfig } from '../src/config.js';
import { MemoryFactStore } from '../src/facts/memory-fact-store.js';
import { createProbePipeline } from '../src/probe-pipeline.js';
import type { AllowedCommandName } from '../src/sources/probe/allowlist.js';
import { probeHostReport } from '../src/sources/probe/probe-report.js';
import type { CommandOutput, CommandRunner } from '../src/sources/probe/transport.js';
import type { HostTarget } from '../src/sources/probe/types.js';
import { createHostsSubgraph } from '../src/server.js';
import { buildInventory } from '../src/inventory/build-inventory.js';
import { createHostsRuntime, type HostsRuntime } from '../src/runtime.js';
import { createServiceRegistry } from '@vigil/lib/metrics';
import { MemoryHostDirectory } from '@vigil/lib/host-directory';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

// Several real sshd instances stand for a small fleet (issue 3): a healthy host, one presenting a
// different host key, one that never answers. Probed by the real scheduler and pipeline, read
// through the subgraph's schema.

const logger = createLogger('test', { level: 'silent' });

/** What dpkg-query reports on this machine, computed independently of the probe's parser. */
function localPackages(): Map<string, string> {
  const out = execFileSync('dpkg-query', ['-W', '-f=${db:Status-Status}\t${Package}\t${Version}\n'], { encoding: 'utf8' });
  return new Map(
    out
      .split('\n')
      .map((line) => line.split('\t'))
      .filter(([status]) => status === 'installed')
      .map(([, name, version]) => [name ?? '', version ?? '']),
  );
}

async function query<T>(runtime: HostsRuntime, source: string, variables: Record<string, unknown> = {}): Promise<T> {
  const result = await executeSubgraph(runtime.definition, source, variables);
  if (result.errors?.length) throw new Error(result.errors.map((e) => e.message).join('; '));
  return result.data as T;
}

describe('hosts subgraph over a fleet of real sshd hosts', () => {
  let healthy: SshdInstance;
  let impostor: SshdInstance;
  let silent: SilentListener;
  let runtime: HostsRuntime;
  let alerts: MemoryAlertLog;
  const directory = new MemoryHostDirectory();

  beforeAll(async () => {
    [healthy, impostor, silent] = await Promise.all([startSshd(), startSshd(), startSilentListener()]);
    // known_hosts pins the healthy server's key for the impostor's address too: the impostor presents another key.
    const knownHosts = await healthy.writeKnownHosts([healthy.knownHostsLine(), healthy.knownHostsLine().replace(`]:${healthy.port} `, `]:${impostor.port} `)]);
    const ssh = (id: string, port: number, labels: Record<string, string>) => ({
      id,
      address: '127.0.0.1',
      port,
      user: healthy.user,
      privateKeyPath: healthy.clientKeyPath,
      knownHostsPath: knownHosts,
      labels,
    });
    const config = hostsConfig.parse({
      local: { enabled: false },
      inventory: [ssh('healthy', healthy.port, { env: 'prod' }), ssh('impostor', impostor.port, { env: 'prod' }), ssh('silent', silent.port, { env: 'dev' })],
      probe: { connectTimeoutMs: 1500, commandTimeoutMs: 20_000 },
    });
    alerts = new MemoryAlertLog({ maxLength: 1000 });
    runtime = createHostsRuntime(config, { logger, publisher: new AlertPublisher(alerts, logger, systemClock), redisUrl: undefined, namespace: 'test', clock: systemClock, metrics: createServiceRegistry(), hostDirectory: directory });
    await runtime.start();
    await runtime.scheduler.firstRoundDone();
  });

  afterAll(async () => {
    await runtime?.definition.close?.();
    await Promise.all([healthy?.stop(), impostor?.stop(), silent?.stop()]);
  });

  it('reports each host as it is: OK, refused host key, timeout — one failure does not affect the others', async () => {
    const data = await query<{ hosts: { edges: { node: { id: string; probeStatus: { state: string; message: string | null } } }[] } }>(
      runtime,
      '{ hosts { edges { node { id probeStatus { state message } } } } }',
    );
    const states = Object.fromEntries(data.hosts.edges.map((e) => [e.node.id, e.node.probeStatus.state]));
    expect(states).toEqual({ healthy: 'OK', impostor: 'HOST_KEY_MISMATCH', silent: 'TIMEOUT' });
    const impostorMessage = data.hosts.edges.find((e) => e.node.id === 'impostor')?.node.probeStatus.message;
    expect(impostorMessage).toMatch(/host key/i);
  });

  it('raises a Critical alert for the changed host key, and none for the healthy host', async () => {
    const raised = await alerts.listNewestFirst({ limit: 50 });
    const keyAlerts = raised.filter((a) => a.rule === 'host-key-changed');
    expect(keyAlerts.map((a) => [a.severity, a.subject])).toEqual([['CRITICAL', { type: 'Host', hostId: 'impostor', displayName: 'impostor', hostLabels: { env: 'prod' } }]]);
    expect(raised.filter((a) => a.subject?.type === 'Host' && a.subject.hostId === 'healthy')).toEqual([]);
  });

  it('publishes each host’s identifying evidence for Node matching: the probed machine ID and host name, or only the inventory’s', async () => {
    // This machine's own values, read independently of the probe (sshd runs here).
    const machineId = readFileSync('/etc/machine-id', 'utf8').trim();
    const published = Object.fromEntries((await directory.list()).map((h) => [h.hostId, h]));
    expect(published['healthy']).toMatchObject({ labels: { env: 'prod' }, machineId, hostname: hostname() });
    expect(published['healthy']?.addresses[0]).toBe('127.0.0.1');
    // Never probed successfully: what the inventory says, nothing more.
    expect(published['silent']).toEqual({ hostId: 'silent', labels: { env: 'dev' }, machineId: null, systemUuid: null, hostname: null, addresses: ['127.0.0.1'] });
    const data = await query<{ host: { os: { machineId: string | null; hostname: string | null } } }>(runtime, '{ host(id: "healthy") { os { machineId hostname } } }');
    expect(data.host.os).toEqual({ machineId, hostname: hostname() });
  });

  it("stores the healthy host's packages exactly as dpkg-query reports them", async () => {
    const expected = localPackages();
    const data = await query<{ host: { packages: { totalCount: number; edges: { node: { name: string; version: string } }[] } } }>(
      runtime,
      '{ host(id: "healthy") { packages(first: 1000) { totalCount edges { node { name version } } } } }',
    );
    expect(data.host.packages.totalCount).toBe(expected.size);
    const got = new Map(data.host.packages.edges.map((e) => [e.node.name, e.node.version]));
    expect(got).toEqual(expected);
  });

  it('answers hostsWithPackage from the index, comparing versions by dpkg rules', async () => {
    const bash = localPackages().get('bash');
    expect(bash).toBeDefined();
    type Answer = { hostsWithPackage: { totalCount: number; edges: { node: { host: { id: string }; package: { version: string }; packageManager: string } }[] } };
    const q = 'query ($range: VersionRange) { hostsWithPackage(name: "bash", version: $range) { totalCount edges { node { host { id } package { version } packageManager } } } }';
    const all = await query<Answer>(runtime, q);
    expect(all.hostsWithPackage.edges.map((e) => e.node)).toEqual([{ host: { id: 'healthy' }, package: { version: bash }, packageManager: 'DPKG' }]);
    const count = async (range: Record<string, string>) => (await query<Answer>(runtime, q, { range })).hostsWithPackage.totalCount;
    expect(await count({ eq: bash ?? '' })).toBe(1);
    // "5.2.15-2+b2" > "5.2.15-2" > "5.2.15~rc1" by Debian policy; bash on bookworm is 5.2.x.
    expect(await count({ gte: '5.2~', lt: '5.3' })).toBe(1);
    expect(await count({ lt: '1:0' })).toBe(1);
    expect(await count({ gt: '1:0' })).toBe(0);
    const bad = await executeSubgraph(runtime.definition, q, { range: { lt: '1.0-' } });
    expect(bad.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(bad.errors?.[0]?.message).toMatch(/^version\.lt: "1\.0-" is not a valid dpkg version/);
  });

  it('filters hosts by label, os, package and reachability', async () => {
    const ids = async (filter: Record<string, unknown>) =>
      (await query<{ hosts: { edges: { node: { id: string } }[] } }>(runtime, 'query ($f: HostFilter) { hosts(filter: $f) { edges { node { id } } } }', { f: filter })).hosts.edges.map(
        (e) => e.node.id,
      );
    expect(await ids({ label: { key: 'env', value: 'prod' } })).toEqual(['healthy', 'impostor']);
    expect(await ids({ reachable: true })).toEqual(['healthy']);
    expect(await ids({ reachable: false })).toEqual(['impostor', 'silent']);
    expect(await ids({ os: 'debian' })).toEqual(['healthy']);
    expect(await ids({ package: 'bash', label: { key: 'env', value: 'prod' } })).toEqual(['healthy']);
    expect(await ids({ package: 'no-such-package-anywhere' })).toEqual([]);
  });

  it('says per collector whether its fact is fresh, and why not', async () => {
    const data = await query<{ host: { freshness: { collector: string; state: string; message: string | null; lastSuccessAt: string | null }[] } }>(
      runtime,
      '{ host(id: "healthy") { freshness { collector state message lastSuccessAt } } }',
    );
    const byCollector = Object.fromEntries(data.host.freshness.map((f) => [f.collector, f]));
    expect(byCollector['PACKAGES']?.state).toBe('OK');
    expect(byCollector['USERS']?.state).toBe('OK');
    // This machine runs no systemd: services are unsupported, not failed.
    expect(byCollector['SERVICES']?.state).toBe('UNSUPPORTED');
    expect(byCollector['SERVICES']?.message).toMatch(/\S/);
    expect(Object.keys(byCollector)).toHaveLength(12);
  });

  it('unknown host ids answer null without an error, and refreshHost says so', async () => {
    const data = await query<{ host: null; refreshHost: { status: string; host: null } }>(
      runtime,
      'mutation { refreshHost(id: "nope") { status host { id } } }',
    );
    expect(data.refreshHost).toEqual({ status: 'UNKNOWN_HOST', host: null });
    expect((await query<{ host: null }>(runtime, '{ host(id: "nope") { id } }')).host).toBeNull();
  });
});

describe('write-on-change through the real probe pipeline', () => {
  const noScheduler = { refresh: async () => ({ status: 'QUEUED' as const, message: 'queued' }) };

  it('probing an unchanged real host twice writes its stable facts once', async () => {
    const sshd = await startSshd();
    try {
      const config = hostsConfig.parse({
        local: { enabled: false },
        inventory: [{ id: 'h', address: '127.0.0.1', port: sshd.port, user: sshd.user, privateKeyPath: sshd.clientKeyPath, knownHostsPath: await sshd.writeKnownHosts([sshd.knownHostsLine()]) }],
      });
      const hosts = buildInventory(config);
      const store = new MemoryFactStore();
      const alerts = new MemoryAlertLog({ maxLength: 100 });
      const probe = createProbePipeline({ hosts, store, publisher: new AlertPublisher(alerts, logger, systemClock), probe: probeHostReport, sudo: new Set(), alertRules: { unreachableAfter: 3 }, logger });
      expect(await probe('h', 'facts')).toEqual({ ok: true });
      const stable = ['os', 'packages', 'users', 'groups', 'hardware'] as const;
      const first = await store.getChanges('h', { types: stable, limit: 10_000 });
      expect(first.length).toBeGreaterThan(stable.length);
      expect(first.every((c) => c.change === 'ADDED')).toBe(true);
      expect(await probe('h', 'facts')).toEqual({ ok: true });
      expect(await store.getChanges('h', { types: stable, limit: 10_000 })).toEqual(first);
      // Baseline facts raise no alerts; only ports opened meanwhile by other tests on this machine may.
      expect((await alerts.listNewestFirst({ limit: 100 })).filter((a) => a.rule !== 'new-listening-port')).toEqual([]);
    } finally {
      await sshd.stop();
    }
  });

  it('one package upgraded between two probes: exactly one history entry, and asOf shows the old version', async () => {
    // A scripted host: the probe, pipeline, store and resolvers are real; only the command output is given.
    let opensslVersion = '3.0.11-1~deb12u1';
    const outputs = (): Partial<Record<AllowedCommandName, string>> => ({
      osRelease: 'ID=debian\nNAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_ID="12"\n',
      kernelRelease: '6.1.0-26-amd64\n',
      machineArch: 'x86_64\n',
      dpkgPackages: `bash\t5.2.15-2+b7\tamd64\tinstall ok installed\nopenssl\t${opensslVersion}\tamd64\tinstall ok installed\n`,
    });
    const scripted: CommandRunner = {
      async run(name): Promise<CommandOutput> {
        const stdout = outputs()[name];
        return stdout === undefined ? { stdout: '', stderr: `${name}: command not found`, exitCode: 127 } : { stdout, stderr: '', exitCode: 0 };
      },
      async close() {},
    };
    const target: HostTarget = { id: 'scripted', transport: 'local' };
    const hosts = [{ id: 'scripted', transport: 'LOCAL' as const, address: null, labels: {}, target }];
    const store = new MemoryFactStore();
    const alerts = new MemoryAlertLog({ maxLength: 100 });
    const probe = createProbePipeline({
      hosts,
      store,
      publisher: new AlertPublisher(alerts, logger, systemClock),
      probe: (t, options) => probeHostReport(t, { ...options, connect: async () => scripted }),
      sudo: new Set(),
      alertRules: { unreachableAfter: 3 },
      logger,
    });
    await probe('scripted', 'facts');
    // A scripted probe takes well under a millisecond: keep "between" strictly between the two.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const between = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    opensslVersion = '3.0.15-1~deb12u1';
    await probe('scripted', 'facts');

    const definition = createHostsSubgraph({ inventory: hosts, store, scheduler: noScheduler });
    const result = await executeSubgraph(
      definition,
      `query ($since: DateTime!, $between: DateTime!) {
        host(id: "scripted") {
          changes(since: $since, types: [PACKAGES]) { totalCount edges { node { type key change before after } } }
          asOf(time: $between) { packages { edges { node { name version } } } }
          packages { edges { node { name version } } }
        }
      }`,
      { since: between, between },
    );
    expect(result.errors).toBeUndefined();
    const host = (result.data as { host: { changes: { totalCount: number; edges: { node: unknown }[] }; asOf: { packages: { edges: { node: { name: string; version: string } }[] } }; packages: { edges: { node: { name: string; version: string } }[] } } }).host;
    expect(host.changes.totalCount).toBe(1);
    expect(host.changes.edges.map((edge) => edge.node)).toEqual([
      {
        type: 'PACKAGES',
        key: 'openssl:amd64',
        change: 'CHANGED',
        before: { name: 'openssl', version: '3.0.11-1~deb12u1', arch: 'amd64' },
        after: { name: 'openssl', version: '3.0.15-1~deb12u1', arch: 'amd64' },
      },
    ]);
    const version = (edges: { node: { name: string; version: string } }[]) => edges.find((e) => e.node.name === 'openssl')?.node.version;
    expect(version(host.asOf.packages.edges)).toBe('3.0.11-1~deb12u1');
    expect(version(host.packages.edges)).toBe('3.0.15-1~deb12u1');
  });
});
