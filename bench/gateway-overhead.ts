/**
 * gateway-overhead: the latency the gateway adds to a three-subgraph entity query, against doing
 * the same work without it (alerts subgraph query, then `_entities` to hosts and cluster in
 * parallel, every request signed as the gateway signs it).
 *
 * And what gateway authentication adds (issue 9): the same query through stacks that differ only
 * in `gateway.auth` (nothing configured, or an HS256 secret and an API key), and what the access
 * log at level info and production settings add on top. Every path runs in every round, in short
 * blocks of one path after another (see blockRound: one-by-one interleaving across five processes
 * charges each process's wake-up to the path that comes first), so each sees the same moments of
 * a noisy machine; a second auth-off stack shows how far two identical stacks differ (the noise
 * floor of a cross-stack comparison).
 *
 * And the query planner (issue 13): a stack like "off" but with `gateway.queryPlanner: rust`
 * (Hive Router's planner and executor, @graphql-hive/router-runtime), so Hive Gateway's JS planner,
 * the Rust one and the direct path are measured in the same rounds.
 *
 * And tracing (issue 15): a stack like "off" with `tracing.endpoint` set, exporting every span
 * (sample ratio 1) over OTLP/HTTP to a receiver in this process that reads and discards them, so
 * the cost is the spans, their batching and their export, not a collector's.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { SignJWT, jwtVerify } from 'jose';
import { Agent, request } from 'undici';
import { authConfig } from '@vigil/gateway/auth/auth-config';
import { createAuthenticator, type Credentials } from '@vigil/gateway/auth/authenticator';
import { directHeaders } from './lib/direct-headers.js';
import { ms, ratio, round3, table } from './lib/format.js';
import type { Progress } from './lib/progress.js';
import { blockRound, segment, type Sample } from './lib/request-rounds.js';
import { startOtlpReceiver } from '../test/support/otlp-receiver.js';
import { hostSubject, seedAlerts, seedFalcoEvents } from './lib/seed.js';
import { StackProcess } from './lib/stack-process.js';
import type { AuthParams, StackInfo } from './lib/stack-protocol.js';
import { median, range, summarize, type Summary } from './lib/stats.js';

export interface OverheadOptions {
  rounds: number;
  /** Sequential: recorded requests per path per round, and a time cap per round. */
  pairsPerRound: number;
  maxSecondsPerRound: number;
  /**
   * Sequential requests go in blocks of one path (see blockRound): `blockSize` requests, of which
   * the first `unrecordedPerBlock` (the stack process waking up) are not recorded.
   */
  blockSize: number;
  unrecordedPerBlock: number;
  warmupPairs: number;
  /** Concurrent segments (one per path per round), or null to skip them. */
  concurrent: { concurrency: number; requestsPerSegment: number; maxSecondsPerSegment: number } | null;
  alerts: number;
  pods: number;
  eventsPerPod: number;
  /** In-process authenticate() calls per credential kind (attribution of the added latency). */
  authenticatorCalls: number;
}

const PAGE = 20;
const LOCAL_HOST_ID = 'bench-local';

const GATEWAY_QUERY = `query BenchAlertSubjects {
  alerts(first: ${PAGE}) { edges { node { id title severity subject {
    __typename
    ... on Host { id name os { prettyName } }
    ... on KubeObject { cluster namespace kind name securityEvents(first: 3) { edges { node { id title } } } }
  } } } }
}`;

// What the gateway needs from each subgraph for GATEWAY_QUERY: the page with the subjects' keys,
// then the non-key fields of each subject type from the subgraph that owns them.
const ALERTS_QUERY = `query BenchAlertSubjects {
  alerts(first: ${PAGE}) { edges { node { id title severity subject {
    __typename
    ... on Host { id }
    ... on KubeObject { cluster namespace kind name }
  } } } }
}`;
const HOST_ENTITIES = `query BenchHostEntities($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Host { name os { prettyName } } }
}`;
const KUBE_ENTITIES = `query BenchKubeObjectEntities($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on KubeObject { securityEvents(first: 3) { edges { node { id title } } } } }
}`;

interface HostKey {
  __typename: 'Host';
  id: string;
}
interface KubeKey {
  __typename: 'KubeObject';
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
}
interface HostFields {
  name: string;
  os: { prettyName: string } | null;
}
interface KubeFields {
  securityEvents: { edges: { node: { id: string; title: string } }[] };
}
type Subject = (HostKey & HostFields) | (KubeKey & KubeFields);
interface AlertNode<S> {
  id: string;
  title: string;
  severity: string;
  subject: S | null;
}
interface AlertsPage<S> {
  alerts: { edges: { node: AlertNode<S> }[] };
}
interface GraphQLBody<T> {
  data?: T | null;
  errors?: { message: string }[];
}


/**
 * The stacks, launched and seeded alike. Production refuses to start without `gateway.auth`, so
 * "auth off" can only be development with nothing configured (every caller is the local admin);
 * the stacks compared for authentication therefore all run development, and "deployed" adds
 * production's settings on top.
 */
