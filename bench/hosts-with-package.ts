import { emptySample, segment, sequentialRound, type Sample } from './lib/request-rounds.js';
/**
 * hosts-with-package: fleet package queries through the gateway, with 1,000 hosts × ~700 dpkg
 * packages stored in a real Redis.
 *
 * The facts are written by RedisFactStore.saveReport itself (as a probe's report would be, fleet
 * package index included), from synthetic reports (bench/lib/package-fleet.ts), before the stack
 * starts. The stack runs in a child process (bench/stack-server.ts, fleet mode): Redis-backed, no
 * local host, one SSH inventory entry per stored host id, and a stub probe in place of SSH, so the
 * scheduler's first round (every host is due at start) connects nowhere and leaves the stored facts
 * as they are; nothing is due again for a day. The stub's call counts are read before and after
 * the measurement to show that nothing probed meanwhile.
 */
import { oneSlotPrefix } from '@vigil/lib/redis-slot';
import { Agent, request } from 'undici';
import { pino } from 'pino';
import { createRedis, keyPrefix, type Redis } from '@vigil/lib/redis';
import { directHeaders } from './lib/direct-headers.js';
import { benchCredentials } from './lib/bench-credentials.js';
import { RedisFactStore } from '@vigil/subgraph-hosts/facts/redis-fact-store';
import { startRedisServer } from '../test/support/redis-server.js';
import { int, kib, mib, ms, round3, table } from './lib/format.js';
import { OPENSSL_BELOW_BOUND, RARE_PACKAGE, VERSION_BOUND, WIDESPREAD_PACKAGE, createPackageFleet } from './lib/package-fleet.js';
import type { Progress } from './lib/progress.js';
import { serverResource, type Register } from './lib/resources.js';
import { StackProcess } from './lib/stack-process.js';
import type { ProbeCounts } from './lib/stack-protocol.js';
import { median, summarize, type Summary } from './lib/stats.js';

export interface HostsWithPackageOptions {
  hosts: number;
  packagesPerHost: number;
  /** saveReport calls in flight while loading. */
  loadConcurrency: number;
  rounds: number;
  /** Requests of each query per sequential round (one of each query in turn), and a time cap per round. */
  sequential: { requestsPerQuery: number; maxSecondsPerRound: number };
  /** One segment per query per round, `concurrency` requests in flight. */
  concurrent: { concurrency: number; requestsPerSegment: number; maxSecondsPerSegment: number };
  /** Sequential requests of each query before measuring (excluded), plus one concurrent segment each. */
  warmupRequests: number;
}

const NAMESPACE = 'vigil-bench';
/** p99 target from the issue. */
const TARGET_P99_MS = 50;

type QueryName = 'all' | 'firstPage' | 'range' | 'rare' | 'hostsFilter';
const ROWS = 'totalCount edges { node { host { id } package { version } } } pageInfo { hasNextPage }';
const QUERY_NAMES: readonly QueryName[] = ['all', 'firstPage', 'range', 'rare', 'hostsFilter'];
/** The connection's default page. */
const FIRST_PAGE = 100;

