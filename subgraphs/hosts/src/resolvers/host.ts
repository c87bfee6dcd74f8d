import { systemClock } from '@vigil/lib/clock';
import { badInput } from '@vigil/lib/errors';
import { pageAfter, pageSize } from '@vigil/lib/cursor';
import type {
  CollectorFreshnessResolvers,
  FactChangeConnectionResolvers,
  FactChangeResolvers,
  HostResolvers,
  HostPackageResolvers,
  HostSnapshotResolvers,
  PackageFilter,
  PackageManager,
  ProbeStatusResolvers,
} from '../__generated__/resolvers-types.js';
import { collectorEnum, factTypeFromEnum } from '../fact-names.js';
import { decodeChangeCursor, encodeChangeCursor } from '../change-cursor.js';
import { COLLECTOR_NAMES } from '../facts/types.js';
import type { PackageManager as ProbedPackageManager, InstalledPackage } from '../sources/probe/types.js';

const PACKAGE_MANAGERS: Record<ProbedPackageManager, PackageManager> = { dpkg: 'DPKG', rpm: 'RPM', apk: 'APK' };
const DAY_MS = 86_400_000;
const NO_LOGIN = /\/(nologin|false)$/;

function packagePage(list: readonly InstalledPackage[], filter: PackageFilter | null | undefined, first: number | null | undefined, after: string | null | undefined) {
  const size = pageSize(first, 100, 1000);
  // The store orders items by their fact key ("name:arch"); clients page in name order.
  let matching = [...list].sort(byNameThenArch);
  if (filter?.name != null) matching = matching.filter((p) => p.name === filter.name);
  if (filter?.nameContains != null) {
    const needle = filter.nameContains.toLowerCase();
    matching = matching.filter((p) => p.name.toLowerCase().includes(needle));
  }
  const page = pageAfter(matching, (p) => `${p.name}\u0000${p.arch ?? ''}`, size, after);
  return { ...page, totalCount: matching.length };
}

