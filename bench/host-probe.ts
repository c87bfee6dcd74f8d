/**
 * host-probe: wall time of one full probe of a host — `probeHostReport(target, { kind: 'facts' })`
 * and the metrics probe — against a REAL OpenSSH sshd on a loopback port (test/support/sshd.ts),
 * and the same through the `local` transport (no SSH) for comparison. The target logs in as the
 * user running the benchmark, so the probe sees this machine.
 *
 * Runs in the runner's process: there is no stack, the probe is the code under test and sshd is a
 * process of its own. Each round runs the four variants once, in an order rotated per round.
 */
import { startSshd } from '../test/support/sshd.js';
import type { CollectorName, ProbeReport } from '@vigil/subgraph-hosts/facts/types';
import { openRunner, probeHostReport } from '@vigil/subgraph-hosts/sources/probe/probe-report';
import type { CommandRunner } from '@vigil/subgraph-hosts/sources/probe/transport';
import type { HostTarget } from '@vigil/subgraph-hosts/sources/probe/types';
import { ms, round3, table } from './lib/format.js';
import type { Progress } from './lib/progress.js';
import { serverResource, type Register } from './lib/resources.js';
import { summarize, type Summary } from './lib/stats.js';

export interface HostProbeOptions {
  /** Measured probes per variant. */
  probes: number;
  /** Probes per variant before measuring (excluded). */
  warmups: number;
  /** Measured rounds stop once this much time has passed (fewer probes are then reported). */
  maxSeconds: number;
}

/** OpenWatch's per-host budget, and the issue's aim. */
const BUDGET_MS = 16_000;
const AIM_MS = 1_000;

type Transport = 'ssh' | 'local';
type Kind = 'facts' | 'metrics';
interface Variant {
  transport: Transport;
  kind: Kind;
}
const VARIANTS: readonly Variant[] = [
  { transport: 'ssh', kind: 'facts' },
  { transport: 'local', kind: 'facts' },
  { transport: 'ssh', kind: 'metrics' },
  { transport: 'local', kind: 'metrics' },
];
const variantName = (v: Variant) => `${v.transport} ${v.kind}`;

export interface VariantFigures {
  transport: Transport;
  kind: Kind;
  wall: Summary;
  /** ssh: TCP + SSH handshake + authentication (openRunner), part of the wall time. */
  connect: Summary | null;
  /** Probes whose connection status was not OK. */
  failedProbes: number;
}

export interface CollectorRow {
  collector: CollectorName;
  ssh: string;
  local: string;
}

export interface CommandTiming {
  command: string;
  ms: number;
}

export interface HostProbeResult {
  name: 'host-probe';
  options: HostProbeOptions;
  sshd: { port: number; user: string };
  variants: VariantFigures[];
  rounds: number;
  collectors: CollectorRow[];
  /** One extra instrumented facts probe per transport: each runner call's own time (queueing excluded). */
  commands: Record<Transport, { count: number; sumMs: number; slowest: CommandTiming[] }>;
}

interface Timed {
  report: ProbeReport;
  wallMs: number;
  connectMs: number;
}

async function timedProbe(target: HostTarget, kind: Kind, onRunner?: (runner: CommandRunner) => void): Promise<Timed> {
  let connectMs = Number.NaN;
  const t0 = performance.now();
  const report = await probeHostReport(target, {
    kind,
    // The default connection (openRunner), timed; the runner itself is passed on untouched.
    connect: async (t) => {
      const c0 = performance.now();
      const runner = await openRunner(t);
      connectMs = performance.now() - c0;
      onRunner?.(runner);
      return runner;
    },
  });
  return { report, wallMs: performance.now() - t0, connectMs };
}