type StackName = 'off' | 'offControl' | 'rust' | 'tracing' | 'auth' | 'authLog' | 'deployed';
interface StackSpec {
  env: 'development' | 'production';
  auth: boolean;
  /** Log at info into a file, as production logs (otherwise every record is discarded: pino level silent). */
  log: boolean;
  /** `gateway.queryPlanner`. @default 'js' */
  queryPlanner?: 'rust';
  /** Export traces (every span) to the discarding OTLP receiver. */
  tracing?: boolean;
  describe: string;
}
const STACKS: Record<StackName, StackSpec> = {
  off: { env: 'development', auth: false, log: false, describe: 'development, gateway.auth unset (every caller is the local admin), logs discarded' },
  offControl: { env: 'development', auth: false, log: false, describe: 'a second stack identical to "off" (control)' },
  rust: { env: 'development', auth: false, log: false, queryPlanner: 'rust', describe: 'as "off", with gateway.queryPlanner: rust (Hive Router\'s query planner, @graphql-hive/router-runtime)' },
  tracing: { env: 'development', auth: false, log: false, tracing: true, describe: 'as "off", with tracing on: every span exported over OTLP/HTTP to a receiver that discards it' },
  auth: { env: 'development', auth: true, log: false, describe: 'development, gateway.auth.jwt.secret (HS256) + one API key, logs discarded' },
  authLog: { env: 'development', auth: true, log: true, describe: 'as "auth", logging at info into a file as production logs' },
  deployed: { env: 'production', auth: true, log: true, describe: 'production (masked errors, no introspection or suggestions), auth and logs as "authLog"' },
};
const STACK_NAMES = Object.keys(STACKS) as StackName[];

type Credential = 'none' | 'jwt' | 'apiKey';
type Path = 'direct' | 'gateway' | 'control' | 'rust' | 'traced' | 'jwt' | 'apiKey' | 'jwtLog' | 'deployed';
interface PathSpec {
  stack: StackName;
  via: 'direct' | 'gateway';
  credential: Credential;
  label: string;
}
const PATH_SPECS: Record<Path, PathSpec> = {
  direct: { stack: 'off', via: 'direct', credential: 'none', label: 'direct (3 signed subgraph requests)' },
  gateway: { stack: 'off', via: 'gateway', credential: 'none', label: 'gateway, auth off' },
  control: { stack: 'offControl', via: 'gateway', credential: 'none', label: 'gateway, auth off, 2nd identical stack' },
  rust: { stack: 'rust', via: 'gateway', credential: 'none', label: 'gateway, auth off, Rust query planner' },
  traced: { stack: 'tracing', via: 'gateway', credential: 'none', label: 'gateway, auth off, tracing on (OTLP export)' },
  jwt: { stack: 'auth', via: 'gateway', credential: 'jwt', label: 'gateway, auth on: HS256 JWT' },
  apiKey: { stack: 'auth', via: 'gateway', credential: 'apiKey', label: 'gateway, auth on: API key' },
  jwtLog: { stack: 'authLog', via: 'gateway', credential: 'jwt', label: 'gateway, HS256 JWT, logs at info' },
  deployed: { stack: 'deployed', via: 'gateway', credential: 'jwt', label: 'gateway as deployed: production, JWT, logs at info' },
};
const PATHS = Object.keys(PATH_SPECS) as Path[];

interface ComparisonSpec {
  name: string;
  of: Path;
  against: Path;
}
const COMPARISONS: readonly ComparisonSpec[] = [
  { name: 'auth on (HS256 JWT) vs auth off', of: 'jwt', against: 'gateway' },
  { name: 'auth on (API key) vs auth off', of: 'apiKey', against: 'gateway' },
  { name: 'HS256 JWT vs API key, same stack', of: 'jwt', against: 'apiKey' },
  { name: 'control: two identical auth-off stacks', of: 'control', against: 'gateway' },
  { name: 'Rust query planner vs JS planner, auth off', of: 'rust', against: 'gateway' },
  { name: 'Rust query planner (auth off) vs direct', of: 'rust', against: 'direct' },
  { name: 'tracing on vs off, auth off', of: 'traced', against: 'gateway' },
  { name: 'logs at info (access log) vs discarded, JWT', of: 'jwtLog', against: 'jwt' },
  { name: 'production vs development settings, JWT, logs at info', of: 'deployed', against: 'jwtLog' },
  { name: 'gateway as deployed vs direct', of: 'deployed', against: 'direct' },
];

export interface PathFigures {
  /** Median over rounds of each round's p50 / p99. */
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  /** Concurrent segments only: completed requests per second, median over rounds. */
  requestsPerSecond?: number;
}

export interface ComparisonResult extends ComparisonSpec {
  /** p50 of `of` − p50 of `against`, each the median over rounds (ms). */
  addedP50: number;
  /** The same difference within each round (the paths ran side by side): median and spread. */
  addedP50PerRound: { median: number; min: number; max: number };
  addedP99: number;
  /** p50 of `of` / p50 of `against`, medians over rounds. */
  ratioP50: number;
}

type RoundFigures = Summary & { rps: number };

export interface ModeResult {
  concurrency: number;
  rounds: { round: number; order: Path[]; paths: Record<Path, RoundFigures>; ratioP50: number; rustRatioP50: number }[];
  paths: Record<Path, PathFigures>;
  /** The auth-off gateway and the direct path (as before the authentication paths were added). */
  gateway: PathFigures;
  direct: PathFigures;
  /** gateway p50 / direct p50, each the median over rounds. */
  ratioOfMedianP50: number;
  /** gateway p50 / direct p50 within each round (the variants ran side by side): median and spread. */
  ratioPerRound: { median: number; min: number; max: number };
  /** The same two ratios for the Rust-planner stack (auth off). */
  rustRatioOfMedianP50: number;
  rustRatioPerRound: { median: number; min: number; max: number };
  comparisons: ComparisonResult[];
}

