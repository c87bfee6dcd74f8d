import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { COLLECTOR_NAMES, FACT_TYPES, type CollectorName } from '../src/facts/types.js';
import type { AllowedCommandName, RunOptions } from '../src/sources/probe/allowlist.js';
import { createCommandBatch } from '../src/sources/probe/batch.js';
import { probeHost } from '../src/sources/probe/probe.js';
import { ProbeFailure } from '../src/sources/probe/probe-failure.js';
import { probeHostReport, type ProbeReportOptions } from '../src/sources/probe/probe-report.js';
import type { CommandRunner } from '../src/sources/probe/transport.js';
import type { HostTarget } from '../src/sources/probe/types.js';
import { captured, exited, fixtureText, notFound, ok, type Script } from './collector-harness.js';

/**
 * The captured Debian 12 machine, command by command (fixtures/README.md). uname is not captured on
 * its own; its two words come from the captured `uname -a` line "Linux vm 6.18.44-fc-v669 … x86_64".
 * The captures were taken as root, so `id -u` prints 0 and ss runs with -p.
 */
const debian12: Script = {
  osRelease: ok(fixtureText('os-release_debian12_captured')),
  kernelRelease: ok('6.18.44-fc-v669\n'),
  machineArch: ok('x86_64\n'),
  // The host name is the second word of the captured `uname -a`; the capture has no /etc/machine-id, this is one in machine-id(5) format.
  machineId: ok('4c4c4544004d3510804bb4c04f564433\n'),
  hostName: ok('vm\n'),
  // A VM without SMBIOS tables has no product_uuid (what cat prints then).
  systemUuid: exited(1, 'cat: /sys/class/dmi/id/product_uuid: No such file or directory\n'),
  dpkgPackages: ok(fixtureText('dpkg-query_debian-12.tsv')),
  systemdUnits: ok(captured('systemctl_list-units_service_all_plain_no-legend.txt')),
  systemdUnitFiles: ok(captured('systemctl_list-unit-files_service_no-legend.txt')),
  passwdEntries: ok(captured('getent_passwd.txt')),
  groupEntries: ok(captured('getent_group.txt')),
  ipAddresses: ok(captured('ip_-j_addr.json')),
  ipRoutes: ok(captured('ip_-j_route.json')),
  ip6Routes: ok(captured('ip_-j_-6_route.json')),
  effectiveUid: ok('0\n'),
  listeningSocketsWithProcesses: ok(captured('ss_-H_-tulpn.txt')),
  nftRuleset: ok(captured('nft_-j_list_ruleset.json')),
  cpuTopology: ok(captured('lscpu_-J.json')),
  cpuInfo: ok(captured('proc_cpuinfo_cpu0.txt')),
  memInfo: ok(captured('proc_meminfo.txt')),
  diskFree: ok(captured('df_-P_-k.txt')),
  loadAverage: ok(captured('proc_loadavg.txt')),
  uptime: ok(captured('proc_uptime.txt')),
};

const FACT_COMMANDS: AllowedCommandName[] = [
  'osRelease', 'kernelRelease', 'machineArch', 'machineId', 'systemUuid', 'hostName', 'dpkgPackages', 'systemdUnits', 'systemdUnitFiles', 'passwdEntries', 'groupEntries',
  'ipAddresses', 'ipRoutes', 'ip6Routes', 'effectiveUid', 'listeningSocketsWithProcesses', 'nftRuleset', 'cpuTopology', 'cpuInfo', 'memInfo', 'diskFree',
];

/**
 * A host answering from a script, slowly enough that concurrent commands overlap, recording everything.
 * Commands in `hang` never answer; closing the runner stops them, as closing a connection does.
 */