function byNameThenArch(a: InstalledPackage, b: InstalledPackage): number {
  const key = (p: InstalledPackage) => `${p.name}\u0000${p.arch ?? ''}`;
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

function parseTime(name: string, value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw badInput(`${name}: "${value.slice(0, 40)}" is not an ISO-8601 date-time`);
  return date;
}

export const Host: HostResolvers = {
  __resolveReference: (ref, { inventory }) => inventory.get(ref.id) ?? null,
  name: (host) => host.id,
  labels: (host) => Object.entries(host.labels).map(([key, value]) => ({ key, value })),
  os: async (host, _args, { facts }) => (await facts('os', host.id))?.[0] ?? null,
  kernel: async (host, _args, { facts }) => (await facts('os', host.id))?.[0]?.kernel ?? null,
  hardware: async (host, _args, { facts }) => (await facts('hardware', host.id))?.[0] ?? null,
  packageManager: async (host, _args, { states }) => {
    const manager = (await states.load(host.id))?.packageManager;
    return manager ? PACKAGE_MANAGERS[manager] : null;
  },
  packages: async (host, { filter, first, after }, { facts }) => packagePage((await facts('packages', host.id)) ?? [], filter, first, after),
  services: async (host, { filter }, { facts }) => {
    let services = (await facts('services', host.id)) ?? [];
    if (filter?.activeState != null) services = services.filter((s) => s.activeState === filter.activeState);
    if (filter?.nameContains != null) {
      const needle = filter.nameContains.toLowerCase();
      services = services.filter((s) => s.name.toLowerCase().includes(needle));
    }
    return services;
  },
  users: async (host, { filter }, { facts }) => {
    let users = (await facts('users', host.id)) ?? [];
    if (filter?.uid != null) users = users.filter((u) => u.uid === filter.uid);
    if (filter?.canLogin != null) users = users.filter((u) => !NO_LOGIN.test(u.shell) === filter.canLogin);
    return users;
  },
  groups: async (host, _args, { facts }) => (await facts('groups', host.id)) ?? [],
  interfaces: async (host, _args, { facts }) => (await facts('interfaces', host.id)) ?? [],
  routes: async (host, _args, { facts }) => (await facts('routes', host.id)) ?? [],
  listeningPorts: async (host, _args, { facts }) => (await facts('listeningPorts', host.id)) ?? [],
  firewall: async (host, _args, { facts }) => (await facts('firewall', host.id))?.[0] ?? null,
  disks: async (host, _args, { facts }) => (await facts('disks', host.id)) ?? [],
  metrics: async (host, { from, to }, { deps }) => {
    const end = to != null ? parseTime('to', to) : (deps.clock ?? systemClock)();
    const start = from != null ? parseTime('from', from) : new Date(end.getTime() - (deps.defaultMetricsWindowMs ?? DAY_MS));
    if (start > end) throw badInput('metrics: from must not be after to');
    return deps.store.getMetrics(host.id, start.toISOString(), end.toISOString());
  },
  changes: async (host, { since, types, first, after, includeBaseline }, { deps, baselines }) => {
    const limit = pageSize(first, 100, 1000);
    const selection = {
      excludeBaseline: includeBaseline !== true,
      ...(since != null ? { since: parseTime('since', since).toISOString() } : {}),
      ...(types != null ? { types: types.map(factTypeFromEnum) } : {}),
    };
    const position = after != null ? decodeChangeCursor(after) : undefined;
    // One more than the page: whether another page follows.
    const [changes, firsts] = await Promise.all([
      deps.store.getChanges(host.id, { ...selection, limit: limit + 1, ...(position ? { after: position } : {}) }),
      baselines.load(host.id),
    ]);
    const page = changes.slice(0, limit);
    const last = page.at(-1);
    return {
      edges: page.map((change) => ({ cursor: encodeChangeCursor(change), node: { ...change, baseline: firsts?.[change.type] === change.at } })),
      pageInfo: { hasNextPage: changes.length > limit, endCursor: last ? encodeChangeCursor(last) : null },
      count: () => deps.store.countChanges(host.id, selection),
    };
  },
  baselineAt: async (host, _args, { baselines }) => {
    const firsts = Object.values((await baselines.load(host.id)) ?? {});
    return firsts.length === 0 ? null : firsts.reduce((earliest, at) => (Date.parse(at) < Date.parse(earliest) ? at : earliest));
  },
  asOf: (host, { time }) => ({ host, time: parseTime('time', time).toISOString() }),
  probeStatus: async (host, _args, { states }) => ({ state: await states.load(host.id) }),
  freshness: async (host, _args, { freshness }) => {
    const byCollector = await freshness.load(host.id);
    return COLLECTOR_NAMES.map((collector) => ({ collector, freshness: byCollector?.[collector] ?? null }));
  },
};

export const HostSnapshot: HostSnapshotResolvers = {
  os: async ({ host, time }, _args, { deps }) => (await deps.store.getFactsAsOf('os', host.id, time))?.[0] ?? null,
  packages: async ({ host, time }, { filter, first, after }, { deps }) =>
    packagePage((await deps.store.getFactsAsOf('packages', host.id, time)) ?? [], filter, first, after),
  services: async ({ host, time }, _args, { deps }) => (await deps.store.getFactsAsOf('services', host.id, time)) ?? [],
  users: async ({ host, time }, _args, { deps }) => (await deps.store.getFactsAsOf('users', host.id, time)) ?? [],
  groups: async ({ host, time }, _args, { deps }) => (await deps.store.getFactsAsOf('groups', host.id, time)) ?? [],
  interfaces: async ({ host, time }, _args, { deps }) => (await deps.store.getFactsAsOf('interfaces', host.id, time)) ?? [],
  routes: async ({ host, time }, _args, { deps }) => (await deps.store.getFactsAsOf('routes', host.id, time)) ?? [],
  listeningPorts: async ({ host, time }, _args, { deps }) => (await deps.store.getFactsAsOf('listeningPorts', host.id, time)) ?? [],
  firewall: async ({ host, time }, _args, { deps }) => (await deps.store.getFactsAsOf('firewall', host.id, time))?.[0] ?? null,
  hardware: async ({ host, time }, _args, { deps }) => (await deps.store.getFactsAsOf('hardware', host.id, time))?.[0] ?? null,
  disks: async ({ host, time }, _args, { deps }) => (await deps.store.getFactsAsOf('disks', host.id, time)) ?? [],
};

export const ProbeStatus: ProbeStatusResolvers = {
  state: ({ state }) => state?.lastAttempt.status ?? 'NEVER_PROBED',
  message: ({ state }) => state?.lastAttempt.message ?? null,
  lastAttemptAt: ({ state }) => state?.lastAttempt.finishedAt ?? null,
  lastSuccessAt: ({ state }) => state?.lastSuccessAt ?? null,
  consecutiveFailures: ({ state }) => state?.consecutiveFailures ?? 0,
};

export const CollectorFreshness: CollectorFreshnessResolvers = {
  collector: ({ collector }) => collectorEnum(collector),
  state: ({ freshness }) => freshness?.status ?? 'NEVER',
  message: ({ freshness }) => freshness?.message ?? null,
  lastAttemptAt: ({ freshness }) => freshness?.lastAttemptAt ?? null,
  lastSuccessAt: ({ freshness }) => freshness?.lastSuccessAt ?? null,
};

export const HostPackage: HostPackageResolvers = {
  packageManager: (entry) => (entry.packageManager ? PACKAGE_MANAGERS[entry.packageManager] : null),
};

export const FactChange: FactChangeResolvers = {
  type: (change) => collectorEnum(change.type),
  before: (change) => change.before ?? null,
  after: (change) => change.after ?? null,
};

export const FactChangeConnection: FactChangeConnectionResolvers = {
  // Only when selected: one ZCOUNT per fact type.
  totalCount: (connection) => connection.count(),
};
