/**
 * fleet: 1,000 simulated SSH hosts probed the way production probes them. Real: the in-process probe
 * scheduler (`createProbeScheduler`, no Redis) with its bounded concurrency, the probe pipeline
 * (`createProbePipeline`, MemoryFactStore, alert rules), `probeHostReport` over the ssh2 client with host
 * keys verified against a known_hosts file, the batch protocol and every parser. Simulated: the hosts,
 * an ssh2 server in a child process (lib/ssh-fleet-double.ts) answering from the Debian 12 captures
 * with a per-command delay.
 *
 * The scheduler's first round probes every host's facts and then its metrics (both are due at start),
 * so the run is 1,000 facts probes + 1,000 metrics probes; the wall time is from start until all 2,000
 * are done, and "hosts per second" counts hosts with both done.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { MemoryAlertLog } from '@vigil/lib/alerts/memory-alert-log';
import { AlertPublisher } from '@vigil/lib/alerts/publisher';
import { systemClock } from '@vigil/lib/clock';
import { createLogger } from '@vigil/lib/logger';
import { MemoryFactStore } from '@vigil/subgraph-hosts/facts/memory-fact-store';
import { FACT_TYPES, type ProbeReport } from '@vigil/subgraph-hosts/facts/types';
import { createProbePipeline, type ReportProbe } from '@vigil/subgraph-hosts/probe-pipeline';
import { createProbeScheduler } from '@vigil/subgraph-hosts/scheduling/probe-scheduler';
import { probeHostReport, probePlan } from '@vigil/subgraph-hosts/sources/probe/probe-report';
import { fleetHosts } from './lib/fleet-hosts.js';
import { int, mib, ms, round3, table } from './lib/format.js';
import type { Progress } from './lib/progress.js';
import { FleetDoubleProcess, type FleetDoubleFigures } from './lib/ssh-fleet-double.js';
import { summarize, type Summary } from './lib/stats.js';

export interface FleetOptions {
  hosts: number;
  /** The scheduler's concurrency: probes in flight at once. */
  concurrency: number;
  /** How long each simulated command takes on a host. */
  delayMsPerCommand: number;
  /** Gives up (and fails) after this long. */
  maxSeconds: number;
}

export interface FleetResult {
  name: 'fleet';
  options: FleetOptions;
  setup: {
    serverPid: number | undefined;
    port: number;
    knownHostsLines: number;
    factsCommandsPerBatch: number;
    metricsCommandsPerBatch: number;
    scheduler: string;
  };
  /** Start until the last host's facts probe returned. */
  factsDoneMs: number;
  /** Start until every host's facts and metrics were probed and stored (and firstRoundDone resolved). */
  wallMs: number;
  hostsPerSecond: number;
  facts: Summary;
  metrics: Summary;
  failures: { count: number; examples: string[] };
  rss: { baselineBytes: number; peakBytes: number; samples: number };
  cpu: { clientUserMs: number; clientSystemMs: number; server: FleetDoubleFigures };
  verified: string;
}

const USER_PREFIX = 'h';

/**
 * `register` is the runner's (lib/resources.ts): it receives the double's process so the runner can
 * kill it whatever happens; runFleet stops it itself when done.
 */
