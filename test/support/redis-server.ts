import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { freePort, retryOnPortClash, waitForPort } from './free-port.js';

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
export function startRedisServer(): Promise<RedisServer> {
  return retryOnPortClash(async () => startOnce(await freePort()));
}

async function startOnce(port: number): Promise<RedisServer> {
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${stderr}`))),
  );
  exited.catch(() => undefined);
  await Promise.race([waitForPort(port), exited]);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    uniquePrefix: () => `test-${randomUUID().slice(0, 8)}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
