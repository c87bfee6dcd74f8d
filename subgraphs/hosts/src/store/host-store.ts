import type { InstalledPackage, OsInfo, PackageManager, ProbeResult, ProbeStatusCode } from '../sources/probe/types.js';

/** What the store knows about one host: its last probe attempt and the facts of its last success. */
export interface HostState {
  hostId: string;
  lastAttempt: { status: ProbeStatusCode; message: string | null; finishedAt: string };
  lastSuccess: { finishedAt: string; os: OsInfo | null; packageManager: PackageManager | null; packageCount: number } | null;
}

/**
 * Stored probe results. A failed probe records the attempt and keeps the facts of the last success,
 * so a host that is down still shows what it had. Packages are kept apart from the state so that
 * listing hosts never loads hundreds of packages per host.
 */
export interface HostStore {
  saveProbe(result: ProbeResult): Promise<void>;
  getStates(hostIds: readonly string[]): Promise<(HostState | null)[]>;
  /** Packages of the last successful probe, sorted by name then arch. */
  getPackages(hostIds: readonly string[]): Promise<(InstalledPackage[] | null)[]>;
  close(): Promise<void>;
}

export function comparePackages(a: InstalledPackage, b: InstalledPackage): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  const aa = a.arch ?? '';
  const ba = b.arch ?? '';
  return aa === ba ? 0 : aa < ba ? -1 : 1;
}

export function attemptOf(result: ProbeResult): HostState['lastAttempt'] {
  return { status: result.status, message: result.message, finishedAt: result.finishedAt };
}

export function successOf(result: ProbeResult): NonNullable<HostState['lastSuccess']> {
  return { finishedAt: result.finishedAt, os: result.os, packageManager: result.packageManager, packageCount: result.packages?.length ?? 0 };
}
