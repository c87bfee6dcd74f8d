import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { release } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeHost } from '../src/sources/probe/probe.js';
import type { HostTarget, InstalledPackage, ProbeResult, SshHostTarget } from '../src/sources/probe/types.js';
import { closedPort, startSilentListener, startSshAgent, startSshd, type SshdInstance } from '../../../test/support/sshd.js';

/**
 * The expected inventory, computed without the code under test: another dpkg-query format (columns
 * reordered, dpkg's abbreviated status) and its own filter. Kept: status installed / triggers-awaited
 * / triggers-pending (i, W, t) with no error flag, whatever the selection state (install, hold, ...).
 */
function expectedPackages(): InstalledPackage[] {
  const out = execFileSync('dpkg-query', ['-W', '-f=${db:Status-Abbrev}|${Architecture}|${Package}|${Version}\n'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('|'))
    .filter(([abbrev]) => abbrev !== undefined && 'iWt'.includes(abbrev[1] ?? '-') && (abbrev[2] ?? ' ') === ' ')
    .map(([, arch, name, version]) => ({ name: name ?? '', version: version ?? '', arch: arch === '' || arch === undefined ? null : arch }));
}

const byNameAndArch = (a: InstalledPackage, b: InstalledPackage) =>
  a.name === b.name ? (a.arch ?? '').localeCompare(b.arch ?? '') : a.name < b.name ? -1 : 1;
const sorted = (packages: InstalledPackage[] | null) => [...(packages ?? [])].sort(byNameAndArch);

function osReleaseId(): string {
  const text = readFileSync('/etc/os-release', 'utf8');
  return /^ID="?([^"\n]*)"?$/m.exec(text)?.[1] ?? 'missing';
}

let sshd: SshdInstance;
let expected: InstalledPackage[];

beforeAll(async () => {
  sshd = await startSshd({ logLevel: 'VERBOSE' });
  expected = sorted(expectedPackages());
});
afterAll(async () => {
  await sshd?.stop();
});

function sshTarget(overrides: Partial<SshHostTarget> & { knownHostsPath: string }): SshHostTarget {
  return {
    id: 'test-host',
    transport: 'ssh',
    address: sshd.host,
    port: sshd.port,
    user: sshd.user,
    privateKeyPath: sshd.clientKeyPath,
    connectTimeoutMs: 5_000,
    commandTimeoutMs: 20_000,
    ...overrides,
  };
}

/** sshd's log lines written since `from`, once `done` holds for them (sshd logs asynchronously). */
async function logSince(from: number, done: (log: string) => boolean, timeoutMs = 3_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = sshd.logs().slice(from);
    if (done(log) || Date.now() > deadline) return log;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
const connectionEnded = (log: string) => /Connection closed|Disconnected from|Received disconnect|Connection reset/.test(log);

/** Messages must never carry private key material, nor even whole public keys. */
function expectNoKeyMaterial(result: ProbeResult, privateKeyPaths: string[]): void {
  const message = result.message ?? '';
  for (const path of privateKeyPaths) {
    const body = readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line.length > 16 && !line.startsWith('-----'));
    expect(body.length).toBeGreaterThan(0);
    for (const line of body) expect(message).not.toContain(line);
  }
  expect(message).not.toContain(sshd.hostPublicKey.split(' ')[1]);
}

