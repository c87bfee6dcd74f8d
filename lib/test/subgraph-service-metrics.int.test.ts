import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv } from '../../test/support/clean-env.js';
import { freePort } from '../../test/support/free-port.js';

// A subgraph as its own service (lib/src/subgraph-main.ts, the per-service layout), the real entry
// point: its /metrics, with its own process metrics and behind the gateway's metrics token.

const root = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = 'per-service-metrics-token-0123';
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
});

function start(env: Record<string, string>): { child: ChildProcess; exit: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'subgraphs/cluster/src/index.ts'], { cwd: root, env: cleanEnv({ VIGIL_LOG_LEVEL: 'warn', ...env }), stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) => child.once('close', (code) => resolve({ code, stderr })));
  return { child, exit };
}

async function waitForHttp(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

describe('a subgraph service\'s /metrics', () => {
  it('asks for VIGIL_METRICS_TOKEN and exposes process metrics prefixed with the service', async () => {
    const port = await freePort();
    const { child } = start({ VIGIL_PORT: String(port), VIGIL_METRICS_TOKEN: TOKEN });
    const url = `http://127.0.0.1:${port}/metrics`;
    await waitForHttp(url);
    expect((await fetch(url)).status).toBe(401);
    const allowed = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(allowed.status).toBe(200);
    const text = await allowed.text();
    expect(text).toMatch(/^vigil_cluster_process_cpu_user_seconds_total /m);
    expect(text).toContain('vigil_intake_events_total{source="falco",outcome="accepted"} 0');
    child.kill('SIGTERM');
  }, 60_000);

  it('a metrics token too short exits 1 naming the key', async () => {
    const { exit } = start({ VIGIL_PORT: String(await freePort()), VIGIL_METRICS_TOKEN: 'short' });
    const { code, stderr } = await exit;
    expect(code).toBe(1);
    expect(stderr).toContain('gateway.auth.metricsToken (or env VIGIL_METRICS_TOKEN)');
  }, 60_000);
});
