/**
 * The whole Vigil stack (five subgraphs and the gateway, memory stores unless Redis is given) in a process of its own,
 * driven by the benchmark runner over IPC. A separate process keeps the load generator and the
 * subscribers off the stack's event loop and lets the runner read the stack's own heap.
 * In fleet mode (StartParams.fleet) the stack runs on Redis with an SSH inventory that a stub probe
 * stands in for (see FleetParams).
 *
 * Started by bench/lib/stack-process.ts as `node --expose-gc --import tsx bench/stack-server.ts`.
 */
import { pino } from 'pino';
import type { NewAlert } from '@vigil/lib/alerts/alert';
import { createLogger } from '@vigil/lib/logger';
import { startStack, type RunningStack } from '@vigil/gateway/stack';
import { vigilConfig } from '@vigil/gateway/stack-config';
import type { ReportProbe } from '@vigil/subgraph-hosts/probe-pipeline';
import {
  stampedTitle,
  type AuthParams,
  type BurstParams,
  type BurstResult,
  type FleetParams,
  type ProbeCounts,
  type RedisParams,
  type StackInfo,
  type StackRequest,
  type StackRequests,
  type StackResponse,
  type StartParams,
} from './lib/stack-protocol.js';

if (!process.send) {
  console.error('stack-server.ts is started by the benchmark runner (it needs an IPC channel)');
  process.exit(2);
}
const gc = globalThis.gc;
if (!gc) {
  console.error('stack-server.ts needs --expose-gc');
  process.exit(2);
}

let stack: RunningStack | null = null;
let stopping = false;
const probeCounts: ProbeCounts = { facts: 0, metrics: 0 };

/** Fleet mode: answers every probe at once, OK and without facts, so stored facts stay as they are. */
const stubProbe: ReportProbe = (target, { kind }) => {
  probeCounts[kind] += 1;
  const now = new Date().toISOString();
  return Promise.resolve({ hostId: target.id, status: 'OK', message: null, startedAt: now, finishedAt: now, packageManager: null, collectors: {}, facts: {}, metrics: null });
};

const running = (): RunningStack => {
  if (!stack) throw new Error('stack not started');
  return stack;
};

type Handlers = { [K in keyof StackRequests]: (params: StackRequests[K]['params']) => Promise<StackRequests[K]['result']> };

const handlers: Handlers = {
  start: (params) => start(params),
  raise: async ({ alerts }) => {
    const ids: string[] = [];
    for (const alert of alerts) ids.push((await running().publisher.raise(alert)).id);
    return { ids };
  },
  burst: (params) => burst(params),
  memory: async () => {
    // Twice: the first pass can leave finalizer-held objects for the second.
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    const { heapUsed, heapTotal, rss, external, arrayBuffers } = process.memoryUsage();
    return { heapUsed, heapTotal, rss, external, arrayBuffers };
  },
  sample: () => {
    const { rss, heapUsed } = process.memoryUsage();
    const cpu = process.cpuUsage();
    return Promise.resolve({ rss, heapUsed, cpuUserUs: cpu.user, cpuSystemUs: cpu.system });
  },
  probes: () => Promise.resolve({ ...probeCounts }),
  stop: async () => {
    await shutdown();
    return null;
  },
};

async function start(params: StartParams): Promise<StackInfo> {
  if (stack) throw new Error('already started');
  const started = performance.now();
  // Production settings unless asked otherwise (masked errors, gateway log level warn, no
  // introspection): what is deployed. Logs are discarded unless a log file is given.
  const level = params.logFile === undefined ? 'silent' : 'info';
  const config = vigilConfig.parse({
    env: params.env ?? 'production',
    log: { level },
    signing: { secret: params.secret },
    ...(params.fleet ? fleetConfig(params.fleet) : localConfig(params.localHostId, params.redis)),
    ...(params.alertLogMaxLength === undefined ? {} : { alerts: { maxLength: params.alertLogMaxLength } }),
    gateway: { ...(params.auth ? { auth: authConfig(params.auth) } : {}), subscriptions: { share: params.subscriptions !== 'unshared' }, ...(params.queryPlanner ? { queryPlanner: params.queryPlanner } : {}) },
    ...(params.webhookToken === undefined ? {} : { cluster: { falco: { token: params.webhookToken }, audit: { token: params.webhookToken } } }),
    ...(params.tracingEndpoint === undefined ? {} : { tracing: { endpoint: params.tracingEndpoint } }),
    ...(params.victoriaLogsUrl === undefined ? {} : { audit: { victoriaLogs: { url: params.victoriaLogsUrl } } }),
  });
  // As production logs (lib/service-main.ts): createLogger's JSON lines, one synchronous write each.
  const logger = params.logFile === undefined ? pino({ level }) : createLogger('vigil', { level }, pino.destination({ dest: params.logFile, sync: true }));
  stack = await startStack({
    config,
    logger,
    signingSecret: params.secret,
    ports: 'ephemeral',
    ...(params.fleet ? { probe: stubProbe } : {}),
    ...(params.subscriptions === 'runtime' ? { subscriptionExecution: 'runtime' as const } : {}),
  });
  // Host.os comes from the first probe of this machine; in fleet mode, every host's first (stub)
  // probe is done, so no probe is due while the benchmark measures.
  await stack.hosts.scheduler.firstRoundDone();
  const subgraphUrls = Object.fromEntries(Object.entries(stack.subgraphs).map(([name, subgraph]) => [name, subgraph.url])) as StackInfo['subgraphUrls'];
  return {
    pid: process.pid,
    gatewayUrl: stack.gateway.url,
    gatewayWsUrl: stack.gateway.wsUrl,
    subgraphUrls,
    startMs: Math.round(performance.now() - started),
  };
}

