import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { terminate } from './child-process.js';
import { freePort, retryOnPortClash } from './free-port.js';

export const PROMETHEUS_BINARY = '/usr/bin/prometheus';

export interface PrometheusServer {
  url: string;
  /** An instant query through the HTTP API: its JSON answer as Prometheus gave it. */
  query(expr: string): Promise<PromQueryAnswer>;
  stop(): Promise<void>;
}

export interface PromQueryAnswer {
  status: 'success' | 'error';
  error?: string;
  errorType?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

/**
 * A real Prometheus (the Debian package) on a free loopback port with a temporary TSDB, scraping
 * `targets` (host:port, path /metrics) every second as job "vigil". Removed on stop.
 */
export function startPrometheus(options: { targets: string[]; scrapeIntervalSeconds?: number; ruleFiles?: string[] }): Promise<PrometheusServer> {
  return retryOnPortClash(async () => startOnce(await freePort(), options));
}

async function startOnce(port: number, options: { targets: string[]; scrapeIntervalSeconds?: number; ruleFiles?: string[] }): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-prometheus-'));
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval },
    rule_files: options.ruleFiles ?? [],
    scrape_configs: [{ job_name: 'vigil', static_configs: [{ targets: options.targets }] }],
  };
  // JSON is YAML: no YAML writer needed for the config.
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config));
  const child: ChildProcess = spawn(
    PROMETHEUS_BINARY,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`prometheus exited (${code}): ${stderr}`))));
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
    query: async (expr) => (await (await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr })}`)).json()) as PromQueryAnswer,
    stop,
  };
}

async function waitReady(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`prometheus at ${url} not ready within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
