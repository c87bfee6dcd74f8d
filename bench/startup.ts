/**
 * startup: the one-process stack (`npm start`'s gateway/src/stack-main.ts) as a process of its own,
 * compiled ahead of time (build.ts: `node dist/stack.mjs`, what the image runs) against the same
 * sources run through tsx. Per start: the time from spawning the process to the gateway's first
 * /healthz 200 and /readyz 200 (every subgraph answering), then its resident memory after sitting
 * idle (no request) for a while, and the peak it reached.
 *
 * Each run gets fresh free ports (a config file, as a deployment would), logs at warn, NODE_ENV
 * production (as in the image), the in-memory store and the embedded local host probe (as
 * `npm start`). Rounds run the variants in turn; medians are quoted. RSS is the sum over the
 * process tree: the tsx CLI (`npm start`) keeps a parent process beside the one running Vigil.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDist, compiledEntry, ENTRY_POINTS, IMAGE_NODE_FLAGS } from '../build.js';
import { cleanEnv } from '../test/support/clean-env.js';
import { freePort } from '../test/support/free-port.js';
import { ms, round3, table } from './lib/format.js';
import type { Progress } from './lib/progress.js';
import type { BenchResource, Register } from './lib/resources.js';
import { summarize, type Summary } from './lib/stats.js';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const SERVICES = ['gateway', 'hosts', 'cluster', 'audit', 'compliance', 'alerts'] as const;

export interface StartupOptions {
  /** Starts of each variant. */
  rounds: number;
  /** Quiet time after /readyz before the idle RSS is read. */
  idleSeconds: number;
  /** A start that has not answered /readyz by then fails the benchmark. */
  startTimeoutSeconds: number;
}

interface Variant {
  name: string;
  /** The command as a deployment would write it (for the table). */
  command: string;
  argv: (tsxCli: string) => [string, string[]];
}

const VARIANTS: readonly Variant[] = [
  {
    name: 'compiled, image flags',
    command: `node ${IMAGE_NODE_FLAGS.join(' ')} ${compiledEntry('stack')}`,
    argv: () => [process.execPath, [...IMAGE_NODE_FLAGS, compiledEntry('stack')]],
  },
  { name: 'tsx loader, image flags', command: `node ${IMAGE_NODE_FLAGS.join(' ')} --import tsx ${ENTRY_POINTS.stack}`, argv: () => [process.execPath, [...IMAGE_NODE_FLAGS, '--import', 'tsx', ENTRY_POINTS.stack]] },
  { name: 'compiled, Node defaults', command: `node ${compiledEntry('stack')}`, argv: () => [process.execPath, [compiledEntry('stack')]] },
  { name: 'tsx loader, Node defaults', command: `node --import tsx ${ENTRY_POINTS.stack}`, argv: () => [process.execPath, ['--import', 'tsx', ENTRY_POINTS.stack]] },
  { name: 'tsx CLI (npm start)', command: `tsx ${ENTRY_POINTS.stack}`, argv: (tsxCli) => [process.execPath, [tsxCli, ENTRY_POINTS.stack]] },
];

interface RunFigures {
  round: number;
  healthzMs: number;
  readyzMs: number;
  idleRssBytes: number;
  peakRssBytes: number;
  processes: number;
}

export interface VariantResult {
  name: string;
  command: string;
  runs: RunFigures[];
  healthzMs: Summary;
  readyzMs: Summary;
  idleRssMiB: Summary;
  peakRssMiB: Summary;
}

export interface StartupResult {
  options: StartupOptions;
  variants: VariantResult[];
  bundleBytes: number;
}

/** The pid and every descendant (Linux /proc). */
function processTree(pid: number): number[] {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    const current = pids[i] ?? 0;
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${current}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      try {
        const children = readFileSync(`/proc/${current}/task/${task}/children`, 'utf8').trim();
        if (children) pids.push(...children.split(/\s+/).map(Number));
      } catch {
        // gone since the listing
      }
    }
  }
  return pids;
}

