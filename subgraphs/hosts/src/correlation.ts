import type { OsInfo, PackageManager } from './sources/probe/types.js';
import { compareVersions, isValidVersion, schemeForPackageManager } from './versions/index.js';

/**
 * Trivy's OS families (its `report.os.family`) to the os-release IDs of hosts of that family.
 * Only the same distribution matches: an Ubuntu image's fixed version says nothing about a Debian
 * host, whose package versions differ.
 */
const FAMILY_TO_OS_IDS: Readonly<Record<string, readonly string[]>> = {
  redhat: ['rhel'],
  alma: ['almalinux'],
  amazon: ['amzn'],
  oracle: ['ol'],
  'cbl-mariner': ['mariner', 'azurelinux'],
  azurelinux: ['azurelinux', 'mariner'],
  'suse linux enterprise server': ['sles'],
  'opensuse.leap': ['opensuse-leap'],
  'opensuse.tumbleweed': ['opensuse-tumbleweed'],
};

export function sameDistribution(osFamily: string, os: OsInfo): boolean {
  const family = osFamily.toLowerCase();
  const ids = FAMILY_TO_OS_IDS[family] ?? [family];
  return ids.includes(os.id.toLowerCase());
}

/**
 * Whether an installed version is older than the fix. Trivy may list several fixed versions, one
 * per maintained branch ("1.2.5, 1.3.2"): the one on the installed version's branch (same first two
 * upstream components) decides; with none on that branch, the lowest. Versions the scheme cannot
 * parse cannot be ordered and never match.
 */
export function olderThanFix(manager: PackageManager, installed: string, fixedVersions: string): { affected: boolean; fixedVersion: string | null } {
  const scheme = schemeForPackageManager(manager);
  if (!isValidVersion(scheme, installed)) return { affected: false, fixedVersion: null };
  const fixes = fixedVersions
    .split(/\s*,\s*/)
    .map((v) => v.trim())
    .filter((v) => v !== '' && isValidVersion(scheme, v));
  if (fixes.length === 0) return { affected: false, fixedVersion: null };
  const branch = branchOf(installed);
  const sameBranch = fixes.filter((f) => branchOf(f) === branch);
  const candidates = sameBranch.length > 0 ? sameBranch : fixes;
  const fix = candidates.reduce((lowest, f) => (compareVersions(scheme, f, lowest) < 0 ? f : lowest));
  return { affected: compareVersions(scheme, installed, fix) < 0, fixedVersion: fix };
}

/** "1:3.0.11-1~deb12u2" → "3.0": epoch and revision off, first two upstream components. */
function branchOf(version: string): string {
  const upstream = version.replace(/^\d+:/, '').replace(/-[^-]*$/, '');
  return upstream.split(/[.~+_]/).slice(0, 2).join('.');
}
