import type { AlertSubject, NewAlert } from '@vigil/lib/alerts/alert';
import type { Role } from '@vigil/lib/identity';
import type { SubgraphName } from '@vigil/schema/subgraphs';

/**
 * The parent (load generator) and the child running the stack (bench/stack-server.ts) talk over
 * Node's IPC channel: request `{ id, type, params }`, answer `{ id, ok, result | error }`.
 */
export interface StackRequests {
  start: { params: StartParams; result: StackInfo };
  /** Raises alerts one after another through the stack's AlertPublisher (seeding). */
  raise: { params: { alerts: NewAlert[] }; result: { ids: string[] } };
  /** Raises `count` alerts at a steady rate, each stamped with its send time. */
  burst: { params: BurstParams; result: BurstResult };
  /** process.memoryUsage() after a full garbage collection. */
  memory: { params: Record<string, never>; result: MemorySample };
  /** RSS, heap and CPU time now, without collecting garbage: cheap enough to ask for every 100 ms under load. */
  sample: { params: Record<string, never>; result: ProcessSample };
  /** Fleet mode: how often the stub probe has been called so far (background probing check). */
  probes: { params: Record<string, never>; result: ProbeCounts };
  stop: { params: Record<string, never>; result: null };
}
export type StackRequestType = keyof StackRequests;

export type StackRequest = { [K in StackRequestType]: { id: number; type: K; params: StackRequests[K]['params'] } }[StackRequestType];
export type StackResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

/**
 * Either the default stack (memory stores, the local machine probed for real under `localHostId`,
 * or no hosts at all when it is null; on Redis when `redis` is given), or a fleet stack (see FleetParams).
 */
export type StartParams = {
  /** Gateway-to-subgraph signing secret; sent over IPC, not argv or env, so `ps` does not show it. */
  secret: string;
  /** alerts.maxLength of the stack's alert log (the config minimum is 100). @default the config default */
  alertLogMaxLength?: number;
  /**
   * The config's `env`. Production masks errors, blocks introspection and suggestions, and refuses
   * to start without `auth` and `webhookToken`; development with no `auth` treats every caller as a
   * local admin (the only way Vigil runs without authentication). @default production
   */
  env?: 'production' | 'development';
  /** `gateway.auth`: the callers the gateway accepts (see AuthParams). @default nothing configured */
  auth?: AuthParams;
  /** `cluster.falco.token` and `cluster.audit.token` (required in production); Falco posts then carry `Authorization: Bearer <token>`. */
  webhookToken?: string;
  /**
   * Log as production does (the stack's createLogger at level info, one JSON line per record,
   * synchronous writes) into this file, instead of discarding every record (level silent).
   */
  logFile?: string;
  /**
   * `audit.victoriaLogs.url`: the VictoriaLogs the audit subgraph reads (tenant 0/0, the config's
   * default, for a caller with every tenant). @default unset: audit fields answer UPSTREAM_UNAVAILABLE
   */
  victoriaLogsUrl?: string;
  /**
   * How the gateway executes subscriptions: 'shared' (the default: one upstream subscription and one
   * execution per event for subscribers of the same scope), 'unshared' (`gateway.subscriptions.share:
   * false`: one of each per subscriber) or 'runtime' (Hive Gateway's own execution, as before Vigil's
   * fan-out; see GatewayOptions.subscriptionExecution). @default 'shared'
   */
  subscriptions?: 'shared' | 'unshared' | 'runtime';
  /** `gateway.queryPlanner`: 'js' (Hive Gateway's) or 'rust' (Hive Router's; gateway/src/query-planner.ts). @default 'js' */
  queryPlanner?: 'js' | 'rust';
  /** `tracing.endpoint`: export OpenTelemetry traces there (lib/src/telemetry/tracing.ts). @default tracing off */
  tracingEndpoint?: string;
} & ({ localHostId: string | null; redis?: RedisParams; fleet?: undefined } | { fleet: FleetParams; localHostId?: undefined; redis?: undefined });

/** `gateway.auth` of a benchmark stack; sent over IPC like the signing secret. */
export interface AuthParams {
  /** `jwt.secret`: HS256 bearer tokens signed with it are accepted (roles from the `roles` claim, caller from `sub`). */
  jwtSecret?: string;
  /** `apiKeys`: `x-api-key` callers, by the hex SHA-256 of the key, with these roles and every tenant. */
  apiKeys?: { name: string; sha256: string; roles: Role[] }[];
}

/** Every store of the stack (alert log, security events, host facts) in this Redis, keys under `<namespace>:`. */
export interface RedisParams {
  url: string;
  namespace: string;
}

/**
 * A stack on Redis whose hosts subgraph serves facts someone else stored: the local machine is not
 * in the inventory, and the SSH hosts (one per id) are never connected to. The hosts runtime gets a
 * stub probe that answers every probe at once with an OK report without facts, so the scheduler's
 * first round (every host is due at start) writes only probe states and leaves the stored facts as
 * they are; after it, nothing is due for a day, so nothing probes while the benchmark measures.
 */
export interface FleetParams {
  redisUrl: string;
  /** redis.namespace: the hosts subgraph's keys are under `<namespace>:hosts:`. */
  namespace: string;
  hostIds: string[];
}

export interface ProbeCounts {
  facts: number;
  metrics: number;
}

export interface StackInfo {
  pid: number;
  gatewayUrl: string;
  gatewayWsUrl: string;
  subgraphUrls: Record<SubgraphName, string>;
  startMs: number;
}

export interface BurstParams {
  /** Goes into the title so the receiver can tell bursts (and warm-up, round 0) apart. */
  round: number;
  /** Sequence number of the first alert (titles must be unique within a round). @default 0 */
  firstSeq?: number;
  count: number;
  ratePerSecond: number;
  /** Alert i is about subjects[i % subjects.length]. */
  subjects: AlertSubject[];
}

export interface BurstResult {
  sent: number;
  durationMs: number;
  /** How far the send loop fell behind its schedule at worst (event loop busy). */
  maxLagMs: number;
}

export interface ProcessSample {
  rss: number;
  heapUsed: number;
  /** process.cpuUsage(), microseconds since the process started. */
  cpuUserUs: number;
  cpuSystemUs: number;
}

export interface MemorySample {
  heapUsed: number;
  heapTotal: number;
  rss: number;
  external: number;
  arrayBuffers: number;
}

/**
 * Title of a stamped alert. The send time is process.hrtime (CLOCK_MONOTONIC on Linux), which
 * every process on the machine shares, so the receiver in another process can subtract it from
 * its own clock.
 */
export function stampedTitle(round: number, seq: number, sentNs: bigint): string {
  return `bench r${round} #${seq} t${sentNs}`;
}

const STAMP = /^bench r(\d+) #(\d+) t(\d+)$/;

export function parseStampedTitle(title: string): { round: number; seq: number; sentNs: bigint } | null {
  const match = STAMP.exec(title);
  if (!match) return null;
  return { round: Number(match[1]), seq: Number(match[2]), sentNs: BigInt(match[3] ?? '0') };
}