const QUERIES: Record<QueryName, { label: string; document: string }> = {
  // One page of the largest size: every matching host in one answer, as before it was a connection.
  all: {
    label: `hostsWithPackage(name: "${WIDESPREAD_PACKAGE}", first: 1000)`,
    document: `query BenchHostsWithPackage { hostsWithPackage(name: "${WIDESPREAD_PACKAGE}", first: 1000) { ${ROWS} } }`,
  },
  // What a client gets by default now: one page and the total.
  firstPage: {
    label: `hostsWithPackage(name: "${WIDESPREAD_PACKAGE}") (default first: ${FIRST_PAGE})`,
    document: `query BenchHostsWithPackageFirstPage { hostsWithPackage(name: "${WIDESPREAD_PACKAGE}") { ${ROWS} } }`,
  },
  range: {
    label: `hostsWithPackage(name: "${WIDESPREAD_PACKAGE}", version: { lt: "${VERSION_BOUND}" }, first: 1000)`,
    document: `query BenchHostsWithPackageRange { hostsWithPackage(name: "${WIDESPREAD_PACKAGE}", version: { lt: "${VERSION_BOUND}" }, first: 1000) { ${ROWS} } }`,
  },
  rare: {
    label: `hostsWithPackage(name: "${RARE_PACKAGE}", first: 1000)`,
    document: `query BenchHostsWithRarePackage { hostsWithPackage(name: "${RARE_PACKAGE}", first: 1000) { ${ROWS} } }`,
  },
  hostsFilter: {
    label: `hosts(filter: { package: "${WIDESPREAD_PACKAGE}" }, first: 50)`,
    document: `query BenchHostsFilteredByPackage { hosts(filter: { package: "${WIDESPREAD_PACKAGE}" }, first: 50) { totalCount edges { node { id } } } }`,
  },
};

interface HostPackageRow {
  host: { id: string };
  package: { version: string };
}
interface QueryData {
  hostsWithPackage?: { totalCount: number; edges: { node: HostPackageRow }[]; pageInfo: { hasNextPage: boolean } };
  hosts?: { totalCount: number; edges: { node: { id: string } }[] };
}

export interface LoadFigures {
  hosts: number;
  packages: number;
  packagesPerHost: { min: number; median: number; max: number };
  pool: { real: number; generated: number };
  seconds: number;
  hostsPerSecond: number;
  concurrency: number;
}

export interface RedisFigures {
  usedMemoryHuman: string;
  usedMemoryBytes: number;
  keys: number;
  /** MEMORY USAGE of the hosts subgraph's keys by kind (`facts`, `history`, `pkg`…), bytes. */
  byKind: Record<string, { keys: number; bytes: number }>;
  /** The index entry hostsWithPackage reads for the widespread package. */
  widespreadIndexEntry: { fields: number; bytes: number };
}

export interface QueryFigures {
  query: QueryName;
  label: string;
  results: number;
  /** firstPage, hostsFilter: the connection's totalCount (results is the page size). */
  totalCount?: number;
  expected: number;
  responseBytes: number;
  sequential: { p50: number; p99: number; requests: number; errors: number };
  concurrent: { p50: number; p99: number; requestsPerSecond: number; requests: number; errors: number };
}

export interface HostsWithPackageResult {
  name: 'hosts-with-package';
  options: HostsWithPackageOptions;
  load: LoadFigures;
  redis: RedisFigures;
  stack: { pid: number; startMs: number; probesAtStart: ProbeCounts; probesDuringMeasurement: number };
  queries: QueryFigures[];
  rounds: { round: number; order: QueryName[]; sequential: Record<QueryName, Summary>; concurrent: Record<QueryName, Summary & { rps: number }> }[];
  /**
   * Where the time of the largest query goes: the same document through the gateway and sent
   * straight to the hosts subgraph (signed as the gateway signs), alternating, sequential.
   */
  attribution: { query: QueryName; gateway: Summary; direct: Summary };
  verified: string;
}

interface Expected {
  widespread: number;
  belowBound: number;
  rare: number;
}

