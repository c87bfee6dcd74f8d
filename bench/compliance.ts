/**
 * compliance: `controls(framework)` and `complianceMatrix(framework)` over the evidence of 1,000
 * hosts and 3 clusters (1,000 Nodes, each with its kube-bench run and Falco events), through the
 * gateway and straight to the compliance subgraph (signed as the gateway signs), alternately in the
 * same rounds, so the ratio compares like with like. Issue 11's goal: p99 ≤ 50 ms through the gateway.
 *
 * In one process (stack, Kubernetes API doubles and driver), Redis stores: hosts' facts come from a
 * stub probe (users with a stray uid 0 on every tenth host, listening ports, an nftables ruleset),
 * the Nodes and their kube-bench ConfigMaps (the CIS 1.6 node fixture, 4.2.1 fixed on every other
 * node) from three API doubles read by the real informers, Falco events written through the cluster
 * store. Compliance then evaluates once (the admin mutation), gathering that evidence through the
 * gateway as it does in production; the queries measured read the stored results, never evidence.
 * Then half the nodes fix CIS 4.2.1 and a second evaluation writes those changes, so
 * `controls(asOf:)` a moment before it measures reading history back through a drift.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningStack } from '@vigil/gateway/stack';
import { vigilConfig } from '@vigil/gateway/stack-config';
import type { ReportProbe } from '@vigil/subgraph-hosts/probe-pipeline';
import { startRedisServer } from '../test/support/redis-server.js';
import { directHeaders } from './lib/direct-headers.js';
import { int, ms, ratio, round3, table } from './lib/format.js';
import { gatewayVersusDirect, type Path } from './lib/gateway-versus-direct.js';
import { postGraphQL } from './lib/graphql-post.js';
import type { Progress } from './lib/progress.js';
import { serverResource, type Register } from './lib/resources.js';
import { falcoEvent } from './lib/security-events.js';
import { CLUSTER_NAMES, debianOsFact, hostIdOf, nodeNameOf, startNodeClusters, type NodeClusters } from './lib/simulated-nodes.js';
import { median, summarize, type Summary } from './lib/stats.js';
import { okFactsReport, stubHostsConfig } from './lib/stub-hosts.js';
import { startStubStack } from './lib/stub-stack.js';

export interface ComplianceBenchOptions {
  hosts: number;
  clusters: number;
  rounds: number;
  requestsPerRound: number;
  maxSecondsPerRound: number;
  warmup: number;
}

const KUBE_BENCH = readFileSync(new URL('../subgraphs/compliance/test/fixtures/kube-bench_cis-1.6_node_trimmed.json', import.meta.url), 'utf8');

/** What a compliance dashboard asks: every control of a framework with its status and score, and the matrix. */
const QUERIES = {
  'controls(NIST_800_53)': `query { controls(framework: NIST_800_53) { id title status evaluatedAt score { passed failed waived errors notApplicable score } } }`,
  'controls(CIS_KUBERNETES)': `query { controls(framework: CIS_KUBERNETES) { id title status evaluatedAt score { passed failed waived errors notApplicable score } } }`,
  'complianceMatrix(NIST_800_53)': `query { complianceMatrix(framework: NIST_800_53) { columns { kind name } rows { control { id } cells divergent } } }`,
  'complianceMatrix(CIS_KUBERNETES)': `query { complianceMatrix(framework: CIS_KUBERNETES) { columns { kind name } rows { control { id } cells divergent } } }`,
  /** Before the drift: the store's history undoes the changes written since (Redis). */
  'controls(CIS_KUBERNETES, asOf)': `query ($asOf: DateTime) { controls(framework: CIS_KUBERNETES, asOf: $asOf) { id title status evaluatedAt score { passed failed waived errors notApplicable score } } }`,
} as const;
type QueryName = keyof typeof QUERIES;

export interface ComplianceBenchResult {
  hosts: number;
  nodes: number;
  results: number;
  evaluationMs: number;
  /** Results the second evaluation changed (4.2.1 fixed on the other half of the nodes): what asOf undoes. */
  drift: number;
  queries: { name: QueryName; bytes: number; gateway: Summary; direct: Summary; perRound: { gatewayP50: number; directP50: number; gatewayP99: number }[] }[];
}