describe('probeHost over SSH against a real sshd', () => {
  it('returns OK and exactly the packages dpkg reports, over one connection', async () => {
    const knownHostsPath = await sshd.writeKnownHosts([sshd.knownHostsLine(true)]);
    const from = sshd.logs().length;
    const ticks = [new Date('2030-01-01T00:00:00.000Z'), new Date('2030-01-01T00:00:01.500Z')];
    const result = await probeHost(sshTarget({ knownHostsPath }), { now: () => ticks.shift() ?? new Date(0) });

    expect(result.message).toBeNull();
    expect(result.status).toBe('OK');
    expect(result.hostId).toBe('test-host');
    expect(result.startedAt).toBe('2030-01-01T00:00:00.000Z');
    expect(result.finishedAt).toBe('2030-01-01T00:00:01.500Z');
    expect(result.packageManager).toBe('dpkg');
    expect(expected.length).toBeGreaterThan(50);
    expect(sorted(result.packages)).toEqual(expected);
    expect(result.os).toMatchObject({
      id: osReleaseId(),
      kernel: release(),
      arch: execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim(),
    });

    // Server-side evidence: one authentication, one client port, ONE session for every command of the
    // probe (the batch: cat /etc/os-release and its fallback, uname -r, uname -m, dpkg-query, rpm, apk;
    // dpkg was found first, so the rpm and apk sections went unread), and the connection was closed by
    // the client.
    const log = await logSince(from, (l) => /Disconnected from user/.test(l));
    expect(log.match(/Accepted publickey for /g)).toHaveLength(1);
    const sessions = [...log.matchAll(/Starting session: command for \S+ from 127\.0\.0\.1 port (\d+)/g)];
    expect(sessions).toHaveLength(1);
    expect(new Set(sessions.map((match) => match[1])).size).toBe(1);
    expect(log).toMatch(/Disconnected from user/);
  });

  it('sees an edit of the same known_hosts file at the next probe (the parsed file is cached)', async () => {
    const path = await sshd.writeKnownHosts([sshd.knownHostsLine()]);
    expect((await probeHost(sshTarget({ knownHostsPath: path }))).status).toBe('OK');
    // The key is revoked in place: same path, written moments later.
    const impostor = await sshd.generateKeyPair('rotated-host-key');
    await writeFile(path, `[127.0.0.1]:${sshd.port} ${impostor.publicKey}\n`);
    expect((await probeHost(sshTarget({ knownHostsPath: path }))).status).toBe('HOST_KEY_MISMATCH');
    await writeFile(path, `${sshd.knownHostsLine()}\n`);
    expect((await probeHost(sshTarget({ knownHostsPath: path }))).status).toBe('OK');
  });

  it('refuses a host whose key differs from known_hosts (HOST_KEY_MISMATCH) and runs nothing', async () => {
    const impostor = await sshd.generateKeyPair('impostor-host-key');
    const knownHostsPath = await sshd.writeKnownHosts([`[127.0.0.1]:${sshd.port} ${impostor.publicKey}`]);
    const from = sshd.logs().length;
    const result = await probeHost(sshTarget({ knownHostsPath }));

    expect(result.status).toBe('HOST_KEY_MISMATCH');
    expect(result.message).toContain(`127.0.0.1:${sshd.port}`);
    expect(result.message).toContain(fingerprintOf(sshd.hostPublicKey));
    expect(result).toMatchObject({ os: null, packageManager: null, packages: null });
    expectNoKeyMaterial(result, [sshd.clientKeyPath, impostor.privateKeyPath]);

    const log = await logSince(from, connectionEnded);
    expect(log).toMatch(/Connection from 127\.0\.0\.1/);
    expect(log).not.toMatch(/Accepted publickey|Postponed publickey|Starting session/);
  });

  it('refuses a host that known_hosts does not list (HOST_KEY_UNKNOWN), even under another port or the port-22 name', async () => {
    const knownHostsPath = await sshd.writeKnownHosts([
      `127.0.0.1 ${sshd.hostPublicKey}`,
      `[127.0.0.1]:${sshd.port + 1} ${sshd.hostPublicKey}`,
      `[localhost]:${sshd.port} ${sshd.hostPublicKey}`,
    ]);
    const from = sshd.logs().length;
    const result = await probeHost(sshTarget({ knownHostsPath }));

    expect(result.status).toBe('HOST_KEY_UNKNOWN');
    expect(result.message).toContain(`127.0.0.1:${sshd.port}`);
    expect(result.message).toContain(fingerprintOf(sshd.hostPublicKey));
    const log = await logSince(from, connectionEnded);
    expect(log).not.toMatch(/Accepted publickey|Starting session/);
  });

  it('treats a missing known_hosts file as no host known', async () => {
    const result = await probeHost(sshTarget({ knownHostsPath: join('/nonexistent', 'known_hosts') }));
    expect(result.status).toBe('HOST_KEY_UNKNOWN');
    expect(result.message).toContain('/nonexistent/known_hosts does not exist');
  });

  it('reports AUTH_FAILED for a key the server does not accept', async () => {
    const intruder = await sshd.generateKeyPair('intruder');
    const knownHostsPath = await sshd.writeKnownHosts([sshd.knownHostsLine()]);
    const from = sshd.logs().length;
    const result = await probeHost(sshTarget({ knownHostsPath, privateKeyPath: intruder.privateKeyPath }));

    expect(result.status).toBe('AUTH_FAILED');
    expect(result.message).toContain(`127.0.0.1:${sshd.port}`);
    expect(result.message).toContain(sshd.user);
    expectNoKeyMaterial(result, [intruder.privateKeyPath]);
    const log = await logSince(from, connectionEnded);
    expect(log).not.toMatch(/Accepted publickey|Starting session/);
  });

  it('authenticates through ssh-agent when useAgent is set', async () => {
    const agent = await startSshAgent([sshd.clientKeyPath]);
    try {
      const knownHostsPath = await sshd.writeKnownHosts([sshd.knownHostsLine()]);
      const { privateKeyPath: _none, ...withoutKey } = sshTarget({ knownHostsPath });
      const target: HostTarget = { ...withoutKey, useAgent: true, agentSocket: agent.socketPath, knownHostsPath };
      expect('privateKeyPath' in target).toBe(false);
      const result = await probeHost(target);
      expect(result.message).toBeNull();
      expect(result.status).toBe('OK');
      expect(sorted(result.packages)).toEqual(expected);
    } finally {
      await agent.stop();
    }
  });

  it('fails with ERROR, before connecting, when no usable credential is configured', async () => {
    const knownHostsPath = await sshd.writeKnownHosts([sshd.knownHostsLine()]);
    const noSocket = await probeHost(sshTarget({ knownHostsPath, privateKeyPath: undefined, useAgent: true }));
    expect(noSocket.status).toBe('ERROR');
    expect(noSocket.message).toMatch(/no agent socket/);
    const missingKey = await probeHost(sshTarget({ knownHostsPath, privateKeyPath: '/nonexistent/id_ed25519' }));
    expect(missingKey.status).toBe('ERROR');
    expect(missingKey.message).toContain('/nonexistent/id_ed25519 for 127.0.0.1');
  });

  it('fails with ERROR for a passphrase-protected key (config never holds passphrases), without leaking it', async () => {
    const locked = await sshd.generateKeyPair('locked');
    execFileSync('ssh-keygen', ['-q', '-p', '-N', 'correct horse battery', '-P', '', '-f', locked.privateKeyPath], { stdio: 'pipe' });
    const knownHostsPath = await sshd.writeKnownHosts([sshd.knownHostsLine()]);
    const from = sshd.logs().length;
    const result = await probeHost(sshTarget({ knownHostsPath, privateKeyPath: locked.privateKeyPath }));
    expect(result.status).toBe('ERROR');
    expect(result.message).toMatch(/passphrase/);
    expect(result.message).toContain(`127.0.0.1:${sshd.port}`);
    expectNoKeyMaterial(result, [locked.privateKeyPath]);
    expect(sshd.logs().slice(from)).not.toMatch(/Connection from/);
  });
});

