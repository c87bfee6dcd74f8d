import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { terminate } from './child-process.js';
import { freePort, retryOnPortClash } from './free-port.js';

export const ALERTMANAGER_BINARY = '/usr/bin/prometheus-alertmanager';

/** An alert as Alertmanager's API v2 answers GET /api/v2/alerts (the fields tests look at). */
export interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
  status: { state: 'active' | 'suppressed' | 'unprocessed'; silencedBy: string[]; inhibitedBy: string[] };
  fingerprint: string;
}

export interface AlertmanagerServer {
  url: string;
  /** GET /api/v2/alerts; `active: false` etc. pass through as query parameters. */
  alerts(params?: Record<string, string>): Promise<GettableAlert[]>;
  stop(): Promise<void>;
}

/**
 * A real Alertmanager (Debian package prometheus-alertmanager) on a free loopback port, storage in a
 * temporary directory, clustering off (`--cluster.listen-address=` empty: no gossip port, no peers).
 * One receiver that sends nowhere: tests read what arrived through the API.
 */
export function startAlertmanager(): Promise<AlertmanagerServer> {
  return retryOnPortClash(async () => startOnce(await freePort()));
}

async function startOnce(port: number): Promise<AlertmanagerServer> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-alertmanager-'));
  const configFile = join(dir, 'alertmanager.yml');
  writeFileSync(configFile, ['route:', '  receiver: blackhole', '  group_wait: 1s', 'receivers:', '  - name: blackhole', ''].join('\n'));
  const child: ChildProcess = spawn(
    ALERTMANAGER_BINARY,
    [`--config.file=${configFile}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`alertmanager exited (${code}): ${stderr}`))));
  exited.catch(() => undefined);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await terminate(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.race([waitReady(url), exited]);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    alerts: async (params = {}) => {
      const response = await fetch(`${url}/api/v2/alerts?${new URLSearchParams(params).toString()}`);
      if (!response.ok) throw new Error(`alertmanager GET /api/v2/alerts: HTTP ${response.status}`);
      return (await response.json()) as GettableAlert[];
    },
    stop,
  };
}

async function waitReady(url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(`${url}/-/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`alertmanager at ${url} not ready within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