export async function runComplianceBench(options: ComplianceBenchOptions, progress: Progress, register: Register): Promise<ComplianceBenchResult> {
  const tmp = mkdtempSync(join(tmpdir(), 'vigil-bench-compliance-'));
  let clusters: NodeClusters | undefined;
  let stack: RunningStack | undefined;
  try {
    // Redis, as production runs it: results, history and waivers in the store asOf reads.
    const redis = await startRedisServer();
    register(serverResource(redis));
    clusters = await startNodeClusters({ clusters: options.clusters, hosts: options.hosts, dir: tmp }, register);
    const { doubles } = clusters;
    for (let i = 0; i < options.hosts; i++) doubles[i % options.clusters]?.upsert(kubeBenchConfigMap(i, i % 2 === 0));

    const hostIds = Array.from({ length: options.hosts }, (_, i) => hostIdOf(i));
    const indexOf = new Map(hostIds.map((id, i) => [id, i]));
    const stubProbe: ReportProbe = async (target) => {
      const i = indexOf.get(target.id) ?? 0;
      return okFactsReport(
        target.id,
        {
          os: [debianOsFact(i, target.id)],
          packages: [{ name: 'bash', version: '5.2.15-2+b7', arch: 'amd64' }],
          users: [
            { name: 'root', uid: 0, gid: 0, gecos: 'root', home: '/root', shell: '/bin/bash' },
            { name: 'debian', uid: 1000, gid: 1000, gecos: '', home: '/home/debian', shell: '/bin/bash' },
            ...(i % 10 === 0 ? [{ name: 'toor', uid: 0, gid: 0, gecos: '', home: '/root', shell: '/bin/sh' }] : []),
          ],
          listeningPorts: [
            { protocol: 'tcp', address: '0.0.0.0', port: 22, process: null },
            ...(i % 7 === 0 ? [{ protocol: 'tcp' as const, address: '0.0.0.0', port: 6379, process: null }] : []),
          ],
          firewall: [{ backend: 'nftables', ruleCount: 4, chainCount: 3, digest: 'b'.repeat(64), policies: [{ family: 'inet', table: 'filter', chain: 'input', hook: 'input', policy: i % 5 === 0 ? 'accept' : 'drop' }] }],
        },
        new Date().toISOString(),
      );
    };
    const DAY_SECONDS = 86_400;
    const config = vigilConfig.parse({
      env: 'development',
      log: { level: 'silent' },
      redis: { url: redis.url, namespace: redis.uniquePrefix() },
      // Evidence is read in pages that fit the default cost limit; the matrix of CIS's ~6 controls × 1,000 nodes does too.
      hosts: stubHostsConfig(hostIds, (i) => ({ env: i % 4 === 0 ? 'staging' : 'prod' })),
      cluster: { name: 'eu', retentionDays: 30, kubernetes: clusters.kubernetes },
      // The measured queries must not race a scheduled evaluation: the bench runs the one it measures against.
      compliance: { evaluateIntervalSeconds: DAY_SECONDS },
    });
    progress(`starting the stack with ${int(options.hosts)} hosts and ${options.clusters} clusters`);
    const started = await startStubStack(config, stubProbe, register);
    stack = started.stack;
    const { secret } = started;
    // Falco on every other node within the day (SI-4 fails on the rest).
    const now = Date.now();
    for (let i = 0; i < options.hosts; i += 2) await stack.cluster.store.record(falcoEvent(i, now, { hosts: options.hosts, withinMinutes: 1200, criticalEvery: 0 }));

    const gatewayUrl = stack.gateway.url;
    const complianceUrl = stack.subgraphs.compliance.url;

    // Every Node and kube-bench run read (the informers), then one evaluation over all of it.
    progress('waiting for the informers');
    const deadline = Date.now() + 120_000;
    for (let nodes = 0, benchSynced = false, lastError = ''; ; ) {
      try {
        nodes = ((await postGraphQL(gatewayUrl, JSON.stringify({ query: '{ nodes { totalCount } }' }))).data as { nodes: { totalCount: number } }).nodes.totalCount;
        const sources = (await postGraphQL(gatewayUrl, JSON.stringify({ query: '{ clusters { name sources { name lastSync } } }' }))).data as { clusters: { sources: { name: string; lastSync: string | null }[] }[] };
        benchSynced = sources.clusters.every((c) => c.sources.some((s) => s.name === 'kube-bench' && s.lastSync !== null));
        if (nodes === options.hosts && benchSynced) break;
      } catch (error) {
        // While 1,000 Nodes and runs stream in on a loaded machine a poll may fail; only the deadline ends the wait.
        lastError = error instanceof Error ? error.message : String(error);
      }
      if (Date.now() > deadline) throw new Error(`only ${nodes} of ${options.hosts} Nodes read, kube-bench synced: ${benchSynced}${lastError ? `; last error: ${lastError}` : ''}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    progress('evaluating the catalogue once');
    const t0 = performance.now();
    // Sent to the subgraph itself: the evidence still comes through the gateway, and a seconds-long
    // request is not exposed to the gateway reusing an upstream connection the subgraph has just closed.
    const evaluate = JSON.stringify({ query: 'mutation { evaluateCompliance { lastRunAt changed errors } }' });
    const evaluation = (await postGraphQL(complianceUrl, evaluate, directHeaders(secret, complianceUrl, 'compliance', evaluate))).data as { evaluateCompliance: { changed: number; errors: string[] } };
    const evaluationMs = performance.now() - t0;
    if (evaluation.evaluateCompliance.errors.length > 0) progress(`evaluation errors (previous results kept): ${evaluation.evaluateCompliance.errors.join('; ')}`);

    // Drift: the other half of the nodes fix 4.2.1; a second evaluation writes those changes, and
    // asOf a moment before it reads back through them.
    const asOf = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    for (let i = 1; i < options.hosts; i += 2) doubles[i % options.clusters]?.upsert(kubeBenchConfigMap(i, true));
    progress('waiting for the fixed runs');
    const resolvedQuery = JSON.stringify({ query: '{ securityEvents(filter: { sources: [KUBE_BENCH], rule: "4.2.1", resolved: true }, first: 1) { totalCount } }' });
    for (const fixedBy = Date.now() + 120_000; ; ) {
      const resolved = await postGraphQL(gatewayUrl, resolvedQuery).then((r) => (r.data as { securityEvents: { totalCount: number } }).securityEvents.totalCount, () => 0);
      if (resolved >= Math.floor(options.hosts / 2)) break;
      if (Date.now() > fixedBy) throw new Error(`only ${resolved} of ${Math.floor(options.hosts / 2)} fixed runs read`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const second = (await postGraphQL(complianceUrl, evaluate, directHeaders(secret, complianceUrl, 'compliance', evaluate))).data as { evaluateCompliance: { changed: number } };
    const drift = second.evaluateCompliance.changed;

    const run = (name: QueryName, path: Path) => {
      const body = JSON.stringify({ query: QUERIES[name], ...(name.includes('asOf') ? { variables: { asOf } } : {}) });
      return path === 'gateway' ? postGraphQL(gatewayUrl, body) : postGraphQL(complianceUrl, body, directHeaders(secret, complianceUrl, 'compliance', body));
    };
    const names = Object.keys(QUERIES) as QueryName[];
    const queries: ComplianceBenchResult['queries'] = [];
    for (const name of names) {
      // Both paths answer the same: checked once, before anything is timed.
      const [viaGateway, viaDirect] = [await run(name, 'gateway'), await run(name, 'direct')];
      if (JSON.stringify(viaGateway.data) !== JSON.stringify(viaDirect.data)) throw new Error(`${name}: the gateway and the subgraph answered differently`);
      const measured = await gatewayVersusDirect((path) => run(name, path), options, progress, name);
      const perRound = measured.rounds.map((round) => ({ gatewayP50: median(round.gateway), directP50: median(round.direct), gatewayP99: summarize(round.gateway).p99 }));
      queries.push({ name, bytes: viaGateway.bytes, gateway: summarize(measured.gateway), direct: summarize(measured.direct), perRound });
    }
    const scoresQuery = JSON.stringify({ query: '{ nist: complianceScores(framework: NIST_800_53) { overall { passed failed errors notApplicable } } cis: complianceScores(framework: CIS_KUBERNETES) { overall { passed failed errors notApplicable } } }' });
    const status = (await postGraphQL(complianceUrl, scoresQuery, directHeaders(secret, complianceUrl, 'compliance', scoresQuery))).data as Record<string, { overall: Record<string, number> }>;
    const results = Object.values(status).reduce((total, s) => total + Object.values(s.overall).reduce((a, b) => a + b, 0), 0);
    return { hosts: options.hosts, nodes: options.hosts, results, evaluationMs, drift, queries };
  } finally {
    await stack?.stop();
    await Promise.all((clusters?.doubles ?? []).map((d) => d.close().catch(() => undefined)));
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Node i's kube-bench run, as the kube-bench job leaves it: a ConfigMap labelled with its node. */
function kubeBenchConfigMap(i: number, fixed: boolean) {
  const name = nodeNameOf(i);
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `kube-bench-${name}`, namespace: 'kube-bench', labels: { app: 'kube-bench', node: name } }, data: { 'results.json': kubeBenchRun(fixed) } };
}

/** The CIS 1.6 node run of the shared fixture, with 4.2.1 passing when `fixed`. */
function kubeBenchRun(fixed: boolean): string {
  if (!fixed) return KUBE_BENCH;
  const report = JSON.parse(KUBE_BENCH) as { Controls: { tests: { results: { test_number: string; status: string }[] }[] }[] };
  for (const target of report.Controls) for (const group of target.tests) for (const check of group.results) if (check.test_number === '4.2.1') check.status = 'PASS';
  return JSON.stringify(report);
}

export function complianceTable(result: ComplianceBenchResult): string {
  const rows = result.queries.flatMap((q) => {
    const ratios = q.perRound.map((r) => r.gatewayP50 / r.directP50);
    return [
      [q.name, 'gateway', int(q.gateway.n), ms(q.gateway.p50), ms(q.gateway.p99), ms(median(q.perRound.map((r) => r.gatewayP99))), ms(q.gateway.max), `${int(q.bytes)}`, ratio(median(ratios))],
      ['', 'direct', int(q.direct.n), ms(q.direct.p50), ms(q.direct.p99), '', ms(q.direct.max), '', ''],
    ];
  });
  const worstP99 = Math.max(...result.queries.map((q) => median(q.perRound.map((r) => r.gatewayP99))));
  return [
    `${int(result.hosts)} hosts, ${int(result.nodes)} Nodes with kube-bench runs in ${CLUSTER_NAMES.length} clusters; ${int(result.results)} NIST and CIS results (Redis store); one evaluation (evidence through the gateway) took ${ms(result.evaluationMs)} ms; asOf reads back through the ${int(result.drift)} results a second evaluation changed`,
    '',
    table(['query', 'path', 'requests', 'p50 ms', 'p99 ms', 'median of round p99 ms', 'max ms', 'answer bytes', 'gateway / direct p50 (median of rounds)'], rows),
    '',
    `worst median-of-rounds p99 through the gateway: ${ms(worstP99)} ms (goal ≤ 50 ms)`,
  ].join('\n');
}

export function complianceJson(result: ComplianceBenchResult): unknown {
  const s = (x: Summary) => ({ n: x.n, p50: round3(x.p50), p90: round3(x.p90), p99: round3(x.p99), max: round3(x.max) });
  return {
    hosts: result.hosts,
    nodes: result.nodes,
    results: result.results,
    evaluationMs: round3(result.evaluationMs),
    drift: result.drift,
    queries: result.queries.map((q) => ({ name: q.name, bytes: q.bytes, gateway: s(q.gateway), direct: s(q.direct), perRound: q.perRound.map((r) => ({ gatewayP50: round3(r.gatewayP50), directP50: round3(r.directP50), gatewayP99: round3(r.gatewayP99) })) })),
  };
}
