import { badInput } from '@vigil/lib/errors';
import { pageAfter, pageSize } from '@vigil/lib/cursor';
import type { HostFilter, QueryResolvers, VersionRange as VersionRangeInput } from '../__generated__/resolvers-types.js';
import type { HostsContext } from '../context.js';
import type { PackageHolder } from '../facts/fact-store.js';
import type { InventoryHost } from '../inventory/build-inventory.js';
import type { PackageManager } from '../sources/probe/types.js';
import { InvalidVersionError, matchesVersionRange, schemeForPackageManager, type VersionRange } from '../versions/index.js';

export const Query: QueryResolvers = {
  async hosts(_parent, { filter, first, after }, context) {
    const hosts = filter ? await filterHosts(context.sortedInventory, filter, context) : context.sortedInventory;
    const page = pageAfter(hosts, (host) => host.id, pageSize(first, 50, 500), after);
    return { ...page, totalCount: hosts.length };
  },
  host: (_parent, { id }, { inventory }) => inventory.get(id) ?? null,
  async hostsWithPackage(_parent, { name, version, first, after }, { deps, inventory }) {
    const size = pageSize(first, 100, 1000);
    const range = version ? checkedRange(version) : null;
    // The index entry is read whole: the version range and the caller's hosts are decided per entry,
    // so the total is exact only after both (one HVALS of the name's entries, not of the fleet).
    const rows = (await deps.store.hostsWithPackage(name)).flatMap((entry) => {
      const host = inventory.get(entry.hostId);
      if (!host || (range !== null && !inRange(entry.packageManager, entry.version, range))) return [];
      return [{ key: holderKey(entry), host, package: { name, version: entry.version, arch: entry.arch }, packageManager: entry.packageManager }];
    });
    return { ...pageAfter(rows, (row) => row.key, size, after), totalCount: rows.length };
  },
};

/** The store's order (host, arch, version) as one string that sorts the same way. */
function holderKey(entry: PackageHolder): string {
  return `${entry.hostId}\u0000${entry.arch ?? ''}\u0000${entry.version}`;
}

async function filterHosts(hosts: readonly InventoryHost[], filter: HostFilter, context: HostsContext): Promise<InventoryHost[]> {
  let out = [...hosts];
  if (filter.label) {
    const { key, value } = filter.label;
    out = out.filter((host) => host.labels[key] === value);
  }
  if (filter.package != null) {
    const having = new Set((await context.deps.store.hostsWithPackage(filter.package)).map((e) => e.hostId));
    out = out.filter((host) => having.has(host.id));
  }
  if (filter.os != null) {
    const wanted = filter.os.toLowerCase();
    const oses = await Promise.all(out.map((host) => context.facts('os', host.id)));
    out = out.filter((_host, index) => {
      const os = oses[index]?.[0];
      return os !== undefined && (os.id.toLowerCase() === wanted || os.idLike.some((like) => like.toLowerCase() === wanted));
    });
  }
  if (filter.reachable != null) {
    const states = await Promise.all(out.map((host) => context.states.load(host.id)));
    out = out.filter((_host, index) => (states[index]?.lastAttempt.status === 'OK') === filter.reachable);
  }
  return out;
}

/** Drops nulls; the bounds' validity is checked per scheme when compared (see inRange). */
function checkedRange(version: VersionRangeInput): VersionRange {
  const range: VersionRange = {};
  for (const bound of ['lt', 'lte', 'eq', 'gte', 'gt'] as const) {
    const value = version[bound];
    if (value != null) {
      if (value.trim() === '' || value.length > 256) throw badInput(`version.${bound}: must be a non-empty version string`);
      range[bound] = value;
    }
  }
  return range;
}

/**
 * Whether an installed version is in range by its host's package manager rules. A bound that is
 * not a valid version for that scheme is the client's mistake and says which bound; an installed
 * version the scheme cannot parse cannot be ordered, so that host is left out.
 */
function inRange(manager: PackageManager | null, installed: string, range: VersionRange): boolean {
  if (!manager) return false;
  try {
    return matchesVersionRange(schemeForPackageManager(manager), installed, range);
  } catch (error) {
    if (error instanceof InvalidVersionError && error.subject?.startsWith('range.')) {
      throw badInput(error.message.replace(/^range\./, 'version.'));
    }
    return false;
  }
}
