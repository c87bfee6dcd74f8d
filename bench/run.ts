/**
 * `npm run bench [-- --quick] [-- --only=<name>[,<name>]] [-- --out=<file>]`
 *
 * Runs the benchmarks, prints one table per benchmark and the machine facts on stdout (progress on
 * stderr) and writes the figures as JSON (bench/results/latest.json; latest-quick.json for --quick).
 * A run of some benchmarks (--only) writes latest-<names>.json (latest-quick-<names>.json) instead,
 * so it never overwrites the committed figures of the full run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { auditJson, auditTables, runAudit, type AuditOptions } from './audit.js';
import { falcoIntakeJson, falcoIntakeTables, runFalcoIntake, type FalcoIntakeOptions } from './falco-intake.js';
import { overheadJson, overheadTables, runGatewayOverhead, type OverheadOptions } from './gateway-overhead.js';
import { hostProbeJson, hostProbeTables, runHostProbe, type HostProbeOptions } from './host-probe.js';
import { intakeToSubscriberJson, intakeToSubscriberTable, runIntakeToSubscriber, type IntakeToSubscriberOptions } from './intake-to-subscriber.js';
import { hostsWithPackageJson, hostsWithPackageTables, runHostsWithPackage, type HostsWithPackageOptions } from './hosts-with-package.js';
import { table } from './lib/format.js';
import { machineFacts, type MachineFacts } from './lib/machine.js';
import { progress } from './lib/progress.js';
import type { BenchResource, Register } from './lib/resources.js';
import { retentionJson, retentionTable, runSubscriptionRetention, type RetentionOptions } from './subscription-retention.js';
import { runSubscriptions, subscriptionsJson, subscriptionsTables, type SubscriptionExecution, type SubscriptionsOptions } from './subscriptions.js';
import { runStartup, startupJson, startupTable, type StartupOptions } from './startup.js';
import { routingJson, routingTable, runRouting, type RoutingOptions } from './routing.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(BENCH_DIR, '..');

interface Benchmark {
  name: string;
  describe: string;
  /** Longer than the runner's default watchdog (WATCHDOG_MS) needs, when selected. */
  watchdogMinutes?: number;
  /** `register` takes what the benchmark starts (stack processes, servers) so the runner can stop it whatever happens. */
  run(quick: boolean, register: Register): Promise<{ table: string; json: unknown }>;
}

