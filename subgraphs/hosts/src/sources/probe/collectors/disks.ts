import type { Disk, DiskUsage } from '../../../facts/types.js';
import { OutputFormatError, attempt, integer, lines, parseOutput, type CollectorContext } from '../collector.js';

export interface DfRow {
  filesystem: string;
  mountpoint: string;
  sizeKb: number;
  usedKb: number;
  availableKb: number;
}

/**
 * `df -P -k`: a header, then `Filesystem 1024-blocks Used Available Capacity Mounted-on`, one line per
 * filesystem however long its name (that is what -P guarantees). Names and mount points may contain
 * spaces, so a line is matched around its four numeric columns rather than split. Lines whose numbers
 * df could not get (`-`) and the header are skipped.
 */
export function parseDf(text: string): DfRow[] {
  const rows: DfRow[] = [];
  for (const line of lines(text)) {
    const match = /^(.+?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(?:\d+%|-)\s+(\/.*)$/.exec(line);
    if (match === null) continue;
    const [, filesystem, size, used, available, mountpoint] = match;
    const [sizeKb, usedKb, availableKb] = [integer(size), integer(used), integer(available)];
    if (filesystem === undefined || mountpoint === undefined || sizeKb === null || usedKb === null || availableKb === null) continue;
    rows.push({ filesystem, mountpoint, sizeKb, usedKb, availableKb });
  }
  return rows;
}

/**
 * Filesystems without a device of their own, named by their source: memory-backed (tmpfs, devtmpfs,
 * udev, ramfs, shm) and kernel interfaces that df lists on some systems. They are not storage, and
 * container runtimes mount and unmount them all the time, which would turn the disks fact into churn.
 */
const PSEUDO_SOURCES = new Set([
  'tmpfs', 'devtmpfs', 'udev', 'ramfs', 'shm', 'none', 'proc', 'sysfs', 'devpts', 'mqueue', 'cgroup', 'cgroup2',
  'efivarfs', 'securityfs', 'debugfs', 'tracefs', 'pstore', 'bpf', 'hugetlbfs', 'configfs', 'fusectl', 'binfmt_misc', 'nsfs',
]);

/**
 * The storage worth tracking. `overlay` is kept only as `/`: a container's own root is its disk, but
 * the overlay mounts a container host makes per running container (under /var/lib/docker, /run/containerd)
 * come and go with containers. Zero-sized filesystems are skipped; when two lines share a mount point
 * (a mount over another), the last, which is the visible one, wins.
 */
export function storageRows(rows: readonly DfRow[]): DfRow[] {
  const byMountpoint = new Map<string, DfRow>();
  for (const row of rows) {
    if (PSEUDO_SOURCES.has(row.filesystem) || row.sizeKb === 0) continue;
    if (row.filesystem === 'overlay' && row.mountpoint !== '/') continue;
    byMountpoint.delete(row.mountpoint);
    byMountpoint.set(row.mountpoint, row);
  }
  return [...byMountpoint.values()];
}

/** The disks fact: what is mounted where and how big; how full it is goes to metrics, which may change every probe. */
export const toDisks = (rows: readonly DfRow[]): Disk[] =>
  storageRows(rows).map(({ filesystem, mountpoint, sizeKb }) => ({ filesystem, mountpoint, sizeKb }));

export const toDiskUsage = (rows: readonly DfRow[]): DiskUsage[] =>
  storageRows(rows).map(({ mountpoint, sizeKb, usedKb, availableKb }) => ({ mountpoint, sizeKb, usedKb, availableKb }));

/**
 * df exits 1 when it cannot stat one filesystem (a FUSE mount of another user, a hung NFS share) but
 * still prints every other; those rows are good, so exit 1 with rows is success. Otherwise the failure
 * is classified as usual.
 */
export async function readDf(context: CollectorContext): Promise<DfRow[]> {
  const result = await attempt(context, 'diskFree');
  if (!result.ok) {
    const partial = result.output.exitCode === 1 ? parseDf(result.output.stdout) : [];
    if (partial.length > 0) return partial;
    throw result.failure;
  }
  return parseOutput(context, 'diskFree', parseSomeDf, result.output.stdout);
}

function parseSomeDf(text: string): DfRow[] {
  const rows = parseDf(text);
  if (rows.length === 0) throw new OutputFormatError('no filesystem lines');
  return rows;
}

export async function collectDisks(context: CollectorContext): Promise<Disk[]> {
  return toDisks(await readDf(context));
}
