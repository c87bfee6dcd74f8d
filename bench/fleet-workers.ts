/**
 * fleet, scaling rows: the fleet probe with 1, 2 and 4 worker processes sharing one Redis, and the
 * same fleet with a share of faulty hosts. Real: redis-server, the BullMQ probe scheduler in each
 * worker process (lib/fleet-worker.ts; one job per host, so the workers together probe each host
 * once), the probe pipeline, the Redis fact store, `probeHostReport` over the ssh2 client with host
 * keys verified against a known_hosts file of a line per host. Simulated: the hosts (one ssh2 server
 * child process, lib/ssh-fleet-double.ts, answering from the Debian 12 captures).
 *
 * The machine has 2 cores, so the simulated hosts' work is mostly WAITING: each command takes
 * `delayMsPerCommand` (a facts probe runs ~30 commands, so it is mostly that delay), which leaves the
 * CPU (SSH handshakes, parsing, fact-store writes) well below the cores at 1 worker. Worker scaling
 * then measures the scheduler and worker design (slots, Redis coordination), not the CPU; once the
 * cores are busy (4 workers here) the figures are a CPU bound, not the design's.
 *
 * A row is one round: every host's facts probe, then its metrics probe if the facts probe connected
 * (the scheduler's first run of a host). A host is done when its run ended; "healthy probed/s" counts
 * healthy hosts done over the time until the last of them was. Faulty hosts (fleetFault: every 20th
 * at 5 %, the four kinds in turn) must each end with their own reason; the slow banner is longer than
 * the probe's handshake timeout (so it is a TIMEOUT, not just slow).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { createLogger } from '@vigil/lib/logger';
import { createRedis } from '@vigil/lib/redis';
import { RedisFactStore } from '@vigil/subgraph-hosts/facts/redis-fact-store';
import { startRedisServer } from '../test/support/redis-server.js';
import { fleetHosts, type FleetHost } from './lib/fleet-hosts.js';
import { FleetWorkerProcess, type ProbeOutcome } from './lib/fleet-worker.js';
import { int, mib, ms, round3, table } from './lib/format.js';
import type { Progress } from './lib/progress.js';
import { serverResource, type Register } from './lib/resources.js';
import { FAULT_KINDS, FleetDoubleProcess, type FleetFault } from './lib/ssh-fleet-double.js';
import { summarize, type Summary } from './lib/stats.js';

export interface FleetWorkersOptions {
  hosts: number;
  /** BullMQ Worker concurrency per worker process. */
  concurrencyPerWorker: number;
  delayMsPerCommand: number;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  /** The slow-banner hosts' banner delay; above connectTimeoutMs makes them time out. */
  slowBannerMs: number;
  rows: { workers: number; faultShare: number }[];
  /** Each row's deadline: the round must end within it. */
  maxSecondsPerRow: number;
}

/** What each fault must end as: the report's reason, as lib/fleet-worker.ts reasonOf writes it. */
const EXPECTED_REASON: Record<FleetFault, RegExp> = {
  'hang-after-auth': /^TIMEOUT: .*hangs after authentication/,
  'drop-mid-command': /^partial \(\w+ FAILED\): .*the host dropped the connection mid-command/,
  'slow-banner': /^TIMEOUT: SSH handshake with .* did not complete within/,
  'changed-host-key': /^HOST_KEY_MISMATCH: .*the host key changed or the connection is intercepted/,
};

export interface FleetWorkersRow {
  workers: number;
  faultShare: number;
  hosts: number;
  healthy: number;
  healthyDone: number;
  /** Start until the last healthy host's run ended. */
  healthyDoneMs: number;
  healthyPerSecond: number;
  /** Start until every host's run ended, faulty ones included. */
  wallMs: number;
  deadlineMet: boolean;
  /** Per fault kind: hosts, and how many ended with the expected reason. */
  faults: Record<FleetFault, { hosts: number; asExpected: number; example: string | null }>;
  /** Faulty hosts that ended otherwise than their kind should (another reason, or not done). */
  unexpected: { count: number; examples: string[] };
  /**
   * Healthy hosts that did not end clean (not done, or a command past its timeout on an overloaded
   * machine): shown, not fatal, as the figures still hold for the others.
   */
  healthyFailed: { count: number; examples: string[] };
  /** Healthy hosts' facts probe durations: against the simulated command time, what load adds. */
  healthyFacts: Summary;
  /** Probes of one host and kind by more than one run (must be 0: one job per host). */
  duplicates: number;
  /** Reasons the fact store holds for the faulty hosts, checked against the outcomes. */
  storeAgrees: boolean;
  cpu: { workersUserMs: number; workersSystemMs: number; doubleMs: number; workerPeakRssBytes: number };
}

