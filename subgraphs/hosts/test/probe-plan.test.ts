import { describe, expect, it } from 'vitest';
import { COLLECTOR_NAMES, FACT_TYPES, type CollectorName, type ProbeReport } from '../src/facts/types.js';
import { ALLOWED_COMMAND_NAMES, ALLOWED_COMMANDS, type AllowedCommandName, type RunOptions } from '../src/sources/probe/allowlist.js';
import { createCommandBatch } from '../src/sources/probe/batch.js';
import { ProbeFailure } from '../src/sources/probe/probe-failure.js';
import { collectorCommands, probeHostReport, probePlan, runProbe } from '../src/sources/probe/probe-report.js';
import type { BatchCommand, BatchOutcome, CommandOutput, CommandRunner } from '../src/sources/probe/transport.js';
import type { HostTarget } from '../src/sources/probe/types.js';
import { captured, exited, fixtureText, notFound, ok } from './collector-harness.js';

/** A successful output for every allow-listed command: the Debian 12 captures where there is one. */
const SAMPLE: Record<AllowedCommandName, string> = {
  osRelease: fixtureText('os-release_debian12_captured'),
  osReleaseFallback: fixtureText('os-release_debian12_captured'),
  kernelRelease: '6.18.44-fc-v669\n',
  machineArch: 'x86_64\n',
  // machine-id(5) and the kernel's SMBIOS UUID format; the Debian capture has neither.
  machineId: '4c4c4544004d3510804bb4c04f564433\n',
  systemUuid: '4c4c4544-004d-3510-804b-b4c04f564433\n',
  hostName: 'vm\n',
  dpkgPackages: fixtureText('dpkg-query_debian-12.tsv'),
  rpmPackages: fixtureText('rpm-qa_cbl-mariner-2.0.tsv'),
  apkPackages: 'musl-1.2.4-r2\nbusybox-1.36.1-r5\n',
  systemdUnits: captured('systemctl_list-units_service_all_plain_no-legend.txt'),
  systemdUnitFiles: captured('systemctl_list-unit-files_service_no-legend.txt'),
  passwdEntries: captured('getent_passwd.txt'),
  groupEntries: captured('getent_group.txt'),
  ipAddresses: captured('ip_-j_addr.json'),
  ipRoutes: captured('ip_-j_route.json'),
  ip6Routes: captured('ip_-j_-6_route.json'),
  listeningSockets: captured('ss_-H_-tuln.txt'),
  listeningSocketsWithProcesses: captured('ss_-H_-tulpn.txt'),
  effectiveUid: '0\n',
  nftRuleset: captured('nft_-j_list_ruleset.json'),
  iptablesRules: captured('iptables-save.txt'),
  ip6tablesRules: captured('ip6tables-save.txt'),
  cpuTopology: captured('lscpu_-J.json'),
  cpuInfo: captured('proc_cpuinfo_cpu0.txt'),
  memInfo: captured('proc_meminfo.txt'),
  loadAverage: captured('proc_loadavg.txt'),
  uptime: captured('proc_uptime.txt'),
  diskFree: captured('df_-P_-k.txt'),
};

/** The answers a host can give to one command, enough to send every collector down each of its paths. */
function variants(name: AllowedCommandName, sudo: boolean): CommandOutput[] {
  const program = ALLOWED_COMMANDS[name][0];
  // Under sudo a missing program is sudo's own complaint (exit 1); 127 would mean sudo is missing.
  const common = [notFound(sudo ? 'sudo' : program), exited(1, `${program}: Permission denied\n`)];
  if (sudo) common.push(exited(1, `sudo: ${program}: command not found\n`));
  if (name === 'effectiveUid') return [ok('0\n'), ok('1000\n'), ...common];
  return [ok(SAMPLE[name]), ...common];
}

/** Every combination of variants over `names`, as a lookup per combination. */
function* combinations(names: readonly AllowedCommandName[], sudo: boolean): Generator<Map<AllowedCommandName, CommandOutput>> {
  const [first, ...rest] = names;
  if (first === undefined) {
    yield new Map();
    return;
  }
  for (const output of variants(first, sudo)) {
    for (const tail of combinations(rest, sudo)) yield new Map([[first, output], ...tail]);
  }
}

const target: HostTarget = { id: 'plan-host', transport: 'local' };

/** A runner without runBatch, so the collectors ask for each command themselves; records what they ask. */
function lazyRunner(answer: (name: AllowedCommandName) => CommandOutput) {
  const asked: string[] = [];
  const runner: CommandRunner = {
    async run(name: AllowedCommandName, options?: RunOptions) {
      asked.push(`${options?.sudo === true ? 'sudo:' : ''}${name}`);
      return answer(name);
    },
    async close() {},
  };
  return { runner, asked };
}