function fakeHost(script: Script, delayMs = 5, hang: ReadonlySet<AllowedCommandName> = new Set()) {
  const calls: { name: AllowedCommandName; sudo: boolean }[] = [];
  let running = 0;
  let maxRunning = 0;
  let closes = 0;
  const closed = new AbortController();
  const runner: CommandRunner = {
    async run(name: AllowedCommandName, options?: RunOptions) {
      if (closed.signal.aborted) throw new ProbeFailure('ERROR', 'the SSH connection is already closed');
      calls.push({ name, sudo: options?.sudo === true });
      running++;
      maxRunning = Math.max(maxRunning, running);
      try {
        if (hang.has(name)) {
          await new Promise((_, reject) => closed.signal.addEventListener('abort', () => reject(new ProbeFailure('ERROR', `${name} was stopped`))));
        }
        await sleep(delayMs);
        const answer = script[name];
        if (answer === undefined) throw new Error(`unscripted command ${name}`);
        if (answer instanceof Error) throw answer;
        return answer;
      } finally {
        running--;
      }
    },
    async close() {
      closes++;
      closed.abort();
    },
  };
  return { runner, calls, maxRunning: () => maxRunning, closes: () => closes };
}

const target: HostTarget = { id: 'web-1', transport: 'local' };
const clock = () => {
  const ticks = [new Date('2030-01-01T00:00:00.000Z'), new Date('2030-01-01T00:00:02.000Z')];
  return () => ticks.shift() ?? new Date(0);
};
const probe = (host: ReturnType<typeof fakeHost>, options: Omit<ProbeReportOptions, 'connect'>) =>
  probeHostReport(target, { ...options, connect: async () => host.runner });

describe('probeHostReport, facts, on a scripted Debian 12 host', () => {
  it('runs every fact collector once, each command once, at most 4 at a time, and closes', async () => {
    const host = fakeHost(debian12);
    const report = await probe(host, { kind: 'facts', now: clock() });

    expect(report).toMatchObject({ hostId: 'web-1', status: 'OK', message: null, startedAt: '2030-01-01T00:00:00.000Z', finishedAt: '2030-01-01T00:00:02.000Z' });
    expect(Object.keys(report.collectors)).toEqual([...FACT_TYPES]);
    for (const name of FACT_TYPES) expect(report.collectors[name], name).toEqual({ status: 'OK', message: null });
    expect(Object.keys(report.facts)).toEqual([...FACT_TYPES]);
    expect(report.metrics).toBeNull();
    expect(report.packageManager).toBe('dpkg');

    expect(host.calls.map((call) => call.name).sort()).toEqual([...FACT_COMMANDS].sort());
    expect(host.calls.every((call) => !call.sudo)).toBe(true);
    expect(host.maxRunning()).toBe(4);
    expect(host.closes()).toBe(1);
  });

  it('reports exactly what the parsers read from the captures', async () => {
    const report = await probe(fakeHost(debian12, 0), { kind: 'facts' });
    expect(report.facts.os?.[0]).toMatchObject({ id: 'debian', versionId: '12', kernel: '6.18.44-fc-v669', arch: 'x86_64' });
    expect(report.facts.packages).toHaveLength(33);
    expect(report.facts.services).toHaveLength(69);
    expect(report.facts.users).toHaveLength(24);
    expect(report.facts.groups).toHaveLength(47);
    expect(report.facts.interfaces?.map((i) => i.name)).toEqual(['lo', 'ifb0', 'ifb1', 'eth0']);
    expect(report.facts.routes).toHaveLength(5);
    expect(report.facts.listeningPorts?.find((p) => p.port === 5432)).toEqual({ protocol: 'tcp', address: '127.0.0.1', port: 5432, process: 'postgres' });
    expect(report.facts.firewall?.[0]).toMatchObject({ backend: 'nftables', ruleCount: 10, chainCount: 4 });
    expect(report.facts.hardware?.[0]).toMatchObject({ cpuCount: 2, memTotalKb: 24_684_084 });
    expect(report.facts.disks).toEqual([{ filesystem: '/dev/vda', mountpoint: '/', sizeKb: 264_212_084 }]);
  });

  it('records each collector on its own: UNSUPPORTED, DENIED, TIMEOUT and FAILED beside OK, facts only for OK', async () => {
    const host = fakeHost({
      ...debian12,
      systemdUnits: exited(1, "System has not been booted with systemd as init system (PID 1). Can't operate.\n"),
      listeningSocketsWithProcesses: notFound('ss'),
      nftRuleset: exited(1, 'Error: cache initialization failed: Operation not permitted\n'),
      iptablesRules: notFound('iptables-save'),
      ip6tablesRules: notFound('ip6tables-save'),
      passwdEntries: new ProbeFailure('TIMEOUT', 'getent did not finish within 20000 ms'),
      ipAddresses: exited(1, 'Cannot open netlink socket: Address family not supported by protocol\n'),
    });
    const report = await probe(host, { kind: 'facts' });

    expect(report.status).toBe('OK');
    expect(report.collectors).toMatchObject({
      os: { status: 'OK' },
      packages: { status: 'OK' },
      services: { status: 'UNSUPPORTED', message: "systemd is not running on the host: System has not been booted with systemd as init system (PID 1). Can't operate." },
      users: { status: 'TIMEOUT', message: 'getent did not finish within 20000 ms' },
      groups: { status: 'OK' },
      interfaces: { status: 'FAILED', message: 'ip -j addr exited with 1: Cannot open netlink socket: Address family not supported by protocol' },
      routes: { status: 'OK' },
      listeningPorts: { status: 'UNSUPPORTED', message: 'ss is not installed on the host' },
      firewall: { status: 'DENIED', message: 'nft -j list ruleset was denied: Error: cache initialization failed: Operation not permitted' },
      hardware: { status: 'OK' },
      disks: { status: 'OK' },
    });
    expect(Object.keys(report.facts).sort()).toEqual(['disks', 'groups', 'hardware', 'os', 'packages', 'routes']);
    expect(host.closes()).toBe(1);
  });
});

