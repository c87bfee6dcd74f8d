import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@vigil/lib/logger';
import { startStack, type RunningStack } from '../gateway/src/stack.js';
import { vigilConfig } from '../gateway/src/stack-config.js';
import { startKubeApiDouble, type KubeApiDouble, type KubeObjectInput } from './support/kube-api-double.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { startSshd, type SshdInstance } from './support/sshd.js';

// Issue 12's question, answered through the gateway by one query with server-side filters: an
// inventory host `web-1` (this machine, over real SSH) is the Kubernetes Node `ip-10-0-0-11` (by its
// machine ID: the names differ), has the package Trivy flags, and had a Critical Falco event in a pod
// on that node. Fixtures: gateway/test/fixtures/README.md (Trivy, Falco) and
// subgraphs/cluster/test/fixtures/kube/README.md (the Node).

const fixture = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');
const MACHINE_ID = readFileSync('/etc/machine-id', 'utf8').trim();

/** The envtest VulnerabilityReport, on Debian, with a made-up Critical CVE in bash fixed far ahead (every bash is older). */
function bashVulnerabilityReport(): KubeObjectInput {
  const base = JSON.parse(fixture('../gateway/test/fixtures/vulnerabilityreport_envtest_fixture.json')) as Record<string, unknown> & { metadata: Record<string, unknown>; report: Record<string, unknown> };
  const vulnerability = { vulnerabilityID: 'CVE-2099-4343', resource: 'bash', installedVersion: '5.0-4', fixedVersion: '99:1.0', severity: 'CRITICAL', title: 'made-up', links: [], score: 9.8, target: '' };
  return {
    ...base,
    apiVersion: String(base['apiVersion']),
    kind: String(base['kind']),
    metadata: { ...base.metadata, uid: undefined, resourceVersion: undefined },
    report: { ...base.report, os: { family: 'debian', name: '12.8' }, updateTimestamp: new Date().toISOString(), vulnerabilities: [vulnerability] },
  };
}

/** The Node fixture as this machine: its /etc/machine-id, another name than the inventory's. */
function node(): KubeObjectInput {
  const base = JSON.parse(fixture('../subgraphs/cluster/test/fixtures/kube/node_v1_api_reference.json')) as Record<string, unknown> & { metadata: Record<string, unknown>; status: Record<string, unknown> };
  return {
    ...base,
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { ...base.metadata, name: 'ip-10-0-0-11' },
    status: { ...base.status, nodeInfo: { ...(base.status['nodeInfo'] as Record<string, unknown>), machineID: MACHINE_ID } },
  };
}

const QUESTION = `query ($cve: ID!, $since: DateTime!) {
  vulnerability(id: $cve) {
    affectedHosts(first: 25) {
      totalCount
      edges {
        node {
          status fixedVersion package { name version }
          host {
            id
            node { matchedBy value node { cluster name } }
            criticalFalco: securityEvents(filter: { sources: [FALCO], minSeverity: CRITICAL, from: $since }, first: 10) {
              totalCount
              edges { node { eventType resource { namespace name } } }
            }
          }
        }
      }
    }
  }
  alerts(filter: { hostId: "web-1", sources: [CLUSTER] }, first: 20) { edges { node { title subjectRef { type name hostId } } } }
}`;

interface Answer {
  vulnerability: {
    affectedHosts: {
      totalCount: number;
      edges: {
        node: {
          status: string;
          fixedVersion: string | null;
          package: { name: string };
          host: {
            id: string;
            node: { matchedBy: string; value: string; node: { cluster: string; name: string } } | null;
            criticalFalco: { totalCount: number; edges: { node: { eventType: string; resource: { namespace: string; name: string } | null } }[] };
          };
        };
      }[];
    };
  } | null;
  alerts: { edges: { node: { title: string; subjectRef: { type: string; name: string | null; hostId: string | null } | null } }[] };
}

