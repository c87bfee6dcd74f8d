import { Argument, Command, Option } from 'commander';
import { HostChangesDocument, type FactType } from '@vigil/sdk/index';
import { CliError } from '../cli-error.js';
import { connect, explainFailure } from '../gateway.js';
import { parsePositiveInt, parseSince } from '../time-arguments.js';
import type { CommandContext } from './alerts.js';

const FACT_TYPES: FactType[] = ['OS', 'PACKAGES', 'SERVICES', 'USERS', 'GROUPS', 'INTERFACES', 'ROUTES', 'LISTENING_PORTS', 'FIREWALL', 'HARDWARE', 'DISKS'];

interface ChangesOptions {
  since?: Date;
  type?: FactType[];
  limit: number;
  includeBaseline?: boolean;
}

export function hostCommand(context: CommandContext): Command {
  return new Command('host')
    .description("One host's history: what changed in its packages, services, users, ports, firewall and more.")
    .argument('<id>', 'the host id (as `vigil hosts` lists it)')
    .addArgument(new Argument('<view>', 'what to show').choices(['changes']))
    .option('--since <when>', 'changes after this moment: a duration ago (7d, 12h) or an ISO date-time (2026-11-30T00:00:00Z) (default: 7d)', (text: string) => parseSince(text, new Date()))
    .addOption(new Option('--type <fact...>', 'only these fact types').choices(FACT_TYPES))
    .option('--limit <n>', 'at most this many changes (1-1000)', parsePositiveInt(1000), 500)
    .option('--include-baseline', "also list the host's first collection (its baseline), which is not a change")
    .addHelpText(
      'after',
      `
Output: one line per change, oldest first: when, ADDED/REMOVED/CHANGED, fact type, item, and the
value before → after (JSON). --json prints each change as a JSON object.

Examples:
  vigil host web-1 changes --since 7d
  vigil host web-1 changes --since 2026-11-30T00:00:00Z --type PACKAGES LISTENING_PORTS`,
    )
    .action(async (id: string, _view: 'changes', options: ChangesOptions) => {
      const since = options.since ?? parseSince('7d', new Date());
      const settings = context.settings();
      const out = context.output();
      const client = connect(settings);
      try {
        const data = await client.query(HostChangesDocument, { id, since: since.toISOString(), types: options.type ?? null, first: options.limit, includeBaseline: Boolean(options.includeBaseline) });
        if (!data.host) throw new CliError(`no host you may see has id ${JSON.stringify(id)} (vigil hosts lists them)`);
        const { edges, totalCount } = data.host.changes;
        for (const { node: change } of edges) {
          out.result(`${change.at}  ${change.change.padEnd(7)}  ${change.type.padEnd(15)}  ${change.key}  ${brief(change.before)} → ${brief(change.after)}`, change);
        }
        if (totalCount === 0) out.note(`no changes on ${id} since ${since.toISOString()}`);
        else if (totalCount > edges.length) out.note(`${edges.length} of ${totalCount} changes shown (the newest); raise --limit or narrow --since/--type for the rest`);
      } catch (error) {
        throw explainFailure(error, settings);
      } finally {
        await client.dispose();
      }
    });
}

function brief(value: unknown): string {
  if (value === null || value === undefined) return '-';
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