/** VmRSS and VmHWM in bytes, from /proc/<pid>/status. */
function memoryOf(pid: number): { rss: number; hwm: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

async function untilOk(url: string, started: number, deadline: number, child: ChildProcess, output: () => string): Promise<number> {
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the stack exited before ${url} answered 200:\n${output()}`);
    try {
      const response = await fetch(url);
      await response.body?.cancel();
      if (response.status === 200) return performance.now() - started;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) throw new Error(`${url} did not answer 200 in time:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(killer);
}

async function startOnce(variant: Variant, round: number, options: StartupOptions, dir: string, tsxCli: string, register: Register): Promise<RunFigures> {
  const ports = Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await freePort()] as const))) as Record<(typeof SERVICES)[number], number>;
  const config = join(dir, `startup-${ports.gateway}.yaml`);
  writeFileSync(
    config,
    [
      'log: { level: warn }',
      `gateway: { port: ${ports.gateway}, host: 127.0.0.1 }`,
      `hosts: { port: ${ports.hosts}, local: { id: startup-bench } }`,
      ...SERVICES.filter((s) => s !== 'gateway' && s !== 'hosts').map((s) => `${s}: { port: ${ports[s]} }`),
      '',
    ].join('\n'),
  );
  const [command, args] = variant.argv(tsxCli);
  const started = performance.now();
  const child = spawn(command, args, { cwd: REPO_ROOT, env: cleanEnv({ VIGIL_CONFIG: config, NODE_ENV: 'production' }), stdio: ['ignore', 'pipe', 'pipe'] });
  const resource: BenchResource = { stop: () => stopChild(child), kill: () => void child.kill('SIGKILL') };
  register(resource);
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  try {
    const deadline = started + options.startTimeoutSeconds * 1000;
    const healthzMs = await untilOk(`http://127.0.0.1:${ports.gateway}/healthz`, started, deadline, child, () => output);
    const readyzMs = await untilOk(`http://127.0.0.1:${ports.gateway}/readyz`, started, deadline, child, () => output);
    await new Promise((resolve) => setTimeout(resolve, options.idleSeconds * 1000));
    const pids = child.pid === undefined ? [] : processTree(child.pid);
    const memory = pids.map(memoryOf);
    return {
      round,
      healthzMs,
      readyzMs,
      idleRssBytes: memory.reduce((sum, m) => sum + m.rss, 0),
      peakRssBytes: memory.reduce((sum, m) => sum + m.hwm, 0),
      processes: pids.length,
    };
  } finally {
    await stopChild(child);
  }
}

const MIB = 2 ** 20;

export async function runStartup(options: StartupOptions, progress: Progress, register: Register): Promise<StartupResult> {
  progress('building dist/ (build.ts)');
  const built = await buildDist();
  const tsxCli = fileURLToPath(import.meta.resolve('tsx/cli'));
  const dir = mkdtempSync(join(tmpdir(), 'vigil-startup-'));
  const runs = new Map<string, RunFigures[]>(VARIANTS.map((v) => [v.name, []]));
  try {
    for (let round = 1; round <= options.rounds; round++) {
      // Rotated per round, so no variant always runs right after the same one.
      const order = VARIANTS.map((_, i) => VARIANTS[(i + round - 1) % VARIANTS.length]).filter((v): v is Variant => v !== undefined);
      for (const variant of order) {
        const figures = await startOnce(variant, round, options, dir, tsxCli, register);
        runs.get(variant.name)?.push(figures);
        progress(`round ${round}/${options.rounds} ${variant.name}: /healthz ${ms(figures.healthzMs)} ms, idle ${(figures.idleRssBytes / MIB).toFixed(0)} MiB`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    options,
    bundleBytes: built.sizes.stack,
    variants: VARIANTS.map((v) => {
      const r = runs.get(v.name) ?? [];
      return {
        name: v.name,
        command: v.command,
        runs: r,
        healthzMs: summarize(r.map((f) => f.healthzMs)),
        readyzMs: summarize(r.map((f) => f.readyzMs)),
        idleRssMiB: summarize(r.map((f) => f.idleRssBytes / MIB)),
        peakRssMiB: summarize(r.map((f) => f.peakRssBytes / MIB)),
      };
    }),
  };
}

export function startupTable(result: StartupResult): string {
  const span = (s: Summary, digits: number) => `${s.p50.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
  return [
    `startup: one-process stack, ${result.options.rounds} starts per variant, idle RSS read ${result.options.idleSeconds} s after /readyz; median (min–max)`,
    table(
      ['variant', 'command', 'start → /healthz ms', 'start → /readyz ms', 'idle RSS MiB', 'peak RSS MiB'],
      result.variants.map((v) => [v.name, `\`${v.command}\``, span(v.healthzMs, 0), span(v.readyzMs, 0), span(v.idleRssMiB, 0), span(v.peakRssMiB, 0)]),
      ['l', 'l', 'r', 'r', 'r', 'r'],
    ),
  ].join('\n');
}

export function startupJson(result: StartupResult): unknown {
  const summary = (s: Summary) => ({ p50: round3(s.p50), min: round3(s.min), max: round3(s.max) });
  return {
    options: result.options,
    stackBundleBytes: result.bundleBytes,
    variants: result.variants.map((v) => ({
      name: v.name,
      command: v.command,
      healthzMs: summary(v.healthzMs),
      readyzMs: summary(v.readyzMs),
      idleRssMiB: summary(v.idleRssMiB),
      peakRssMiB: summary(v.peakRssMiB),
      runs: v.runs.map((r) => ({ ...r, healthzMs: round3(r.healthzMs), readyzMs: round3(r.readyzMs) })),
    })),
  };
}
