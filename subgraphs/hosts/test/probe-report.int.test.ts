import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, networkInterfaces, tmpdir, totalmem, uptime } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FACT_TYPES, type CollectorOutcome, type CollectorName, type Group, type ProbeReport, type User } from '../src/facts/types.js';
import { ALLOWED_COMMANDS, SUDO_PREFIX } from '../src/sources/probe/allowlist.js';
import { probeHostReport } from '../src/sources/probe/probe-report.js';
import type { SshHostTarget } from '../src/sources/probe/types.js';
import { closedPort, startSshd, type SshdInstance } from '../../../test/support/sshd.js';

/**
 * The probe against real sshd instances on this machine. Every expectation is computed here without
 * the code under test: getent and dpkg-query run directly and are split by hand, /sys, /proc and
 * statfs are read with Node, and what this machine lacks (systemd as PID 1, nft, iptables, sudo) is
 * looked up, so the test states what the probe must say on whatever machine runs it.
 */

function commandExists(program: string): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', program], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

function commandPath(program: string): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v "$1"', 'sh', program], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

const isRoot = process.getuid?.() === 0;
/** sd_booted(3): systemd is PID 1 exactly when /run/systemd/system exists. */
const systemdRunning = existsSync('/run/systemd/system');

function expectedUsers(): User[] {
  return execFileSync('getent', ['passwd'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [name = '', , uid = '', gid = '', gecos = '', home = '', shell = ''] = line.split(':');
      return { name, uid: Number(uid), gid: Number(gid), gecos, home, shell };
    });
}

function expectedGroups(): Group[] {
  return execFileSync('getent', ['group'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [name = '', , gid = '', members = ''] = line.split(':');
      return { name, gid: Number(gid), members: members === '' ? [] : members.split(',') };
    });
}

