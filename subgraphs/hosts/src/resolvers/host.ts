import { pageAfter, pageSize } from '@vigil/lib/cursor';
import type { HostResolvers, PackageManager, ProbeStatusResolvers } from '../__generated__/resolvers-types.js';
import type { PackageManager as ProbedPackageManager } from '../sources/probe/types.js';

const PACKAGE_MANAGERS: Record<ProbedPackageManager, PackageManager> = { dpkg: 'DPKG', rpm: 'RPM', apk: 'APK' };

export const Host: HostResolvers = {
  __resolveReference: (ref, { inventory }) => inventory.get(ref.id) ?? null,
  name: (host) => host.id,
  labels: (host) => Object.entries(host.labels).map(([key, value]) => ({ key, value })),
  os: async (host, _args, { states }) => (await states.load(host.id))?.lastSuccess?.os ?? null,
  packageManager: async (host, _args, { states }) => {
    const manager = (await states.load(host.id))?.lastSuccess?.packageManager;
    return manager ? PACKAGE_MANAGERS[manager] : null;
  },
  packages: async (host, { filter, first, after }, { packages }) => {
    const size = pageSize(first, 100, 1000);
    let list = (await packages.load(host.id)) ?? [];
    if (filter?.name != null) list = list.filter((p) => p.name === filter.name);
    if (filter?.nameContains != null) {
      const needle = filter.nameContains.toLowerCase();
      list = list.filter((p) => p.name.toLowerCase().includes(needle));
    }
    // Sorted by name then arch in the store; the key keeps that order under string comparison.
    const page = pageAfter(list, (p) => `${p.name}\u0000${p.arch ?? ''}`, size, after);
    return { ...page, totalCount: list.length };
  },
  probeStatus: async (host, _args, { states }) => ({ state: await states.load(host.id) }),
};

export const ProbeStatus: ProbeStatusResolvers = {
  state: ({ state }) => state?.lastAttempt.status ?? 'NEVER_PROBED',
  message: ({ state }) => state?.lastAttempt.message ?? null,
  lastAttemptAt: ({ state }) => state?.lastAttempt.finishedAt ?? null,
  lastSuccessAt: ({ state }) => state?.lastSuccess?.finishedAt ?? null,
};