export async function runFleet(options: FleetOptions, log: Progress, register: (resource: { stop(): Promise<void>; kill(): void }) => void): Promise<FleetResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-fleet-'));
  let double: FleetDoubleProcess | null = null;
  try {
    // One ed25519 host key for the whole fleet, one client key every host authorises.
    const hostKey = ssh2.utils.generateKeyPairSync('ed25519');
    const clientKey = ssh2.utils.generateKeyPairSync('ed25519');
    const clientKeyPath = join(dir, 'id_ed25519');
    writeFileSync(clientKeyPath, clientKey.private, { mode: 0o600 });

    log(`starting the SSH fleet double (${options.hosts} hosts, ${options.delayMsPerCommand} ms per command) in a child process`);
    const launched = await FleetDoubleProcess.launch({
      hostKey: hostKey.private,
      clientPublicKey: clientKey.public,
      userPrefix: USER_PREFIX,
      hosts: options.hosts,
      delayMsPerCommand: options.delayMsPerCommand,
    });
    double = launched.double;
    register(double);
    const port = launched.port;

    // No faulty hosts: every host is the same [127.0.0.1]:port with the same key, and known_hosts has a
    // line per host, as a real fleet's file has. The scheduler gets the inventory alone, as in production.
    const hosts = fleetHosts({
      hosts: options.hosts,
      userPrefix: USER_PREFIX,
      faultShare: 0,
      ports: launched,
      hostPublicKey: hostKey.public,
      clientKeyPath,
      knownHostsPath: join(dir, 'known_hosts'),
      connectTimeoutMs: 30_000,
      commandTimeoutMs: 30_000,
    }).map(({ fault: _fault, ...host }) => host);
    const users = hosts.map((host) => host.id);

    const logger = createLogger('bench-fleet', { level: 'silent' });
    const store = new MemoryFactStore();
    const durations = { facts: [] as number[], metrics: [] as number[] };
    let roundStarted = Number.NaN;
    const failures: string[] = [];
    let done = 0;
    let factsDoneMs = Number.NaN;
    let allDone: () => void = () => undefined;
    const everyProbe = new Promise<void>((resolve) => (allDone = resolve));
    const probe: ReportProbe = async (target, probeOptions) => {
      const started = performance.now();
      const report = await probeHostReport(target, probeOptions);
      durations[probeOptions.kind].push(performance.now() - started);
      if (probeOptions.kind === 'facts' && durations.facts.length === options.hosts) factsDoneMs = performance.now() - roundStarted;
      const problem = problemOf(report);
      if (problem !== null) failures.push(`${target.id} ${probeOptions.kind}: ${problem}`);
      if (++done === 2 * options.hosts) allDone();
      return report;
    };
    const pipeline = createProbePipeline({
      hosts,
      store,
      publisher: new AlertPublisher(new MemoryAlertLog({ maxLength: 10_000 }), logger, systemClock),
      probe,
      sudo: new Set(),
      alertRules: { unreachableAfter: 3 },
      logger,
    });
    const scheduler = createProbeScheduler({
      hosts,
      probe: pipeline,
      logger,
      prefix: 'bench-fleet',
      concurrency: options.concurrency,
      // One round: the next runs are an hour away.
      factsIntervalMs: 3_600_000,
      metricsIntervalMs: 3_600_000,
    });

    const rss = { baselineBytes: process.memoryUsage().rss, peakBytes: 0, samples: 0 };
    const sample = () => {
      rss.peakBytes = Math.max(rss.peakBytes, process.memoryUsage().rss);
      rss.samples++;
    };
    const sampler = setInterval(sample, 100);
    const progressTimer = setInterval(() => log(`${durations.facts.length} facts + ${durations.metrics.length} metrics probes done`), 5_000);
    const cpuBefore = process.cpuUsage();
    roundStarted = performance.now();
    let wallMs = Number.NaN;
    let limitTimer: NodeJS.Timeout | undefined;
    try {
      log(`probing ${options.hosts} hosts through the in-process scheduler, concurrency ${options.concurrency}`);
      await scheduler.start();
      const limit = new Promise<never>((_, reject) => {
        limitTimer = setTimeout(() => reject(new Error(`not done within ${options.maxSeconds} s`)), options.maxSeconds * 1000);
      });
      // firstRoundDone: every host's run (facts, then metrics) finished, as the scheduler counts it.
      await Promise.race([Promise.all([scheduler.firstRoundDone(), everyProbe]), limit]);
    } finally {
      wallMs = performance.now() - roundStarted;
      clearTimeout(limitTimer);
      clearInterval(sampler);
      clearInterval(progressTimer);
      sample();
      await scheduler.stop();
    }
    const cpu = process.cpuUsage(cpuBefore);
    const server = await double.figures();

    const verified = await verify(store, users, server);
    log(`done: ${options.hosts} hosts in ${(wallMs / 1000).toFixed(1)} s; ${verified}`);
    return {
      name: 'fleet',
      options,
      setup: {
        serverPid: double.pid,
        port,
        knownHostsLines: users.length,
        factsCommandsPerBatch: probePlan(FACT_TYPES, new Set()).length,
        metricsCommandsPerBatch: probePlan(['metrics'], new Set()).length,
        scheduler: `createProbeScheduler (in-process), concurrency ${options.concurrency}; first round = facts then metrics per host`,
      },
      factsDoneMs,
      wallMs,
      hostsPerSecond: (options.hosts / wallMs) * 1000,
      facts: summarize(durations.facts),
      metrics: summarize(durations.metrics),
      failures: { count: failures.length, examples: failures.slice(0, 5) },
      rss,
      cpu: { clientUserMs: cpu.user / 1000, clientSystemMs: cpu.system / 1000, server },
      verified,
    };
  } finally {
    await double?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** null when the probe and every collector are OK: the simulated host has everything. */
function problemOf(report: ProbeReport): string | null {
  if (report.status !== 'OK') return `${report.status}: ${report.message ?? ''}`;
  const failed = Object.entries(report.collectors).filter(([, outcome]) => outcome.status !== 'OK');
  return failed.length === 0 ? null : failed.map(([name, outcome]) => `${name} ${outcome.status}: ${outcome.message ?? ''}`).join('; ');
}

/** Every host's facts and metrics landed in the store, and the double saw one batch per probe. */
async function verify(store: MemoryFactStore, users: readonly string[], server: FleetDoubleFigures): Promise<string> {
  const holders = await store.hostsWithPackage('openssh-client');
  const freshness = await store.getFreshness(users);
  const complete = freshness.filter((entry) => FACT_TYPES.every((type) => entry?.[type]?.lastSuccessAt) && entry?.metrics?.lastSuccessAt).length;
  const { stats } = server;
  const problems: string[] = [];
  if (holders.length !== users.length) problems.push(`${holders.length} hosts hold openssh-client, expected ${users.length}`);
  if (complete !== users.length) problems.push(`${complete} hosts have every fact and metrics, expected ${users.length}`);
  if (stats.batches !== 2 * users.length || stats.singleExecs !== 0) problems.push(`${stats.batches} batches and ${stats.singleExecs} single execs, expected ${2 * users.length} and 0`);
  if (stats.authenticated !== 2 * users.length || stats.authRejected !== 0) problems.push(`${stats.authenticated} authentications (${stats.authRejected} rejected)`);
  if (stats.protocolErrors !== 0) problems.push(`${stats.protocolErrors} script lines the double could not parse`);
  if (problems.length > 0) throw new Error(`fleet verification failed: ${problems.join('; ')}`);
  return (
    `all ${users.length} hosts have every fact type and a metrics snapshot in the store; ` +
    `the double served ${stats.batches} batches (${stats.commands} commands, ${stats.notFound} answered 127) over ${stats.connections} connections, ${stats.authenticated} verified key authentications`
  );
}

export function fleetTable(result: FleetResult): string {
  const { options, facts, metrics, cpu, rss } = result;
  const cpuSeconds = (value: number) => `${(value / 1000).toFixed(1)} s`;
  return [
    `fleet: ${int(options.hosts)} simulated SSH hosts (ssh2 server in a child process, ${options.delayMsPerCommand} ms per command), probed by the real scheduler (concurrency ${options.concurrency}), pipeline and ssh2 client`,
    '',
    table(
      ['measure', 'value'],
      [
        ['wall time, first round (facts + metrics of every host)', `${(result.wallMs / 1000).toFixed(2)} s`],
        ['of which until the last facts probe returned', `${(result.factsDoneMs / 1000).toFixed(2)} s`],
        ['hosts per second', result.hostsPerSecond.toFixed(1)],
        [`facts probe per host (${result.setup.factsCommandsPerBatch} commands, one exec), p50 / p99`, `${ms(facts.p50)} / ${ms(facts.p99)} ms`],
        [`metrics probe per host (${result.setup.metricsCommandsPerBatch} commands, one exec), p50 / p99`, `${ms(metrics.p50)} / ${ms(metrics.p99)} ms`],
        ['probes', `${int(facts.n)} facts + ${int(metrics.n)} metrics`],
        ['failures', int(result.failures.count)],
        ['peak RSS of the probing process (sampled every 100 ms)', `${mib(rss.peakBytes)} (${mib(rss.baselineBytes)} before)`],
        ['CPU, probing process (user + system)', `${cpuSeconds(cpu.clientUserMs)} + ${cpuSeconds(cpu.clientSystemMs)}`],
        ['CPU, SSH server double (user + system; peak RSS)', `${cpuSeconds(cpu.server.cpuUserMs)} + ${cpuSeconds(cpu.server.cpuSystemMs)}; ${mib(cpu.server.maxRssBytes)}`],
      ],
      ['l', 'r'],
    ),
    '',
    `verified: ${result.verified}`,
  ].join('\n');
}

export function fleetJson(result: FleetResult): unknown {
  const summary = (s: Summary) => ({ n: s.n, p50: round3(s.p50), p90: round3(s.p90), p99: round3(s.p99), max: round3(s.max), mean: round3(s.mean) });
  return {
    ...result,
    factsDoneMs: round3(result.factsDoneMs),
    wallMs: round3(result.wallMs),
    hostsPerSecond: round3(result.hostsPerSecond),
    facts: summary(result.facts),
    metrics: summary(result.metrics),
  };
}