const BENCHMARKS: Benchmark[] = [
  {
    name: 'gateway-overhead',
    describe: 'latency the gateway adds to a 3-subgraph entity query, vs the same requests made directly; auth (JWT, API key) on vs off, access log, tracing on vs off',
    async run(quick, register) {
      // Nine paths per round (direct, and the gateway of seven stacks: auth off twice, auth off with the Rust query planner, auth off with tracing on, JWT and API key, logs at info, production).
      const options: OverheadOptions = quick
        ? { rounds: 5, pairsPerRound: 40, maxSecondsPerRound: 4, blockSize: 20, unrecordedPerBlock: 2, warmupPairs: 100, concurrent: { concurrency: 10, requestsPerSegment: 150, maxSecondsPerSegment: 1.5 }, alerts: 50, pods: 5, eventsPerPod: 3, authenticatorCalls: 2000 }
        : { rounds: 7, pairsPerRound: 400, maxSecondsPerRound: 30, blockSize: 20, unrecordedPerBlock: 2, warmupPairs: 600, concurrent: { concurrency: 10, requestsPerSegment: 1500, maxSecondsPerSegment: 4 }, alerts: 50, pods: 5, eventsPerPod: 3, authenticatorCalls: 20_000 };
      const result = await runGatewayOverhead(options, progress('gateway-overhead'), register);
      return { table: overheadTables(result), json: overheadJson(result) };
    },
  },
  {
    name: 'subscriptions',
    describe: "alert delivery latency, upstream work and stack heap growth over graphql-ws at 1, 100, 1,000 and 5,000 subscribers, Vigil's shared execution vs Hive Gateway's own",
    async run(quick, register) {
      const documents = ['AlertRaised', 'AlertRaisedWithSubject'] as const;
      const both = (subscribers: number, alerts: number, ratePerSecond: number, executions: readonly SubscriptionExecution[] = ['shared', 'runtime']) =>
        executions.flatMap((execution) => documents.map((document) => ({ document, subscribers, execution, alerts, ratePerSecond })));
      // The same documents at the same rate within a tier, so its rows compare like for like. Hive's own
      // execution is left out at 5,000: 5,000 upstream subscriptions (and ~15,000 sockets in one process)
      // and an entity fetch per subscriber per event, which the 1,000 tier already shows does not hold.
      const options: SubscriptionsOptions = {
        rounds: 5,
        variants: quick
          ? [...both(1, 100, 50), ...both(100, 50, 5)]
          : [...both(1, 500, 50), ...both(100, 100, 5), ...both(1000, 100, 5), ...both(5000, 100, 5, ['shared'])],
      };
      const result = await runSubscriptions(options, progress('subscriptions'), register);
      return { table: subscriptionsTables(result), json: subscriptionsJson(result) };
    },
  },
  {
    name: 'subscription-retention',
    describe: "stack heap kept per delivery by one open subscription, Hive Gateway's own execution vs Vigil's fan-out (the minimal reproduction)",
    async run(quick, register) {
      const options: RetentionOptions = quick ? { warmup: 300, deliveries: 1000, ratePerSecond: 200 } : { warmup: 1000, deliveries: 3000, ratePerSecond: 200 };
      const result = await runSubscriptionRetention(options, progress('subscription-retention'), register);
      return { table: retentionTable(result), json: retentionJson(result) };
    },
  },
  {
    name: 'host-probe',
    describe: 'wall time of one full facts probe (and a metrics probe) of a real sshd on loopback, vs the local transport',
    async run(quick, register) {
      const options: HostProbeOptions = quick ? { probes: 4, warmups: 1, maxSeconds: 25 } : { probes: 15, warmups: 2, maxSeconds: 75 };
      const result = await runHostProbe(options, progress('host-probe'), register);
      return { table: hostProbeTables(result), json: hostProbeJson(result) };
    },
  },
  {
    name: 'hosts-with-package',
    describe: 'hostsWithPackage and hosts(filter: { package }) through the gateway, 1,000 hosts x ~700 packages in Redis',
    async run(quick, register) {
      const options: HostsWithPackageOptions = quick
        ? { hosts: 1000, packagesPerHost: 700, loadConcurrency: 16, rounds: 3, sequential: { requestsPerQuery: 30, maxSecondsPerRound: 3 }, concurrent: { concurrency: 10, requestsPerSegment: 100, maxSecondsPerSegment: 1.5 }, warmupRequests: 30 }
        : { hosts: 1000, packagesPerHost: 700, loadConcurrency: 16, rounds: 5, sequential: { requestsPerQuery: 100, maxSecondsPerRound: 8 }, concurrent: { concurrency: 10, requestsPerSegment: 300, maxSecondsPerSegment: 4 }, warmupRequests: 100 };
      const result = await runHostsWithPackage(options, progress('hosts-with-package'), register);
      return { table: hostsWithPackageTables(result), json: hostsWithPackageJson(result) };
    },
  },
  {
    name: 'correlation',
    describe: "issue 12's cross-source question as one query through the gateway vs the same subgraph requests made directly: 1,000 hosts, 3 clusters, 10,000 findings",
    async run(quick, register) {
      const { correlationJson, correlationTable, runCorrelation } = await import('./correlation.js');
      const options = quick
        ? { hosts: 1000, clusters: 3, findings: 10_000, rounds: 3, requestsPerRound: 20, maxSecondsPerRound: 20, warmup: 10 }
        : { hosts: 1000, clusters: 3, findings: 10_000, rounds: 5, requestsPerRound: 60, maxSecondsPerRound: 60, warmup: 20 };
      const result = await runCorrelation(options, progress('correlation'), register);
      return { table: correlationTable(result), json: correlationJson(result) };
    },
  },
  {
    name: 'compliance',
    describe: 'controls(framework) and complianceMatrix over the evidence of 1,000 hosts and 3 clusters (1,000 Nodes with kube-bench runs), through the gateway vs the compliance subgraph directly',
    async run(quick, register) {
      const { complianceJson, complianceTable, runComplianceBench } = await import('./compliance.js');
      const options = quick
        ? { hosts: 1000, clusters: 3, rounds: 3, requestsPerRound: 30, maxSecondsPerRound: 10, warmup: 10 }
        : { hosts: 1000, clusters: 3, rounds: 5, requestsPerRound: 100, maxSecondsPerRound: 30, warmup: 30 };
      const result = await runComplianceBench(options, progress('compliance'), register);
      return { table: complianceTable(result), json: complianceJson(result) };
    },
  },
  {
    name: 'fleet',
    describe:
      '1,000 simulated SSH hosts (ssh2 server double, 20 ms per command) probed by the real scheduler, pipeline and ssh2 client; then 10,000 hosts with 1, 2 and 4 BullMQ worker processes on one Redis, and with 5% faulty hosts',
    // Full: the in-process table in ~30 s, then the worker rows (the 1-worker row alone is ~20 minutes at 10,000 hosts).
    watchdogMinutes: 90,
    async run(quick, register) {
      const { fleetJson, fleetTable, runFleet } = await import('./fleet.js');
      const { fleetWorkersFailed, fleetWorkersJson, fleetWorkersTable, runFleetWorkers } = await import('./fleet-workers.js');
      const options = quick ? { hosts: 200, concurrency: 32, delayMsPerCommand: 20, maxSeconds: 60 } : { hosts: 1000, concurrency: 32, delayMsPerCommand: 20, maxSeconds: 180 };
      // Independent parts: an in-process round that fails its deadline still lets the worker rows run.
      const inProcess = await runFleet(options, progress('fleet'), register).then(
        (result) => ({ table: fleetTable(result), json: fleetJson(result) as unknown, error: null }),
        (error: unknown) => ({ table: `fleet, in-process scheduler: FAILED: ${String(error)}`, json: { error: String(error) } as unknown, error }),
      );
      const workerRows = [1, 2, 4].map((workers) => ({ workers, faultShare: 0 }));
      const hosts = fleetWorkerHosts(quick ? 400 : 10_000);
      const workers = await runFleetWorkers(
        {
          hosts,
          // Mostly waiting (a facts probe ~3 s of simulated commands), so 1 and 2 workers stay well
          // under the 2 cores; timeouts ~2.5x a healthy probe, as a slow but healthy host needs.
          concurrencyPerWorker: 32,
          delayMsPerCommand: 100,
          connectTimeoutMs: 5_000,
          commandTimeoutMs: 8_000,
          slowBannerMs: 10_000,
          rows: [...workerRows, { workers: 4, faultShare: 0.05 }],
          // A quarter of the rate 1 worker reaches on a quiet machine (~8 hosts/s); this one is shared.
          maxSecondsPerRow: Math.max(120, Math.ceil(hosts / 2)),
        },
        progress('fleet'),
        register,
      );
      const text = `${inProcess.table}\n\n${fleetWorkersTable(workers)}`;
      // A missed deadline or a host ending with the wrong reason makes the figures worthless.
      if (inProcess.error !== null || fleetWorkersFailed(workers)) throw new Error(`fleet failed its checks\n${text}`);
      return { table: text, json: { inProcess: inProcess.json, workers: fleetWorkersJson(workers) } };
    },
  },
  {
    name: 'falco-intake',
    describe: 'sustained Falco webhook intake with dedup (8 and 32 senders, memory and Redis store, one and 50 events per POST, beside a bare node:http ceiling), counts verified exactly',
    async run(quick, register) {
      const variants: FalcoIntakeOptions['variants'] = [
        { name: 'memory, 8 senders', store: 'memory', senders: 8, criticalShare: 0 },
        { name: 'memory, 32 senders', store: 'memory', senders: 32, criticalShare: 0 },
        { name: 'redis, 8 senders', store: 'redis', senders: 8, criticalShare: 0 },
        { name: 'redis, 32 senders', store: 'redis', senders: 32, criticalShare: 0 },
        { name: 'memory, 32 senders, 10% Critical', store: 'memory', senders: 32, criticalShare: 0.1 },
        // What a batching forwarder (Fluent Bit's http output, `format json`) sends: 50 events per POST.
        { name: 'memory, 8 senders, 50 events per POST', store: 'memory', senders: 8, criticalShare: 0, eventsPerRequest: 50 },
        { name: 'redis, 8 senders, 50 events per POST', store: 'redis', senders: 8, criticalShare: 0, eventsPerRequest: 50 },
      ];
      const ceiling = { senders: 32 };
      const options: FalcoIntakeOptions = quick
        ? { rounds: 1, secondsPerRound: 2, newShare: 0.1, podsPerNamespace: 4, variants, ceiling }
        : { rounds: 3, secondsPerRound: 5, newShare: 0.1, podsPerNamespace: 10, variants, ceiling };
      const result = await runFalcoIntake(options, progress('falco-intake'), register);
      const text = falcoIntakeTables(result);
      // Events lost or miscounted make the figures worthless: fail the benchmark, showing the table.
      if (!result.verified) throw new Error(`stored counts do not add up to the accepted events\n${text}`);
      return { table: text, json: falcoIntakeJson(result) };
    },
  },
  {
    name: 'intake-to-subscriber',
    describe: 'POST of a Critical Falco event to its alert on 100 graphql-ws subscribers of the gateway',
    async run(quick, register) {
      const options: IntakeToSubscriberOptions = quick
        ? { subscribers: 100, events: 50, rounds: 2, ratePerSecond: 10, warmupEvents: 10 }
        : { subscribers: 100, events: 200, rounds: 4, ratePerSecond: 10, warmupEvents: 20 };
      const result = await runIntakeToSubscriber(options, progress('intake-to-subscriber'), register);
      return { table: intakeToSubscriberTable(result), json: intakeToSubscriberJson(result) };
    },
  },
  {
    name: 'audit',
    describe: '1,000,000 audit records through the forwarder into a real VictoriaLogs (events/s), then auditEvents/auditStats through the gateway vs the same LogsQL direct',
    async run(quick, register) {
      // Full: about 7 minutes here (the load under 1, each round about a minute). Quick: smoke figures in about half a minute.
      const options: AuditOptions = quick
        ? { events: 100_000, eventsPerList: 400, progressSeconds: 2, settleMaxSeconds: 5, rounds: 2, requestsPerRound: 12, maxSecondsPerRound: 3, blockSize: 6, unrecordedPerBlock: 1, warmupRequests: 6, coalescingCheck: false, concurrent: null }
        : { events: 1_000_000, eventsPerList: 400, progressSeconds: 5, settleMaxSeconds: 60, rounds: 5, requestsPerRound: 60, maxSecondsPerRound: 20, blockSize: 20, unrecordedPerBlock: 2, warmupRequests: 20, coalescingCheck: true, concurrent: { concurrency: 8, requestsPerSegment: 80, maxSecondsPerSegment: 4 } };
      const result = await runAudit(options, progress('audit'), register);
      return { table: auditTables(result), json: auditJson(result) };
    },
  },
  {
    name: 'startup',
    describe: 'the one-process stack compiled (node dist/stack.mjs, as the image runs it) vs tsx: start to /healthz and /readyz, idle and peak RSS',
    async run(quick, register) {
      // Full: about 8 minutes here (5 starts of 5 variants, 10 s idle each).
      const options: StartupOptions = quick ? { rounds: 2, idleSeconds: 5, startTimeoutSeconds: 60 } : { rounds: 5, idleSeconds: 10, startTimeoutSeconds: 60 };
      const result = await runStartup(options, progress('startup'), register);
      return { table: startupTable(result), json: startupJson(result) };
    },
  },
  {
    name: 'routing',
    describe: 'alerts through 3 outputs (Alertmanager, Slack, signed webhook) with the webhook down for the first half: delivered once each, none lost or duplicated; delivery lag p50/p99',
    async run(quick, register) {
      const options: RoutingOptions = quick ? { alerts: 2000, ratePerSecond: 500, drainTimeoutSeconds: 60 } : { alerts: 10_000, ratePerSecond: 500, drainTimeoutSeconds: 180 };
      const result = await runRouting(options, progress('routing'), register);
      return { table: routingTable(result), json: routingJson(result) };
    },
  },
];