/** What a logging stack wrote while the benchmark ran. */
export interface LogFigures {
  gatewayRequests: number;
  accessLines: number;
  otherLines: number;
  accessLinesPerRequest: number;
  bytesPerAccessLine: number;
  /** The other records, by message. */
  otherMessages: Record<string, number>;
  /** One access line as written (the bench's own caller, a random document hash). */
  sample: string | null;
}

/** One call, awaited: wall time and CPU time of this process, microseconds, median over batches. */
export interface CallCost {
  wallUs: number;
  cpuUs: number;
}

/** authenticate() in this (the load generator's) process, with the gateway's code and the benchmark's credentials. */
export interface AuthenticatorCost {
  calls: number;
  /** Nothing configured, development: the local admin. */
  off: CallCost;
  jwt: CallCost;
  /** jose's jwtVerify alone, given the secret as the authenticator gives it (bytes): part of `jwt`. */
  joseVerify: CallCost;
  /** jwtVerify with the secret imported once as a WebCrypto CryptoKey (not what the authenticator does). */
  joseVerifyCryptoKey: CallCost;
  apiKey: CallCost;
}

export interface StackSetup {
  pid: number;
  describe: string;
  upstreamRequestsPerGatewayQuery: Record<string, number>;
  verified: string;
}

export interface OverheadResult {
  name: 'gateway-overhead';
  options: OverheadOptions;
  setup: {
    stacks: Record<StackName, StackSetup>;
    seededAlerts: number;
    falcoEvents: number;
    page: number;
    subjectsOnPage: { host: number; kubeObject: number; distinctHostRepresentations: number; distinctKubeRepresentations: number };
    responseBytes: number;
    upstreamRequestsPerGatewayQuery: Record<string, number>;
    verified: string;
    authenticator: AuthenticatorCost;
  };
  logs: Partial<Record<StackName, LogFigures>>;
  sequential: ModeResult;
  concurrent: ModeResult | null;
}

interface LaunchedStack {
  name: StackName;
  process: StackProcess;
  client: StackClient;
  logFile: string | null;
}

