import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@vigil/lib/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AlertRaisedDocument,
  AlertRaisedWithSubjectDocument,
  HostPackagesDocument,
  HostsWithPackageDocument,
  RefreshHostDocument,
  VulnerabilityImpactDocument,
  RecentAlertsDocument,
  SecurityOverviewDocument,
  createVigilClient,
  type VigilClient,
} from '@vigil/sdk/index';
import { auditIngestParams } from '@vigil/subgraph-audit/sources/victorialogs/audit-fields';
import { VictoriaLogsClient } from '@vigil/subgraph-audit/sources/victorialogs/client';
import { startKubeApiDouble, type KubeApiDouble, type KubeObjectInput } from '../../test/support/kube-api-double.js';
import { startRedisServer, type RedisServer } from '../../test/support/redis-server.js';
import { startSshd, type SshdInstance } from '../../test/support/sshd.js';
import { startVictoriaLogsDouble, type VictoriaLogsDouble } from '../../test/support/victorialogs-double.js';
import { startStack, type RunningStack } from '../src/stack.js';
import { vigilConfig } from '../src/stack-config.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

/** What dpkg-query reports on this machine, computed independently of the probe's parser. */
function localPackageCount(): number {
  const out = execFileSync('dpkg-query', ['-W', '-f=${db:Status-Status}\n'], { encoding: 'utf8' });
  return out.split('\n').filter((status) => status === 'installed').length;
}

/** The documented Falco alert, re-timed to now: events older than the retention window are not kept. */
function falcoEvent(overrides: Record<string, unknown> = {}): string {
  const event = JSON.parse(fixture('terminal_shell_in_container.json')) as Record<string, unknown>;
  return JSON.stringify({ ...event, time: new Date().toISOString(), ...overrides });
}

/** The envtest VulnerabilityReport (coredns), with a Debian OS and a made-up Critical CVE in bash, fixed in a version far ahead. */
function bashVulnerabilityReport(): KubeObjectInput {
  const base = JSON.parse(fixture('vulnerabilityreport_envtest_fixture.json')) as Record<string, unknown> & { metadata: Record<string, unknown>; report: Record<string, unknown> };
  const vulnerability = {
    vulnerabilityID: 'CVE-2099-4242',
    resource: 'bash',
    installedVersion: '5.0-4',
    fixedVersion: '99:1.0',
    severity: 'CRITICAL',
    title: 'made-up bash vulnerability for the end-to-end test',
    primaryLink: 'https://example.invalid/CVE-2099-4242',
    links: [],
    score: 9.8,
    target: '',
  };
  return {
    ...base,
    apiVersion: String(base['apiVersion']),
    kind: String(base['kind']),
    metadata: { ...base.metadata, uid: undefined, resourceVersion: undefined },
    report: { ...base.report, os: { family: 'debian', name: '12.8' }, updateTimestamp: new Date().toISOString(), vulnerabilities: [vulnerability] },
  };
}

/** The next event that matches, skipping others (other Critical alerts may be raised concurrently, e.g. by the informer). */
async function nextMatching<T>(iterator: AsyncIterator<T>, matches: (value: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await nextWithin(iterator, Math.max(1, deadline - Date.now()));
    if (matches(value)) return value;
  }
}