export async function runHostProbe(options: HostProbeOptions, log: Progress, register: Register): Promise<HostProbeResult> {
  log('starting sshd on a free loopback port');
  const sshd = await startSshd();
  const sshdResource = serverResource(sshd);
  register(sshdResource);
  try {
    const knownHostsPath = await sshd.writeKnownHosts([sshd.knownHostsLine()]);
    const targets: Record<Transport, HostTarget> = {
      ssh: {
        id: 'bench-ssh',
        transport: 'ssh',
        address: sshd.host,
        port: sshd.port,
        user: sshd.user,
        privateKeyPath: sshd.clientKeyPath,
        knownHostsPath,
        connectTimeoutMs: 10_000,
        commandTimeoutMs: 30_000,
      },
      local: { id: 'bench-local', transport: 'local' },
    };
    log(`sshd on 127.0.0.1:${sshd.port} (user ${sshd.user}); warm-up: ${options.warmups} probe(s) of each variant (excluded)`);
    for (let i = 0; i < options.warmups; i++) {
      for (const v of VARIANTS) {
        const { report, wallMs } = await timedProbe(targets[v.transport], v.kind);
        if (report.status !== 'OK') throw new Error(`${variantName(v)} warm-up probe failed: ${report.status} ${report.message ?? ''}`);
        log(`warm-up ${variantName(v)}: ${ms(wallMs)} ms`);
      }
    }

    const samples = new Map<string, { wall: number[]; connect: number[]; failed: number }>(VARIANTS.map((v) => [variantName(v), { wall: [], connect: [], failed: 0 }]));
    const firstFacts = new Map<Transport, ProbeReport>();
    const deadline = performance.now() + options.maxSeconds * 1000;
    let rounds = 0;
    for (let r = 0; r < options.probes && performance.now() < deadline; r++) {
      const order = VARIANTS.map((_, i) => VARIANTS[(i + r) % VARIANTS.length]).filter((v): v is Variant => v !== undefined);
      const line: string[] = [];
      for (const v of order) {
        const { report, wallMs, connectMs } = await timedProbe(targets[v.transport], v.kind);
        const sample = samples.get(variantName(v));
        if (!sample) continue;
        sample.wall.push(wallMs);
        if (v.transport === 'ssh') sample.connect.push(connectMs);
        if (report.status !== 'OK') sample.failed += 1;
        if (v.kind === 'facts' && !firstFacts.has(v.transport)) firstFacts.set(v.transport, report);
        line.push(`${variantName(v)} ${ms(wallMs)}`);
      }
      rounds += 1;
      log(`round ${rounds}/${options.probes}: ${line.join(', ')} ms`);
    }
    if (rounds < options.probes) log(`stopped after ${rounds} rounds: the ${options.maxSeconds} s cap was reached`);

    const commands = {} as HostProbeResult['commands'];
    for (const transport of ['ssh', 'local'] as const) {
      const timings: CommandTiming[] = [];
      await timedProbe(targets[transport], 'facts', (runner) => instrument(runner, timings));
      const sorted = [...timings].sort((a, b) => b.ms - a.ms);
      commands[transport] = { count: timings.length, sumMs: timings.reduce((sum, t) => sum + t.ms, 0), slowest: sorted.slice(0, 5) };
    }

    return {
      name: 'host-probe',
      options,
      sshd: { port: sshd.port, user: sshd.user },
      rounds,
      variants: VARIANTS.map((v) => {
        const sample = samples.get(variantName(v)) ?? { wall: [], connect: [], failed: 0 };
        return { transport: v.transport, kind: v.kind, wall: summarize(sample.wall), connect: v.transport === 'ssh' ? summarize(sample.connect) : null, failedProbes: sample.failed };
      }),
      collectors: collectorRows(firstFacts.get('ssh'), firstFacts.get('local')),
      commands,
    };
  } finally {
    await sshdResource.stop();
  }
}

/**
 * Times every call the probe makes on its runner (run, and a batch method where the runner has one),
 * by replacing the runner's own methods with timed ones; close is left alone. Generic over the
 * runner's methods, so it keeps working whichever way the transport groups commands.
 */
function instrument(runner: CommandRunner, timings: CommandTiming[]): void {
  const methods = runner as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(methods), 'run', 'runBatch'])) {
    const method = methods[key];
    if (key === 'close' || typeof method !== 'function') continue;
    const original = method as (...args: unknown[]) => Promise<unknown>;
    methods[key] = async (...args: unknown[]) => {
      const t0 = performance.now();
      try {
        return await original.apply(runner, args);
      } finally {
        timings.push({ command: callLabel(key, args), ms: performance.now() - t0 });
      }
    };
  }
}

