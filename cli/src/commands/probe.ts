import { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { InventoryProbeEvidenceDocument, RefreshHostDocument, type InventoryProbeEvidenceQuery, type VigilClient } from '@vigil/sdk/index';
import { CliError } from '../cli-error.js';
import { connect, explainFailure } from '../gateway.js';
import type { Output } from '../output.js';
import { parseDuration } from '../time-arguments.js';
import type { CommandContext } from './alerts.js';

interface ProbeOptions {
  all?: boolean;
  timeout: number;
  wait: boolean;
}

interface HostState {
  id: string;
  /** probeStatus.lastAttemptAt before the refresh: the probe is done when it moves. */
  before: string | null;
  done: boolean;
  state?: string;
  message?: string | null;
}

export function probeCommand(context: CommandContext): Command {
  return new Command('probe')
    .description('Probe hosts now (facts: packages, services, users, network, firewall, hardware) and wait for the results.')
    .argument('[ids...]', 'host ids to probe')
    .option('--all', 'probe every host you may see')
    .option('--timeout <duration>', 'stop waiting after this long (e.g. 10m); hosts still running are reported as such', parseDuration, 600_000)
    .option('--no-wait', 'queue the probes and return at once')
    .addHelpText(
      'after',
      `
Needs the admin role. Probes run in Vigil (its probe concurrency applies), not here; this command
asks for them and follows each host's probe status. A host probed moments ago is not probed again
(debounced) and counts with its current result. Progress: a bar on a terminal, a line per host
otherwise; then a summary: probed, failed by reason, still running. Exit code 1 when any failed.

Examples:
  vigil probe --all
  vigil probe web-1 db-1 --timeout 2m`,
    )
    .action(async (ids: string[], options: ProbeOptions) => {
      if (options.all && ids.length > 0) throw new CliError('give host ids or --all, not both');
      if (!options.all && ids.length === 0) throw new CliError('which hosts? give host ids or --all');
      const settings = context.settings();
      const out = context.output();
      const client = connect(settings);
      try {
        const failed = await probe(client, out, options.all ? null : ids, options, context.signal);
        if (failed > 0) process.exitCode = 1;
      } catch (error) {
        throw explainFailure(error, settings);
      } finally {
        await client.dispose();
      }
    });
}

async function statuses(client: VigilClient): Promise<Map<string, { state: string; message: string | null; lastAttemptAt: string | null }>> {
  const all = new Map<string, { state: string; message: string | null; lastAttemptAt: string | null }>();
  let after: string | null = null;
  do {
    const page: InventoryProbeEvidenceQuery = await client.query(InventoryProbeEvidenceDocument, { first: 500, after });
    for (const { node } of page.hosts.edges) all.set(node.id, node.probeStatus);
    after = page.hosts.pageInfo.hasNextPage ? page.hosts.pageInfo.endCursor : null;
  } while (after);
  return all;
}

async function probe(client: VigilClient, out: Output, ids: string[] | null, options: ProbeOptions, signal: AbortSignal): Promise<number> {
  const known = await statuses(client);
  const targets = ids ?? [...known.keys()];
  if (targets.length === 0) {
    out.note('no hosts to probe');
    return 0;
  }
  const hosts = new Map<string, HostState>();
  const unknown: string[] = [];
  for (const id of targets) {
    const result = (await client.query(RefreshHostDocument, { id })).refreshHost;
    if (result.status === 'UNKNOWN_HOST') {
      unknown.push(id);
      continue;
    }
    const current = known.get(id);
    const state: HostState = { id, before: current?.lastAttemptAt ?? null, done: false };
    // Debounced: the probe that just finished is the answer (its status as the refresh saw it).
    const fresh = result.status === 'RECENTLY_PROBED' ? result.host?.probeStatus : undefined;
    if (fresh && fresh.state !== 'NEVER_PROBED') Object.assign(state, { done: true, state: fresh.state, message: fresh.lastAttemptAt === current?.lastAttemptAt ? (current?.message ?? null) : null });
    hosts.set(id, state);
  }
  for (const id of unknown) out.note(`no host you may see has id ${JSON.stringify(id)}`);
  if (!options.wait) {
    out.note(`queued ${[...hosts.values()].filter((h) => !h.done).length} probes`);
    return unknown.length;
  }

  const bar = out.interactive && !out.json ? new SingleBar({ format: 'probing {bar} {value}/{total} hosts | {failed} failed | {duration_formatted}', stream: out.stderr, hideCursor: true }, Presets.shades_classic) : null;
  const total = hosts.size;
  const doneCount = () => [...hosts.values()].filter((h) => h.done).length;
  const failedCount = () => [...hosts.values()].filter((h) => h.done && h.state !== 'OK').length;
  bar?.start(total, doneCount(), { failed: failedCount() });
  for (const host of hosts.values()) if (host.done) report(out, host, bar !== null);

  const deadline = Date.now() + options.timeout;
  while (doneCount() < total && Date.now() < deadline && !signal.aborted) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const now = await statuses(client);
    for (const host of hosts.values()) {
      const status = now.get(host.id);
      if (host.done || !status || status.lastAttemptAt === null || status.lastAttemptAt === host.before) continue;
      Object.assign(host, { done: true, state: status.state, message: status.message });
      report(out, host, bar !== null);
    }
    bar?.update(doneCount(), { failed: failedCount() });
  }
  bar?.stop();
  return summarise(out, [...hosts.values()], unknown);
}

function report(out: Output, host: HostState, quiet: boolean): void {
  const value = { host: host.id, state: host.state, message: host.message ?? null };
  if (out.json) out.result('', value);
  else if (!quiet) out.note(`${host.id}: ${host.state}${host.message ? ` (${host.message})` : ''}`);
}

/** The closing summary; returns how many hosts failed (unknown ids included). */
function summarise(out: Output, hosts: HostState[], unknown: string[]): number {
  const ok = hosts.filter((h) => h.done && h.state === 'OK');
  const failed = hosts.filter((h) => h.done && h.state !== 'OK');
  const pending = hosts.filter((h) => !h.done);
  const byReason = new Map<string, string[]>();
  for (const host of failed) byReason.set(host.state ?? 'UNKNOWN', [...(byReason.get(host.state ?? 'UNKNOWN') ?? []), host.id]);
  const lines = [`probed ${ok.length + failed.length} of ${hosts.length + unknown.length}: ${ok.length} ok, ${failed.length} failed${pending.length ? `, ${pending.length} still running` : ''}${unknown.length ? `, ${unknown.length} unknown` : ''}`];
  for (const [reason, ids] of [...byReason].sort((a, b) => b[1].length - a[1].length)) lines.push(`  ${reason}: ${ids.length} (${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''})`);
  if (pending.length) lines.push(`  still running after the timeout: ${pending.slice(0, 5).map((h) => h.id).join(', ')}${pending.length > 5 ? ', …' : ''}`);
  if (out.json) out.result('', { summary: { ok: ok.length, failed: Object.fromEntries([...byReason].map(([r, ids]) => [r, ids])), pending: pending.map((h) => h.id), unknown } });
  else for (const line of lines) out.result(line, null);
  return failed.length + unknown.length;
}
