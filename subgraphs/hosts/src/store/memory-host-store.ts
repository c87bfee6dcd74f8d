import type { InstalledPackage, ProbeResult } from '../sources/probe/types.js';
import { attemptOf, comparePackages, successOf, type HostState, type HostStore } from './host-store.js';

/** The embedded default: host state in this process. */
export class MemoryHostStore implements HostStore {
  private readonly states = new Map<string, HostState>();
  private readonly packages = new Map<string, InstalledPackage[]>();

  async saveProbe(result: ProbeResult): Promise<void> {
    const previous = this.states.get(result.hostId);
    const ok = result.status === 'OK';
    this.states.set(result.hostId, {
      hostId: result.hostId,
      lastAttempt: attemptOf(result),
      lastSuccess: ok ? successOf(result) : (previous?.lastSuccess ?? null),
    });
    if (ok) this.packages.set(result.hostId, [...(result.packages ?? [])].sort(comparePackages));
  }

  async getStates(hostIds: readonly string[]): Promise<(HostState | null)[]> {
    return hostIds.map((id) => this.states.get(id) ?? null);
  }

  async getPackages(hostIds: readonly string[]): Promise<(InstalledPackage[] | null)[]> {
    return hostIds.map((id) => this.packages.get(id) ?? null);
  }

  async close(): Promise<void> {}
}
