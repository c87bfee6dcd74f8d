import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, retryOnPortClash, waitForPort } from './free-port.js';
import { ScriptSlotMonitor } from './redis-cluster-check.js';

export interface RedisServer {
  url: string;
  port: number;
  /** A key prefix no other test uses, so tests can share one server. */
  uniquePrefix(): string;
  stop(): Promise<void>;
}

/**
 * Starts a real redis-server (the Debian package) on a free loopback port, with persistence off:
 * tests need the real protocol and semantics (streams, blocking reads, Lua), not durability on disk.
 */
export function startRedisServer(options: { cluster?: boolean } = {}): Promise<RedisServer> {
  return retryOnPortClash(async () => startOnce(await freePort(), options.cluster ?? clusterMode));
}

/**
 * VIGIL_TEST_REDIS=cluster (`npm run test:redis-cluster`): every server is a one-node Redis Cluster,
 * so a multi-key command or transaction across slots fails the test that sent it, and stop()
 * rejects naming each Lua script call that reached keys of several slots (redis-cluster-check.ts).
 */
const clusterMode = process.env['VIGIL_TEST_REDIS'] === 'cluster';

async function startOnce(port: number, cluster: boolean): Promise<RedisServer> {
  const clusterDir = cluster ? mkdtempSync(join(tmpdir(), 'vigil-redis-cluster-')) : null;
  const clusterArgs = clusterDir ? ['--cluster-enabled', 'yes', '--cluster-config-file', join(clusterDir, 'nodes.conf'), '--dir', clusterDir] : [];
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning', ...clusterArgs],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${stderr}`))),
  );
  exited.catch(() => undefined);
  await Promise.race([waitForPort(port), exited]);
  const url = `redis://127.0.0.1:${port}`;
  let scripts: ScriptSlotMonitor | null = null;
  if (clusterDir) {
    await ScriptSlotMonitor.claimAllSlots(url);
    scripts = await ScriptSlotMonitor.start(url);
  }
  return {
    url,
    port,
    uniquePrefix: () => `test-${randomUUID().slice(0, 8)}`,
    stop: async () => {
      const violations = (await scripts?.stop()) ?? [];
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
      if (clusterDir) rmSync(clusterDir, { recursive: true, force: true });
      if (violations.length > 0) throw new Error(`Lua scripts reached keys in several slots (not allowed on Redis Cluster):\n${[...new Set(violations)].join('\n')}`);
    },
  };
}
