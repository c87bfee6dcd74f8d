import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv } from '../../../test/support/clean-env.js';
import { freePort } from '../../../test/support/free-port.js';
import { alertsConfig } from '../src/config.js';

// A route naming an output that is not configured is a bad config entry: the alerts service exits 1
// at start naming the key, before it serves or delivers anything.

const root = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vigil-routing-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('routing config', () => {
  it('names every route whose output is unknown, and checks outputs by type', () => {
    const result = alertsConfig.safeParse({
      outputs: { am: { type: 'alertmanager', url: 'http://am:9093' }, hook: { type: 'webhook', url: 'https://hooks.example/x', secret: 'short' } },
      routes: [{ output: 'am' }, { output: 'pagerduty', filter: { minSeverity: 'HIGH' } }],
    });
    expect(result.success).toBe(false);
    const issues = result.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) ?? [];
    expect(issues).toContain('routes.1.output: unknown output "pagerduty" (configured: am, hook)');
    expect(issues).toContain('outputs.hook.secret: must be at least 32 characters');
    expect(alertsConfig.parse({ outputs: { am: { type: 'alertmanager', url: 'http://am:9093' } }, routes: [{ output: 'am' }] }).delivery).toMatchObject({ maxAttempts: 10, consumer: `${hostname().replace(/[^A-Za-z0-9_.-]/g, '-')}-${process.pid}` });
  });

  it('the alerts service exits 1 at start naming alerts.routes.0.output', async () => {
    const file = join(dir, 'vigil.yaml');
    writeFileSync(file, `alerts:\n  port: ${await freePort()}\n  outputs:\n    am: { type: alertmanager, url: "http://127.0.0.1:9093" }\n  routes:\n    - output: slack\n`);
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'subgraphs/alerts/src/index.ts'], { cwd: root, env: cleanEnv({ VIGIL_CONFIG: file }), stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
      child.once('error', reject);
      child.once('close', (exitCode) => resolve({ code: exitCode, stderr: err }));
    });
    expect(code).toBe(1);
    expect(stderr).toContain('alerts.routes.0.output');
    expect(stderr).toContain('unknown output "slack"');
  });
});
