import type { AllowedCommandName } from '../allowlist.js';
import { CollectorFailure, attempt, lines, parseOutput, type CollectorContext } from '../collector.js';
import type { CommandSource } from '../transport.js';
import type { InstalledPackage, PackageManager } from '../types.js';

/**
 * dpkg status words whose files are on disk and configured. The "want" word is ignored on purpose:
 * `hold ok installed` (pinned, often a deliberately old version) and `deinstall ok installed` (marked
 * for removal, not yet removed) are installed software and matter most when matching vulnerabilities.
 * `config-files` (the `rc` rows), `half-installed`, `unpacked` and `not-installed` are dropped.
 */
const DPKG_INSTALLED_STATES = new Set(['installed', 'triggers-awaited', 'triggers-pending']);

/** Lines of `dpkg-query -W -f='${Package}\t${Version}\t${Architecture}\t${Status}\n'`. */
export function parseDpkgQuery(text: string): InstalledPackage[] {
  const packages: InstalledPackage[] = [];
  for (const line of lines(text)) {
    const [name, version, arch, status] = line.split('\t');
    if (!name || !version || status === undefined) continue;
    const [, flag, state] = status.trim().split(/\s+/);
    if (flag !== 'ok' || state === undefined || !DPKG_INSTALLED_STATES.has(state)) continue;
    packages.push({ name, version, arch: arch || null });
  }
  return packages;
}

/**
 * Lines of `rpm -qa --queryformat '%{NAME}\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\t%{ARCH}\n'`;
 * extra trailing columns are ignored. An epoch of 0 (printed by packages that declare `Epoch: 0`, or by
 * formats using %{EPOCHNUM}) is dropped: rpm compares it equal to no epoch, and one spelling per version
 * keeps change history from flapping. `(none)` is rpm's word for an unset tag, e.g. gpg-pubkey's arch.
 */
export function parseRpmQa(text: string): InstalledPackage[] {
  const packages: InstalledPackage[] = [];
  for (const line of lines(text)) {
    const [name, evr, arch] = line.split('\t');
    if (!name || !evr) continue;
    const version = evr.replace(/^(?:0|\(none\)):/, '');
    packages.push({ name, version, arch: arch === undefined || arch === '' || arch === '(none)' ? null : arch });
  }
  return packages;
}

/**
 * Lines of `apk info -v`: `name-version-rN`, e.g. `musl-1.2.4-r2`, `py3-foo-bar-1.0-r0`. Names contain
 * dashes too, so the split follows apk-tools' own apk_pkg_parse_name (src/package.c): scanning back from
 * the end, the version starts after the first `-` followed by a digit, with at most one other `-` (the
 * `-rN` release) on the way. `apk info -v` does not print the architecture.
 */
export function parseApkInfo(text: string): InstalledPackage[] {
  const packages: InstalledPackage[] = [];
  for (const line of lines(text)) {
    const split = splitApkName(line);
    if (split !== null) packages.push({ ...split, arch: null });
  }
  return packages;
}

function splitApkName(nameVersion: string): { name: string; version: string } | null {
  let dashes = 0;
  for (let i = nameVersion.length - 2; i > 0; i--) {
    if (nameVersion[i] !== '-') continue;
    if (/[0-9]/.test(nameVersion[i + 1] ?? '')) return { name: nameVersion.slice(0, i), version: nameVersion.slice(i + 1) };
    if (++dashes >= 2) return null;
  }
  return null;
}

export interface PackageInventory {
  manager: PackageManager;
  packages: InstalledPackage[];
}

const MANAGERS: readonly { manager: PackageManager; command: AllowedCommandName; parse: (text: string) => InstalledPackage[] }[] = [
  { manager: 'dpkg', command: 'dpkgPackages', parse: parseDpkgQuery },
  { manager: 'rpm', command: 'rpmPackages', parse: parseRpmQa },
  { manager: 'apk', command: 'apkPackages', parse: parseApkInfo },
];

/**
 * The installed packages from the first package manager present (dpkg, then rpm, then apk). "Not
 * present" is UNSUPPORTED (exit 127, the shell's "command not found"), and only that moves on to the
 * next manager: any other failure is reported, since asking the next one would report a wrong, empty
 * inventory. Throws UNSUPPORTED when none is installed.
 */
export async function collectPackageInventory(context: CollectorContext): Promise<PackageInventory> {
  for (const { manager, command, parse } of MANAGERS) {
    const result = await attempt(context, command);
    if (result.ok) return { manager, packages: parseOutput(context, command, parse, result.output.stdout) };
    if (result.failure.status !== 'UNSUPPORTED') throw result.failure;
  }
  throw new CollectorFailure('UNSUPPORTED', 'none of dpkg-query, rpm or apk is installed on the host');
}

/** The same for callers without a probe context (probeHost's predecessors): null when no manager is installed. */
export async function collectPackages(runner: CommandSource): Promise<PackageInventory | null> {
  try {
    return await collectPackageInventory({ run: (name) => runner.run(name), sudo: false });
  } catch (error) {
    if (error instanceof CollectorFailure && error.status === 'UNSUPPORTED') return null;
    throw error;
  }
}
