import { describeError } from '@vigil/lib/errors';
import { ALLOWED_COMMAND_NAMES, type AllowedCommandName } from './allowlist.js';
import { FACT_TYPES, type CollectorName, type CollectorOutcome, type ProbeReport } from '../../facts/types.js';
import { createCommandBatch, type CommandBatch } from './batch.js';
import { outcomeOfError, type CollectorContext } from './collector.js';
import { collectGroups, collectUsers } from './collectors/accounts.js';
import { collectDisks } from './collectors/disks.js';
import { collectFirewall } from './collectors/firewall.js';
import { collectHardware } from './collectors/hardware.js';
import { collectMetrics } from './collectors/metrics.js';
import { collectInterfaces, collectRoutes } from './collectors/network.js';
import { collectOs } from './collectors/os.js';
import { collectPackageInventory } from './collectors/packages.js';
import { collectListeningPorts } from './collectors/ports.js';
import { collectServices } from './collectors/services.js';
import { createLocalRunner } from './local-transport.js';
import { ProbeFailure } from './probe-failure.js';
import { traceConnect, traceProbe } from './probe-tracing.js';
import { connectSsh } from './ssh-transport.js';
import type { BatchCommand, CommandRunner } from './transport.js';
import type { HostTarget } from './types.js';

/** @default used when a local target sets no commandTimeoutMs */
export const DEFAULT_LOCAL_COMMAND_TIMEOUT_MS = 30_000;

export interface ProbeReportOptions {
  /** `facts` runs every state-fact collector; `metrics` only the metrics snapshot. */
  kind: 'facts' | 'metrics';
  /**
   * Collectors whose commands run as `sudo -n <allow-listed argv>`. Off for all by default: most
   * collectors need no privilege; firewall (nft/iptables-save) and listeningPorts' process names do.
   * @default none
   */
  sudo?: ReadonlySet<CollectorName>;
  now?: () => Date;
  /**
   * Commands run at once when they run one by one: on the local machine, and over SSH for a command
   * outside the probe's batch (none, as long as probePlan lists what the collectors ask for).
   * @default DEFAULT_PROBE_CONCURRENCY (4)
   */
  concurrency?: number;
  /**
   * Once connected, how long the collectors may take in all. When it passes the connection is closed,
   * which stops whatever still runs, and every collector that had not finished is TIMEOUT; so a host
   * on which every command hangs costs connect + this, not a command timeout per queued command.
   * Over SSH the commands run as one batch whose own deadline is the target's commandTimeoutMs (see
   * createSshCommandRunner): commands finished by then keep their output, the rest are TIMEOUT.
   * @default twice the target's commandTimeoutMs
   */
  deadlineMs?: number;
  /**
   * Opens the probe's connection. A runner still takes allow-listed names only, so this changes where
   * commands run, never what runs; tests pass a scripted one. @default openRunner (the target's transport)
   */
  connect?: (target: HostTarget) => Promise<CommandRunner>;
}

/**
 * Every command a collector may ask for, fallbacks included: the probe runs them all ahead, as one
 * batch (one SSH exec), so a probe costs one round trip whatever the host turns out to have. A
 * fallback the host does not need (rpm on a dpkg host, iptables-save where nft answered, the `ss`
 * variant `id -u` rules out) runs anyway and its output is dropped unread: that costs a few
 * milliseconds, a second round trip would cost a session setup. Under sudo, listeningPorts asks no
 * `id -u` and needs only `ss -p` (collectors/ports.ts). A collector asking for a command missing here
 * still works (it runs on its own), only slower; probe-plan.test.ts keeps this list exact.
 */
export function collectorCommands(name: CollectorName, sudo: boolean): readonly AllowedCommandName[] {
  switch (name) {
    case 'os':
      return ['osRelease', 'osReleaseFallback', 'kernelRelease', 'machineArch', 'machineId', 'systemUuid', 'hostName'];
    case 'packages':
      return ['dpkgPackages', 'rpmPackages', 'apkPackages'];
    case 'services':
      return ['systemdUnits', 'systemdUnitFiles'];
    case 'users':
      return ['passwdEntries'];
    case 'groups':
      return ['groupEntries'];
    case 'interfaces':
      return ['ipAddresses'];
    case 'routes':
      return ['ipRoutes', 'ip6Routes'];
    case 'listeningPorts':
      return sudo ? ['listeningSocketsWithProcesses'] : ['effectiveUid', 'listeningSockets', 'listeningSocketsWithProcesses'];
    case 'firewall':
      return ['nftRuleset', 'iptablesRules', 'ip6tablesRules'];
    case 'hardware':
      return ['cpuTopology', 'cpuInfo', 'memInfo'];
    case 'disks':
      return ['diskFree'];
    case 'metrics':
      return ['loadAverage', 'memInfo', 'uptime', 'diskFree'];
  }
}