export async function runGatewayOverhead(options: OverheadOptions, log: Progress, register: (stack: StackProcess) => void): Promise<OverheadResult> {
  const jwtSecret = randomBytes(32).toString('hex');
  const apiKey = randomBytes(24).toString('base64url');
  const webhookToken = randomBytes(24).toString('hex');
  const auth: AuthParams = { jwtSecret, apiKeys: [{ name: 'bench', sha256: createHash('sha256').update(apiKey, 'utf8').digest('hex'), roles: ['admin'] }] };
  // One token for the whole run, as a client reuses its token until it expires.
  const token = await new SignJWT({ roles: ['admin'] }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject('bench').setIssuedAt().setExpirationTime('4h').sign(new TextEncoder().encode(jwtSecret));
  const credentials: Record<Credential, Record<string, string>> = { none: {}, jwt: { authorization: `Bearer ${token}` }, apiKey: { 'x-api-key': apiKey } };

  log(`authenticate() in this process, ${options.authenticatorCalls} calls per credential kind`);
  const authenticator = await authenticatorCost(auth, token, apiKey, options.authenticatorCalls);
  log(`authenticate(): ${authenticatorSummary(authenticator)}`);

  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 32 });
  const otlp = await startOtlpReceiver({ discard: true });
  const logDir = mkdtempSync(join(tmpdir(), 'vigil-bench-logs-'));
  const stacks = new Map<StackName, LaunchedStack>();
  try {
    for (const name of STACK_NAMES) {
      const spec = STACKS[name];
      const logFile = spec.log ? join(logDir, `${name}.log`) : null;
      log(`starting stack "${name}" (${spec.describe}) in a child process`);
      const { process: stack, info } = await StackProcess.launch(`gateway-overhead-${name}`, {
        localHostId: LOCAL_HOST_ID,
        env: spec.env,
        webhookToken,
        ...(spec.auth ? { auth } : {}),
        ...(logFile === null ? {} : { logFile }),
        ...(spec.queryPlanner ? { queryPlanner: spec.queryPlanner } : {}),
        ...(spec.tracing ? { tracingEndpoint: otlp.url } : {}),
      });
      register(stack);
      log(`stack "${name}" up in ${info.startMs} ms (pid ${info.pid}); seeding ${options.pods * options.eventsPerPod} Falco events and ${options.alerts} alerts`);
      const pods = await seedFalcoEvents(info.subgraphUrls.cluster, options.pods, options.eventsPerPod, webhookToken);
      const subjects = [hostSubject(LOCAL_HOST_ID), ...pods.flatMap((pod) => [pod, hostSubject(LOCAL_HOST_ID)])];
      await stack.call('raise', { alerts: seedAlerts(options.alerts, subjects) });
      stacks.set(name, { name, process: stack, client: new StackClient(agent, info, stack.secret, credentials), logFile });
    }
    const launched = (name: StackName): LaunchedStack => {
      const found = stacks.get(name);
      if (!found) throw new Error(`stack ${name} was not started`);
      return found;
    };

    const stackSetups = {} as Record<StackName, StackSetup>;
    let offSetup: Awaited<ReturnType<typeof verify>> | null = null;
    for (const name of STACK_NAMES) {
      const { client, process: stack } = launched(name);
      const setup = await verify(client, STACKS[name].auth ? 'jwt' : 'none', agent);
      const refusal = await verifyAuthentication(client, STACKS[name].auth, jwtSecret, agent);
      stackSetups[name] = { pid: stack.pid ?? 0, describe: STACKS[name].describe, upstreamRequestsPerGatewayQuery: setup.upstreamRequestsPerGatewayQuery, verified: `${setup.verified}; ${refusal}` };
      if (name === 'off') offSetup = setup;
      log(`stack "${name}" verified: ${stackSetups[name].verified}`);
    }
    if (!offSetup) throw new Error('unreachable: the auth-off stack was not verified');

    const run = (path: Path): Promise<unknown> => {
      const spec = PATH_SPECS[path];
      const { client } = launched(spec.stack);
      return spec.via === 'direct' ? client.direct() : client.gateway(spec.credential);
    };

    // Latencies keep falling for the first ~1,000 requests (JIT), so the warm-up is generous.
    log(`warm-up: ${options.warmupPairs} sequential requests per path${options.concurrent ? `, then ${options.concurrent.requestsPerSegment} at concurrency ${options.concurrent.concurrency}` : ''} (excluded)`);
    await blockRound(run, PATHS, options.warmupPairs, options.blockSize, options.unrecordedPerBlock, options.maxSecondsPerRound);
    if (options.concurrent) {
      const { concurrency, requestsPerSegment, maxSecondsPerSegment } = options.concurrent;
      for (const path of PATHS) await segment(run, path, concurrency, requestsPerSegment, maxSecondsPerSegment);
    }

    const sequential = await runMode(options.rounds, 1, log, async (order) => blockRound(run, order, options.pairsPerRound, options.blockSize, options.unrecordedPerBlock, options.maxSecondsPerRound));
    const concurrentOptions = options.concurrent;
    const concurrent = concurrentOptions
      ? await runMode(options.rounds, concurrentOptions.concurrency, log, async (order) => {
          const out = new Map<Path, Sample>();
          // One path at a time at full concurrency, alternating which goes first.
          for (const path of order) out.set(path, await segment(run, path, concurrentOptions.concurrency, concurrentOptions.requestsPerSegment, concurrentOptions.maxSecondsPerSegment));
          return out;
        })
      : null;

    if (otlp.requests === 0) throw new Error('the tracing stack exported nothing: tracing did not start');
    log(`tracing stack: ${otlp.requests} OTLP export requests received (discarded)`);
    const logs: OverheadResult['logs'] = {};
    for (const { name, logFile, client } of stacks.values()) if (logFile !== null) logs[name] = logFigures(logFile, client.gatewayRequests);

    return {
      name: 'gateway-overhead',
      options,
      setup: { stacks: stackSetups, seededAlerts: options.alerts, falcoEvents: options.pods * options.eventsPerPod, ...offSetup, authenticator },
      logs,
      sequential,
      concurrent,
    };
  } finally {
    await agent.close();
    log('stopping the stacks');
    await Promise.all([...stacks.values()].map(({ process: stack }) => stack.stop()));
    rmSync(logDir, { recursive: true, force: true });
    await otlp.stop();
  }
}