/**
 * BENCH_FLEET_HOSTS overrides the worker rows' fleet size (the full 10,000-host run takes over half an
 * hour here), so a shorter run can be quoted with its size.
 */
function fleetWorkerHosts(fallback: number): number {
  const text = process.env.BENCH_FLEET_HOSTS;
  if (text === undefined || text === '') return fallback;
  const hosts = Number(text);
  if (!Number.isInteger(hosts) || hosts < 20 || hosts > 100_000) throw new Error(`BENCH_FLEET_HOSTS must be an integer from 20 to 100000, got ${JSON.stringify(text)}`);
  return hosts;
}

interface Args {
  quick: boolean;
  only: string[] | null;
  out: string | null;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { quick: false, only: null, out: null };
  for (const arg of argv) {
    if (arg === '--quick') args.quick = true;
    else if (arg.startsWith('--only=')) args.only = arg.slice('--only='.length).split(',').map((s) => s.trim()).filter(Boolean);
    else if (arg.startsWith('--out=')) args.out = arg.slice('--out='.length);
    else if (arg === '--help' || arg === '-h') {
      console.log(`usage: npm run bench [-- --quick] [-- --only=<name>[,<name>]] [-- --out=<file.json>]\n\n${BENCHMARKS.map((b) => `  ${b.name.padEnd(18)} ${b.describe}`).join('\n')}`);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg} (try --help)`);
  }
  const unknown = (args.only ?? []).filter((name) => !BENCHMARKS.some((b) => b.name === name));
  if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  return args;
}

function machineTable(facts: MachineFacts, loadAtEnd: number): string {
  return table(
    ['machine', ''],
    [
      ['node', `${facts.node} (V8 ${facts.v8})`],
      ['cpu', `${facts.cpuModel}, ${facts.cores} cores (available parallelism ${facts.availableParallelism})`],
      ['memory', `${facts.memoryGiB} GiB`],
      ['os', `${facts.platform}, kernel ${facts.kernel}`],
      ['load average (1 min)', `${facts.loadAverage1m} at start, ${loadAtEnd} at end`],
      ['commit', facts.gitCommit === null ? 'unknown' : `${facts.gitCommit}${facts.gitDirty ? ' (uncommitted changes)' : ''}`],
    ],
    ['l', 'l'],
  );
}

/** Hard stop, whatever hangs: the whole run is bounded (gateway-overhead alone takes about 7 minutes). */
const WATCHDOG_MS = 25 * 60_000;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const selected = BENCHMARKS.filter((b) => !args.only || args.only.includes(b.name));
  const resources = new Set<BenchResource>();
  const killResources = () => {
    for (const resource of resources) resource.kill();
  };
  process.once('exit', killResources);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killResources();
      process.exit(130);
    });
  }
  const watchdogMs = WATCHDOG_MS + selected.reduce((sum, b) => sum + (b.watchdogMinutes ?? 0) * 60_000, 0);
  const watchdog = setTimeout(() => {
    console.error(`benchmarks still running after ${watchdogMs / 60_000} minutes: giving up`);
    killResources();
    process.exit(1);
  }, watchdogMs);
  watchdog.unref();

  const facts = machineFacts();
  const started = new Date();
  const t0 = performance.now();
  process.stderr.write(`running ${selected.map((b) => b.name).join(', ')}${args.quick ? ' (quick)' : ''} on ${facts.cpuModel} x${facts.cores}, node ${facts.node}\n`);

  const tables: string[] = [];
  const results: Record<string, unknown> = {};
  const failures: string[] = [];
  for (const benchmark of selected) {
    try {
      const { table: text, json } = await benchmark.run(args.quick, (resource) => resources.add(resource));
      tables.push(text);
      results[benchmark.name] = json;
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      failures.push(`${benchmark.name}: ${message}`);
      results[benchmark.name] = { error: message };
      process.stderr.write(`${benchmark.name} FAILED: ${message}\n`);
    } finally {
      for (const resource of resources) await resource.stop();
      resources.clear();
    }
  }
  const durationSeconds = Math.round((performance.now() - t0) / 100) / 10;
  const loadAtEnd = machineFacts().loadAverage1m;

  const base = args.quick ? 'latest-quick' : 'latest';
  const out = resolve(REPO_ROOT, args.out ?? `bench/results/${args.only ? `${base}-${args.only.join('+')}` : base}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ startedAt: started.toISOString(), mode: args.quick ? 'quick' : 'full', durationSeconds, machine: { ...facts, loadAverage1mAtEnd: loadAtEnd }, results }, null, 2)}\n`);

  console.log(`\n${machineTable(facts, loadAtEnd)}\n`);
  for (const text of tables) console.log(`${text}\n`);
  console.log(`${selected.length - failures.length}/${selected.length} benchmarks in ${durationSeconds} s${args.quick ? ' (quick: smoke figures, not for the README)' : ''}; JSON: ${relative(process.cwd(), out)}`);
  if (failures.length > 0) {
    console.log(`FAILED:\n${failures.join('\n')}`);
    process.exitCode = 1;
  }
}

await main();