describe('probeHost over SSH: network failures', () => {
  it('reports TIMEOUT within connectTimeoutMs when the peer accepts TCP but never speaks SSH', async () => {
    const listener = await startSilentListener();
    try {
      const knownHostsPath = await sshd.writeKnownHosts([sshd.knownHostsLine()]);
      const started = Date.now();
      const result = await probeHost(sshTarget({ knownHostsPath, port: listener.port, connectTimeoutMs: 1_000 }));
      const elapsed = Date.now() - started;

      expect(result.status).toBe('TIMEOUT');
      expect(result.message).toContain(`127.0.0.1:${listener.port}`);
      expect(listener.connections()).toBe(1);
      expect(elapsed).toBeGreaterThanOrEqual(950);
      expect(elapsed).toBeLessThan(2_500);
    } finally {
      await listener.stop();
    }
  });

  it('reports UNREACHABLE, quickly, when the port is closed', async () => {
    const port = await closedPort();
    const knownHostsPath = await sshd.writeKnownHosts([sshd.knownHostsLine()]);
    const started = Date.now();
    const result = await probeHost(sshTarget({ knownHostsPath, port, connectTimeoutMs: 5_000 }));

    expect(result.status).toBe('UNREACHABLE');
    expect(result.message).toBe(`cannot reach 127.0.0.1:${port} (ECONNREFUSED)`);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('probeHost on the local machine', () => {
  it('returns OK with the same packages and OS as the SSH probe of this machine', async () => {
    const result = await probeHost({ id: 'self', transport: 'local' });
    expect(result.message).toBeNull();
    expect(result.status).toBe('OK');
    expect(result.packageManager).toBe('dpkg');
    expect(sorted(result.packages)).toEqual(expected);
    expect(result.os).toMatchObject({ id: osReleaseId(), kernel: release() });

    const knownHostsPath = await sshd.writeKnownHosts([sshd.knownHostsLine()]);
    const overSsh = await probeHost(sshTarget({ knownHostsPath }));
    expect(overSsh.os).toEqual(result.os);
  });
});

function fingerprintOf(publicKey: string): string {
  const path = `${sshd.clientKeyPath}.fingerprint-input.pub`;
  writeFileSync(path, `${publicKey}\n`);
  const listed = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', path], { encoding: 'utf8' });
  const fingerprint = /SHA256:[A-Za-z0-9+/]+/.exec(listed)?.[0];
  if (fingerprint === undefined) throw new Error(`ssh-keygen printed no fingerprint: ${listed}`);
  return fingerprint;
}