describe.each(['memory', 'redis'] as const)('the cross-source question through the gateway (%s)', (store) => {
  let redis: RedisServer | null = null;
  let sshd: SshdInstance;
  let kubeApi: KubeApiDouble;
  let stack: RunningStack;
  const tmp = mkdtempSync(join(tmpdir(), 'vigil-cross-'));

  const post = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const response = await fetch(stack.gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
    if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
    return body.data as T;
  };

  beforeAll(async () => {
    [sshd, redis] = await Promise.all([startSshd(), store === 'redis' ? startRedisServer() : null]);
    kubeApi = await startKubeApiDouble({
      crdCatalog: [JSON.parse(fixture('../gateway/test/fixtures/aquasecurity.github.io_vulnerabilityreports.json')) as Record<string, unknown>],
      installedCrds: ['vulnerabilityreports.aquasecurity.github.io'],
    });
    kubeApi.upsert(bashVulnerabilityReport());
    kubeApi.upsert(node());
    const kubeconfigPath = join(tmp, 'kubeconfig');
    writeFileSync(kubeconfigPath, kubeApi.kubeconfig('e2e'));
    const knownHostsPath = await sshd.writeKnownHosts([sshd.knownHostsLine()]);
    const config = vigilConfig.parse({
      env: 'development',
      log: { level: 'silent' },
      redis: redis ? { url: redis.url, namespace: redis.uniquePrefix() } : {},
      hosts: {
        local: { enabled: false },
        inventory: [{ id: 'web-1', address: '127.0.0.1', port: sshd.port, user: sshd.user, privateKeyPath: sshd.clientKeyPath, knownHostsPath, labels: { env: 'test' } }],
      },
      cluster: { name: 'prod', kubernetes: { kubeconfigPath, contexts: [{ context: 'e2e', name: 'prod' }] } },
    });
    stack = await startStack({ config, logger: createLogger('test', { level: 'silent' }), signingSecret: randomBytes(32).toString('hex'), ports: 'ephemeral' });
    await stack.hosts.scheduler.firstRoundDone();
    // The informers have read the Node and the report.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const data = await post<{ nodes: { totalCount: number }; vulnerability: unknown }>('{ nodes { totalCount } vulnerability(id: "CVE-2099-4343") { id } }');
      if (data.nodes.totalCount === 1 && data.vulnerability) break;
      if (Date.now() > deadline) throw new Error('the Node and the report were not read');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await Promise.all([sshd?.stop(), redis?.stop(), kubeApi?.close()]);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('answers which hosts have the flagged package, which are nodes, and which had a Critical Falco event, in one query', async () => {
    // Falco on that node (FALCO_HOSTNAME = the node name), a shell in a pod: Critical.
    const falcoUrl = stack.subgraphs.cluster.url.replace(/\/graphql$/, '/ingest/falco');
    const event = { ...(JSON.parse(fixture('../gateway/test/fixtures/terminal_shell_in_container.json')) as Record<string, unknown>), hostname: 'ip-10-0-0-11', time: new Date().toISOString() };
    expect((await fetch(falcoUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) })).status).toBe(202);

    const answer = await post<Answer>(QUESTION, { cve: 'CVE-2099-4343', since: new Date(Date.now() - 7 * 86_400_000).toISOString() });
    expect(answer.vulnerability?.affectedHosts.totalCount).toBe(1);
    expect(answer.vulnerability?.affectedHosts.edges.map((edge) => edge.node)).toEqual([
      {
        status: 'OLDER_THAN_FIX',
        fixedVersion: '99:1.0',
        package: { name: 'bash', version: expect.any(String) as string },
        host: {
          id: 'web-1',
          node: { matchedBy: 'MACHINE_ID', value: MACHINE_ID, node: { cluster: 'prod', name: 'ip-10-0-0-11' } },
          criticalFalco: { totalCount: 1, edges: [{ node: { eventType: 'Terminal shell in container', resource: { namespace: 'default', name: 'kubecon' } } }] },
        },
      },
    ]);
    // The node-level alert is the host's: its subject is the pod, and it carries the matched host.
    expect(answer.alerts.edges.map((e) => e.node.subjectRef)).toContainEqual({ type: 'KUBE_OBJECT', name: 'kubecon', hostId: 'web-1' });
  });
});