async function runMode(rounds: number, concurrency: number, log: Progress, round: (order: readonly Path[]) => Promise<Map<Path, Sample>>): Promise<ModeResult> {
  const label = concurrency === 1 ? 'sequential' : `concurrency ${concurrency}`;
  const perRound: ModeResult['rounds'] = [];
  const totals = Object.fromEntries(PATHS.map((path) => [path, { requests: 0, errors: 0 }])) as Record<Path, { requests: number; errors: number }>;
  for (let r = 1; r <= rounds; r++) {
    const order: Path[] = r % 2 === 1 ? [...PATHS] : [...PATHS].reverse();
    const samples = await round(order);
    const figures = (path: Path): RoundFigures => {
      const sample = samples.get(path) ?? { latencies: [], errors: 0, elapsedMs: 0 };
      totals[path].requests += sample.latencies.length;
      totals[path].errors += sample.errors;
      return { ...summarize(sample.latencies), rps: sample.elapsedMs > 0 ? (sample.latencies.length / sample.elapsedMs) * 1000 : Number.NaN };
    };
    const paths = Object.fromEntries(PATHS.map((path) => [path, figures(path)])) as Record<Path, RoundFigures>;
    perRound.push({ round: r, order, paths, ratioP50: paths.gateway.p50 / paths.direct.p50, rustRatioP50: paths.rust.p50 / paths.direct.p50 });
    log(
      `${label} round ${r}/${rounds}: p50 ms ${PATHS.map((path) => `${path} ${ms(paths[path].p50)}`).join(', ')} (n=${paths.gateway.n}); ` +
        `gateway/direct ${ratio(paths.gateway.p50 / paths.direct.p50)}, rust/direct ${ratio(paths.rust.p50 / paths.direct.p50)}, jwt−off ${ms(paths.jwt.p50 - paths.gateway.p50)} ms`,
    );
  }
  const pathFigures = (path: Path): PathFigures => ({
    p50: median(perRound.map((r) => r.paths[path].p50)),
    p99: median(perRound.map((r) => r.paths[path].p99)),
    requests: totals[path].requests,
    errors: totals[path].errors,
    ...(concurrency > 1 ? { requestsPerSecond: median(perRound.map((r) => r.paths[path].rps)) } : {}),
  });
  const paths = Object.fromEntries(PATHS.map((path) => [path, pathFigures(path)])) as Record<Path, PathFigures>;
  const ratios = perRound.map((r) => r.ratioP50);
  const rustRatios = perRound.map((r) => r.rustRatioP50);
  const comparisons = COMPARISONS.map((spec): ComparisonResult => {
    const added = perRound.map((r) => r.paths[spec.of].p50 - r.paths[spec.against].p50);
    return {
      ...spec,
      addedP50: paths[spec.of].p50 - paths[spec.against].p50,
      addedP50PerRound: { median: median(added), ...range(added) },
      addedP99: paths[spec.of].p99 - paths[spec.against].p99,
      ratioP50: paths[spec.of].p50 / paths[spec.against].p50,
    };
  });
  return {
    concurrency,
    rounds: perRound,
    paths,
    gateway: paths.gateway,
    direct: paths.direct,
    ratioOfMedianP50: paths.gateway.p50 / paths.direct.p50,
    ratioPerRound: { median: median(ratios), ...range(ratios) },
    rustRatioOfMedianP50: paths.rust.p50 / paths.direct.p50,
    rustRatioPerRound: { median: median(rustRatios), ...range(rustRatios) },
    comparisons,
  };
}

/**
 * authenticate() as the gateway calls it for every HTTP request, in this process: nothing
 * configured (development), an HS256 JWT, an API key; and jose's jwtVerify alone. Batches of each
 * in turn; the per-call times are medians over batches.
 */
async function authenticatorCost(auth: AuthParams, token: string, apiKey: string, calls: number): Promise<AuthenticatorCost> {
  const on = createAuthenticator(authConfig.parse({ jwt: { secret: auth.jwtSecret }, apiKeys: auth.apiKeys }), {}, { development: false });
  const off = createAuthenticator(authConfig.parse({}), {}, { development: true });
  const key = new TextEncoder().encode(auth.jwtSecret);
  const cryptoKey = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  const ok = async (credentials: Credentials, authenticator: typeof on) => {
    const result = await authenticator.authenticate(credentials);
    if (!result.ok) throw new Error(`authenticate() refused the benchmark's credentials: ${result.reason}`);
  };
  const cases = {
    off: () => ok({}, off),
    jwt: () => ok({ authorization: `Bearer ${token}` }, on),
    joseVerify: async () => {
      await jwtVerify(token, key, { algorithms: ['HS256'] });
    },
    joseVerifyCryptoKey: async () => {
      await jwtVerify(token, cryptoKey, { algorithms: ['HS256'] });
    },
    apiKey: () => ok({ apiKey }, on),
  };
  const names = Object.keys(cases) as (keyof typeof cases)[];
  const batches = 10;
  const perBatch = Math.max(1, Math.ceil(calls / batches));
  const wall = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<keyof typeof cases, number[]>;
  const cpu = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<keyof typeof cases, number[]>;
  // One warm-up batch of each (excluded), then the measured batches.
  for (let b = 0; b <= batches; b++) {
    for (const name of names) {
      const call = cases[name];
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < perBatch; i++) await call();
      const elapsed = performance.now() - t0;
      const used = process.cpuUsage(cpu0);
      if (b === 0) continue;
      wall[name].push((elapsed / perBatch) * 1000);
      cpu[name].push((used.user + used.system) / perBatch);
    }
  }
  const cost = (name: keyof typeof cases): CallCost => ({ wallUs: median(wall[name]), cpuUs: median(cpu[name]) });
  return { calls: perBatch * batches, off: cost('off'), jwt: cost('jwt'), joseVerify: cost('joseVerify'), joseVerifyCryptoKey: cost('joseVerifyCryptoKey'), apiKey: cost('apiKey') };
}

function authenticatorSummary(a: AuthenticatorCost): string {
  const both = (c: CallCost) => `${us(c.wallUs)} µs (CPU ${us(c.cpuUs)} µs)`;
  return (
    `auth off ${both(a.off)}, HS256 JWT ${both(a.jwt)}, of which jose jwtVerify ${both(a.joseVerify)}, API key ${both(a.apiKey)}; ` +
    `jwtVerify with the secret imported once as a CryptoKey: ${both(a.joseVerifyCryptoKey)}`
  );
}

/** The most frequent messages, e.g. `12× "probe done", 3× "listening"`. */
function topMessages(counts: Record<string, number>, limit = 4): string {
  const sorted = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  const shown = sorted.slice(0, limit).map(([msg, count]) => `${count}× "${msg}"`);
  return sorted.length > limit ? `${shown.join(', ')}, …` : shown.join(', ') || 'none';
}

function us(value: number): string {
  return Number.isFinite(value) ? (value >= 10 ? value.toFixed(1) : value.toFixed(2)) : '–';
}