/**
 * The probe's batch: the commands of the collectors, each once (with or without sudo), in the order
 * of ALLOWED_COMMANDS, without sudo first. That order is fixed, so every probe of a kind sends the same
 * script shape, and it puts what can hang late: `df` (a dead NFS mount) is last, so a batch cut by its
 * deadline has lost as little as possible.
 */
export function probePlan(collectors: readonly CollectorName[], sudo: ReadonlySet<CollectorName>): BatchCommand[] {
  const wanted = new Set<string>();
  for (const collector of collectors) {
    for (const name of collectorCommands(collector, sudo.has(collector))) wanted.add(`${sudo.has(collector) ? 'sudo:' : ''}${name}`);
  }
  return ALLOWED_COMMAND_NAMES.flatMap((name): BatchCommand[] => [
    ...(wanted.has(name) ? [{ name }] : []),
    ...(wanted.has(`sudo:${name}`) ? [{ name, options: { sudo: true } }] : []),
  ]);
}

/**
 * Probes one host over one connection and reports every collector's outcome. Never throws: a
 * connection failure (authentication, host key, timeout, unreachable) is the report's status, with no
 * collector run; after that each collector succeeds or fails on its own, so a denied firewall read
 * does not cost the package inventory. The connection is closed on every path. Over SSH every command
 * of the probe runs in one exec (probePlan, batch-script.ts).
 */
export function probeHostReport(target: HostTarget, options: ProbeReportOptions): Promise<ProbeReport> {
  const collectors: readonly CollectorName[] = options.kind === 'facts' ? FACT_TYPES : ['metrics'];
  return runProbe(target, collectors, options);
}

/** probeHostReport for an explicit list of collectors (probeHost runs os and packages only). */
export function runProbe(target: HostTarget, collectors: readonly CollectorName[], options: Omit<ProbeReportOptions, 'kind'> = {}): Promise<ProbeReport> {
  return traceProbe(target, collectors, () => probeOnce(target, collectors, options));
}

async function probeOnce(target: HostTarget, collectors: readonly CollectorName[], options: Omit<ProbeReportOptions, 'kind'>): Promise<ProbeReport> {
  const now = options.now ?? (() => new Date());
  const report: ProbeReport = {
    hostId: target.id,
    status: 'OK',
    message: null,
    startedAt: now().toISOString(),
    finishedAt: '',
    packageManager: null,
    collectors: {},
    facts: {},
    metrics: null,
  };
  let runner: CommandRunner | null = null;
  try {
    const connected = await traceConnect(target, () => (options.connect ?? openRunner)(target));
    runner = connected;
    const batch = createCommandBatch(connected, options.concurrency);
    const sudo = options.sudo ?? new Set<CollectorName>();
    batch.prefetch(probePlan(collectors, sudo));
    const deadlineMs = options.deadlineMs ?? 2 * commandTimeoutOf(target);
    let expired = false;
    const deadline = setTimeout(() => {
      expired = true;
      void connected.close().catch(() => undefined);
    }, deadlineMs);
    let results: CollectorResult[];
    try {
      results = await Promise.all(
        collectors.map(async (name) => {
          const result = await runCollector(name, batch, sudo.has(name), report.startedAt);
          // Whatever failed once the connection was cut failed because of the cut.
          if (expired && result.outcome.status !== 'OK') {
            return { name, outcome: { status: 'TIMEOUT' as const, message: `the probe of ${describeTarget(target)} did not finish within ${deadlineMs} ms` } };
          }
          return result;
        }),
      );
    } finally {
      clearTimeout(deadline);
    }
    // Applied in the collectors' order, whatever order they finished in, so reports compare equal.
    for (const { name, outcome, apply } of results) {
      report.collectors[name] = outcome;
      apply?.(report);
    }
    // Nothing ran because the host stopped answering after the login (the session never opened, or
    // the deadline cut everything): that is the host's state, like a failed connect, not a collector's.
    const failure = batch.failure();
    if (results.every((result) => result.outcome.status !== 'OK')) {
      if (failure instanceof ProbeFailure) {
        report.status = failure.status;
        report.message = `${describeTarget(target)}: ${failure.message}`;
      } else if (expired) {
        report.status = 'TIMEOUT';
        report.message = `${describeTarget(target)}: the probe did not finish within ${deadlineMs} ms and no collector answered`;
      }
    }
  } catch (error) {
    const failure = connectionFailure(error, target);
    report.status = failure.status;
    report.message = failure.message;
  } finally {
    await runner?.close().catch(() => undefined);
  }
  report.finishedAt = now().toISOString();
  return report;
}