/** `dpkgPackages`, `sudo nftRuleset`, or `runBatch(25 commands)`. */
function callLabel(method: string, args: readonly unknown[]): string {
  const [first, second] = args;
  if (method === 'run' && typeof first === 'string') {
    const sudo = typeof second === 'object' && second !== null && 'sudo' in second && second.sudo === true;
    return `${sudo ? 'sudo ' : ''}${first}`;
  }
  return Array.isArray(first) ? `${method}(${first.length} commands)` : method;
}

function collectorRows(ssh: ProbeReport | undefined, local: ProbeReport | undefined): CollectorRow[] {
  const names = new Set<CollectorName>([...Object.keys(ssh?.collectors ?? {}), ...Object.keys(local?.collectors ?? {})] as CollectorName[]);
  return [...names].map((collector) => {
    const overSsh = outcomeText(ssh, collector);
    const overLocal = outcomeText(local, collector);
    return { collector, ssh: overSsh, local: overLocal === overSsh ? 'same' : overLocal };
  });
}

/** `OK (712 items)`, or the status and why. */
function outcomeText(report: ProbeReport | undefined, collector: CollectorName): string {
  const outcome = report?.collectors[collector];
  if (!report || !outcome) return '–';
  if (outcome.status !== 'OK') return `${outcome.status}: ${shorten((outcome.message ?? '').replace(/\s+/g, ' '), 80)}`;
  if (collector === 'metrics') return 'OK';
  const items = report.facts[collector]?.length ?? 0;
  return `OK (${items} item${items === 1 ? '' : 's'})`;
}

function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.lastIndexOf(' ', max - 1);
  return `${text.slice(0, cut > max / 2 ? cut : max - 1)}…`;
}

export function hostProbeTables(result: HostProbeResult): string {
  const wall = table(
    ['probe', 'p50 ms', 'p90 ms', 'min ms', 'max ms', 'ssh connect p50 ms', 'probes'],
    result.variants.map((v) => [
      `${v.kind} over ${v.transport === 'ssh' ? 'SSH (real sshd, loopback)' : 'local transport'}`,
      ms(v.wall.p50),
      ms(v.wall.p90),
      ms(v.wall.min),
      ms(v.wall.max),
      v.connect ? ms(v.connect.p50) : '–',
      `${v.wall.n}${v.failedProbes ? ` (${v.failedProbes} failed)` : ''}`,
    ]),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
  const sshFacts = result.variants.find((v) => v.transport === 'ssh' && v.kind === 'facts');
  const p90 = sshFacts?.wall.p90 ?? Number.NaN;
  const budget = p90 < BUDGET_MS ? `${(BUDGET_MS / p90).toFixed(0)}x inside OpenWatch's ${BUDGET_MS / 1000} s per-host budget` : `OVER OpenWatch's ${BUDGET_MS / 1000} s per-host budget`;
  const verdict = `full SSH facts probe p50 ${ms(sshFacts?.wall.p50 ?? Number.NaN)} ms, p90 ${ms(p90)} ms: ${p90 < AIM_MS ? 'under' : 'OVER'} the ${AIM_MS} ms aim; ${budget}`;
  const collectors = table(
    ['collector (first measured facts probe)', 'ssh', 'local'],
    result.collectors.map((row) => [row.collector, row.ssh, row.local]),
    ['l', 'l', 'l'],
  );
  const commandLine = (transport: Transport) => {
    const c = result.commands[transport];
    return `${transport}: ${c.count} runner call${c.count === 1 ? '' : 's'}, ${ms(c.sumMs)} ms summed; slowest ${c.slowest.map((t) => `${t.command} ${ms(t.ms)}`).join(', ')} ms`;
  };
  return [
    `host-probe: probeHostReport wall time, ${result.rounds} rounds after ${result.options.warmups} warm-up(s) (variants rotated per round); sshd user ${result.sshd.user}`,
    wall,
    verdict,
    '',
    collectors,
    `runner calls (one more instrumented facts probe per transport; each call's own time, queueing excluded; calls overlap, so the sum can exceed the wall time):`,
    commandLine('ssh'),
    commandLine('local'),
  ].join('\n');
}

export function hostProbeJson(result: HostProbeResult): unknown {
  return JSON.parse(JSON.stringify(result, (_key, value: unknown) => (typeof value === 'number' ? round3(value) : value))) as unknown;
}