/** Counts the access lines (channel "access") and the other records a logging stack wrote. */
function logFigures(file: string, gatewayRequests: number): LogFigures {
  const lines = readFileSync(file, 'utf8').split('\n').filter((line) => line.length > 0);
  const access: string[] = [];
  const otherMessages: Record<string, number> = {};
  for (const line of lines) {
    const record = JSON.parse(line) as { channel?: unknown; msg?: unknown };
    if (record.channel === 'access') access.push(line);
    else {
      const msg = typeof record.msg === 'string' ? record.msg.slice(0, 80) : '(no msg)';
      otherMessages[msg] = (otherMessages[msg] ?? 0) + 1;
    }
  }
  const accessBytes = access.reduce((total, line) => total + Buffer.byteLength(line) + 1, 0);
  return {
    gatewayRequests,
    accessLines: access.length,
    otherLines: lines.length - access.length,
    accessLinesPerRequest: gatewayRequests > 0 ? access.length / gatewayRequests : Number.NaN,
    bytesPerAccessLine: access.length > 0 ? accessBytes / access.length : Number.NaN,
    otherMessages,
    sample: access.at(-1) ?? null,
  };
}

/** One stack, driven from this process: through its gateway with a credential, or direct to its subgraphs. */
class StackClient {
  /** Requests sent to the gateway's /graphql (the access log writes a line per operation). */
  gatewayRequests = 0;

  constructor(
    private readonly agent: Agent,
    readonly info: StackInfo,
    private readonly secret: string,
    private readonly credentials: Record<Credential, Record<string, string>>,
  ) {}

  /** The subgraph a URL belongs to: direct requests are signed for it, as the gateway signs them. */
  audienceOf(url: string): string {
    const found = Object.entries(this.info.subgraphUrls).find(([, subgraphUrl]) => subgraphUrl === url);
    if (!found) throw new Error(`${url} is not a subgraph of this stack`);
    return found[0];
  }

  async gateway(credential: Credential): Promise<AlertsPage<Subject>> {
    return (await this.viaGateway(credential)).data;
  }

  viaGateway(credential: Credential): Promise<{ data: AlertsPage<Subject>; bytes: number }> {
    this.gatewayRequests += 1;
    return this.post<AlertsPage<Subject>>(this.info.gatewayUrl, { query: GATEWAY_QUERY }, this.credentials[credential]);
  }

  /** The gateway's work by hand: the page, then each subject type's fields from its subgraph, in parallel. */
  async direct(): Promise<AlertsPage<Subject>> {
    const { data: page } = await this.post<AlertsPage<HostKey | KubeKey>>(this.info.subgraphUrls.alerts, { query: ALERTS_QUERY }, 'signed');
    // One representation per distinct key, as the gateway's DataLoader batches them.
    const hosts = new Map<string, HostKey>();
    const kubes = new Map<string, KubeKey>();
    for (const { node } of page.alerts.edges) {
      const subject = node.subject;
      if (subject?.__typename === 'Host') hosts.set(subject.id, { __typename: 'Host', id: subject.id });
      else if (subject?.__typename === 'KubeObject') {
        const key: KubeKey = { __typename: 'KubeObject', cluster: subject.cluster, namespace: subject.namespace, kind: subject.kind, name: subject.name };
        kubes.set(kubeKey(key), key);
      }
    }
    const [hostFields, kubeFields] = await Promise.all([
      this.entities<HostFields>(this.info.subgraphUrls.hosts, HOST_ENTITIES, [...hosts.values()]),
      this.entities<KubeFields>(this.info.subgraphUrls.cluster, KUBE_ENTITIES, [...kubes.values()]),
    ]);
    const hostById = new Map([...hosts.keys()].map((id, i) => [id, hostFields[i]]));
    const kubeByKey = new Map([...kubes.keys()].map((key, i) => [key, kubeFields[i]]));
    return {
      alerts: {
        edges: page.alerts.edges.map(({ node }) => {
          const subject = node.subject;
          let resolved: Subject | null = null;
          if (subject?.__typename === 'Host') {
            const fields = hostById.get(subject.id);
            resolved = fields ? { ...subject, ...fields } : null;
          } else if (subject?.__typename === 'KubeObject') {
            const fields = kubeByKey.get(kubeKey(subject));
            resolved = fields ? { ...subject, ...fields } : null;
          }
          return { node: { ...node, subject: resolved } };
        }),
      },
    };
  }

  private async entities<T>(url: string, query: string, representations: readonly object[]): Promise<(T | null)[]> {
    if (representations.length === 0) return [];
    const { data } = await this.post<{ _entities: (T | null)[] }>(url, { query, variables: { representations } }, 'signed');
    return data._entities;
  }

  /** `signed`: as the gateway signs a subgraph request; otherwise these extra headers (a caller's credentials). */
  async post<T>(url: string, payload: object, extra: Record<string, string> | 'signed'): Promise<{ data: T; bytes: number }> {
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    Object.assign(headers, extra === 'signed' ? directHeaders(this.secret, url, this.audienceOf(url), body) : extra);
    const response = await request(url, { method: 'POST', headers, body, dispatcher: this.agent });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`${url} answered ${response.statusCode}: ${text.slice(0, 300)}`);
    const parsed = JSON.parse(text) as GraphQLBody<T>;
    if (parsed.errors?.length) throw new Error(`${url}: ${parsed.errors.map((e) => e.message).join('; ')}`);
    if (!parsed.data) throw new Error(`${url} answered without data`);
    return { data: parsed.data, bytes: Buffer.byteLength(text) };
  }
}

