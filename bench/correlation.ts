/**
 * correlation: issue 12's cross-source question as one query through the gateway (the README's),
 * over 1,000 hosts, 3 clusters (1,000 Nodes) and 10,000 findings, against the same answer fetched
 * directly from the subgraphs with the requests the gateway's plan makes (cluster: the
 * vulnerability's packages; hosts: affectedHosts for them; cluster: each affected host's Node and
 * Critical Falco events), signed as the gateway signs them, one after the other.
 *
 * In one process (stack, Kubernetes API doubles and driver): memory stores; hosts' facts come from
 * a stub probe (each host a Debian machine with its own machine ID and openssl, half of them older
 * than the fix), the Nodes from three API doubles read by the real informers, the findings written
 * through the cluster store (100 Trivy findings of the CVE, 9,900 Falco events on the nodes, a
 * tenth Critical). Both paths run against the same processes, alternately, so the ratio compares
 * like with like; the absolute figures include the driver's own work.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningStack } from '@vigil/gateway/stack';
import { vigilConfig } from '@vigil/gateway/stack-config';
import type { ReportProbe } from '@vigil/subgraph-hosts/probe-pipeline';
import type { NormalisedSecurityEvent } from '@vigil/subgraph-cluster/store/security-event-store';
import { directHeaders } from './lib/direct-headers.js';
import { int, ms, ratio, round3, table } from './lib/format.js';
import { gatewayVersusDirect } from './lib/gateway-versus-direct.js';
import { postGraphQL } from './lib/graphql-post.js';
import type { Progress } from './lib/progress.js';
import type { Register } from './lib/resources.js';
import { falcoEvent } from './lib/security-events.js';
import { clusterOf, debianOsFact, hostIdOf, startNodeClusters, type NodeClusters } from './lib/simulated-nodes.js';
import { median, summarize, type Summary } from './lib/stats.js';
import { okFactsReport, stubHostsConfig } from './lib/stub-hosts.js';
import { startStubStack } from './lib/stub-stack.js';

export interface CorrelationOptions {
  hosts: number;
  clusters: number;
  findings: number;
  rounds: number;
  requestsPerRound: number;
  maxSecondsPerRound: number;
  warmup: number;
}

const CVE = 'CVE-2099-1212';
const FIX = '3.0.14-1~deb12u1';
/**
 * The README's question, with its `from` a week before the run, every affected host in one page
 * (`first: 1000`): one query, as the issue measures it. That page estimates about 2.8 million against
 * the gateway's default maxCost of 100,000 (the README pages by 25), so this bench's gateway allows it.
 */