describe('probeHostReport, deadline', () => {
  it('cuts a probe whose commands hang: those collectors are TIMEOUT, the others keep what they found', async () => {
    const host = fakeHost(debian12, 1, new Set<AllowedCommandName>(['diskFree', 'passwdEntries']));
    const started = Date.now();
    const report = await probe(host, { kind: 'facts', deadlineMs: 150 });
    expect(Date.now() - started).toBeLessThan(1_000);
    const cut = { status: 'TIMEOUT', message: 'the probe of local machine did not finish within 150 ms' };
    expect(report.collectors.disks).toEqual(cut);
    expect(report.collectors.users).toEqual(cut);
    expect(report.collectors.groups).toEqual({ status: 'OK', message: null });
    expect(report.facts.disks).toBeUndefined();
    expect(report.facts.groups).toHaveLength(47);
    expect(report.status).toBe('OK');
  });

  it('defaults to twice the command timeout', async () => {
    const host = fakeHost(debian12, 1, new Set<AllowedCommandName>(['uptime']));
    const report = await probeHostReport({ id: 'slow', transport: 'local', commandTimeoutMs: 60 }, { kind: 'metrics', connect: async () => host.runner });
    expect(report.collectors.metrics).toEqual({ status: 'TIMEOUT', message: 'the probe of local machine did not finish within 120 ms' });
  });
});

describe('probeHostReport, metrics', () => {
  it('runs only the metrics commands and stamps the snapshot with the start time', async () => {
    const host = fakeHost(debian12);
    const report = await probe(host, { kind: 'metrics', now: clock() });
    expect(report.collectors).toEqual({ metrics: { status: 'OK', message: null } });
    expect(report.facts).toEqual({});
    expect(report.packageManager).toBeNull();
    expect(report.metrics).toMatchObject({ at: '2030-01-01T00:00:00.000Z', load1: 1.01, memTotalKb: 24_684_084, uptimeSeconds: 807.03 });
    expect(host.calls.map((call) => call.name).sort()).toEqual(['diskFree', 'loadAverage', 'memInfo', 'uptime']);
  });
});