export function openRunner(target: HostTarget): Promise<CommandRunner> {
  switch (target.transport) {
    case 'local':
      return Promise.resolve(createLocalRunner({ commandTimeoutMs: commandTimeoutOf(target) }));
    case 'ssh':
      return connectSsh(target);
  }
}

function commandTimeoutOf(target: HostTarget): number {
  return target.transport === 'local' ? (target.commandTimeoutMs ?? DEFAULT_LOCAL_COMMAND_TIMEOUT_MS) : target.commandTimeoutMs;
}

export function describeTarget(target: HostTarget): string {
  return target.transport === 'local' ? 'local machine' : `${target.address}:${target.port}`;
}

function connectionFailure(error: unknown, target: HostTarget): Pick<ProbeReport, 'status' | 'message'> {
  // Connection failures already name the host.
  if (error instanceof ProbeFailure) return { status: error.status, message: error.message };
  return { status: 'ERROR', message: `${describeTarget(target)}: unexpected probe failure: ${describeError(error)}` };
}

interface CollectorResult {
  name: CollectorName;
  outcome: CollectorOutcome;
  /** Puts what the collector found into the report; only for an OK outcome. */
  apply?: (report: ProbeReport) => void;
}

async function runCollector(name: CollectorName, batch: CommandBatch, sudo: boolean, startedAt: string): Promise<CollectorResult> {
  const context: CollectorContext = { sudo, run: (command) => batch.run(command, { sudo }) };
  try {
    return { name, outcome: { status: 'OK', message: null }, apply: await collect(name, context, startedAt) };
  } catch (error) {
    return { name, outcome: outcomeOfError(error) };
  }
}

async function collect(name: CollectorName, context: CollectorContext, startedAt: string): Promise<(report: ProbeReport) => void> {
  switch (name) {
    case 'os': {
      const os = await collectOs(context);
      return (report) => (report.facts.os = [os]);
    }
    case 'packages': {
      const inventory = await collectPackageInventory(context);
      return (report) => {
        report.packageManager = inventory.manager;
        report.facts.packages = inventory.packages;
      };
    }
    case 'services': {
      const services = await collectServices(context);
      return (report) => (report.facts.services = services);
    }
    case 'users': {
      const users = await collectUsers(context);
      return (report) => (report.facts.users = users);
    }
    case 'groups': {
      const groups = await collectGroups(context);
      return (report) => (report.facts.groups = groups);
    }
    case 'interfaces': {
      const interfaces = await collectInterfaces(context);
      return (report) => (report.facts.interfaces = interfaces);
    }
    case 'routes': {
      const routes = await collectRoutes(context);
      return (report) => (report.facts.routes = routes);
    }
    case 'listeningPorts': {
      const ports = await collectListeningPorts(context);
      return (report) => (report.facts.listeningPorts = ports);
    }
    case 'firewall': {
      const firewall = await collectFirewall(context);
      return (report) => (report.facts.firewall = [firewall]);
    }
    case 'hardware': {
      const hardware = await collectHardware(context);
      return (report) => (report.facts.hardware = [hardware]);
    }
    case 'disks': {
      const disks = await collectDisks(context);
      return (report) => (report.facts.disks = disks);
    }
    case 'metrics': {
      const metrics = await collectMetrics(context, startedAt);
      return (report) => (report.metrics = metrics);
    }
  }
}
