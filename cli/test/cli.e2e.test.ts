import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '@vigil/lib/clock';
import { createLogger } from '@vigil/lib/logger';
import { startStack, type RunningStack } from '../../gateway/src/stack.js';
import { vigilConfig } from '../../gateway/src/stack-config.js';
import { freePort } from '../../test/support/free-port.js';
import { startSshd, type SshdInstance } from '../../test/support/sshd.js';
import { startCuttableProxy, type CuttableProxy } from './cuttable-proxy.js';

// The `vigil` command run as a user runs it (a child process, its own environment) against a real
// production-mode stack: API keys, roles and tenants enforced, a real sshd behind the probes.

const BIN = fileURLToPath(new URL('../bin/vigil.mjs', import.meta.url));
const ADMIN_KEY = `admin-${randomBytes(12).toString('hex')}`;
const VIEWER_KEY = `viewer-${randomBytes(12).toString('hex')}`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A clean environment: nothing of the developer's own VIGIL_* or config file leaks in. The shifted
 * clock of `npm run test:any-date` (libfaketime) is kept, so the CLI and the stack agree on "now"
 * (a silence's expiry is computed by the CLI).
 */
function cliEnv(extra: Record<string, string>, home: string): NodeJS.ProcessEnv {
  const clock = Object.fromEntries(Object.entries(process.env).filter(([key]) => key === 'LD_PRELOAD' || key.startsWith('FAKETIME')));
  return { ...clock, PATH: process.env['PATH'] ?? '', HOME: home, XDG_CONFIG_HOME: join(home, '.config'), ...extra };
}

function run(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: timeoutMs }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

describe('the vigil CLI against a production stack', () => {
  let stack: RunningStack;
  let sshd: SshdInstance;
  let proxy: CuttableProxy;
  const home = mkdtempSync(join(tmpdir(), 'vigil-cli-home-'));
  const tmp = mkdtempSync(join(tmpdir(), 'vigil-cli-'));
  let admin: NodeJS.ProcessEnv;
  let viewer: NodeJS.ProcessEnv;
  let anonymous: NodeJS.ProcessEnv;

  beforeAll(async () => {
    sshd = await startSshd();
    const knownHostsPath = await sshd.writeKnownHosts([sshd.knownHostsLine()]);
    const closed = await freePort();
    const config = vigilConfig.parse({
      env: 'production',
      log: { level: 'silent' },
      signing: { secret: randomBytes(32).toString('hex') },
      gateway: {
        auth: {
          apiKeys: [
            { name: 'oncall', sha256: sha256(ADMIN_KEY), roles: ['admin'] },
            { name: 'dashboard', sha256: sha256(VIEWER_KEY), roles: ['viewer'] },
          ],
        },
      },
      hosts: {
        local: { id: 'cli-local', labels: { role: 'vigil' } },
        inventory: [
          { id: 'ssh-host', address: '127.0.0.1', port: sshd.port, user: sshd.user, privateKeyPath: sshd.clientKeyPath, knownHostsPath, labels: { env: 'test' } },
          { id: 'gone-host', address: '127.0.0.1', port: closed, user: sshd.user, privateKeyPath: sshd.clientKeyPath, knownHostsPath, labels: { env: 'test' } },
        ],
        probe: { connectTimeoutMs: 1_000 },
      },
      cluster: { falco: { token: randomBytes(16).toString('hex') }, audit: { token: randomBytes(16).toString('hex') } },
    });
    stack = await startStack({ config, logger: createLogger('test', { level: 'silent' }), signingSecret: config.signing.secret ?? '', ports: 'ephemeral', clock: systemClock });
    proxy = await startCuttableProxy(Number(new URL(stack.gateway.url).port));
    const url = proxy.url('/graphql');
    admin = cliEnv({ VIGIL_URL: url, VIGIL_API_KEY: ADMIN_KEY }, home);
    viewer = cliEnv({ VIGIL_URL: url, VIGIL_API_KEY: VIEWER_KEY }, home);
    anonymous = cliEnv({ VIGIL_URL: url }, home);
  }, 60_000);

  afterAll(async () => {
    await proxy?.close();
    await stack?.stop();
    await sshd?.stop();
    rmSync(home, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  });

  it('has --help for the program and every command, needing no set-up', async () => {
    const root = await run(['--help'], cliEnv({}, home));
    expect(root.code).toBe(0);
    const commandSection = root.stdout.slice(root.stdout.indexOf('Commands:'), root.stdout.indexOf('Credentials'));
    const commands = [...commandSection.matchAll(/^ {2}(\w+) /gm)].map((m) => m[1]).filter((c) => c !== 'help');
    expect(commands).toEqual(['alerts', 'hosts', 'host', 'probe', 'controls']);
    for (const command of commands) {
      const help = await run([command as string, '--help'], cliEnv({}, home));
      expect(help.code, command).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: vigil ${command} `));
      expect(help.stdout).toContain('Examples:');
    }
    for (const sub of ['ack', 'resolve', 'silence']) {
      const help = await run(['alerts', sub, '--help'], cliEnv({}, home));
      expect(help.code, sub).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: vigil alerts ${sub} `));
      expect(help.stdout).toContain('Example:');
    }
  });

  it('probes every host, shows progress per host and a summary by reason, and exits 1 for the failure', async () => {
    // Right after the start no host has finished a probe yet, so this waits for real probes.
    const result = await run(['probe', '--all', '--timeout', '2m'], admin, 150_000);
    expect(result.stderr).toMatch(/vigil: ssh-host: OK/);
    expect(result.stderr).toMatch(/vigil: gone-host: UNREACHABLE \(cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\)\)/);
    expect(result.stdout).toContain('probed 3 of 3: 2 ok, 1 failed');
    expect(result.stdout).toMatch(/^ {2}UNREACHABLE: 1 \(gone-host\)$/m);
    expect(result.code).toBe(1);
  }, 180_000);

  it('refuses a probe to a viewer, naming the role, and an unknown host id', async () => {
    const refused = await run(['probe', 'ssh-host'], viewer);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^vigil: the gateway refused: .*admin.*\[FORBIDDEN\]/m);
    const unknown = await run(['probe', 'nope'], admin);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no host you may see has id "nope"');
  });

  it('lists hosts and asks the fleet for a package in a version range', async () => {
    const hosts = await run(['hosts'], viewer);
    expect(hosts.code, hosts.stderr).toBe(0);
    const lines = hosts.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^HOST\s+PROBE\s+LAST SUCCESS\s+MESSAGE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0]).sort()).toEqual(['cli-local', 'gone-host', 'ssh-host']);

    const older = await run(['--json', 'hosts', '--package', 'bash', '--lt', '999:0'], viewer);
    expect(older.code, older.stderr).toBe(0);
    const rows = older.stdout.trim().split('\n').map((l) => JSON.parse(l) as { host: { id: string }; package: { name: string } });
    expect(rows.map((r) => r.host.id).sort()).toEqual(['cli-local', 'ssh-host']);
    expect(rows.every((r) => r.package.name === 'bash')).toBe(true);

    const none = await run(['hosts', '--package', 'bash', '--lt', '0:0'], viewer);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('no host you may see has bash in that version range');
  });

  it("shows a host's changes and names an unknown host or a bad --since", async () => {
    const changes = await run(['--json', 'host', 'cli-local', 'changes', '--since', '30d', '--type', 'PACKAGES'], viewer);
    expect(changes.code, changes.stderr).toBe(0);
    for (const line of changes.stdout.trim().split('\n').filter(Boolean)) expect(JSON.parse(line)).toMatchObject({ type: 'PACKAGES' });
    if (changes.stdout.trim() === '') expect(changes.stderr).toMatch(/no changes on cli-local since /);

    const unknown = await run(['host', 'nope', 'changes'], viewer);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no host you may see has id "nope"');
    const badSince = await run(['host', 'cli-local', 'changes', '--since', 'last tuesday'], viewer);
    expect(badSince.code).toBe(1);
    expect(badSince.stderr).toContain(`option '--since <when>' argument 'last tuesday' is invalid`);
  });

  it('lists alerts; without a credential says how to give one', async () => {
    const raised = await stack.publisher.raise({ source: 'HOSTS', severity: 'HIGH', title: 'cli list test', subject: { type: 'Host', hostId: 'ssh-host', displayName: 'ssh-host', hostLabels: { env: 'test' } } });
    const listed = await run(['alerts', '--severity', 'HIGH', '--limit', '5'], viewer);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`HIGH\\s+HOSTS\\s+ssh-host  cli list test  ${raised.id}$`, 'm'));

    const refused = await run(['alerts'], anonymous);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/UNAUTHENTICATED/);
    expect(refused.stderr).toContain('no credential: set VIGIL_TOKEN or VIGIL_API_KEY');
    expect(refused.stderr).not.toContain(ADMIN_KEY);
  });

  it('acknowledges, resolves and silences as the caller, and refuses a viewer, an unknown id and a matcher-less silence', async () => {
    const raised = await stack.publisher.raise({ source: 'CLUSTER', severity: 'HIGH', title: 'cli ack test', rule: 'cli-rule' });
    const refused = await run(['alerts', 'ack', raised.id], viewer);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/analyst.*\[FORBIDDEN\]/);

    const acked = await run(['alerts', 'ack', raised.id, '-m', 'on it'], admin);
    expect(acked.code, acked.stderr).toBe(0);
    expect(acked.stdout).toMatch(new RegExp(`^acknowledged ${raised.id} \\(cli ack test\\) as apikey:oncall at \\S+$`, 'm'));
    const resolved = await run(['--json', 'alerts', 'resolve', raised.id], admin);
    expect(resolved.code, resolved.stderr).toBe(0);
    expect(JSON.parse(resolved.stdout)).toMatchObject({ id: raised.id, status: 'RESOLVED', resolved: { by: 'apikey:oncall' } });

    const unknown = await run(['alerts', 'ack', '1-0'], admin);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/NOT_FOUND/);

    const silenced = await run(['--json', 'alerts', 'silence', '--rule', 'cli-rule', '--label', 'team=x', '--for', '2h', '-m', 'maintenance'], admin);
    expect(silenced.code, silenced.stderr).toBe(0);
    const silence = JSON.parse(silenced.stdout) as { createdBy: string; active: boolean; expiresAt: string };
    expect(silence).toMatchObject({ createdBy: 'apikey:oncall', active: true });
    expect(Date.parse(silence.expiresAt) - Date.now()).toBeGreaterThan(7_000_000);
    const bare = await run(['alerts', 'silence', '--for', '2h', '-m', 'x'], admin);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toContain('a silence needs at least one matcher');
  });

  it('lists controls of a framework by its short name, filters by status, and names an unknown framework', async () => {
    const evaluated = await run(['--json', 'controls', '--framework', 'nist'], viewer);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const controls = evaluated.stdout.trim().split('\n').map((l) => JSON.parse(l) as { framework: string; id: string; status: string });
    expect(controls.length).toBeGreaterThan(5);
    expect(new Set(controls.map((c) => c.framework))).toEqual(new Set(['NIST_800_53']));
    expect(controls.map((c) => c.id)).toContain('CM-8');

    const failing = await run(['controls', '--framework', 'NIST_800_53', '--status', 'FAIL'], viewer);
    expect(failing.code, failing.stderr).toBe(0);
    for (const line of failing.stdout.trim().split('\n').slice(1).filter(Boolean)) expect(line).toMatch(/^NIST_800_53\s+\S+\s+FAIL\s/);

    const unknown = await run(['controls', '--framework', 'SOC2'], viewer);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('--framework "SOC2" is not a framework: one of CIS, NIST');
  });

  it('exports a framework as OSCAL JSON to stdout and as CSV to a file, and names a scope the gateway refuses', async () => {
    const oscal = await run(['controls', 'export', '--framework', 'nist', '--format', 'oscal-json'], viewer);
    expect(oscal.code, oscal.stderr).toBe(0);
    const document = JSON.parse(oscal.stdout) as { 'assessment-results': { metadata: { 'oscal-version': string }; results: { findings?: unknown[] }[] } };
    expect(document['assessment-results'].metadata['oscal-version']).toBe('1.0.6');
    expect(oscal.stderr).toMatch(/vigil: \d+ results of \d+ controls/);
    const file = join(tmp, 'cis.csv');
    const csv = await run(['controls', 'export', '--framework', 'CIS', '--format', 'csv', '--output', file], viewer);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout).toBe('');
    expect(readFileSync(file, 'utf8').split('\r\n')[0]).toMatch(/^framework,control_id,control_title,/);
    const unknown = await run(['controls', 'export', '--framework', 'nist', '--format', 'csv', '--cluster', 'nowhere'], viewer);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('scope.cluster: no compliance result visible to you is about cluster "nowhere"');
  });

  it('follows alerts across dropped connections, resuming after the last one shown: none missed, none twice', async () => {
    const raise = (title: string) => stack.publisher.raise({ source: 'AUDIT', severity: 'MEDIUM', title });
    // Start after a marker: what is raised from here on is replayed or streamed, whenever the subscription lands.
    const marker = await raise('follow 0');
    const child = spawn(process.execPath, [BIN, '--json', 'alerts', '--follow', '--source', 'AUDIT', '--after', marker.id], { env: viewer });
    const seen: string[] = [];
    const notes: string[] = [];
    const waiters: (() => void)[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => {
      seen.push((JSON.parse(line) as { title: string }).title);
      waiters.splice(0).forEach((w) => w());
    });
    createInterface({ input: child.stderr }).on('line', (line) => notes.push(line));
    const waitFor = async (count: number) => {
      const deadline = Date.now() + 30_000;
      while (seen.length < count) {
        if (Date.now() > deadline) throw new Error(`saw ${seen.length} of ${count} alerts; notes: ${notes.join(' | ')}`);
        await new Promise<void>((resolve) => (waiters.push(resolve), setTimeout(resolve, 200)));
      }
    };
    try {
      await raise('follow 1');
      await raise('follow 2');
      await waitFor(2);

      // A drop, and alerts raised while the CLI is away (new connections refused for a second).
      proxy.cut(1_000);
      await raise('follow 3');
      await raise('follow 4');
      await waitFor(4);
      await raise('follow 5');
      await waitFor(5);
      // Twice more, quickly: each reconnect resubscribes after the last alert shown, not the first `after`.
      proxy.cut();
      await raise('follow 6');
      await waitFor(6);
      await new Promise((r) => setTimeout(r, 500));
      expect(seen).toEqual(['follow 1', 'follow 2', 'follow 3', 'follow 4', 'follow 5', 'follow 6']);
      expect(notes.some((n) => /resubscribing after \d+-\d+ in /.test(n))).toBe(true);
    } finally {
      child.kill('SIGINT');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    expect(child.exitCode).toBe(0);
  }, 90_000);

  it('reads the credential from a config file only when no one else can read it', async () => {
    const path = join(tmp, 'cli.json');
    writeFileSync(path, JSON.stringify({ url: proxy.url('/graphql'), apiKey: VIEWER_KEY }));
    chmodSync(path, 0o644);
    const open = await run(['alerts', '--limit', '1'], cliEnv({ VIGIL_CLI_CONFIG: path }, home));
    expect(open.code).toBe(1);
    expect(open.stderr).toContain(`${path} is readable by other users and may hold a credential: chmod 600 ${path}`);
    chmodSync(path, 0o600);
    const ok = await run(['alerts', '--limit', '1'], cliEnv({ VIGIL_CLI_CONFIG: path }, home));
    expect(ok.code, ok.stderr).toBe(0);
    const both = await run(['alerts'], cliEnv({ VIGIL_URL: proxy.url('/graphql'), VIGIL_TOKEN: 'x', VIGIL_API_KEY: 'y' }, home));
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('both VIGIL_TOKEN and VIGIL_API_KEY are set: set one');
  });
});