/** `gateway.auth` of the config from the benchmark's AuthParams. */
function authConfig(auth: AuthParams): Record<string, unknown> {
  return {
    ...(auth.jwtSecret === undefined ? {} : { jwt: { secret: auth.jwtSecret } }),
    ...(auth.apiKeys === undefined ? {} : { apiKeys: auth.apiKeys }),
  };
}

/** Config sections for the default mode: the local machine (or no host at all), memory stores unless Redis is given. */
function localConfig(localHostId: string | null, redis: RedisParams | undefined): Record<string, unknown> {
  return {
    hosts: { local: localHostId === null ? { enabled: false } : { id: localHostId } },
    ...(redis ? { redis: { url: redis.url, namespace: redis.namespace } } : {}),
  };
}

/** Config sections for fleet mode: Redis, no local host, one never-connected SSH host per id, nothing due for a day after the first round. */
function fleetConfig(fleet: FleetParams): Record<string, unknown> {
  const DAY_SECONDS = 86_400;
  return {
    redis: { url: fleet.redisUrl, namespace: fleet.namespace },
    hosts: {
      local: { enabled: false },
      // The stub probe stands in for SSH: these addresses and keys are never used.
      inventory: fleet.hostIds.map((id) => ({ id, address: '127.0.0.1', port: 22, user: 'bench', privateKeyPath: '/nonexistent/bench-key', knownHostsPath: '/dev/null' })),
      probe: { factsIntervalSeconds: DAY_SECONDS, metricsIntervalSeconds: DAY_SECONDS, concurrency: 64, jitterRatio: 0 },
    },
  };
}

/** Raises alerts at a steady rate against absolute deadlines, so a late send does not shift the rest. */
async function burst(params: BurstParams): Promise<BurstResult> {
  const { publisher } = running();
  if (params.subjects.length === 0) throw new Error('burst needs at least one subject');
  const intervalMs = 1000 / params.ratePerSecond;
  const t0 = performance.now();
  let maxLagMs = 0;
  for (let i = 0; i < params.count; i++) {
    const due = t0 + i * intervalMs;
    const wait = due - performance.now();
    if (wait >= 1) await new Promise((resolve) => setTimeout(resolve, wait));
    maxLagMs = Math.max(maxLagMs, performance.now() - due);
    const subject = params.subjects[i % params.subjects.length];
    if (!subject) throw new Error('unreachable: empty subject list');
    const alert: NewAlert = {
      source: subject.type === 'Host' ? 'HOSTS' : 'CLUSTER',
      severity: 'HIGH',
      title: stampedTitle(params.round, (params.firstSeq ?? 0) + i, process.hrtime.bigint()),
      rule: 'bench',
      subject,
    };
    await publisher.raise(alert);
  }
  return { sent: params.count, durationMs: performance.now() - t0, maxLagMs };
}

async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await stack?.stop();
  stack = null;
}

function reply(response: StackResponse): void {
  process.send?.(response);
}

process.on('message', (message: StackRequest) => {
  const handler = handlers[message.type] as (params: unknown) => Promise<unknown>;
  handler(message.params).then(
    (result) => {
      reply({ id: message.id, ok: true, result });
      if (message.type === 'stop') process.disconnect();
    },
    (error: unknown) => reply({ id: message.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});

// The runner went away (finished, crashed or was interrupted): do not outlive it.
process.on('disconnect', () => {
  const exit = () => process.exit(0);
  shutdown().then(exit, exit);
  setTimeout(exit, 5000).unref();
});