function installedPackageCount(): number {
  return execFileSync('dpkg-query', ['-W', '-f=${db:Status-Abbrev}\n'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    .split('\n')
    .filter((abbrev) => 'iWt'.includes(abbrev[1] ?? '-') && abbrev[2] === ' ').length;
}

/** The IPv4 default gateway from /proc/net/route, where addresses are little-endian hex. */
function defaultGatewayV4(): string | null {
  const row = readFileSync('/proc/net/route', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .find((fields) => fields[1] === '00000000' && fields[7] === '00000000');
  if (row?.[2] === undefined) return null;
  const bytes = Buffer.from(row[2], 'hex');
  return [...bytes].reverse().join('.');
}

function cpuinfoFlags(): string[] {
  const line = /^(?:flags|Features)\s*: (.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
  return [...new Set(line.split(' ').filter((flag) => flag !== ''))].sort();
}

function rootSizeKb(): number {
  const stats = statfsSync('/');
  return (stats.blocks * stats.bsize) / 1024;
}

/** What each collector must report on this machine. */
function expectedOutcomes(): Record<Exclude<CollectorName, 'metrics'>, CollectorOutcome['status']> {
  const firewallTools = commandExists('nft') || commandExists('iptables-save');
  return {
    os: 'OK',
    packages: 'OK',
    services: systemdRunning ? 'OK' : 'UNSUPPORTED',
    users: 'OK',
    groups: 'OK',
    interfaces: 'OK',
    routes: 'OK',
    listeningPorts: 'OK',
    // nft and iptables-save need CAP_NET_ADMIN: DENIED for anyone else.
    firewall: !firewallTools ? 'UNSUPPORTED' : isRoot ? 'OK' : 'DENIED',
    hardware: 'OK',
    disks: 'OK',
  };
}

const statuses = (report: ProbeReport) => Object.fromEntries(Object.entries(report.collectors).map(([name, outcome]) => [name, outcome.status]));

let healthy: SshdInstance;
let restricted: SshdInstance;
let toolsDir: string;
/** A host like this one whose df hangs, as df does on a dead NFS mount. */
let hanging: SshdInstance;
let hangingDir: string;

beforeAll(async () => {
  healthy = await startSshd({ logLevel: 'VERBOSE' });
  // A host like this one but without ss: its sessions get a PATH holding links to every other
  // program the allow-list (and sudo) names that exists here.
  toolsDir = mkdtempSync(join(tmpdir(), 'vigil-tools-'));
  const programs = new Set([...Object.values(ALLOWED_COMMANDS).map((argv) => argv[0]), SUDO_PREFIX[0]]);
  for (const program of programs) {
    const path = commandPath(program);
    if (program !== 'ss' && path !== null) symlinkSync(path, join(toolsDir, program));
  }
  restricted = await startSshd({ env: { PATH: toolsDir } });

  hangingDir = mkdtempSync(join(tmpdir(), 'vigil-hanging-'));
  for (const program of programs) {
    const path = commandPath(program);
    if (program !== 'df' && path !== null) symlinkSync(path, join(hangingDir, program));
  }
  writeFileSync(join(hangingDir, 'df'), `#!/bin/sh\nexec ${commandPath('sleep') ?? '/bin/sleep'} 5\n`, { mode: 0o755 });
  hanging = await startSshd({ env: { PATH: hangingDir } });
});

afterAll(async () => {
  await healthy?.stop();
  await restricted?.stop();
  await hanging?.stop();
  if (toolsDir !== undefined) rmSync(toolsDir, { recursive: true, force: true });
  if (hangingDir !== undefined) rmSync(hangingDir, { recursive: true, force: true });
});

async function target(sshd: SshdInstance, overrides: Partial<SshHostTarget> = {}): Promise<SshHostTarget> {
  return {
    id: `host-${sshd.port}`,
    transport: 'ssh',
    address: sshd.host,
    port: sshd.port,
    user: sshd.user,
    privateKeyPath: sshd.clientKeyPath,
    knownHostsPath: await sshd.writeKnownHosts([sshd.knownHostsLine()]),
    connectTimeoutMs: 5_000,
    commandTimeoutMs: 20_000,
    ...overrides,
  };
}

async function logSince(sshd: SshdInstance, from: number, done: (log: string) => boolean): Promise<string> {
  const deadline = Date.now() + 3_000;
  for (;;) {
    const log = sshd.logs().slice(from);
    if (done(log) || Date.now() > deadline) return log;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('probeHostReport over SSH: a healthy host (this machine)', () => {
  let report: ProbeReport;
  let log: string;

  beforeAll(async () => {
    const from = healthy.logs().length;
    report = await probeHostReport(await target(healthy), { kind: 'facts' });
    log = await logSince(healthy, from, (l) => /Disconnected from user/.test(l));
  });

  it('reports every collector with the outcome this machine warrants', () => {
    expect(report.status).toBe('OK');
    expect(report.message).toBeNull();
    expect(statuses(report)).toEqual(expectedOutcomes());
    expect(Object.keys(report.facts).sort()).toEqual(FACT_TYPES.filter((name) => report.collectors[name]?.status === 'OK').sort());
    if (!systemdRunning) {
      expect(report.collectors.services?.message).toMatch(commandExists('systemctl') ? /^systemd is not running on the host: / : /^systemctl is not installed/);
    }
    if (!commandExists('nft') && !commandExists('iptables-save')) {
      expect(report.collectors.firewall?.message).toBe('neither nft nor iptables-save is installed on the host');
    }
  });

  it('ran every command on one connection, in one session, and closed it', () => {
    expect(log.match(/Accepted publickey for /g)).toHaveLength(1);
    const sessions = [...log.matchAll(/Starting session: command for \S+ from 127\.0\.0\.1 port (\d+)/g)];
    // All 24 commands of the facts plan (probePlan) in one exec; that every one ran and was read back
    // is what the other tests here check, fact by fact.
    expect(sessions).toHaveLength(1);
    expect(new Set(sessions.map((match) => match[1])).size).toBe(1);
    expect(log).toMatch(/Disconnected from user/);
  });

  it('lists exactly the accounts and groups getent lists', () => {
    expect(report.facts.users).toEqual(expectedUsers());
    expect(report.facts.groups).toEqual(expectedGroups());
  });

  it('lists the installed packages and the OS', () => {
    expect(report.packageManager).toBe('dpkg');
    expect(report.facts.packages).toHaveLength(installedPackageCount());
    expect(report.facts.packages?.some((p) => p.name === 'openssh-server')).toBe(true);
    expect(report.facts.os?.[0]?.arch).toBe(execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim());
  });

  it('lists every network link with its addresses, and the default route', () => {
    const links = report.facts.interfaces ?? [];
    expect(links.map((link) => link.name).sort()).toEqual(readdirSync('/sys/class/net').sort());
    for (const link of links) {
      expect(link.mac, link.name).toBe(readFileSync(`/sys/class/net/${link.name}/address`, 'utf8').trim() || null);
      const fromNode = (networkInterfaces()[link.name] ?? []).map((a) => `${a.family === 'IPv4' ? 'inet' : 'inet6'} ${a.address}/${a.cidr?.split('/')[1]}`);
      expect(link.addresses.map((a) => `${a.family} ${a.address}/${a.prefixLength}`).sort(), link.name).toEqual(fromNode.sort());
    }
    const gateway = defaultGatewayV4();
    expect(report.facts.routes?.find((r) => r.family === 'inet' && r.destination === 'default')?.gateway ?? null).toBe(gateway);
  });

  it("lists this sshd's port, with its process name only when the probe user is root", () => {
    expect(report.facts.listeningPorts).toContainEqual({ protocol: 'tcp', address: '127.0.0.1', port: healthy.port, process: isRoot ? 'sshd' : null });
  });

  it('reads the hardware and the root filesystem', () => {
    expect(report.facts.hardware?.[0]).toMatchObject({
      architecture: execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim(),
      cpuCount: cpus().length,
      memTotalKb: totalmem() / 1024,
      cpuFlags: cpuinfoFlags(),
    });
    expect(report.facts.disks).toContainEqual(expect.objectContaining({ mountpoint: '/', sizeKb: rootSizeKb() }));
    expect(report.facts.disks?.some((disk) => ['tmpfs', 'devtmpfs'].includes(disk.filesystem))).toBe(false);
  });
});

describe('probeHostReport over SSH: a host without one tool', () => {
  it('reports that collector UNSUPPORTED and the rest as on the healthy host', async () => {
    const [withoutSs, reference] = await Promise.all([
      probeHostReport(await target(restricted), { kind: 'facts' }),
      probeHostReport(await target(healthy), { kind: 'facts' }),
    ]);
    expect(withoutSs.status).toBe('OK');
    expect(statuses(withoutSs)).toEqual({ ...expectedOutcomes(), listeningPorts: 'UNSUPPORTED' });
    expect(withoutSs.collectors.listeningPorts).toEqual({ status: 'UNSUPPORTED', message: 'ss is not installed on the host' });
    expect(withoutSs.facts.listeningPorts).toBeUndefined();
    const { listeningPorts: _ports, ...rest } = withoutSs.facts;
    const { listeningPorts: _reference, ...expected } = reference.facts;
    expect(rest).toEqual(expected);
  });
});

describe('probeHostReport over SSH: a command that hangs', () => {
  it('keeps every command that finished before the batch deadline; the hung one is TIMEOUT, at the deadline', async () => {
    const started = Date.now();
    const [report, reference] = await Promise.all([
      probeHostReport(await target(hanging, { commandTimeoutMs: 2_000 }), { kind: 'facts' }),
      probeHostReport(await target(healthy), { kind: 'facts' }),
    ]);
    const elapsed = Date.now() - started;
    expect(report.status).toBe('OK');
    // df is last in the batch: only disks is lost.
    expect(statuses(report)).toEqual({ ...expectedOutcomes(), disks: 'TIMEOUT' });
    expect(report.collectors.disks).toEqual({ status: 'TIMEOUT', message: "df did not finish within 2000 ms (the deadline of the probe's command batch)" });
    const { disks: _disks, listeningPorts: _ports, ...rest } = report.facts;
    const { disks: _referenceDisks, listeningPorts: _referencePorts, ...expected } = reference.facts;
    expect(rest).toEqual(expected);
    expect(elapsed).toBeGreaterThanOrEqual(2_000);
    expect(elapsed).toBeLessThan(4_500);
  });
});

describe('probeHostReport over SSH: sudo for one collector', () => {
  it('runs that collector through sudo -n, leaving the others alone', async () => {
    const report = await probeHostReport(await target(healthy), { kind: 'facts', sudo: new Set<CollectorName>(['users']) });
    expect(statuses(report)).toEqual({ ...expectedOutcomes(), users: commandExists('sudo') && isRoot ? 'OK' : 'DENIED' });
    if (!commandExists('sudo')) expect(report.collectors.users?.message).toBe('sudo -n getent passwd: sudo is not installed on the host');
    expect(report.facts.groups).toEqual(expectedGroups());
  });
});

describe('probeHostReport over SSH: metrics', () => {
  it('returns a plausible snapshot and no facts', async () => {
    const report = await probeHostReport(await target(healthy), { kind: 'metrics' });
    expect(report.collectors).toEqual({ metrics: { status: 'OK', message: null } });
    expect(report.facts).toEqual({});
    const metrics = report.metrics;
    expect(metrics?.at).toBe(report.startedAt);
    for (const load of [metrics?.load1, metrics?.load5, metrics?.load15]) {
      expect(load).toBeGreaterThanOrEqual(0);
      expect(load).toBeLessThan(cpus().length * 100);
    }
    expect(metrics?.memTotalKb).toBe(totalmem() / 1024);
    expect(metrics?.memAvailableKb).toBeGreaterThan(0);
    expect(metrics?.memAvailableKb).toBeLessThanOrEqual(metrics?.memTotalKb ?? 0);
    expect(metrics?.swapFreeKb).toBeLessThanOrEqual(metrics?.swapTotalKb ?? 0);
    expect(Math.abs((metrics?.uptimeSeconds ?? 0) - uptime())).toBeLessThan(10);
    const root = metrics?.disks.find((disk) => disk.mountpoint === '/');
    expect(root?.sizeKb).toBe(rootSizeKb());
    expect((root?.usedKb ?? Infinity) + (root?.availableKb ?? Infinity)).toBeLessThanOrEqual(root?.sizeKb ?? 0);
  });
});

describe('probeHostReport: connection failures and the local machine', () => {
  it('reports an unreachable host with no collectors', async () => {
    const port = await closedPort();
    const report = await probeHostReport(await target(healthy, { port }), { kind: 'facts' });
    expect(report).toMatchObject({ status: 'UNREACHABLE', message: `cannot reach 127.0.0.1:${port} (ECONNREFUSED)`, collectors: {}, facts: {}, metrics: null });
  });

  it('probes the local machine the same way: services UNSUPPORTED without systemd', async () => {
    const report = await probeHostReport({ id: 'self', transport: 'local' }, { kind: 'facts' });
    expect(statuses(report)).toEqual(expectedOutcomes());
    if (!systemdRunning) expect(report.collectors.services?.status).toBe('UNSUPPORTED');
    expect(report.facts.users).toEqual(expectedUsers());
    expect(report.facts.listeningPorts).toContainEqual({ protocol: 'tcp', address: '127.0.0.1', port: healthy.port, process: isRoot ? 'sshd' : null });
  });
});