describe('probeHostReport, sudo', () => {
  it('is off by default and applies only to the collectors named', async () => {
    const host = fakeHost(debian12);
    await probe(host, { kind: 'facts', sudo: new Set<CollectorName>(['firewall', 'listeningPorts', 'metrics']) });
    const withSudo = host.calls.filter((call) => call.sudo).map((call) => call.name);
    // listeningPorts under sudo asks no `id -u`: sudo already makes -p see every process.
    expect(withSudo.sort()).toEqual(['listeningSocketsWithProcesses', 'nftRuleset']);
    expect(host.calls.some((call) => call.name === 'effectiveUid')).toBe(false);
  });

  it('runs a command twice only when two collectors differ in sudo, and that only across kinds', async () => {
    const host = fakeHost(debian12);
    const batch = createCommandBatch(host.runner, 4);
    await Promise.all([batch.run('memInfo', {}), batch.run('memInfo', {}), batch.run('memInfo', { sudo: true })]);
    expect(batch.started()).toEqual(['memInfo', 'sudo:memInfo']);
    expect(host.calls).toEqual([
      { name: 'memInfo', sudo: false },
      { name: 'memInfo', sudo: true },
    ]);
  });
});

describe('probeHostReport, connection failures', () => {
  it('reports the connection status and runs no collector', async () => {
    const report = await probeHostReport(
      { id: 'db-1', transport: 'ssh', address: '10.0.0.9', port: 22, user: 'vigil', knownHostsPath: '/dev/null', connectTimeoutMs: 1, commandTimeoutMs: 1 },
      { kind: 'facts', now: clock(), connect: async () => Promise.reject(new ProbeFailure('AUTH_FAILED', '10.0.0.9:22 rejected the key(s) offered for user vigil')) },
    );
    expect(report).toEqual({
      hostId: 'db-1',
      status: 'AUTH_FAILED',
      message: '10.0.0.9:22 rejected the key(s) offered for user vigil',
      startedAt: '2030-01-01T00:00:00.000Z',
      finishedAt: '2030-01-01T00:00:02.000Z',
      packageManager: null,
      collectors: {},
      facts: {},
      metrics: null,
    });
  });

  it('never throws: an unexpected connect error is ERROR, a failing close is ignored', async () => {
    const broken = await probeHostReport(target, { kind: 'metrics', connect: async () => Promise.reject(new TypeError('boom')) });
    expect(broken).toMatchObject({ status: 'ERROR', message: 'local machine: unexpected probe failure: boom', collectors: {} });
    const host = fakeHost(debian12);
    const closing: CommandRunner = { run: host.runner.run, close: async () => Promise.reject(new Error('already gone')) };
    const report = await probeHostReport(target, { kind: 'metrics', connect: async () => closing });
    expect(report.collectors.metrics?.status).toBe('OK');
  });

  it('knows every collector name', () => {
    expect([...COLLECTOR_NAMES]).toEqual([...FACT_TYPES, 'metrics']);
  });
});

describe('probeHost on top of the report', () => {
  const legacy = (script: Script) => probeHost(target, { connect: async () => fakeHost(script, 0).runner });

  it('keeps its shape: OS and packages, OK', async () => {
    const result = await legacy(debian12);
    expect(result).toMatchObject({ hostId: 'web-1', status: 'OK', message: null, packageManager: 'dpkg' });
    expect(result.packages).toHaveLength(33);
    expect(result.os?.id).toBe('debian');
  });

  it('is OK with a note when no package manager is installed, TIMEOUT or ERROR when a collector fails', async () => {
    const none = await legacy({ ...debian12, dpkgPackages: notFound('dpkg-query'), rpmPackages: notFound('rpm'), apkPackages: notFound('apk') });
    expect(none).toMatchObject({ status: 'OK', message: 'local machine: none of dpkg-query, rpm or apk is installed on the host', packages: null, packageManager: null });
    expect(none.os?.id).toBe('debian');
    const slow = await legacy({ ...debian12, dpkgPackages: new ProbeFailure('TIMEOUT', 'dpkg-query did not finish within 5 ms') });
    expect(slow).toMatchObject({ status: 'TIMEOUT', message: 'local machine: dpkg-query did not finish within 5 ms', packages: null });
    const denied = await legacy({ ...debian12, dpkgPackages: exited(2, 'dpkg-query: error: cannot access archive: Permission denied\n') });
    expect(denied.status).toBe('ERROR');
    expect(denied.message).toBe('local machine: dpkg-query was denied: dpkg-query: error: cannot access archive: Permission denied');
  });
});
