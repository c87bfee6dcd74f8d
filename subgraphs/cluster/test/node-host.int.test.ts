import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAlertLog } from '@vigil/lib/alerts/memory-alert-log';
import { AlertPublisher } from '@vigil/lib/alerts/publisher';
import { systemClock } from '@vigil/lib/clock';
import { MemoryHostDirectory } from '@vigil/lib/host-directory';
import type { Identity } from '@vigil/lib/identity';
import { createLogger } from '@vigil/lib/logger';
import { createServiceRegistry } from '@vigil/lib/metrics';
import { entitiesOf, executeSubgraph } from '../../../test/support/execute-subgraph.js';
import { startKubeApiDouble, type KubeApiDouble, type KubeObjectInput } from '../../../test/support/kube-api-double.js';
import { clusterConfig } from '../src/config.js';
import { createClusterRuntime, type ClusterRuntime } from '../src/runtime.js';

// Node ↔ Host by evidence, end to end in the cluster subgraph: Nodes read by the real informer from
// the API double, hosts as the hosts subgraph publishes them, the real Falco and kube-bench intake.
// Fixtures: fixtures/kube/README.md (the Node), fixtures/falco/README.md, fixtures/kube-bench/README.md.

type JsonObject = Record<string, unknown>;
const logger = createLogger('test', { level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'vigil-nodes-'));
const text = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');
const nodeFixture = JSON.parse(text('./fixtures/kube/node_v1_api_reference.json')) as JsonObject;

/** The fixture Node renamed and re-addressed: same shape, another machine. */
function node(name: string, patch: { machineID?: string; internalIP: string }): KubeObjectInput {
  const status = nodeFixture['status'] as JsonObject;
  const nodeInfo = status['nodeInfo'] as JsonObject;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { ...(nodeFixture['metadata'] as JsonObject), name, labels: { 'kubernetes.io/hostname': name } },
    spec: nodeFixture['spec'],
    status: {
      ...status,
      addresses: [
        { type: 'InternalIP', address: patch.internalIP },
        { type: 'Hostname', address: name },
      ],
      nodeInfo: { ...nodeInfo, machineID: patch.machineID ?? '', systemUUID: '' },
    },
  };
}

const WEB_MACHINE_ID = 'ec2a7d5e0f4b4c1e9d3a2b1c0f9e8d7c';

