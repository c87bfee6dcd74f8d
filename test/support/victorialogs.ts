import { spawn } from 'node:child_process';
import { access, constants, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, retryOnPortClash } from './free-port.js';

export interface VictoriaLogsServer {
  /** Root of its HTTP API, e.g. `http://127.0.0.1:38211`. */
  url: string;
  /**
   * Makes every row ingested so far visible to queries. VictoriaLogs buffers ingested rows for up to a
   * second before they become searchable; `/internal/force_flush` ends that wait. Also fails if the server
   * silently dropped rows for their timestamps (outside the retention below): those would otherwise look
   * like a query bug.
   */
  flush(): Promise<void>;
  /** What the server logged so far (warnings and errors; the tail only). */
  logs(): string;
  /** Stops the server and removes its data directory. */
  stop(): Promise<void>;
  /** Stops the server and keeps its data: it is down (connections refused) until `start()`. */
  kill(): Promise<void>;
  /** Starts a killed server again on the same port with the same data. */
  start(): Promise<void>;
}

export const INSTALL_SCRIPT = 'test/support/install-victorialogs.sh';
const BINARY = fileURLToPath(new URL('../../.tools/bin/victoria-logs', import.meta.url));
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;
const MAX_LOG_CHARS = 16 * 1024;

/**
 * Starts a real VictoriaLogs (the pinned release built by test/support/install-victorialogs.sh) on a free
 * loopback port, with its data in a fresh temp directory.
 *
 * Dates: VictoriaLogs drops (with only a log line) rows older than now - retentionPeriod and newer than
 * now + futureRetention, by *its* clock. Both are set to 100 years (it accepts at most about that), so that the
 * fixtures' real 2018-2025 timestamps are stored whatever today's date is (until 2118), and so are
 * rows a test stamps from a clock shifted ahead (test/any-date: libfaketime does not reach this static
 * Go binary, so it keeps the real time). `flush()` turns a drop into a failure anyway.
 */
export function startVictoriaLogs(): Promise<VictoriaLogsServer> {
  return retryOnPortClash(async () => startOnce(await freePort()));
}

async function startOnce(port: number): Promise<VictoriaLogsServer> {
  try {
    await access(BINARY, constants.X_OK);
  } catch {
    throw new Error(`${BINARY} is missing: run ${INSTALL_SCRIPT} (builds the pinned VictoriaLogs with Go)`);
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'vigil-victorialogs-'));
  const launch = () => {
    const child = spawn(
      BINARY,
      [
        `-httpListenAddr=127.0.0.1:${String(port)}`,
        `-storageDataPath=${dataDir}`,
        '-retentionPeriod=100y',
        '-futureRetention=100y',
        '-loggerLevel=WARN',
        // Several test files may each run one on a small shared machine: caches stay small.
        '-memory.allowedBytes=256MiB',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-MAX_LOG_CHARS);
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return { child, exited };
  };
  let log = '';
  let running = launch();
  const url = `http://127.0.0.1:${String(port)}`;

  const kill = async (): Promise<void> => {
    const { child, exited } = running;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
  };
  const stop = async (): Promise<void> => {
    await kill();
    await rm(dataDir, { recursive: true, force: true });
  };

  try {
    await waitForHealth(url, dataDir, running.exited, () => log);
  } catch (error) {
    await stop();
    throw error;
  }

  let checkedDrops = 0;
  return {
    url,
    logs: () => log,
    stop,
    kill,
    async start() {
      running = launch();
      await waitForHealth(url, dataDir, running.exited, () => log);
    },
    async flush() {
      const response = await fetch(`${url}/internal/force_flush`);
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`VictoriaLogs /internal/force_flush answered HTTP ${String(response.status)}`);
      const dropped = await droppedForTimestamps(url);
      if (dropped > checkedDrops) {
        const newly = dropped - checkedDrops;
        checkedDrops = dropped;
        throw new Error(`VictoriaLogs dropped ${String(newly)} row(s) outside its retention (see its log): ${log.slice(-2000)}`);
      }
    },
  };
}

async function waitForHealth(url: string, dataDir: string, exited: Promise<void>, log: () => string): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    // A port clash makes it exit with "bind: address already in use", which retryOnPortClash recognises.
    if (gone) throw new Error(`victoria-logs exited at start: ${log()}`);
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
      const body = await response.text();
      // Another test's server may hold the port this one failed to bind: only ours has our data directory.
      if (response.ok && body.trim() === 'OK' && (await servesDataDir(url, dataDir))) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`victoria-logs did not answer /health within ${String(START_TIMEOUT_MS)} ms: ${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function servesDataDir(url: string, dataDir: string): Promise<boolean> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  return metrics.includes(`flag{name="storageDataPath", value=${JSON.stringify(dataDir)}`);
}

const DROPPED = /^vl_rows_dropped_total\{reason="too_(?:small|big)_timestamp"\} (\d+)$/gm;

async function droppedForTimestamps(url: string): Promise<number> {
  const response = await fetch(`${url}/metrics`);
  const text = await response.text();
  let total = 0;
  for (const match of text.matchAll(DROPPED)) total += Number(match[1]);
  return total;
}
