import { Command, Option } from 'commander';
import { HostsWithPackageDocument, InventoryProbeEvidenceDocument, type HostsWithPackageQuery, type InventoryProbeEvidenceQuery, type VersionRange } from '@vigil/sdk/index';
import { CliError } from '../cli-error.js';
import { connect, explainFailure } from '../gateway.js';
import { columns } from '../output.js';
import type { CommandContext } from './alerts.js';

interface HostsOptions {
  package?: string;
  lt?: string;
  lte?: string;
  eq?: string;
  gte?: string;
  gt?: string;
}

const RANGE_KEYS = ['lt', 'lte', 'eq', 'gte', 'gt'] as const;

export function hostsCommand(context: CommandContext): Command {
  return new Command('hosts')
    .description('List the hosts you may see with their probe state; with --package, the hosts that have that package installed.')
    .option('--package <name>', 'only hosts with this package (exact name), with the version each has')
    .addOption(new Option('--lt <version>', 'with --package: installed version older than this'))
    .addOption(new Option('--lte <version>', 'with --package: older than or equal to this'))
    .addOption(new Option('--eq <version>', 'with --package: exactly this version'))
    .addOption(new Option('--gte <version>', 'with --package: this version or newer'))
    .addOption(new Option('--gt <version>', 'with --package: newer than this'))
    .addHelpText(
      'after',
      `
Versions are compared by each host's own package manager rules (dpkg, rpm or apk), so
"--lt 3.0.14" finds 3.0.11-1~deb12u2 on Debian and 3.0.7-27.el9 on RHEL alike.

Examples:
  vigil hosts
  vigil hosts --package openssl --lt 3.0.14
  vigil hosts --package openssl --json | jq -r .host.id`,
    )
    .action(async (options: HostsOptions) => {
      const range: VersionRange = {};
      for (const key of RANGE_KEYS) if (options[key] !== undefined) range[key] = options[key];
      if (!options.package) {
        if (Object.keys(range).length > 0) throw new CliError(`--${Object.keys(range)[0]} needs --package <name>`);
        await listHosts(context);
      } else await hostsWithPackage(context, options.package, range);
    });
}

async function listHosts(context: CommandContext): Promise<void> {
  const settings = context.settings();
  const out = context.output();
  const client = connect(settings);
  try {
    const rows: string[][] = [];
    let after: string | null = null;
    do {
      const page: InventoryProbeEvidenceQuery = await client.query(InventoryProbeEvidenceDocument, { first: 500, after });
      for (const { node } of page.hosts.edges) {
        if (out.json) out.result('', node);
        else rows.push([node.id, node.probeStatus.state, node.probeStatus.lastSuccessAt ?? 'never', node.probeStatus.message ?? '']);
      }
      after = page.hosts.pageInfo.hasNextPage ? page.hosts.pageInfo.endCursor : null;
    } while (after);
    if (!out.json) for (const line of columns([['HOST', 'PROBE', 'LAST SUCCESS', 'MESSAGE'], ...rows])) out.result(line.trimEnd(), null);
  } catch (error) {
    throw explainFailure(error, settings);
  } finally {
    await client.dispose();
  }
}

async function hostsWithPackage(context: CommandContext, name: string, range: VersionRange): Promise<void> {
  const settings = context.settings();
  const out = context.output();
  const client = connect(settings);
  try {
    const rows: string[][] = [];
    let after: string | null = null;
    do {
      const page: HostsWithPackageQuery = await client.query(HostsWithPackageDocument, { name, version: Object.keys(range).length > 0 ? range : null, first: 1000, after });
      for (const { node: row } of page.hostsWithPackage.edges) {
        if (out.json) out.result('', row);
        rows.push([row.host.id, row.package.name, row.package.version, row.package.arch ?? '', row.packageManager ?? '']);
      }
      after = page.hostsWithPackage.pageInfo.hasNextPage ? page.hostsWithPackage.pageInfo.endCursor : null;
    } while (after);
    if (!out.json && rows.length > 0) for (const line of columns([['HOST', 'PACKAGE', 'VERSION', 'ARCH', 'MANAGER'], ...rows])) out.result(line.trimEnd(), null);
    if (rows.length === 0) out.note(`no host you may see has ${name}${Object.keys(range).length > 0 ? ' in that version range' : ''}`);
  } catch (error) {
    throw explainFailure(error, settings);
  } finally {
    await client.dispose();
  }
}