async function query<T>(runtime: ClusterRuntime, source: string, identity?: Identity): Promise<T> {
  const result = await executeSubgraph(runtime.definition, source, {}, identity);
  if (result.errors?.length) throw new Error(result.errors.map((e) => e.message).join('; '));
  return result.data as T;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const tenant = (clusters: string[], hostLabels: Record<string, string> | null): Identity => ({
  subject: 'tenant-user',
  kind: 'user',
  roles: ['viewer'],
  tenants: [{ name: 't', clusters, hostLabels, victoriaLogs: null }],
  expiresAt: null,
});

describe('Node ↔ Host by evidence', () => {
  let api: KubeApiDouble;
  let runtime: ClusterRuntime;
  let alerts: MemoryAlertLog;
  let server: Server;
  let falcoUrl: string;

  beforeAll(async () => {
    api = await startKubeApiDouble();
    const kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, api.kubeconfig('ctx-prod'));
    // What the hosts subgraph publishes: web-1 is node ip-10-0-0-11 (machine ID), db-1 is the node at
    // 10.0.0.12 (address); lonely is no node; no host is the node orphan.
    const directory = new MemoryHostDirectory();
    await directory.publish({ hostId: 'web-1', labels: { team: 'web' }, machineId: WEB_MACHINE_ID, hostname: 'web-1', addresses: ['192.0.2.10', '10.0.0.11'] });
    await directory.publish({ hostId: 'db-1', labels: { team: 'db' }, addresses: ['10.0.0.12'] });
    await directory.publish({ hostId: 'lonely', labels: { team: 'web' }, addresses: ['192.0.2.99'] });
    api.upsert(node('ip-10-0-0-11.ec2.internal', { machineID: WEB_MACHINE_ID, internalIP: '10.0.0.11' }));
    api.upsert(node('ip-10-0-0-12.ec2.internal', { internalIP: '10.0.0.12' }));
    api.upsert(node('orphan', { internalIP: '10.0.0.13' }));

    const config = clusterConfig.parse({ name: 'prod', kubernetes: { kubeconfigPath, contexts: [{ context: 'ctx-prod', name: 'prod' }] }, falco: { alertMinPriority: 'Critical' } });
    alerts = new MemoryAlertLog({ maxLength: 100 });
    runtime = createClusterRuntime(config, {
      logger,
      publisher: new AlertPublisher(alerts, logger, systemClock),
      redisUrl: undefined,
      namespace: 'test',
      clock: systemClock,
      metrics: createServiceRegistry(),
      hostDirectory: directory,
    });
    const app = express();
    runtime.definition.routes?.(app);
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    falcoUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest/falco`;
    await runtime.start();
    await waitFor('three nodes read', async () => (await query<{ nodes: { totalCount: number } }>(runtime, '{ nodes { totalCount } }')).nodes.totalCount === 3);
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await runtime?.definition.close?.();
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves each Node with its evidence and the host it was matched to, and how', async () => {
    const page = await query<{ nodes: { totalCount: number; edges: { node: JsonObject }[] } }>(
      runtime,
      '{ nodes(cluster: "prod") { totalCount edges { node { cluster name machineId systemUuid osImage kernelVersion kubeletVersion addresses { type address } host { host { id } matchedBy value } } } } }',
    );
    expect(page.nodes.totalCount).toBe(3);
    const data = { nodes: page.nodes.edges.map((e) => e.node) };
    expect(data.nodes.map((n) => [n['name'], n['host']])).toEqual([
      ['ip-10-0-0-11.ec2.internal', { host: { id: 'web-1' }, matchedBy: 'MACHINE_ID', value: WEB_MACHINE_ID }],
      ['ip-10-0-0-12.ec2.internal', { host: { id: 'db-1' }, matchedBy: 'ADDRESS', value: '10.0.0.12' }],
      ['orphan', null],
    ]);
    expect(data.nodes[0]).toMatchObject({ cluster: 'prod', machineId: WEB_MACHINE_ID, systemUuid: null, osImage: 'Amazon Linux 2023.5.20241001', kubeletVersion: 'v1.30.4-eks-a737599' });
  });

  it('lists unmatched nodes and hosts', async () => {
    type Page<T> = { totalCount: number; edges: { node: T }[] };
    const data = await query<{ unmatchedNodes: Page<{ name: string }>; unmatchedHosts: Page<{ id: string }> }>(
      runtime,
      '{ unmatchedNodes { totalCount edges { node { name } } } unmatchedHosts { totalCount edges { node { id } } } }',
    );
    expect(data).toEqual({ unmatchedNodes: { totalCount: 1, edges: [{ node: { name: 'orphan' } }] }, unmatchedHosts: { totalCount: 1, edges: [{ node: { id: 'lonely' } }] } });
    // One per page: every Node once, by cluster and name, whatever the page size.
    const names: string[] = [];
    let after: string | null = null;
    for (let guard = 0; guard < 10; guard++) {
      const result = await executeSubgraph(runtime.definition, 'query ($after: String) { nodes(first: 1, after: $after) { edges { node { name } } pageInfo { hasNextPage endCursor } } }', { after });
      expect(result.errors).toBeUndefined();
      const next = result.data as { nodes: { edges: { node: { name: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
      names.push(...next.nodes.edges.map((e) => e.node.name));
      if (!next.nodes.pageInfo.hasNextPage) break;
      after = next.nodes.pageInfo.endCursor;
    }
    expect(names).toEqual(['ip-10-0-0-11.ec2.internal', 'ip-10-0-0-12.ec2.internal', 'orphan']);
    const tooMany = await executeSubgraph(runtime.definition, '{ unmatchedHosts(first: 1001) { totalCount } }');
    expect(tooMany.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(tooMany.errors?.[0]?.message).toMatch(/^first\b/);
    const foreign = await executeSubgraph(runtime.definition, '{ nodes(after: "%%%") { totalCount } }');
    expect(foreign.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(foreign.errors?.[0]?.message).toMatch(/^after\b/);
  });

  it('resolves Host.node through _entities, in one batch', async () => {
    const result = await executeSubgraph(
      runtime.definition,
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Host { id node { node { name cluster } matchedBy } } } }',
      { r: [{ __typename: 'Host', id: 'web-1' }, { __typename: 'Host', id: 'lonely' }, { __typename: 'Host', id: 'db-1' }] },
    );
    expect(entitiesOf(result)).toEqual([
      { id: 'web-1', node: { node: { name: 'ip-10-0-0-11.ec2.internal', cluster: 'prod' }, matchedBy: 'MACHINE_ID' } },
      { id: 'lonely', node: null },
      { id: 'db-1', node: { node: { name: 'ip-10-0-0-12.ec2.internal', cluster: 'prod' }, matchedBy: 'ADDRESS' } },
    ]);
  });

  it('a Falco Critical in a pod on a matched node is alerted with the host id, and is the host’s security event', async () => {
    // Falco with FALCO_HOSTNAME set to the node name (the Helm chart's default, from spec.nodeName).
    const event = { ...(JSON.parse(text('./fixtures/falco/terminal_shell_in_container.json')) as JsonObject), hostname: 'ip-10-0-0-11.ec2.internal', time: new Date().toISOString() };
    const response = await fetch(falcoUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });
    expect(response.status).toBe(202);
    const [alert] = await alerts.listNewestFirst({ limit: 1 });
    expect(alert?.subject).toEqual({ type: 'KubeObject', cluster: 'prod', namespace: 'default', kind: 'Pod', name: 'kubecon', displayName: 'default/kubecon', hostId: 'web-1' });

    const data = await query<{ _entities: { securityEvents: { totalCount: number; edges: { node: { eventType: string; hostname: string } }[] } }[] }>(
      runtime,
      '{ _entities(representations: [{ __typename: "Host", id: "web-1" }]) { ... on Host { securityEvents { totalCount edges { node { eventType hostname } } } } } }',
    );
    expect(data._entities[0]?.securityEvents.edges.map((e) => e.node)).toEqual([{ eventType: 'Terminal shell in container', hostname: 'ip-10-0-0-11.ec2.internal' }]);
    expect(data._entities[0]?.securityEvents.totalCount).toBe(1);
    // The event names its host too.
    const events = await query<{ securityEvents: { edges: { node: { hostname: string; host: { id: string } | null } }[] } }>(runtime, '{ securityEvents(filter: { sources: [FALCO] }) { edges { node { hostname host { id } } } } }');
    expect(events.securityEvents.edges.map((e) => e.node)).toEqual([{ hostname: 'ip-10-0-0-11.ec2.internal', host: { id: 'web-1' } }]);
  });

  it('a Falco event on a node of no host keeps the node name, as before', async () => {
    const event = { ...(JSON.parse(text('./fixtures/falco/terminal_shell_in_container.json')) as JsonObject), hostname: 'orphan', time: new Date().toISOString() };
    await fetch(falcoUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });
    const [alert] = await alerts.listNewestFirst({ limit: 1 });
    expect(alert?.subject).toEqual({ type: 'KubeObject', cluster: 'prod', namespace: 'default', kind: 'Pod', name: 'kubecon', displayName: 'default/kubecon' });
  });

  it('a kube-bench FAIL of a matched node is alerted with the host id', async () => {
    const before = (await alerts.listNewestFirst({ limit: 100 })).length;
    api.upsert({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'kube-bench-ip-10-0-0-12', namespace: 'kube-bench', labels: { app: 'kube-bench', node: 'ip-10-0-0-12.ec2.internal' } },
      data: { 'results.json': text('./fixtures/kube-bench/kube-bench_cis-1.6_node_trimmed.json') },
    });
    const raised = await waitFor('kube-bench alerts', async () => {
      const all = await alerts.listNewestFirst({ limit: 100 });
      return all.length > before ? all.slice(0, all.length - before) : undefined;
    });
    expect(raised.length).toBeGreaterThan(0);
    for (const alert of raised) {
      expect(alert.rule).toBe('new-kube-bench-fail');
      expect(alert.subject).toMatchObject({ type: 'KubeObject', kind: 'Node', name: 'ip-10-0-0-12.ec2.internal', hostId: 'db-1' });
    }
  });

  it('tenancy: nodes of other clusters are hidden, and so is a matched host outside the caller’s host labels', async () => {
    const other = await query<{ nodes: unknown; node: unknown; unmatchedNodes: unknown }>(
      runtime,
      '{ nodes { totalCount edges { node { name } } } node(cluster: "prod", name: "orphan") { name } unmatchedNodes { totalCount edges { node { name } } } }',
      tenant(['staging'], null),
    );
    expect(other).toEqual({ nodes: { totalCount: 0, edges: [] }, node: null, unmatchedNodes: { totalCount: 0, edges: [] } });

    const web = await query<{ nodes: { edges: { node: { name: string; host: { host: { id: string } } | null } }[] }; unmatchedHosts: { edges: { node: { id: string } }[] } }>(
      runtime,
      '{ nodes { edges { node { name host { host { id } } } } } unmatchedHosts { edges { node { id } } } }',
      tenant(['prod'], { team: 'web' }),
    );
    expect(web.nodes.edges.map(({ node: n }) => [n.name, n.host?.host.id ?? null])).toEqual([
      ['ip-10-0-0-11.ec2.internal', 'web-1'],
      // db-1 is another team's host: the caller sees the node, not whose host it is.
      ['ip-10-0-0-12.ec2.internal', null],
      ['orphan', null],
    ]);
    expect(web.unmatchedHosts.edges.map((e) => e.node)).toEqual([{ id: 'lonely' }]);
  });

  it('forgets a deleted Node and its match', async () => {
    api.delete({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'ip-10-0-0-12.ec2.internal' } });
    const data = await waitFor('the node gone', async () => {
      const d = await query<{ nodes: { totalCount: number }; unmatchedHosts: { edges: { node: { id: string } }[] } }>(runtime, '{ nodes { totalCount } unmatchedHosts { edges { node { id } } } }');
      return d.nodes.totalCount === 2 ? d : undefined;
    });
    expect(data.unmatchedHosts.edges.map((e) => e.node.id)).toEqual(['db-1', 'lonely']);
  });
});
