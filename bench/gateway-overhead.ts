import { segment, sequentialRound, type Sample } from './lib/request-rounds.js';
/**
 * gateway-overhead: the latency the gateway adds to a three-subgraph entity query, against doing
 * the same work without it (alerts subgraph query, then `_entities` to hosts and cluster in
 * parallel, every request signed as the gateway signs it).
 */
import { isDeepStrictEqual } from 'node:util';
import { Agent, request } from 'undici';
import { SIGNATURE_HEADER, sign } from '@vigil/lib/signing';
import { ms, ratio, round3, table } from './lib/format.js';
import type { Progress } from './lib/progress.js';
import { hostSubject, seedAlerts, seedFalcoEvents } from './lib/seed.js';
import { StackProcess } from './lib/stack-process.js';
import type { StackInfo } from './lib/stack-protocol.js';
import { median, range, summarize, type Summary } from './lib/stats.js';

export interface OverheadOptions {
  rounds: number;
  /** Sequential: pairs (one request per path) per round, and a time cap per round. */
  pairsPerRound: number;
  maxSecondsPerRound: number;
  warmupPairs: number;
  /** Concurrent segments (one per path per round), or null to skip them. */
  concurrent: { concurrency: number; requestsPerSegment: number; maxSecondsPerSegment: number } | null;
  alerts: number;
  pods: number;
  eventsPerPod: number;
}

const PAGE = 20;
const LOCAL_HOST_ID = 'bench-local';