export async function runHostsWithPackage(options: HostsWithPackageOptions, log: Progress, register: Register): Promise<HostsWithPackageResult> {
  log('starting redis-server');
  const redisServer = await startRedisServer();
  const redisResource = serverResource(redisServer);
  register(redisResource);
  const redis = createRedis(redisServer.url, pino({ level: 'silent' }), 'bench-loader');
  let stack: StackProcess | null = null;
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 32 });
  try {
    const fleet = createPackageFleet({ hosts: options.hosts, packagesPerHost: options.packagesPerHost });
    log(`redis-server on port ${redisServer.port}; loading ${int(options.hosts)} hosts × ~${options.packagesPerHost} packages (pool: ${fleet.pool.real} real names from dpkg-query + ${fleet.pool.generated} generated) with RedisFactStore.saveReport, ${options.loadConcurrency} at a time`);
    const { load, expected } = await loadFleet(redis, fleet, options, log);
    log(`loaded in ${load.seconds.toFixed(1)} s (${load.hostsPerSecond.toFixed(0)} hosts/s, ${int(load.packages)} packages); expecting ${expected.widespread} hosts with ${WIDESPREAD_PACKAGE}, ${expected.belowBound} below ${VERSION_BOUND}, ${expected.rare} with ${RARE_PACKAGE}`);
    const redisFigures = await redisMemory(redis);
    log(`Redis: used_memory_human ${redisFigures.usedMemoryHuman}, ${int(redisFigures.keys)} keys`);

    log('starting the stack (fleet mode: Redis, stub probe) in a child process');
    const credentials = benchCredentials();
    const launched = await StackProcess.launch('hosts-with-package', { fleet: { redisUrl: redisServer.url, namespace: NAMESPACE, hostIds: fleet.hostIds }, ...credentials.launch, timeoutMs: 180_000 });
    stack = launched.process;
    register(stack);
    const { info } = launched;
    const probesAtStart = await stack.call('probes', {});
    log(`stack up in ${info.startMs} ms (pid ${info.pid}), first round done (stub probes: ${probesAtStart.facts} facts, ${probesAtStart.metrics} metrics)`);

    const client = new Client(agent, info.gatewayUrl, credentials.gatewayHeaders);
    const run = (query: QueryName) => client.run(query);
    const verification = await verify(client, expected);
    log(`verified: ${verification.text}`);

    log(`warm-up: ${options.warmupRequests} sequential requests of each query, then one segment of each at concurrency ${options.concurrent.concurrency} (excluded)`);
    await sequentialRound(run, QUERY_NAMES, options.warmupRequests, options.sequential.maxSecondsPerRound * 2);
    for (const query of QUERY_NAMES) await segment(run, query, options.concurrent.concurrency, options.concurrent.requestsPerSegment, options.concurrent.maxSecondsPerSegment);

    const rounds: HostsWithPackageResult['rounds'] = [];
    const totals = new Map<QueryName, { seq: number; seqErrors: number; conc: number; concErrors: number }>(QUERY_NAMES.map((q) => [q, { seq: 0, seqErrors: 0, conc: 0, concErrors: 0 }]));
    for (let r = 1; r <= options.rounds; r++) {
      // Each round starts with a different query, so no query always runs first (or last).
      const order = QUERY_NAMES.map((_, i) => QUERY_NAMES[(i + r - 1) % QUERY_NAMES.length] ?? 'all');
      const seq = await sequentialRound(run, order, options.sequential.requestsPerQuery, options.sequential.maxSecondsPerRound);
      const conc = new Map<QueryName, Sample>();
      for (const query of order) conc.set(query, await segment(run, query, options.concurrent.concurrency, options.concurrent.requestsPerSegment, options.concurrent.maxSecondsPerSegment));
      const sequential = {} as Record<QueryName, Summary>;
      const concurrent = {} as Record<QueryName, Summary & { rps: number }>;
      for (const query of QUERY_NAMES) {
        const s = seq.get(query) ?? emptySample();
        const c = conc.get(query) ?? emptySample();
        const total = totals.get(query);
        if (total) {
          total.seq += s.latencies.length;
          total.seqErrors += s.errors;
          total.conc += c.latencies.length;
          total.concErrors += c.errors;
        }
        sequential[query] = summarize(s.latencies);
        concurrent[query] = { ...summarize(c.latencies), rps: c.elapsedMs > 0 ? (c.latencies.length / c.elapsedMs) * 1000 : Number.NaN };
      }
      rounds.push({ round: r, order, sequential, concurrent });
      log(
        `round ${r}/${options.rounds}: ` +
          QUERY_NAMES.map((q) => `${q} p50/p99 ${ms(sequential[q].p50)}/${ms(sequential[q].p99)} ms seq, ${ms(concurrent[q].p50)}/${ms(concurrent[q].p99)} ms c${options.concurrent.concurrency}`).join('; '),
      );
    }
    log(`attribution: ${options.sequential.requestsPerQuery} requests of "all" through the gateway and straight to the hosts subgraph, alternating`);
    const attribution = await attribute(client, info.subgraphUrls.hosts, stack.secret, 'all', options.sequential.requestsPerQuery, options.sequential.maxSecondsPerRound);
    log(`attribution: gateway p50 ${ms(attribution.gateway.p50)} ms, hosts subgraph direct p50 ${ms(attribution.direct.p50)} ms`);
    const probesAfter = await stack.call('probes', {});
    const probesDuringMeasurement = probesAfter.facts + probesAfter.metrics - probesAtStart.facts - probesAtStart.metrics;

    const queries: QueryFigures[] = QUERY_NAMES.map((query) => {
      const total = totals.get(query) ?? { seq: 0, seqErrors: 0, conc: 0, concErrors: 0 };
      const v = verification.queries[query];
      return {
        query,
        label: QUERIES[query].label,
        results: v.results,
        ...(v.totalCount === undefined ? {} : { totalCount: v.totalCount }),
        expected: v.expected,
        responseBytes: v.bytes,
        sequential: { p50: median(rounds.map((r) => r.sequential[query].p50)), p99: median(rounds.map((r) => r.sequential[query].p99)), requests: total.seq, errors: total.seqErrors },
        concurrent: {
          p50: median(rounds.map((r) => r.concurrent[query].p50)),
          p99: median(rounds.map((r) => r.concurrent[query].p99)),
          requestsPerSecond: median(rounds.map((r) => r.concurrent[query].rps)),
          requests: total.conc,
          errors: total.concErrors,
        },
      };
    });
    return {
      name: 'hosts-with-package',
      options,
      load,
      redis: redisFigures,
      stack: { pid: info.pid, startMs: info.startMs, probesAtStart, probesDuringMeasurement },
      queries,
      rounds,
      attribution,
      verified: verification.text,
    };
  } finally {
    await agent.close();
    if (stack) {
      log('stopping the stack');
      await stack.stop();
    }
    await redis.quit().catch(() => redis.disconnect());
    await redisResource.stop();
  }
}

