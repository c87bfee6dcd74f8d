import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test/support/free-port.js';
import { cleanEnv } from '../../test/support/clean-env.js';

// The real entry point, `npm start` (gateway/src/stack-main.ts), given a malformed config: it must
// exit 1 listing every problem on stderr, before anything listens (CONVENTIONS §8).

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vigil-config-exit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


function runToExit(env: NodeJS.ProcessEnv): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // Node 24 loads tsx as an ESM loader hook with --import.
    const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/src/stack-main.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** True when this process can bind the port, i.e. nothing else holds it. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

describe('stack-main with a malformed config', () => {
  it('exits 1, names every bad key on stderr, and never listens', async () => {
    const [gatewayPort, hostsPort] = [await freePort(), await freePort()];
    const secret = 'not-long-enough-secret';
    const file = join(dir, 'vigil.yaml');
    writeFileSync(
      file,
      `
env: production
colour: blue
gateway:
  port: ${gatewayPort}
  host: 127.0.0.1
  timeout: 30
hosts:
  port: ${hostsPort}
  inventory:
    - { id: web-1, address: 10.0.0.1, user: probe }
cluster:
  retentionDays: forever
audit:
  victoriaLogs:
    url: ftp://logs
alerts:
  port: 99999
signing:
  secret: ${secret}
`,
    );

    const { code, signal, stdout, stderr } = await runToExit(cleanEnv({ VIGIL_CONFIG: file }));

    expect(signal).toBeNull();
    expect(code, stderr).toBe(1);
    expect(stderr).toContain('Invalid configuration');
    for (const path of ['colour', 'gateway.timeout', 'hosts.inventory.0', 'cluster.retentionDays', 'audit.victoriaLogs.url', 'alerts.port', 'signing.secret']) {
      expect(stderr, path).toMatch(new RegExp(`^  - ${path.replaceAll('.', '\\.')}\\b`, 'm'));
    }
    expect(stderr).not.toContain(secret);
    // Config is read before the logger exists: nothing was logged, so nothing started.
    expect(stdout).toBe('');
    expect(await canBind(gatewayPort)).toBe(true);
    expect(await canBind(hostsPort)).toBe(true);
  });

  it('an unreadable VIGIL_CONFIG exits 1 naming the path', async () => {
    const missing = join(dir, 'does-not-exist.yaml');
    const { code, stderr } = await runToExit(cleanEnv({ VIGIL_CONFIG: missing }));
    expect(code).toBe(1);
    expect(stderr).toContain(`cannot read ${missing}`);
  });

  it('a port the Fetch standard blocks, or a bad VIGIL_BASE_PORT, exits 1 naming the setting', async () => {
    const blocked = await runToExit(cleanEnv({ VIGIL_GATEWAY_PORT: '6000' }));
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toMatch(/gateway\.port \(or env VIGIL_GATEWAY_PORT\): port 6000 is blocked by the Fetch standard/);
    const base = await runToExit(cleanEnv({ VIGIL_BASE_PORT: '65533' }));
    expect(base.code).toBe(1);
    expect(base.stderr).toMatch(/VIGIL_BASE_PORT: expected a port from 1 to 65530/);
  });
});

describe('stack-main when a port is taken', () => {
  it('exits 1 with one line naming the setting, not a stack trace', async () => {
    const holder = createServer();
    const port = await new Promise<number>((resolve) => holder.listen(0, '127.0.0.1', () => resolve((holder.address() as { port: number }).port)));
    try {
      const file = join(dir, 'clash.yaml');
      writeFileSync(file, `gateway:\n  host: 127.0.0.1\n  port: ${port}\nhosts:\n  local:\n    enabled: false\n  port: ${await freePort()}\ncluster:\n  port: ${await freePort()}\naudit:\n  port: ${await freePort()}\ncompliance:\n  port: ${await freePort()}\nalerts:\n  port: ${await freePort()}\n`);
      const { code, stderr } = await runToExit(cleanEnv({ VIGIL_CONFIG: file, VIGIL_LOG_FORMAT: 'json' }));
      expect(code, stderr).toBe(1);
      expect(stderr).toContain(`vigil: gateway.port (or env VIGIL_GATEWAY_PORT): 127.0.0.1:${port} is already in use by another process`);
      expect(stderr).not.toMatch(/^\s+at /m);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  }, 60_000);
});