const QUESTION = `query Correlation($cve: ID!, $since: DateTime!) {
  vulnerability(id: $cve) {
    packages { name fixedVersion osFamily }
    affectedHosts(first: 1000) {
      totalCount
      edges {
        node {
          status fixedVersion package { name version }
          host {
            id
            node { matchedBy node { cluster name kubeletVersion } }
            criticalFalco: securityEvents(filter: { sources: [FALCO], minSeverity: CRITICAL, from: $since }, first: 10) {
              totalCount
              edges { node { eventType lastSeen resource { namespace name } } }
            }
          }
        }
      }
    }
  }
}`;
const MAX_COST = 5_000_000;
const DIRECT_PACKAGES = 'query ($cve: ID!) { vulnerability(id: $cve) { __typename id packages { name fixedVersion osFamily } } }';
const DIRECT_AFFECTED = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Vulnerability { affectedHosts(first: 1000) { totalCount edges { node { status fixedVersion package { name version } host { __typename id } } } } } } }`;
const DIRECT_HOSTS = `query ($r: [_Any!]!, $since: DateTime!) { _entities(representations: $r) { ... on Host {
  node { matchedBy node { cluster name kubeletVersion } }
  criticalFalco: securityEvents(filter: { sources: [FALCO], minSeverity: CRITICAL, from: $since }, first: 10) {
    totalCount
    edges { node { eventType lastSeen resource { namespace name } } }
  }
} } }`;

export interface CorrelationResult {
  hosts: number;
  nodes: number;
  findings: number;
  affectedHosts: number;
  matchedHosts: number;
  responseBytes: number;
  gateway: Summary;
  direct: Summary;
  perRound: { gatewayP50: number; directP50: number }[];
}

export async function runCorrelation(options: CorrelationOptions, progress: Progress, register: Register): Promise<CorrelationResult> {
  const tmp = mkdtempSync(join(tmpdir(), 'vigil-bench-correlation-'));
  let clusters: NodeClusters | undefined;
  let stack: RunningStack | undefined;
  try {
    // Nodes: host i is Node nodeNameOf(i) of cluster clusterOf(i), by machine ID (the names differ).
    clusters = await startNodeClusters({ clusters: options.clusters, hosts: options.hosts, dir: tmp }, register);

    const hostIds = Array.from({ length: options.hosts }, (_, i) => hostIdOf(i));
    const indexOf = new Map(hostIds.map((id, i) => [id, i]));
    const stubProbe: ReportProbe = async (target) => {
      const i = indexOf.get(target.id) ?? 0;
      return okFactsReport(
        target.id,
        {
          os: [debianOsFact(i, target.id)],
          packages: [
            { name: 'bash', version: '5.2.15-2+b7', arch: 'amd64' },
            { name: 'openssl', version: i % 2 === 0 ? '3.0.11-1~deb12u2' : '3.0.15-1~deb12u1', arch: 'amd64' },
          ],
        },
        new Date().toISOString(),
      );
    };
    const DAY_SECONDS = 86_400;
    const config = vigilConfig.parse({
      env: 'development',
      log: { level: 'silent' },
      gateway: { limits: { maxCost: MAX_COST } },
      hosts: stubHostsConfig(hostIds),
      cluster: { name: 'eu', retentionDays: 30, kubernetes: clusters.kubernetes },
    });
    progress(`starting the stack with ${int(options.hosts)} hosts and ${options.clusters} clusters`);
    const started = await startStubStack(config, stubProbe, register);
    stack = started.stack;
    const { secret } = started;

    // Findings: the CVE in 100 workloads across the clusters, and Falco events on the nodes.
    const now = Date.now();
    const trivy = Math.min(100, options.findings);
    // Falco: spread over two weeks, so half of them fall in the week asked about; a tenth Critical.
    const falco = { hosts: options.hosts, withinMinutes: 14 * 1440, criticalEvery: 10 };
    for (let i = 0; i < options.findings; i++) await stack.cluster.store.record(i < trivy ? trivyFinding(i, now) : falcoEvent(i, now, falco));

    const gatewayUrl = stack.gateway.url;
    const clusterUrl = stack.subgraphs.cluster.url;
    const hostsUrl = stack.subgraphs.hosts.url;
    const since = new Date(now - 7 * DAY_SECONDS * 1000).toISOString();
    const variables = { cve: CVE, since };

    // The informers have read every Node, and the matches are made.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { data } = await postGraphQL(gatewayUrl, JSON.stringify({ query: '{ nodes { totalCount } unmatchedNodes { totalCount } }' }));
      const counts = data as { nodes: { totalCount: number }; unmatchedNodes: { totalCount: number } };
      if (counts.nodes.totalCount === options.hosts && counts.unmatchedNodes.totalCount === 0) break;
      if (Date.now() > deadline) throw new Error(`only ${counts.nodes.totalCount} of ${options.hosts} Nodes read, ${counts.unmatchedNodes.totalCount} unmatched`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const viaGateway = () => postGraphQL(gatewayUrl, JSON.stringify({ query: QUESTION, variables }));
    const signed = (url: string, audience: string, body: string) => postGraphQL(url, body, directHeaders(secret, url, audience, body));
    const direct = async () => {
      const first = await signed(clusterUrl, 'cluster', JSON.stringify({ query: DIRECT_PACKAGES, variables: { cve: CVE } }));
      const vulnerability = (first.data as { vulnerability: Record<string, unknown> }).vulnerability;
      const second = await signed(hostsUrl, 'hosts', JSON.stringify({ query: DIRECT_AFFECTED, variables: { r: [vulnerability] } }));
      type Affected = { affectedHosts: { edges: { node: { host: { __typename: string; id: string } } }[] } };
      const affected = ((second.data as { _entities: Affected[] })._entities[0]?.affectedHosts.edges ?? []).map((edge) => edge.node);
      const third = await signed(clusterUrl, 'cluster', JSON.stringify({ query: DIRECT_HOSTS, variables: { r: affected.map((a) => a.host), since } }));
      return { bytes: first.bytes + second.bytes + third.bytes, affected: affected.length };
    };

    // What the answer holds, checked once: every older openssl found, every one of them a matched Node.
    const answer = (await viaGateway()).data as { vulnerability: { affectedHosts: { totalCount: number; edges: { node: { host: { node: unknown } } }[] } } };
    const affectedHosts = answer.vulnerability.affectedHosts.edges.length;
    if (answer.vulnerability.affectedHosts.totalCount !== affectedHosts) throw new Error('totalCount differs from the hosts in the one page');
    const matchedHosts = answer.vulnerability.affectedHosts.edges.filter((a) => a.node.host.node !== null).length;
    const { bytes: responseBytes } = await viaGateway();
    if ((await direct()).affected !== affectedHosts) throw new Error('the direct path found other hosts than the gateway');

    const measured = await gatewayVersusDirect((path) => (path === 'gateway' ? viaGateway() : direct()), options, progress);
    return {
      hosts: options.hosts,
      nodes: options.hosts,
      findings: options.findings,
      affectedHosts,
      matchedHosts,
      responseBytes,
      gateway: summarize(measured.gateway),
      direct: summarize(measured.direct),
      perRound: measured.rounds.map((round) => ({ gatewayP50: median(round.gateway), directP50: median(round.direct) })),
    };
  } finally {
    await stack?.stop();
    await Promise.all((clusters?.doubles ?? []).map((d) => d.close().catch(() => undefined)));
    rmSync(tmp, { recursive: true, force: true });
  }
}

function trivyFinding(i: number, now: number): NormalisedSecurityEvent {
  const cluster = clusterOf(i);
  const workload = `app-${i}`;
  const at = new Date(now - (i + 1) * 60_000).toISOString();
  return {
    dedupKey: `trivy/${cluster}/default/Deployment/${workload}/app/${CVE}`,
    source: 'TRIVY',
    category: 'VULNERABILITY',
    severity: 'CRITICAL',
    eventType: 'vulnerability',
    title: `${CVE} in openssl`,
    cluster,
    resource: { cluster, namespace: 'default', kind: 'Deployment', name: workload },
    hostname: null,
    occurredAt: at,
    details: {
      kind: 'TRIVY_VULNERABILITY',
      vulnerabilityId: CVE,
      pkgName: 'openssl',
      installedVersion: '3.0.11-1~deb12u2',
      fixedVersion: FIX,
      title: 'made-up for the benchmark',
      primaryLink: null,
      score: 9.8,
      trivySeverity: 'CRITICAL',
      links: [],
      publishedDate: null,
      lastModifiedDate: null,
      packages: [{ pkgName: 'openssl', installedVersion: '3.0.11-1~deb12u2', fixedVersion: FIX, severity: 'CRITICAL', target: null, pkgPath: null }],
      image: { registry: 'ghcr.io', repository: `example/${workload}`, tag: '1.0', digest: null },
      container: 'app',
      os: { family: 'debian', name: '12.8', eosl: false },
      scanner: { name: 'Trivy', version: '0.57.0' },
    },
    raw: {},
  };
}

export function correlationTable(result: CorrelationResult): string {
  const row = (name: string, s: Summary) => [name, int(s.n), ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max)];
  const ratios = result.perRound.map((r) => r.gatewayP50 / r.directP50);
  return [
    `${int(result.hosts)} hosts (${int(result.affectedHosts)} with openssl older than the fix, ${int(result.matchedHosts)} of them matched to a Node), ${int(result.nodes)} Nodes in 3 clusters, ${int(result.findings)} findings; answer ${int(result.responseBytes)} bytes`,
    '',
    table(['path', 'requests', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'], [row('one query through the gateway', result.gateway), row('direct: 3 subgraph requests in turn', result.direct)]),
    '',
    `gateway / direct at p50: ${ratio(result.gateway.p50 / result.direct.p50)} (median of per-round ratios ${ratio(median(ratios))}; goal ≤ 1.50x); at p99: ${ratio(result.gateway.p99 / result.direct.p99)}`,
  ].join('\n');
}

export function correlationJson(result: CorrelationResult): unknown {
  const s = (x: Summary) => ({ n: x.n, p50: round3(x.p50), p90: round3(x.p90), p99: round3(x.p99), max: round3(x.max) });
  return {
    hosts: result.hosts,
    nodes: result.nodes,
    findings: result.findings,
    affectedHosts: result.affectedHosts,
    matchedHosts: result.matchedHosts,
    responseBytes: result.responseBytes,
    gateway: s(result.gateway),
    direct: s(result.direct),
    p50Ratio: round3(result.gateway.p50 / result.direct.p50),
    p99Ratio: round3(result.gateway.p99 / result.direct.p99),
    perRound: result.perRound.map((r) => ({ gatewayP50: round3(r.gatewayP50), directP50: round3(r.directP50) })),
  };
}