function kubeKey(key: Omit<KubeKey, '__typename'>): string {
  return JSON.stringify([key.cluster, key.namespace, key.kind, key.name]);
}

/**
 * Both paths must do the same work: identical data, subjects of both types actually resolved,
 * and the gateway making exactly the three upstream requests the direct path makes.
 */
async function verify(client: StackClient, credential: Credential, agent: Agent): Promise<Omit<OverheadResult['setup'], 'stacks' | 'seededAlerts' | 'falcoEvents' | 'authenticator'>> {
  const { info } = client;
  const before = await upstreamCounts(info, agent);
  const viaGateway = await client.gateway(credential);
  const after = await upstreamCounts(info, agent);
  const viaDirect = await client.direct();
  if (!isDeepStrictEqual(viaGateway, viaDirect)) {
    throw new Error(`the gateway and direct paths returned different data:\ngateway ${JSON.stringify(viaGateway).slice(0, 2000)}\ndirect  ${JSON.stringify(viaDirect).slice(0, 2000)}`);
  }
  const nodes = viaGateway.alerts.edges.map((e) => e.node);
  if (nodes.length !== PAGE) throw new Error(`expected ${PAGE} alerts, got ${nodes.length}`);
  const hosts = nodes.flatMap((n) => (n.subject?.__typename === 'Host' ? [n.subject] : []));
  const kubes = nodes.flatMap((n) => (n.subject?.__typename === 'KubeObject' ? [n.subject] : []));
  if (hosts.length === 0 || hosts.some((h) => !h.os?.prettyName)) throw new Error('Host subjects did not resolve (no os.prettyName): is the local probe failing?');
  if (kubes.length === 0 || kubes.some((k) => k.securityEvents.edges.length === 0)) throw new Error('KubeObject subjects have no securityEvents: the Falco seeding did not land');

  const upstream: Record<string, number> = {};
  // Subgraphs this query did not call (their series exist from earlier requests) are left out.
  for (const [subgraph, count] of after) {
    const calls = count - (before.get(subgraph) ?? 0);
    if (calls !== 0) upstream[subgraph] = calls;
  }
  const expected = { alerts: 1, hosts: 1, cluster: 1 };
  const sameRequests = isDeepStrictEqual(upstream, expected);

  const gatewayBytes = (await client.viaGateway(credential)).bytes;
  const distinctHosts = new Set(hosts.map((h) => h.id)).size;
  const distinctKubes = new Set(kubes.map((k) => kubeKey(k))).size;
  return {
    page: PAGE,
    subjectsOnPage: { host: hosts.length, kubeObject: kubes.length, distinctHostRepresentations: distinctHosts, distinctKubeRepresentations: distinctKubes },
    responseBytes: gatewayBytes,
    upstreamRequestsPerGatewayQuery: upstream,
    verified:
      `identical data on both paths (${PAGE} alerts: ${hosts.length} Host subjects with os, ${kubes.length} KubeObject subjects with securityEvents); ` +
      `gateway upstream requests per query ${JSON.stringify(upstream)}${sameRequests ? ' = the 3 the direct path makes' : ' (differs from the 3 the direct path makes!)'}`,
  };
}

/**
 * An auth stack must refuse a request without credentials and one with a token signed by another
 * secret (401); an auth-off stack must serve a request without credentials.
 */