describe('collectorCommands: exactly the commands each collector may ask for', () => {
  for (const collector of COLLECTOR_NAMES) {
    for (const sudo of [false, true]) {
      it(`${collector}${sudo ? ' under sudo' : ''}`, async () => {
        const declared = collectorCommands(collector, sudo);
        const prefix = sudo ? 'sudo:' : '';
        const seen = new Set<string>();
        let runs = 0;
        for (const answers of combinations(declared, sudo)) {
          // A command outside the declared list is answered too, and recorded, so the test sees it.
          const { runner, asked } = lazyRunner((name) => answers.get(name) ?? ok(SAMPLE[name]));
          const sudoSet = new Set<CollectorName>(sudo ? [collector] : []);
          await runProbe(target, [collector], { sudo: sudoSet, connect: async () => runner });
          for (const key of asked) seen.add(key);
          runs++;
        }
        expect(runs).toBeGreaterThan(0);
        // Nothing undeclared was asked for, in any combination; everything declared is needed by one.
        expect([...seen].sort()).toEqual(declared.map((name) => `${prefix}${name}`).sort());
      });
    }
  }
});

describe('probePlan', () => {
  it('lists every command of the collectors once, in allow-list order, df last', () => {
    const plan = probePlan(FACT_TYPES, new Set());
    const names = plan.map((command) => command.name);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(names)).toEqual(new Set(FACT_TYPES.flatMap((collector) => collectorCommands(collector, false))));
    expect(names).toEqual(ALLOWED_COMMAND_NAMES.filter((name) => names.includes(name)));
    expect(names.at(-1)).toBe('diskFree');
    expect(plan.every((command) => command.options === undefined)).toBe(true);
    // The metrics probe: its four commands, memInfo and df shared with facts but never twice.
    expect(probePlan(['metrics'], new Set()).map((command) => command.name)).toEqual(['memInfo', 'loadAverage', 'uptime', 'diskFree']);
    expect(probePlan([...FACT_TYPES, 'metrics'], new Set()).filter((command) => command.name === 'memInfo')).toHaveLength(1);
  });

  it('puts sudo on exactly the commands of the collectors named, and runs a command twice only when collectors differ', () => {
    const plan = probePlan([...FACT_TYPES, 'metrics'], new Set<CollectorName>(['listeningPorts', 'firewall', 'metrics']));
    const keys = plan.map(({ name, options }) => `${options?.sudo === true ? 'sudo:' : ''}${name}`);
    expect(keys.filter((key) => key.startsWith('sudo:')).sort()).toEqual(
      ['diskFree', 'ip6tablesRules', 'iptablesRules', 'listeningSocketsWithProcesses', 'loadAverage', 'memInfo', 'nftRuleset', 'uptime'].map((name) => `sudo:${name}`).sort(),
    );
    // Under sudo listeningPorts asks no `id -u` and no plain ss; hardware and disks still read memInfo and df without.
    expect(keys).not.toContain('effectiveUid');
    expect(keys).not.toContain('listeningSockets');
    expect(keys.indexOf('memInfo')).toBe(keys.indexOf('sudo:memInfo') - 1);
    expect(keys.slice(-2)).toEqual(['diskFree', 'sudo:diskFree']);
  });
});

/**
 * A host whose runner batches: runBatch answers every command from SAMPLE (or `override`), `run`
 * answers too, and both record what they were asked.
 */
function batchingHost(override: Partial<Record<AllowedCommandName, BatchOutcome>> = {}, behaviour: { reject?: Error; holdUntilClose?: boolean } = {}) {
  const batches: BatchCommand[][] = [];
  const runs: AllowedCommandName[] = [];
  let closed: () => void = () => undefined;
  const closing = new Promise<void>((resolve) => (closed = resolve));
  const runner: CommandRunner = {
    async run(name) {
      runs.push(name);
      return ok(SAMPLE[name]);
    },
    async runBatch(commands) {
      batches.push([...commands]);
      if (behaviour.reject) throw behaviour.reject;
      if (behaviour.holdUntilClose) {
        await closing;
        return commands.map((): BatchOutcome => ({ ok: false, failure: new ProbeFailure('ERROR', 'the batch ended early') }));
      }
      return commands.map(({ name }): BatchOutcome => override[name] ?? { ok: true, output: ok(SAMPLE[name]) });
    },
    async close() {
      closed();
    },
  };
  return { runner, batches, runs };
}

const withoutTimes = ({ startedAt: _s, finishedAt: _f, ...rest }: ProbeReport) => rest;

