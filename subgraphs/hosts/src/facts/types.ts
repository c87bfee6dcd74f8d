import type { InstalledPackage, OsInfo, PackageManager, ProbeStatusCode } from '../sources/probe/types.js';

/**
 * The fact model of a host. State facts are lists of items with a stable key per item (see
 * FACT_KEYS), stored write-on-change: a probe that finds the same items writes nothing but its
 * freshness. Metrics are snapshots, kept for a retention window.
 */

export interface Service {
  /** Unit name, e.g. ssh.service. */
  name: string;
  description: string;
  /** systemd LOAD: loaded, not-found, masked… */
  loadState: string;
  /** systemd ACTIVE: active, inactive, failed… */
  activeState: string;
  /** systemd SUB: running, exited, dead… */
  subState: string;
  /** From list-unit-files: enabled, disabled, static, masked…; null when the unit has no file. */
  unitFileState: string | null;
}

export interface User {
  name: string;
  uid: number;
  gid: number;
  gecos: string;
  home: string;
  shell: string;
}

export interface Group {
  name: string;
  gid: number;
  members: string[];
}

export interface InterfaceAddress {
  family: 'inet' | 'inet6';
  address: string;
  prefixLength: number;
  scope: string | null;
}

export interface NetworkInterface {
  name: string;
  mac: string | null;
  mtu: number | null;
  /** operstate: UP, DOWN, UNKNOWN… */
  state: string;
  flags: string[];
  addresses: InterfaceAddress[];
}

export interface Route {
  family: 'inet' | 'inet6';
  /** "default" or a prefix such as 10.0.0.0/24. */
  destination: string;
  gateway: string | null;
  device: string | null;
  protocol: string | null;
  scope: string | null;
  metric: number | null;
}

export interface ListeningPort {
  protocol: 'tcp' | 'udp';
  /** Local address as ss prints it without brackets: 0.0.0.0, ::, 127.0.0.53%lo, *. */
  address: string;
  port: number;
  /** Process name, only when the probe may see it (ss -p as root); null otherwise. */
  process: string | null;
}

export interface FirewallPolicy {
  family: string;
  table: string;
  chain: string;
  /** Base-chain hook (input, forward, output…); null for iptables' built-in chains where implied. */
  hook: string | null;
  policy: string;
}

/** A summary of the ruleset: enough to see posture and detect change, without storing every rule. */
export interface Firewall {
  backend: 'nftables' | 'iptables';
  ruleCount: number;
  chainCount: number;
  policies: FirewallPolicy[];
  /** SHA-256 of the normalised ruleset (counters removed), hex. */
  digest: string;
}

export interface Hardware {
  architecture: string | null;
  cpuModel: string | null;
  cpuCount: number | null;
  socketCount: number | null;
  coresPerSocket: number | null;
  threadsPerCore: number | null;
  memTotalKb: number | null;
  /** CPU flags from /proc/cpuinfo, sorted. */
  cpuFlags: string[];
}

export interface Disk {
  filesystem: string;
  mountpoint: string;
  sizeKb: number;
}

export interface DiskUsage {
  mountpoint: string;
  sizeKb: number;
  usedKb: number;
  availableKb: number;
}

export interface MetricsSnapshot {
  at: string;
  load1: number | null;
  load5: number | null;
  load15: number | null;
  memTotalKb: number | null;
  memAvailableKb: number | null;
  swapTotalKb: number | null;
  swapFreeKb: number | null;
  uptimeSeconds: number | null;
  disks: DiskUsage[];
}

/** Every state fact type and the shape of its items. Single-valued facts are lists of one. */
export interface FactItems {
  os: OsInfo;
  packages: InstalledPackage;
  services: Service;
  users: User;
  groups: Group;
  interfaces: NetworkInterface;
  routes: Route;
  listeningPorts: ListeningPort;
  firewall: Firewall;
  hardware: Hardware;
  disks: Disk;
}
export type FactType = keyof FactItems;
export const FACT_TYPES = ['os', 'packages', 'services', 'users', 'groups', 'interfaces', 'routes', 'listeningPorts', 'firewall', 'hardware', 'disks'] as const satisfies readonly FactType[];
export type HostFacts = { [T in FactType]: FactItems[T][] };

/** The stable identity of an item within its fact type: what "the same item" means for write-on-change. */
export const FACT_KEYS: { [T in FactType]: (item: FactItems[T]) => string } = {
  os: () => 'os',
  packages: (p) => `${p.name}:${p.arch ?? ''}`,
  services: (s) => s.name,
  users: (u) => u.name,
  groups: (g) => g.name,
  interfaces: (i) => i.name,
  routes: (r) => [r.family, r.destination, r.gateway ?? '', r.device ?? '', r.metric ?? ''].join(' '),
  listeningPorts: (p) => `${p.protocol} ${p.address} ${p.port}`,
  firewall: () => 'ruleset',
  hardware: () => 'hardware',
  disks: (d) => d.mountpoint,
};

/** A collector gathers one fact type (or the metrics snapshot). */
export type CollectorName = FactType | 'metrics';
export const COLLECTOR_NAMES = [...FACT_TYPES, 'metrics'] as const satisfies readonly CollectorName[];

/** Why a collector's fact is or is not current. */
export type CollectorStatus = 'OK' | 'DENIED' | 'FAILED' | 'TIMEOUT' | 'UNSUPPORTED';

export interface CollectorOutcome {
  status: CollectorStatus;
  /** Why it is not OK, in words (never secrets); null when OK. */
  message: string | null;
}

/** What one probe produced. Facts and metrics are present only for collectors whose outcome is OK. */
export interface ProbeReport {
  hostId: string;
  /** Connection-level outcome; when not OK no collector ran. */
  status: ProbeStatusCode;
  message: string | null;
  startedAt: string;
  finishedAt: string;
  packageManager: PackageManager | null;
  collectors: Partial<Record<CollectorName, CollectorOutcome>>;
  facts: Partial<HostFacts>;
  metrics: MetricsSnapshot | null;
}

/** One entry of a host's change history. */
export interface FactChange {
  type: FactType;
  key: string;
  change: 'ADDED' | 'REMOVED' | 'CHANGED';
  /** JSON of the item before (null when added) and after (null when removed). */
  before: unknown;
  after: unknown;
  at: string;
}