async function verifyAuthentication(client: StackClient, auth: boolean, jwtSecret: string, agent: Agent): Promise<string> {
  const status = async (headers: Record<string, string>) => {
    const response = await request(client.info.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify({ query: '{ __typename }' }),
      dispatcher: agent,
    });
    await response.body.text();
    return response.statusCode;
  };
  const anonymous = await status({});
  if (!auth) {
    if (anonymous !== 200) throw new Error(`the auth-off stack answered ${anonymous} to a request without credentials`);
    return 'no credentials: 200 (local admin)';
  }
  const otherSecret = new TextEncoder().encode(`${jwtSecret}-other`);
  const forged = await new SignJWT({ roles: ['admin'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('bench').setIssuedAt().setExpirationTime('1h').sign(otherSecret);
  const wrongKey = await status({ authorization: `Bearer ${forged}` });
  if (anonymous !== 401 || wrongKey !== 401) throw new Error(`the auth stack answered ${anonymous} without credentials and ${wrongKey} to a token signed with another secret (expected 401 each)`);
  return 'no credentials and a token signed with another secret: 401 each';
}
/** Per-subgraph request counts from the gateway's /metrics (vigil_gateway_subgraph_request_duration_seconds_count). */
async function upstreamCounts(info: StackInfo, agent: Agent): Promise<Map<string, number>> {
  const response = await request(info.gatewayUrl.replace(/\/graphql$/, '/metrics'), { dispatcher: agent });
  const text = await response.body.text();
  const counts = new Map<string, number>();
  for (const match of text.matchAll(/^vigil_gateway_subgraph_request_duration_seconds_count\{subgraph="([^"]+)",status="[^"]+"\} (\d+)/gm)) {
    const subgraph = match[1] ?? '';
    counts.set(subgraph, (counts.get(subgraph) ?? 0) + Number(match[2]));
  }
  return counts;
}

export function overheadTables(result: OverheadResult): string {
  const modes = [result.sequential, ...(result.concurrent ? [result.concurrent] : [])];
  const modeName = (mode: ModeResult) => (mode.concurrency === 1 ? 'sequential' : `concurrency ${mode.concurrency}`);
  const latency = table(
    ['mode', 'path', 'stack', 'p50 ms', 'p99 ms', 'req/s', 'requests'],
    modes.flatMap((mode) =>
      PATHS.map((path) => {
        const f = mode.paths[path];
        return [
          modeName(mode),
          PATH_SPECS[path].label,
          PATH_SPECS[path].stack,
          ms(f.p50),
          ms(f.p99),
          f.requestsPerSecond === undefined ? '–' : f.requestsPerSecond.toFixed(0),
          `${f.requests}${f.errors ? ` (${f.errors} errors)` : ''}`,
        ];
      }),
    ),
    ['l', 'l', 'l', 'r', 'r', 'r', 'r'],
  );
  const ratios = table(
    ['mode', 'query planner', 'gateway (auth off) / direct, p50', 'per-round range', 'gateway / direct, p99', 'added p50 ms'],
    modes.flatMap((mode) => [
      [
        modeName(mode),
        'JS (Hive Gateway)',
        ratio(mode.ratioOfMedianP50),
        `${ratio(mode.ratioPerRound.min)} – ${ratio(mode.ratioPerRound.max)}`,
        ratio(mode.gateway.p99 / mode.direct.p99),
        ms(mode.gateway.p50 - mode.direct.p50),
      ],
      [
        modeName(mode),
        'Rust (Hive Router)',
        ratio(mode.rustRatioOfMedianP50),
        `${ratio(mode.rustRatioPerRound.min)} – ${ratio(mode.rustRatioPerRound.max)}`,
        ratio(mode.paths.rust.p99 / mode.direct.p99),
        ms(mode.paths.rust.p50 - mode.direct.p50),
      ],
    ]),
  );
  const signed = (value: number) => (Number.isFinite(value) && value >= 0 ? `+${ms(value)}` : ms(value));
  const comparisons = table(
    ['mode', 'comparison', 'added p50 ms', 'per round: median (min – max)', 'added p99 ms', 'p50 ratio'],
    modes.flatMap((mode) =>
      mode.comparisons.map((c) => [
        modeName(mode),
        c.name,
        signed(c.addedP50),
        `${signed(c.addedP50PerRound.median)} (${signed(c.addedP50PerRound.min)} – ${signed(c.addedP50PerRound.max)})`,
        signed(c.addedP99),
        ratio(c.ratioP50),
      ]),
    ),
    ['l', 'l', 'r', 'r', 'r', 'r'],
  );
  const a = result.setup.authenticator;
  const logLines = Object.entries(result.logs).map(
    ([name, f]) =>
      `"${name}": ${f.accessLinesPerRequest.toFixed(2)} access lines per gateway request (${f.accessLines} for ${f.gatewayRequests} requests, ${Math.round(f.bytesPerAccessLine)} bytes each), ${f.otherLines} other records in the whole run (${topMessages(f.otherMessages)})`,
  );
  return [
    `gateway-overhead: alerts(first: ${result.setup.page}) with subjects resolved by hosts and cluster; ${result.sequential.rounds.length} rounds, every path in each ` +
      `(sequential: blocks of ${result.options.blockSize} requests of one path, the first ${result.options.unrecordedPerBlock} of each not recorded; concurrent: one segment per path), ` +
      `path order reversed every other round; p50/p99 = median over rounds`,
    latency,
    '',
    ratios,
    '',
    comparisons,
    `stacks (each the gateway + 5 subgraphs in a child process of its own, launched and seeded alike; client in the parent): ${STACK_NAMES.map((name) => `"${name}" = ${STACKS[name].describe}`).join('; ')}.`,
    'auth off = development with gateway.auth unset: production refuses to start without gateway.auth, so the auth on/off rows compare development stacks, and "direct" and "gateway, auth off" are no longer the production stack of earlier runs. Authorisation (@requiresScopes via generic-auth) and the access-log plugin run on every stack; with auth off the caller is the local admin.',
    `logs: "off", "offControl" and "auth" discard every record (pino level silent, as the benchmark stacks always have); production logs at info, as "authLog" and "deployed" do (createLogger's JSON lines, synchronous writes to a file): ${logLines.join('; ')}.`,
    `authenticate() in the client process, ${a.calls} calls each, wall time per awaited call: ${authenticatorSummary(a)}.`,
    `verified: ${STACK_NAMES.map((name) => `"${name}": ${result.setup.stacks[name].verified}`).join('; ')}`,
    `${result.setup.responseBytes} bytes per response; ${result.setup.subjectsOnPage.distinctHostRepresentations} Host + ${result.setup.subjectsOnPage.distinctKubeRepresentations} KubeObject representations per query`,
  ].join('\n');
}

export function overheadJson(result: OverheadResult): unknown {
  return JSON.parse(JSON.stringify(result, (_key, value: unknown) => (typeof value === 'number' ? round3(value) : value))) as unknown;
}