describe('probeHostReport with a batching runner', () => {
  it('runs the whole plan as one batch, nothing else, and reports what per-command runs would', async () => {
    const host = batchingHost();
    const report = await probeHostReport(target, { kind: 'facts', connect: async () => host.runner });
    expect(host.batches).toEqual([probePlan(FACT_TYPES, new Set())]);
    expect(host.runs).toEqual([]);
    for (const name of FACT_TYPES) expect(report.collectors[name], name).toEqual({ status: 'OK', message: null });

    const lazy = lazyRunner((name) => ok(SAMPLE[name]));
    const reference = await probeHostReport(target, { kind: 'facts', connect: async () => lazy.runner });
    expect(withoutTimes(report)).toEqual(withoutTimes(reference));
  });

  it('sends the sudo prefix with exactly the commands of the collectors it applies to', async () => {
    const host = batchingHost();
    const sudo = new Set<CollectorName>(['firewall', 'listeningPorts']);
    await probeHostReport(target, { kind: 'facts', sudo, connect: async () => host.runner });
    expect(host.batches).toEqual([probePlan(FACT_TYPES, sudo)]);
    const privileged = host.batches[0]?.filter((command) => command.options?.sudo === true).map((command) => command.name);
    expect(privileged).toEqual(['listeningSocketsWithProcesses', 'nftRuleset', 'iptablesRules', 'ip6tablesRules']);
  });

  it('keeps what finished when the batch deadline cut the rest: those collectors are TIMEOUT', async () => {
    const cut = new ProbeFailure('TIMEOUT', "df did not finish within 100 ms (the deadline of the probe's command batch)");
    const host = batchingHost({ diskFree: { ok: false, failure: cut } });
    const report = await probeHostReport(target, { kind: 'facts', connect: async () => host.runner });
    expect(report.collectors.disks).toEqual({ status: 'TIMEOUT', message: cut.message });
    expect(report.facts.disks).toBeUndefined();
    expect(report.collectors.hardware).toEqual({ status: 'OK', message: null });
    expect(report.facts.packages).toHaveLength(33);
  });

  it('reports the probe failed when the batch cannot start (every collector FAILED), and TIMEOUT when the probe deadline closes it', async () => {
    const broken = batchingHost({}, { reject: new ProbeFailure('ERROR', 'could not start the command batch: channel open failure') });
    const failed = await probeHostReport(target, { kind: 'metrics', connect: async () => broken.runner });
    // Nothing ran on the host: the host's state, not one collector's (so the scheduler backs off).
    expect(failed).toMatchObject({ status: 'ERROR', message: 'local machine: could not start the command batch: channel open failure' });
    expect(failed.collectors.metrics).toEqual({ status: 'FAILED', message: 'could not start the command batch: channel open failure' });
    expect(broken.runs).toEqual([]);

    const hung = batchingHost({}, { holdUntilClose: true });
    const started = Date.now();
    const report = await probeHostReport(target, { kind: 'facts', deadlineMs: 80, connect: async () => hung.runner });
    expect(Date.now() - started).toBeLessThan(1_000);
    for (const name of FACT_TYPES) {
      expect(report.collectors[name], name).toEqual({ status: 'TIMEOUT', message: 'the probe of local machine did not finish within 80 ms' });
    }
    expect(report).toMatchObject({ status: 'TIMEOUT', message: 'local machine: the probe did not finish within 80 ms and no collector answered' });
  });
});

describe('createCommandBatch: prefetch', () => {
  it('serves prefetched commands from the one batch and runs anything else on its own', async () => {
    const host = batchingHost();
    const batch = createCommandBatch(host.runner, 4);
    batch.prefetch([{ name: 'kernelRelease' }, { name: 'memInfo', options: { sudo: true } }, { name: 'kernelRelease' }]);
    // Already asked for: not sent again.
    batch.prefetch([{ name: 'kernelRelease' }]);
    expect(await batch.run('kernelRelease', {})).toEqual(ok(SAMPLE.kernelRelease));
    expect(await batch.run('memInfo', { sudo: true })).toEqual(ok(SAMPLE.memInfo));
    expect(await batch.run('memInfo', {})).toEqual(ok(SAMPLE.memInfo));
    expect(host.batches).toEqual([[{ name: 'kernelRelease' }, { name: 'memInfo', options: { sudo: true } }]]);
    expect(host.runs).toEqual(['memInfo']);
    expect(batch.started()).toEqual(['kernelRelease', 'sudo:memInfo', 'memInfo']);
  });

  it('does nothing without runBatch, and a prefetched failure nobody asks for stays quiet', async () => {
    const lazy = lazyRunner((name) => ok(SAMPLE[name]));
    const batch = createCommandBatch(lazy.runner, 4);
    batch.prefetch([{ name: 'uptime' }]);
    expect(batch.started()).toEqual([]);
    expect(lazy.asked).toEqual([]);

    const host = batchingHost({ apkPackages: { ok: false, failure: new ProbeFailure('TIMEOUT', 'apk did not start') } });
    const withBatch = createCommandBatch(host.runner, 4);
    withBatch.prefetch([{ name: 'apkPackages' }, { name: 'uptime' }]);
    expect(await withBatch.run('uptime', {})).toEqual(ok(SAMPLE.uptime));
    await expect(withBatch.run('apkPackages', {})).rejects.toThrow('apk did not start');
  });
});