async function nextWithin<T>(iterator: AsyncIterator<T>, ms: number): Promise<T> {
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no event within ${ms} ms`)), ms));
  const result = await Promise.race([iterator.next(), timeout]);
  if (result.done) throw new Error('subscription ended');
  return result.value;
}

describe.each(['memory', 'redis'] as const)('Vigil end to end through the gateway and the SDK (%s store)', (store) => {
  let redis: RedisServer | null = null;
  let sshd: SshdInstance;
  let victoriaLogs: VictoriaLogsDouble;
  let stack: RunningStack;
  let client: VigilClient;
  let falcoUrl: string;
  let kubeApi: KubeApiDouble;
  const tmp = mkdtempSync(join(tmpdir(), 'vigil-e2e-'));

  beforeAll(async () => {
    [sshd, victoriaLogs, redis] = await Promise.all([startSshd(), startVictoriaLogsDouble(), store === 'redis' ? startRedisServer() : null]);
    kubeApi = await startKubeApiDouble({
      crdCatalog: [JSON.parse(fixture('aquasecurity.github.io_vulnerabilityreports.json')) as Record<string, unknown>],
      installedCrds: ['vulnerabilityreports.aquasecurity.github.io'],
    });
    kubeApi.upsert(bashVulnerabilityReport());
    const kubeconfigPath = join(tmp, 'kubeconfig');
    writeFileSync(kubeconfigPath, kubeApi.kubeconfig('e2e'));
    const auditLines = fixture('audit-log_minikube_k8s-1.29.jsonl').trim().split('\n').map((line) => JSON.parse(line) as object);
    await new VictoriaLogsClient({ baseUrl: victoriaLogs.url, timeoutMs: 5000 }).ingest(auditLines, auditIngestParams({ cluster: 'default' }));

    const knownHostsPath = await sshd.writeKnownHosts([sshd.knownHostsLine()]);
    const config = vigilConfig.parse({
      env: 'development',
      log: { level: 'silent' },
      redis: redis ? { url: redis.url, namespace: redis.uniquePrefix() } : {},
      hosts: {
        local: { id: 'e2e-local', labels: { role: 'vigil' } },
        inventory: [{ id: 'ssh-host', address: '127.0.0.1', port: sshd.port, user: sshd.user, privateKeyPath: sshd.clientKeyPath, knownHostsPath, labels: { env: 'test' } }],
      },
      audit: { victoriaLogs: { url: victoriaLogs.url } },
      cluster: { kubernetes: { kubeconfigPath, contexts: [{ context: 'e2e', name: 'default' }] } },
    });
    stack = await startStack({ config, logger: createLogger('test', { level: 'silent' }), signingSecret: randomBytes(32).toString('hex'), ports: 'ephemeral' });
    await stack.hosts.scheduler.firstRoundDone();
    client = createVigilClient({ url: stack.gateway.url });
    falcoUrl = stack.subgraphs.cluster.url.replace(/\/graphql$/, '/ingest/falco');
  });

  afterAll(async () => {
    await client?.dispose();
    await stack?.stop();
    await Promise.all([sshd?.stop(), victoriaLogs?.stop(), redis?.stop(), kubeApi?.close()]);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('one query touches all five subgraphs', async () => {
    const posted = await fetch(falcoUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: falcoEvent() });
    expect(posted.status).toBe(202);

    // Compliance evaluates on a schedule, never per query: run it now that both hosts are probed.
    const evaluated = await fetch(stack.gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'mutation { evaluateCompliance { __typename } }' }) });
    expect(((await evaluated.json()) as { errors?: unknown }).errors).toBeUndefined();

    const data = await client.query(SecurityOverviewDocument, { hosts: 10, events: 10 });

    // hosts: both probed for real (local + SSH), with their OS and packages.
    expect(data.hosts.totalCount).toBe(2);
    const hosts = new Map(data.hosts.edges.map((e) => [e.node.id, e.node]));
    for (const id of ['e2e-local', 'ssh-host']) {
      const host = hosts.get(id);
      expect(host?.probeStatus.state, `${id}: ${host?.probeStatus.message}`).toBe('OK');
      expect(host?.os?.prettyName).toMatch(/\S/);
      expect(host?.packageManager).toBe('DPKG');
      expect(host?.packages.totalCount).toBe(localPackageCount());
      // compliance extends Host: both were probed just now, so the inventory controls (CM-8, and
      // ISO 27001:2022 A.5.9 mapped onto it) pass for them. Others may fail on this machine (CM-7:
      // its listening ports are not on an allow-list), which is the catalogue working.
      const failed = (host?.failedControls ?? []).map((c) => `${c.framework} ${c.id}`);
      expect(failed).not.toContain('NIST_800_53 CM-8');
      expect(failed).not.toContain('ISO_27001 A.5.9');
    }
    expect(hosts.get('ssh-host')?.transport).toBe('SSH');

    // cluster: the Falco event, normalised, with its pod.
    const event = data.securityEvents.edges.map((e) => e.node).find((n) => n.resource?.name === 'kubecon');
    expect(event?.severity).toBe('CRITICAL');
    expect(event?.resource).toEqual({ cluster: 'default', namespace: 'default', kind: 'Pod', name: 'kubecon' });

    // audit: the audit fixture, read from VictoriaLogs (double) through LogsQL.
    expect(data.auditEvents.edges.length).toBeGreaterThan(0);
    expect(data.auditEvents.edges.map((e) => e.node.user.username)).toContain('mayor-malware');

    // compliance: CM-8 evaluated from evidence fetched through the gateway.
    const cm8 = data.controls.find((c) => c.framework === 'NIST_800_53' && c.id === 'CM-8');
    expect(cm8?.status).toBe('PASS');
    // RA-5 is scored from the Trivy report's Critical CVE in bash (a fix exists, open for seconds).
    expect(data.controls.find((c) => c.framework === 'NIST_800_53' && c.id === 'RA-5')?.status).toMatch(/^(PASS|FAIL)$/);

    // alerts: the Critical Falco event raised one, its subject resolved by the cluster subgraph.
    const alert = data.alerts.edges.map((e) => e.node).find((a) => a.title.includes('Terminal shell'));
    expect(alert?.severity).toBe('CRITICAL');
    expect(alert?.subject).toEqual({ __typename: 'KubeObject', cluster: 'default', namespace: 'default', kind: 'Pod', name: 'kubecon' });
  });

  it('a graphql-ws subscriber receives the alert of a Critical Falco event, its subject resolved across subgraphs', async () => {
    // From the newest alert now: whenever the gateway's upstream subscription opens, nothing after it is missed.
    const cursor = (await client.query(RecentAlertsDocument, { first: 1 })).alerts.edges[0]?.node.id ?? null;
    const podAlerts = client.subscribe(AlertRaisedWithSubjectDocument, { filter: { minSeverity: 'CRITICAL' }, after: cursor });
    const iterator = podAlerts[Symbol.asyncIterator]();
    const first = nextMatching(iterator, (e) => e.alertRaised.subjectRef?.displayName === 'default/kubecon', 10_000);

    await fetch(falcoUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: falcoEvent() });
    const received = await first;
    expect(received.alertRaised.source).toBe('CLUSTER');
    expect(received.alertRaised.subjectRef?.displayName).toBe('default/kubecon');
    const subject = received.alertRaised.subject;
    expect(subject?.__typename).toBe('KubeObject');
    if (subject?.__typename === 'KubeObject') {
      // securityEvents comes from the cluster subgraph: an entity fetch per event.
      expect(subject.securityEvents.edges[0]?.node.count).toBeGreaterThanOrEqual(2);
      expect(subject.securityEvents.totalCount).toBeGreaterThanOrEqual(1);
    }

    // A node-level event (no pod) is about the host; the hosts subgraph resolves it.
    const nodeEvent = falcoEvent({ hostname: 'e2e-local', output_fields: { 'proc.name': 'sh' }, rule: 'Write below binary dir', output: 'File below a known binary directory opened for writing' });
    await fetch(falcoUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: nodeEvent });
    const hostAlert = await nextMatching(iterator, (e) => e.alertRaised.subject?.__typename === 'Host', 10_000);
    expect(hostAlert.alertRaised.subject).toMatchObject({ __typename: 'Host', id: 'e2e-local', name: 'e2e-local', transport: 'LOCAL', probeStatus: { state: 'OK' } });
    await iterator.return?.();
  });

  it('a reconnecting subscriber resumes from its cursor and misses nothing', async () => {
    const recent = await client.query(RecentAlertsDocument, { first: 1 });
    const cursor = recent.alerts.edges[0]?.node.id;
    expect(cursor).toBeDefined();
    // Two alerts are raised while "disconnected".
    for (const title of ['missed one', 'missed two']) {
      await stack.publisher.raise({ source: 'HOSTS', severity: 'HIGH', title, subject: { type: 'Host', hostId: 'ssh-host', displayName: 'ssh-host' } });
    }
    const resumed = client.subscribe(AlertRaisedDocument, { after: cursor ?? null })[Symbol.asyncIterator]();
    const titles = [(await nextWithin(resumed, 10_000)).alertRaised.title, (await nextWithin(resumed, 10_000)).alertRaised.title];
    expect(titles).toEqual(['missed one', 'missed two']);
    await resumed.return?.();
  });

  it('serves subscriptions over SSE as well (GraphQL over Server-Sent Events, distinct connections mode)', async () => {
    const controller = new AbortController();
    const response = await fetch(stack.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({
        query: 'subscription ($after: ID) { alertRaised(filter: { sources: [AUDIT] }, after: $after) { id title severity } }',
        variables: { after: (await client.query(RecentAlertsDocument, { first: 1 })).alerts.edges[0]?.node.id ?? null },
      }),
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    await stack.publisher.raise({ source: 'AUDIT', severity: 'HIGH', title: 'delivered over SSE' });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('delivered over SSE')) {
      const chunk = await Promise.race([reader.read(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no SSE event; got ${text}`)), 10_000))]);
      if (chunk.done) break;
      text += decoder.decode(chunk.value);
    }
    controller.abort();
    const data = text.split('\n').find((line) => line.startsWith('data: ') && line.includes('delivered over SSE'));
    expect(JSON.parse(data?.slice('data: '.length) ?? 'null')).toMatchObject({ data: { alertRaised: { title: 'delivered over SSE', severity: 'HIGH' } } });
  });

  it('pages packages through the SDK and answers null for an unknown host', async () => {
    const page1 = await client.query(HostPackagesDocument, { id: 'ssh-host', first: 5 });
    const page2 = await client.query(HostPackagesDocument, { id: 'ssh-host', first: 5, after: page1.host?.packages.pageInfo.endCursor ?? null });
    const names = [...(page1.host?.packages.edges ?? []), ...(page2.host?.packages.edges ?? [])].map((e) => e.node.name);
    expect(names).toHaveLength(10);
    expect([...names].sort()).toEqual(names);
    expect(new Set(names).size).toBe(10);
    const missing = await client.query(HostPackagesDocument, { id: 'no-such-host' });
    expect(missing.host).toBeNull();
  });

  it('answers fleet questions through the gateway: hostsWithPackage by version, refreshHost debounced', async () => {
    const bash = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'bash'], { encoding: 'utf8' });
    const all = await client.query(HostsWithPackageDocument, { name: 'bash' });
    expect(all.hostsWithPackage.edges.map((e) => e.node.host.id)).toEqual(['e2e-local', 'ssh-host']);
    expect(all.hostsWithPackage.edges.every((e) => e.node.package.version === bash && e.node.packageManager === 'DPKG')).toBe(true);
    expect(all.hostsWithPackage.totalCount).toBe(2);
    // One per page: the second page is the other host, and nothing follows it.
    const first = await client.query(HostsWithPackageDocument, { name: 'bash', first: 1 });
    expect(first.hostsWithPackage.pageInfo.hasNextPage).toBe(true);
    const second = await client.query(HostsWithPackageDocument, { name: 'bash', first: 1, after: first.hostsWithPackage.pageInfo.endCursor });
    expect([...first.hostsWithPackage.edges, ...second.hostsWithPackage.edges].map((e) => e.node.host.id)).toEqual(['e2e-local', 'ssh-host']);
    expect(second.hostsWithPackage.pageInfo.hasNextPage).toBe(false);
    const older = await client.query(HostsWithPackageDocument, { name: 'bash', version: { lt: bash } });
    expect(older.hostsWithPackage).toEqual({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
    const refresh = await client.query(RefreshHostDocument, { id: 'ssh-host' });
    expect(refresh.refreshHost.status).toBe('RECENTLY_PROBED');
    expect(refresh.refreshHost.host?.probeStatus.state).toBe('OK');
  });

  it('correlates across sources: a vulnerability Trivy found in the cluster, and the hosts whose bash is older than its fix', async () => {
    const bash = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'bash'], { encoding: 'utf8' });
    // The informer reads the report asynchronously after start.
    let impact = await client.query(VulnerabilityImpactDocument, { id: 'CVE-2099-4242' });
    for (let i = 0; i < 100 && !impact.vulnerability; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      impact = await client.query(VulnerabilityImpactDocument, { id: 'CVE-2099-4242' });
    }
    const vulnerability = impact.vulnerability;
    expect(vulnerability?.severity).toBe('CRITICAL');
    expect(vulnerability?.workloads).toEqual({ totalCount: 1, edges: [{ node: { cluster: 'default', namespace: 'kube-system', kind: 'ReplicaSet', name: 'coredns-558bd4d5db' } }] });
    expect(vulnerability?.packages).toEqual([{ name: 'bash', fixedVersion: '99:1.0', osFamily: 'debian' }]);
    // Resolved by the hosts subgraph through @requires on the cluster subgraph's packages.
    expect(vulnerability?.affectedHosts.totalCount).toBe(2);
    expect(vulnerability?.affectedHosts.edges.map(({ node: a }) => [a.host.id, a.package.name, a.package.version, a.fixedVersion])).toEqual([
      ['e2e-local', 'bash', bash, '99:1.0'],
      ['ssh-host', 'bash', bash, '99:1.0'],
    ]);
    // The new Critical vulnerability raised an alert on the workload.
    const alerts = await client.query(RecentAlertsDocument, { filter: { sources: ['CLUSTER'], minSeverity: 'CRITICAL' }, first: 50 });
    expect(alerts.alerts.edges.map((e) => e.node.title).some((t) => t.includes('CVE-2099-4242'))).toBe(true);
  });

  it('subgraphs refuse unsigned requests; the gateway serves /healthz, /readyz and /metrics', async () => {
    for (const subgraph of Object.values(stack.subgraphs)) {
      const response = await fetch(subgraph.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
      expect(response.status, subgraph.name).toBe(401);
    }
    const base = stack.gateway.url.replace(/\/graphql$/, '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/vigil_gateway_operations_total\{type="query",outcome="ok"\} \d+/);
    expect(metrics).toContain('vigil_gateway_subgraph_request_duration_seconds_count{subgraph="hosts",status="2xx"}');
  });
});