async function loadFleet(
  redis: Redis,
  fleet: ReturnType<typeof createPackageFleet>,
  options: HostsWithPackageOptions,
  log: Progress,
): Promise<{ load: LoadFigures; expected: Expected }> {
  const store = new RedisFactStore(redis, keyPrefix(NAMESPACE, 'hosts'));
  const expected: Expected = { widespread: 0, belowBound: 0, rare: 0 };
  const counts: number[] = [];
  let next = 0;
  let done = 0;
  const started = performance.now();
  const worker = async () => {
    for (let index = next++; index < fleet.hostIds.length; index = next++) {
      const report = fleet.report(index);
      const packages = report.facts.packages ?? [];
      counts.push(packages.length);
      const widespread = packages.find((p) => p.name === WIDESPREAD_PACKAGE);
      if (widespread) expected.widespread += 1;
      if (widespread && OPENSSL_BELOW_BOUND.has(widespread.version)) expected.belowBound += 1;
      if (packages.some((p) => p.name === RARE_PACKAGE)) expected.rare += 1;
      const saved = await store.saveReport(report);
      if (saved.changes.length !== packages.length + 1) throw new Error(`${report.hostId}: saveReport recorded ${saved.changes.length} changes, expected ${packages.length + 1} (a host stored twice?)`);
      done += 1;
      if (done % 250 === 0 && done < fleet.hostIds.length) log(`loaded ${done}/${fleet.hostIds.length} hosts (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    }
  };
  await Promise.all(Array.from({ length: options.loadConcurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const packages = counts.reduce((sum, n) => sum + n, 0);
  return {
    load: {
      hosts: fleet.hostIds.length,
      packages,
      packagesPerHost: { min: Math.min(...counts), median: median(counts), max: Math.max(...counts) },
      pool: fleet.pool,
      seconds,
      hostsPerSecond: fleet.hostIds.length / seconds,
      concurrency: options.loadConcurrency,
    },
    expected,
  };
}

/** INFO memory, and MEMORY USAGE (exact: SAMPLES 0) of every key, summed by kind of key. */
async function redisMemory(redis: Redis): Promise<RedisFigures> {
  const info = await redis.info('memory');
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim() ?? '';
  // The fact store's keys share one hash tag (lib/src/redis-slot.ts).
  const prefix = oneSlotPrefix(keyPrefix(NAMESPACE, 'hosts'), 'facts');
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [nextCursor, batch] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = nextCursor;
    keys.push(...batch);
  } while (cursor !== '0');
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.memory('USAGE', key, 'SAMPLES', 0);
  const usages = (await pipeline.exec()) ?? [];
  const byKind: Record<string, { keys: number; bytes: number }> = {};
  keys.forEach((key, i) => {
    const kind = key.startsWith(prefix) ? (key.slice(prefix.length).split(':')[0] ?? 'other') : 'other';
    const entry = (byKind[kind] ??= { keys: 0, bytes: 0 });
    entry.keys += 1;
    const usage = usages[i]?.[1];
    entry.bytes += typeof usage === 'number' ? usage : 0;
  });
  const widespreadKey = `${prefix}pkg:${WIDESPREAD_PACKAGE}`;
  return {
    usedMemoryHuman: field('used_memory_human'),
    usedMemoryBytes: Number(field('used_memory')),
    keys: keys.length,
    byKind,
    widespreadIndexEntry: { fields: await redis.hlen(widespreadKey), bytes: (await redis.memory('USAGE', widespreadKey, 'SAMPLES', 0)) ?? 0 },
  };
}

/** The gateway and the hosts subgraph directly, one request each in turn; same document, same work below the gateway. */
async function attribute(client: Client, hostsUrl: string, secret: string, query: QueryName, requests: number, maxSeconds: number): Promise<HostsWithPackageResult['attribution']> {
  const gateway: number[] = [];
  const direct: number[] = [];
  const deadline = performance.now() + maxSeconds * 1000;
  for (let i = 0; i < requests && performance.now() < deadline; i++) {
    for (const [path, sample] of i % 2 === 0 ? ([['gateway', gateway], ['direct', direct]] as const) : ([['direct', direct], ['gateway', gateway]] as const)) {
      const t0 = performance.now();
      await (path === 'gateway' ? client.run(query) : client.run(query, { url: hostsUrl, secret }));
      sample.push(performance.now() - t0);
    }
  }
  return { query, gateway: summarize(gateway), direct: summarize(direct) };
}

class Client {
  constructor(
    private readonly agent: Agent,
    private readonly url: string,
    /** The gateway caller's credentials; a request straight to a subgraph carries the gateway's signature instead. */
    private readonly gatewayHeaders: Record<string, string>,
  ) {}

  /** Through the gateway, or (`upstream`) straight to a subgraph, signed. */
  async run(query: QueryName, upstream?: { url: string; secret: string }): Promise<{ data: QueryData; bytes: number }> {
    const body = JSON.stringify({ query: QUERIES[query].document });
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    Object.assign(headers, upstream ? directHeaders(upstream.secret, upstream.url, 'hosts', body) : this.gatewayHeaders);
    const response = await request(upstream?.url ?? this.url, { method: 'POST', headers, body, dispatcher: this.agent });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`${query}: the gateway answered ${response.statusCode}: ${text.slice(0, 300)}`);
    const parsed = JSON.parse(text) as { data?: QueryData | null; errors?: { message: string }[] };
    if (parsed.errors?.length) throw new Error(`${query}: ${parsed.errors.map((e) => e.message).join('; ')}`);
    if (!parsed.data) throw new Error(`${query}: the gateway answered without data`);
    return { data: parsed.data, bytes: Buffer.byteLength(text) };
  }
}

type Verification = { text: string; queries: Record<QueryName, { results: number; totalCount?: number; expected: number; bytes: number }> };

/** Each query returns exactly what was stored: the hosts (and versions) the generator gave the package. */
async function verify(client: Client, expected: Expected): Promise<Verification> {
  const problems: string[] = [];
  const rows = async (query: QueryName, want: number, check?: (row: HostPackageRow) => boolean) => {
    const { data, bytes } = await client.run(query);
    const list = (data.hostsWithPackage?.edges ?? []).map((edge) => edge.node);
    if (list.length !== want) problems.push(`${query}: ${list.length} results, expected ${want}`);
    if (data.hostsWithPackage?.totalCount !== want) problems.push(`${query}: totalCount ${data.hostsWithPackage?.totalCount}, expected ${want}`);
    if (data.hostsWithPackage?.pageInfo.hasNextPage) problems.push(`${query}: a second page, expected one of at most 1,000`);
    if (new Set(list.map((row) => row.host.id)).size !== list.length) problems.push(`${query}: a host appears twice`);
    if (check && !list.every(check)) problems.push(`${query}: a result outside the range`);
    return { results: list.length, expected: want, bytes };
  };
  const all = await rows('all', expected.widespread);
  const first = await client.run('firstPage');
  const firstPage = first.data.hostsWithPackage;
  const firstIds = (firstPage?.edges ?? []).map((edge) => edge.node.host.id);
  const wantFirst = Math.min(FIRST_PAGE, expected.widespread);
  if (!firstPage || firstPage.totalCount !== expected.widespread || firstIds.length !== wantFirst || firstPage.pageInfo.hasNextPage !== expected.widespread > FIRST_PAGE) {
    problems.push(`firstPage: totalCount ${firstPage?.totalCount}, ${firstIds.length} edges; expected ${expected.widespread} and ${wantFirst}`);
  }
  if (new Set(firstIds).size !== firstIds.length || [...firstIds].sort().join() !== firstIds.join()) problems.push('firstPage: hosts twice or out of id order');
  const range = await rows('range', expected.belowBound, (row) => OPENSSL_BELOW_BOUND.has(row.package.version));
  const rare = await rows('rare', expected.rare);
  const filtered = await client.run('hostsFilter');
  const page = filtered.data.hosts;
  if (!page || page.totalCount !== expected.widespread || page.edges.length !== Math.min(50, expected.widespread)) {
    problems.push(`hostsFilter: totalCount ${page?.totalCount}, ${page?.edges.length} edges; expected ${expected.widespread} and ${Math.min(50, expected.widespread)}`);
  }
  if (problems.length > 0) throw new Error(`the gateway's answers do not match the stored fleet: ${problems.join('; ')}`);
  return {
    text: `result counts equal what was stored (${expected.widespread} hosts with ${WIDESPREAD_PACKAGE}, ${expected.belowBound} of them < ${VERSION_BOUND}, ${expected.rare} with ${RARE_PACKAGE}); every range result is one of the versions below the bound`,
    queries: {
      all,
      firstPage: { results: firstIds.length, totalCount: firstPage?.totalCount ?? 0, expected: expected.widespread, bytes: first.bytes },
      range,
      rare,
      hostsFilter: { results: page?.edges.length ?? 0, totalCount: page?.totalCount ?? 0, expected: expected.widespread, bytes: filtered.bytes },
    },
  };
}

export function hostsWithPackageTables(result: HostsWithPackageResult): string {
  const c = result.options.concurrent.concurrency;
  const latency = table(
    ['query (through the gateway)', 'results', 'bytes', 'seq p50 ms', 'seq p99 ms', `c${c} p50 ms`, `c${c} p99 ms`, `c${c} req/s`, 'requests'],
    result.queries.map((q) => [
      q.label,
      q.totalCount === undefined ? int(q.results) : `${q.results} of ${int(q.totalCount)}`,
      int(q.responseBytes),
      ms(q.sequential.p50),
      ms(q.sequential.p99),
      ms(q.concurrent.p50),
      ms(q.concurrent.p99),
      q.concurrent.requestsPerSecond.toFixed(0),
      `${int(q.sequential.requests + q.concurrent.requests)}${q.sequential.errors + q.concurrent.errors ? ` (${q.sequential.errors + q.concurrent.errors} errors)` : ''}`,
    ]),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
  const worstP99 = Math.max(...result.queries.flatMap((q) => [q.sequential.p99, q.concurrent.p99]));
  const over = result.queries.flatMap((q) => [
    ...(q.sequential.p99 >= TARGET_P99_MS ? [`${q.query} sequential`] : []),
    ...(q.concurrent.p99 >= TARGET_P99_MS ? [`${q.query} c${c}`] : []),
  ]);
  const { load, redis } = result;
  const a = result.attribution;
  const setup = table(
    ['setup', ''],
    [
      ['fleet', `${int(load.hosts)} hosts, ${int(load.packages)} dpkg packages (per host min ${load.packagesPerHost.min}, median ${load.packagesPerHost.median}, max ${load.packagesPerHost.max})`],
      ['package name pool', `${load.pool.real} real (dpkg-query on this machine) + ${load.pool.generated} generated + openssl, telnetd`],
      ['load (RedisFactStore.saveReport)', `${load.seconds.toFixed(1)} s, ${load.hostsPerSecond.toFixed(0)} hosts/s, ${load.concurrency} saves in flight`],
      ['Redis after loading', `used_memory_human ${redis.usedMemoryHuman}, ${int(redis.keys)} keys`],
      [`index entry pkg:${WIDESPREAD_PACKAGE}`, `${int(redis.widespreadIndexEntry.fields)} fields, ${kib(redis.widespreadIndexEntry.bytes)}`],
      ['stack', `child process, up in ${result.stack.startMs} ms incl. the stub first round (${result.stack.probesAtStart.facts} facts + ${result.stack.probesAtStart.metrics} metrics stub probes)`],
      ['probes during measurement', `${result.stack.probesDuringMeasurement}`],
      [`"${a.query}", sequential, p50`, `${ms(a.gateway.p50)} ms through the gateway, ${ms(a.direct.p50)} ms straight to the hosts subgraph (n=${a.direct.n} each, alternating)`],
    ],
    ['l', 'l'],
  );
  const memory = table(
    ['Redis keys by kind', 'keys', 'MEMORY USAGE'],
    Object.entries(redis.byKind)
      .sort((x, y) => y[1].bytes - x[1].bytes)
      .map(([kind, figures]) => [kind, int(figures.keys), mib(figures.bytes)]),
  );
  return [
    `hosts-with-package: ${int(load.hosts)} hosts × ~${result.options.packagesPerHost} packages in Redis, queried through the gateway over HTTP; ${result.rounds.length} rounds (sequential interleaved, then one concurrency-${c} segment per query), p50/p99 = median over rounds`,
    latency,
    `target p99 < ${TARGET_P99_MS} ms: ${over.length === 0 ? `met (worst p99 ${ms(worstP99)} ms)` : `NOT met for ${over.join(', ')} (worst p99 ${ms(worstP99)} ms)`}`,
    `verified: ${result.verified}`,
    '',
    setup,
    '',
    memory,
  ].join('\n');
}

export function hostsWithPackageJson(result: HostsWithPackageResult): unknown {
  return JSON.parse(JSON.stringify(result, (_key, value: unknown) => (typeof value === 'number' ? round3(value) : value))) as unknown;
}