const GATEWAY_QUERY = `query BenchAlertSubjects {
  alerts(first: ${PAGE}) { edges { node { id title severity subject {
    __typename
    ... on Host { id name os { prettyName } }
    ... on KubeObject { cluster namespace kind name securityEvents(first: 3) { id title } }
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
  _entities(representations: $representations) { ... on KubeObject { securityEvents(first: 3) { id title } } }
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
  securityEvents: { id: string; title: string }[];
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

type Path = 'gateway' | 'direct';
const PATHS: readonly Path[] = ['gateway', 'direct'];

export interface PathFigures {
  /** Median over rounds of each round's p50 / p99. */
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  /** Concurrent segments only: completed requests per second, median over rounds. */
  requestsPerSecond?: number;
}

export interface ModeResult {
  concurrency: number;
  rounds: { round: number; first: Path; gateway: Summary & { rps: number }; direct: Summary & { rps: number }; ratioP50: number }[];
  gateway: PathFigures;
  direct: PathFigures;
  /** gateway p50 / direct p50, each the median over rounds. */
  ratioOfMedianP50: number;
  /** gateway p50 / direct p50 within each round (the variants ran side by side): median and spread. */
  ratioPerRound: { median: number; min: number; max: number };
}

export interface OverheadResult {
  name: 'gateway-overhead';
  options: OverheadOptions;
  setup: {
    stackPid: number;
    seededAlerts: number;
    falcoEvents: number;
    page: number;
    subjectsOnPage: { host: number; kubeObject: number; distinctHostRepresentations: number; distinctKubeRepresentations: number };
    responseBytes: number;
    upstreamRequestsPerGatewayQuery: Record<string, number>;
    verified: string;
  };
  sequential: ModeResult;
  concurrent: ModeResult | null;
}

export async function runGatewayOverhead(options: OverheadOptions, log: Progress, register: (stack: StackProcess) => void): Promise<OverheadResult> {
  log('starting the stack in a child process');
  const { process: stack, info } = await StackProcess.launch('gateway-overhead', { localHostId: LOCAL_HOST_ID });
  register(stack);
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 32 });
  try {
    log(`stack up in ${info.startMs} ms (pid ${info.pid}); seeding ${options.pods * options.eventsPerPod} Falco events and ${options.alerts} alerts`);
    const pods = await seedFalcoEvents(info.subgraphUrls.cluster, options.pods, options.eventsPerPod);
    const subjects = [hostSubject(LOCAL_HOST_ID), ...pods.flatMap((pod) => [pod, hostSubject(LOCAL_HOST_ID)])];
    await stack.call('raise', { alerts: seedAlerts(options.alerts, subjects) });

    const client = new Client(agent, info, stack.secret);
    const run = (path: Path) => client.run(path);
    const setup = await verify(client, info, agent);
    log(`verified: ${setup.verified}`);

    // Latencies keep falling for the first ~1,000 requests (JIT), so the warm-up is generous.
    log(`warm-up: ${options.warmupPairs} sequential requests per path${options.concurrent ? `, then ${options.concurrent.requestsPerSegment} at concurrency ${options.concurrent.concurrency}` : ''} (excluded)`);
    await sequentialRound(run, PATHS, options.warmupPairs, options.maxSecondsPerRound);
    if (options.concurrent) {
      const { concurrency, requestsPerSegment, maxSecondsPerSegment } = options.concurrent;
      for (const path of PATHS) await segment(run, path, concurrency, requestsPerSegment, maxSecondsPerSegment);
    }

    const sequential = await runMode(options.rounds, 1, log, async (order) => sequentialRound(run, order, options.pairsPerRound, options.maxSecondsPerRound));
    const concurrentOptions = options.concurrent;
    const concurrent = concurrentOptions
      ? await runMode(options.rounds, concurrentOptions.concurrency, log, async (order) => {
          const out = new Map<Path, Sample>();
          // One path at a time at full concurrency, alternating which goes first.
          for (const path of order) out.set(path, await segment(run, path, concurrentOptions.concurrency, concurrentOptions.requestsPerSegment, concurrentOptions.maxSecondsPerSegment));
          return out;
        })
      : null;

    return { name: 'gateway-overhead', options, setup: { stackPid: info.pid, seededAlerts: options.alerts, falcoEvents: options.pods * options.eventsPerPod, ...setup }, sequential, concurrent };
  } finally {
    await agent.close();
    log('stopping the stack');
    await stack.stop();
  }
}

async function runMode(rounds: number, concurrency: number, log: Progress, round: (order: readonly Path[]) => Promise<Map<Path, Sample>>): Promise<ModeResult> {
  const label = concurrency === 1 ? 'sequential' : `concurrency ${concurrency}`;
  const perRound: ModeResult['rounds'] = [];
  const totals = { gateway: { requests: 0, errors: 0 }, direct: { requests: 0, errors: 0 } };
  for (let r = 1; r <= rounds; r++) {
    const order: readonly Path[] = r % 2 === 1 ? ['gateway', 'direct'] : ['direct', 'gateway'];
    const samples = await round(order);
    const figures = (path: Path) => {
      const sample = samples.get(path) ?? { latencies: [], errors: 0, elapsedMs: 0 };
      totals[path].requests += sample.latencies.length;
      totals[path].errors += sample.errors;
      return { ...summarize(sample.latencies), rps: sample.elapsedMs > 0 ? (sample.latencies.length / sample.elapsedMs) * 1000 : Number.NaN };
    };
    const gateway = figures('gateway');
    const direct = figures('direct');
    perRound.push({ round: r, first: order[0] ?? 'gateway', gateway, direct, ratioP50: gateway.p50 / direct.p50 });
    log(
      `${label} round ${r}/${rounds}: gateway p50 ${ms(gateway.p50)} ms p99 ${ms(gateway.p99)} ms (n=${gateway.n}), ` +
        `direct p50 ${ms(direct.p50)} ms p99 ${ms(direct.p99)} ms (n=${direct.n}), ratio ${ratio(gateway.p50 / direct.p50)}`,
    );
  }
  const pathFigures = (path: Path): PathFigures => ({
    p50: median(perRound.map((r) => r[path].p50)),
    p99: median(perRound.map((r) => r[path].p99)),
    requests: totals[path].requests,
    errors: totals[path].errors,
    ...(concurrency > 1 ? { requestsPerSecond: median(perRound.map((r) => r[path].rps)) } : {}),
  });
  const gateway = pathFigures('gateway');
  const direct = pathFigures('direct');
  const ratios = perRound.map((r) => r.ratioP50);
  return { concurrency, rounds: perRound, gateway, direct, ratioOfMedianP50: gateway.p50 / direct.p50, ratioPerRound: { median: median(ratios), ...range(ratios) } };
}

class Client {
  constructor(
    private readonly agent: Agent,
    private readonly info: StackInfo,
    private readonly secret: string,
  ) {}

  run(path: Path): Promise<AlertsPage<Subject>> {
    return path === 'gateway' ? this.gateway() : this.direct();
  }

  async gateway(): Promise<AlertsPage<Subject>> {
    return (await this.post<AlertsPage<Subject>>(this.info.gatewayUrl, { query: GATEWAY_QUERY }, false)).data;
  }

  /** The gateway's work by hand: the page, then each subject type's fields from its subgraph, in parallel. */
  async direct(): Promise<AlertsPage<Subject>> {
    const { data: page } = await this.post<AlertsPage<HostKey | KubeKey>>(this.info.subgraphUrls.alerts, { query: ALERTS_QUERY }, true);
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
    const { data } = await this.post<{ _entities: (T | null)[] }>(url, { query, variables: { representations } }, true);
    return data._entities;
  }

  async post<T>(url: string, payload: object, signed: boolean): Promise<{ data: T; bytes: number }> {
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (signed) headers[SIGNATURE_HEADER] = sign(this.secret, body);
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
async function verify(client: Client, info: StackInfo, agent: Agent): Promise<Omit<OverheadResult['setup'], 'stackPid' | 'seededAlerts' | 'falcoEvents'>> {
  const before = await upstreamCounts(info, agent);
  const viaGateway = await client.gateway();
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
  if (kubes.length === 0 || kubes.some((k) => k.securityEvents.length === 0)) throw new Error('KubeObject subjects have no securityEvents: the Falco seeding did not land');

  const upstream: Record<string, number> = {};
  for (const [subgraph, count] of after) upstream[subgraph] = count - (before.get(subgraph) ?? 0);
  const expected = { alerts: 1, hosts: 1, cluster: 1 };
  const sameRequests = isDeepStrictEqual(upstream, expected);

  const gatewayBytes = (await client.post<unknown>(info.gatewayUrl, { query: GATEWAY_QUERY }, false)).bytes;
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
    ['mode', 'path', 'p50 ms', 'p99 ms', 'req/s', 'requests'],
    modes.flatMap((mode) =>
      PATHS.map((path) => {
        const f = mode[path];
        return [
          modeName(mode),
          path === 'gateway' ? 'through the gateway' : 'direct (3 signed subgraph requests)',
          ms(f.p50),
          ms(f.p99),
          f.requestsPerSecond === undefined ? '–' : f.requestsPerSecond.toFixed(0),
          `${f.requests}${f.errors ? ` (${f.errors} errors)` : ''}`,
        ];
      }),
    ),
    ['l', 'l', 'r', 'r', 'r', 'r'],
  );
  const ratios = table(
    ['mode', 'gateway / direct, p50', 'per-round range', 'gateway / direct, p99', 'added p50 ms'],
    modes.map((mode) => [
      modeName(mode),
      ratio(mode.ratioOfMedianP50),
      `${ratio(mode.ratioPerRound.min)} – ${ratio(mode.ratioPerRound.max)}`,
      ratio(mode.gateway.p99 / mode.direct.p99),
      ms(mode.gateway.p50 - mode.direct.p50),
    ]),
  );
  return [
    `gateway-overhead: alerts(first: ${result.setup.page}) with subjects resolved by hosts and cluster; ${result.sequential.rounds.length} interleaved rounds, p50/p99 = median over rounds`,
    latency,
    '',
    ratios,
    `verified: ${result.setup.verified}`,
    `${result.setup.responseBytes} bytes per response; ${result.setup.subjectsOnPage.distinctHostRepresentations} Host + ${result.setup.subjectsOnPage.distinctKubeRepresentations} KubeObject representations per query; stack (gateway + 5 subgraphs) in one child process, client in the parent`,
  ].join('\n');
}

export function overheadJson(result: OverheadResult): unknown {
  return JSON.parse(JSON.stringify(result, (_key, value: unknown) => (typeof value === 'number' ? round3(value) : value))) as unknown;
}
