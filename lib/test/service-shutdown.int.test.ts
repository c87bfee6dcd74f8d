import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv } from '../../test/support/clean-env.js';
import { freePort } from '../../test/support/free-port.js';

// A subgraph service drains on SIGTERM and exits 0. Apollo Server's own termination handler used to
// stop the server first, and the service's stop() then waited on a barrier Apollo never resolves: the
// drain hung, and only ended (exit 0) when nothing else kept the event loop alive. Here something does
// (a ref'd interval, as any Redis client, poller or open socket is), so a hung drain shows as the
// 10 s force-exit, code 1.

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vigil-shutdown-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const keepAlive = join(dir, 'keep-alive.mjs');
writeFileSync(keepAlive, 'setInterval(() => {}, 1000);\n');

describe('a subgraph service on SIGTERM', () => {
  it('drains and exits 0 while something keeps the event loop alive', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', keepAlive, 'subgraphs/audit/src/index.ts'], {
      cwd: root,
      env: cleanEnv({ VIGIL_PORT: String(port), VIGIL_SIGNING_SECRET: randomBytes(32).toString('hex'), VIGIL_LOG_FORMAT: 'json' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const listening = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('subgraph listening')) resolve();
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`exited ${String(code)} before listening:\n${output}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await listening;
      child.kill('SIGTERM');
      const code = await exited;
      expect(output).not.toContain('drain took longer');
      expect(code).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 90_000);
});