export interface FleetWorkersResult {
  name: 'fleet-workers';
  options: FleetWorkersOptions;
  rows: FleetWorkersRow[];
}

export async function runFleetWorkers(options: FleetWorkersOptions, log: Progress, register: Register): Promise<FleetWorkersResult> {
  const rows: FleetWorkersRow[] = [];
  for (const row of options.rows) rows.push(await runRow(options, row, log, register));
  return { name: 'fleet-workers', options, rows };
}

async function runRow(options: FleetWorkersOptions, row: { workers: number; faultShare: number }, log: Progress, register: Register): Promise<FleetWorkersRow> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-fleet-workers-'));
  const redisServer = await startRedisServer();
  const redisResource = serverResource(redisServer);
  register(redisResource);
  let double: FleetDoubleProcess | null = null;
  const workers: FleetWorkerProcess[] = [];
  try {
    const hostKey = ssh2.utils.generateKeyPairSync('ed25519');
    const otherHostKey = ssh2.utils.generateKeyPairSync('ed25519');
    const clientKey = ssh2.utils.generateKeyPairSync('ed25519');
    const clientKeyPath = join(dir, 'id_ed25519');
    writeFileSync(clientKeyPath, clientKey.private, { mode: 0o600 });
    const launched = await FleetDoubleProcess.launch({
      hostKey: hostKey.private,
      changedHostKey: otherHostKey.private,
      clientPublicKey: clientKey.public,
      userPrefix: 'h',
      hosts: options.hosts,
      delayMsPerCommand: options.delayMsPerCommand,
      faultShare: row.faultShare,
      slowBannerMs: options.slowBannerMs,
    });
    double = launched.double;
    register(double);
    const hosts = fleetHosts({
      hosts: options.hosts,
      userPrefix: 'h',
      faultShare: row.faultShare,
      ports: launched,
      hostPublicKey: hostKey.public,
      clientKeyPath,
      knownHostsPath: join(dir, 'known_hosts'),
      connectTimeoutMs: options.connectTimeoutMs,
      commandTimeoutMs: options.commandTimeoutMs,
    });
    const healthy = hosts.filter((host) => host.fault === null).length;
    const byId = new Map(hosts.map((host) => [host.id, host]));

    // A host's run ended: its facts probe failed (no metrics probe follows), or its metrics probe ended.
    const outcomes: ProbeOutcome[] = [];
    const ended = new Map<string, number>();
    const seen = new Set<string>();
    let duplicates = 0;
    let allEnded: () => void = () => undefined;
    const everyHost = new Promise<void>((resolve) => (allEnded = resolve));
    const onOutcomes = (batch: ProbeOutcome[]) => {
      for (const outcome of batch) {
        // The round is over for this host; a later run (none within an hour) is not part of it.
        if (ended.has(outcome.hostId)) continue;
        outcomes.push(outcome);
        const key = `${outcome.hostId} ${outcome.kind}`;
        if (seen.has(key)) duplicates++;
        seen.add(key);
        if (outcome.kind === 'metrics' || !outcome.ok) ended.set(outcome.hostId, outcome.at);
      }
      if (ended.size === hosts.length) allEnded();
    };

    const queuePrefix = 'bench:hosts';
    const factsPrefix = 'bench:hosts:facts:';
    const inventory = hosts.map(({ fault: _fault, ...host }) => host);
    log(`${row.workers} worker process(es) × concurrency ${options.concurrencyPerWorker}, ${options.hosts} hosts, ${(row.faultShare * 100).toFixed(0)}% faulty`);
    for (let i = 0; i < row.workers; i++) {
      const worker = await FleetWorkerProcess.launch({ redisUrl: redisServer.url, queuePrefix, factsPrefix, hosts: inventory, concurrency: options.concurrencyPerWorker }, onOutcomes);
      workers.push(worker);
      register({ stop: async () => worker.kill(), kill: () => worker.kill() });
    }

    const startedAt = Date.now();
    const progress = setInterval(() => log(`${ended.size}/${hosts.length} hosts done after ${((Date.now() - startedAt) / 1000).toFixed(0)} s`), 10_000);
    let deadlineMet = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.all(workers.map((worker) => worker.start()));
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          deadlineMet = false;
          resolve();
        }, options.maxSecondsPerRow * 1000);
      });
      await Promise.race([everyHost, deadline]);
    } finally {
      clearTimeout(timer);
      clearInterval(progress);
    }
    const endedAt = Date.now();
    const stopped = await Promise.all(workers.map((worker) => worker.stop()));
    const server = await double.figures();

    let healthyDone = 0;
    let healthyDoneAt = startedAt;
    const faults = Object.fromEntries(FAULT_KINDS.map((kind) => [kind, { hosts: 0, asExpected: 0, example: null as string | null }])) as FleetWorkersRow['faults'];
    const unexpected: string[] = [];
    const healthyFailed: string[] = [];
    const reasonOfHost = new Map<string, string | null>();
    for (const outcome of outcomes) {
      // The facts probe's reason, unless it was clean (then the metrics probe's).
      if (!reasonOfHost.has(outcome.hostId) || reasonOfHost.get(outcome.hostId) === null) reasonOfHost.set(outcome.hostId, outcome.reason);
    }
    for (const host of hosts) {
      const at = ended.get(host.id);
      const reason = reasonOfHost.get(host.id) ?? null;
      if (host.fault === null) {
        if (at !== undefined && reason === null) {
          healthyDone++;
          healthyDoneAt = Math.max(healthyDoneAt, at);
        } else healthyFailed.push(`${host.id} (healthy): ${at === undefined ? 'not done' : reason}`);
        continue;
      }
      const entry = faults[host.fault];
      entry.hosts++;
      if (at !== undefined && reason !== null && EXPECTED_REASON[host.fault].test(reason)) {
        entry.asExpected++;
        entry.example ??= reason;
      } else unexpected.push(`${host.id} (${host.fault}): ${at === undefined ? 'not done' : (reason ?? 'no failure reported')}`);
    }
    const storeAgrees = await checkStore(redisServer.url, factsPrefix, hosts, reasonOfHost);
    const wallMs = (ended.size === hosts.length ? Math.max(...ended.values()) : endedAt) - startedAt;
    const healthyDoneMs = healthyDoneAt - startedAt;
    const result: FleetWorkersRow = {
      workers: row.workers,
      faultShare: row.faultShare,
      hosts: hosts.length,
      healthy,
      healthyDone,
      healthyDoneMs,
      healthyPerSecond: healthyDoneMs > 0 ? (healthyDone / healthyDoneMs) * 1000 : 0,
      wallMs,
      deadlineMet,
      faults,
      unexpected: { count: unexpected.length, examples: unexpected.slice(0, 5) },
      healthyFailed: { count: healthyFailed.length, examples: healthyFailed.slice(0, 5) },
      duplicates,
      healthyFacts: summarize(outcomes.filter((outcome) => outcome.kind === 'facts' && byId.get(outcome.hostId)?.fault === null).map((outcome) => outcome.ms)),
      storeAgrees,
      cpu: {
        workersUserMs: stopped.reduce((sum, s) => sum + s.cpuUserMs, 0),
        workersSystemMs: stopped.reduce((sum, s) => sum + s.cpuSystemMs, 0),
        doubleMs: server.cpuUserMs + server.cpuSystemMs,
        workerPeakRssBytes: Math.max(...stopped.map((s) => s.maxRssBytes)),
      },
    };
    log(
      `${row.workers} worker(s): ${healthyDone}/${healthy} healthy hosts in ${(healthyDoneMs / 1000).toFixed(1)} s (${result.healthyPerSecond.toFixed(1)}/s), ` +
        `${unexpected.length} faulty hosts with another reason, ${healthyFailed.length} healthy failed, deadline ${deadlineMet ? 'met' : 'MISSED'}`,
    );
    return result;
  } finally {
    for (const worker of workers) worker.kill();
    await double?.stop();
    await redisResource.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The production fact store must say the same as the outcomes: each faulty host's last attempt and reason. */
async function checkStore(url: string, prefix: string, hosts: readonly FleetHost[], reasons: ReadonlyMap<string, string | null>): Promise<boolean> {
  const redis = createRedis(url, createLogger('bench-fleet', { level: 'silent' }), 'bench');
  try {
    const store = new RedisFactStore(redis, prefix);
    const faulty = hosts.filter((host) => host.fault !== null && host.fault !== 'drop-mid-command');
    const states = await store.getProbeStates(faulty.map((host) => host.id));
    return faulty.every((host, i) => {
      const attempt = states[i]?.lastAttempt;
      return attempt !== undefined && reasons.get(host.id) === `${attempt.status}: ${attempt.message ?? ''}`;
    });
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

export function fleetWorkersTable(result: FleetWorkersResult): string {
  const { options, rows } = result;
  const clean = new Map(rows.filter((row) => row.faultShare === 0).map((row) => [row.workers, row]));
  const one = clean.get(1);
  const shortKind: Record<FleetFault, string> = { 'hang-after-auth': 'hang', 'drop-mid-command': 'drop', 'slow-banner': 'banner', 'changed-host-key': 'key' };
  const body = rows.map((row) => {
    const same = clean.get(row.workers);
    const faulty = FAULT_KINDS.filter((kind) => row.faults[kind].hosts > 0)
      .map((kind) => `${shortKind[kind]} ${row.faults[kind].asExpected}/${row.faults[kind].hosts}`)
      .join(', ');
    const versus =
      row.faultShare === 0
        ? one && one !== row
          ? `${(row.healthyPerSecond / one.healthyPerSecond).toFixed(2)}× vs 1 worker`
          : '1.00×'
        : same
          ? `${(row.healthyPerSecond / same.healthyPerSecond).toFixed(2)}× of no-fault (goal ≥ ${(1 - row.faultShare).toFixed(2)})`
          : 'n/a';
    return [
      String(row.workers),
      `${int(row.hosts)}${row.faultShare > 0 ? ` (${(row.faultShare * 100).toFixed(0)}% faulty)` : ''}`,
      `${int(row.healthyDone)}/${int(row.healthy)}`,
      row.healthyPerSecond.toFixed(1),
      faulty === '' ? '–' : faulty,
      versus,
      `${(row.wallMs / 1000).toFixed(1)} s`,
      `${row.deadlineMet ? 'yes' : 'NO'} (${options.maxSecondsPerRow} s)`,
      `${ms(row.healthyFacts.p50)} / ${ms(row.healthyFacts.p99)} ms`,
      `${((row.cpu.workersUserMs + row.cpu.workersSystemMs) / 1000).toFixed(0)} + ${(row.cpu.doubleMs / 1000).toFixed(0)} s`,
    ];
  });
  const problems = rows.flatMap((row) => [
    ...row.unexpected.examples.map((example) => `${row.workers} worker(s): unexpected ${example}`),
    ...row.healthyFailed.examples.map((example) => `${row.workers} worker(s): ${example}`),
    ...(row.duplicates > 0 ? [`${row.workers} worker(s): ${row.duplicates} probes ran twice`] : []),
    ...(row.storeAgrees ? [] : [`${row.workers} worker(s): the fact store's last attempts differ from the probe outcomes`]),
  ]);
  const examples = FAULT_KINDS.map((kind) => rows.find((row) => row.faults[kind].example !== null)?.faults[kind].example)
    .filter((example): example is string => example !== undefined && example !== null)
    .map((example) => `  ${example}`);
  return [
    `fleet, worker processes on one Redis: ${int(options.hosts)} simulated SSH hosts, ${options.delayMsPerCommand} ms per command (mostly waiting: 2 cores), BullMQ concurrency ${options.concurrencyPerWorker} per worker, ` +
      `connect/command timeouts ${options.connectTimeoutMs}/${options.commandTimeoutMs} ms, slow banner ${options.slowBannerMs} ms (beyond the handshake timeout)`,
    '',
    table(
      ['workers', 'hosts', 'healthy done', 'healthy probed/s', 'faulty hosts ended with their reason', 'speed-up', 'wall time', 'deadline met', 'facts probe p50 / p99', 'CPU workers + double'],
      body,
      ['r', 'r', 'r', 'r', 'l', 'l', 'r', 'l', 'r', 'r'],
    ),
    '',
    `faulty hosts' reasons, one of each kind:`,
    ...examples,
    problems.length === 0
      ? 'verified: every healthy host probed once (facts and metrics), no probe ran twice across workers, the fact store agrees with the reported reasons'
      : `PROBLEMS:\n${problems.join('\n')}`,
  ].join('\n');
}

export function fleetWorkersJson(result: FleetWorkersResult): unknown {
  return {
    ...result,
    rows: result.rows.map((row) => ({
      ...row,
      healthyFacts: { n: row.healthyFacts.n, p50: round3(row.healthyFacts.p50), p99: round3(row.healthyFacts.p99), max: round3(row.healthyFacts.max) },
      healthyDoneMs: round3(row.healthyDoneMs), healthyPerSecond: round3(row.healthyPerSecond), wallMs: round3(row.wallMs), workerPeakRss: mib(row.cpu.workerPeakRssBytes) })),
  };
}

/** True when a row missed its deadline or a host ended other than it should: the benchmark then fails. */
export function fleetWorkersFailed(result: FleetWorkersResult): boolean {
  return result.rows.some((row) => !row.deadlineMet || row.unexpected.count > 0 || row.duplicates > 0 || !row.storeAgrees);
}
