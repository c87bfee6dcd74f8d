import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewAlert } from '@vigil/lib/alerts/alert';
import { encodeIdentity, IDENTITY_HEADER, type Identity } from '@vigil/lib/identity';
import { createLogger } from '@vigil/lib/logger';
import { signRequest, SIGNATURE_HEADER } from '@vigil/lib/signing';
import type { NormalisedSecurityEvent } from '@vigil/subgraph-cluster/store/security-event-store';
import type { ReportProbe } from '@vigil/subgraph-hosts/probe-pipeline';
import { startStack, type RunningStack } from '../gateway/src/stack.js';
import { vigilConfig } from '../gateway/src/stack-config.js';
import { startKubeApiDouble, type KubeApiDouble } from './support/kube-api-double.js';

/**
 * Timelines through the gateway in production mode (JWT, two tenants): alerts, host changes and
 * security events merged newest first in one connection, paged by cursor; audit events only for
 * analysts; bad arguments named; and the tenancy of every source decided by the caller's own
 * identity, also when a Host of another tenant is asked for directly at the alerts subgraph.
 */

const JWT_SECRET = randomBytes(32).toString('hex');
const SIGNING = randomBytes(32).toString('hex');

type Body = { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
type Timeline = { edges: { cursor: string; node: { at: string; source: string; id: string; summary: string; alert: { id: string; rule: string | null } | null; securityEvent: { id: string } | null; hostChange: { hostId: string; type: string; key: string; change: string } | null } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null }; omitted: string[]; unavailable: { source: string }[] };

const ENTRY = 'at source id summary alert { id rule } securityEvent { id } hostChange { hostId type key change }';
const PAGE = `edges { cursor node { ${ENTRY} } } pageInfo { hasNextPage endCursor } omitted unavailable { source }`;

// web-a is the Kubernetes Node ip-10-0-0-11 of cluster eu, by machine ID (the names differ).
const MACHINE_ID_A = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

describe('timelines (production mode, two tenants)', () => {
  let stack: RunningStack;
  let kubeApi: KubeApiDouble;
  const tmp = mkdtempSync(join(tmpdir(), 'vigil-timeline-'));
  const base = Date.now();
  let offsetMs = 0;
  const clock = () => new Date(base + offsetMs);
  const tokens: Record<string, string> = {};
  // The packages each host reports: changed between probes to make host changes.
  const packages = new Map<string, { name: string; version: string; arch: string }[]>([
    ['web-a', [{ name: 'bash', version: '5.2.15-2+b7', arch: 'amd64' }]],
    ['web-b', [{ name: 'bash', version: '5.2.15-2+b7', arch: 'amd64' }]],
  ]);
  const probe: ReportProbe = async (target) => {
    const at = clock().toISOString();
    return {
      hostId: target.id,
      status: 'OK',
      message: null,
      startedAt: at,
      finishedAt: at,
      packageManager: 'dpkg',
      collectors: { os: { status: 'OK', message: null }, packages: { status: 'OK', message: null } },
      facts: {
        os: [{ id: 'debian', idLike: [], name: 'Debian GNU/Linux', prettyName: 'Debian GNU/Linux 12 (bookworm)', version: '12', versionId: '12', kernel: '6.1.0', arch: 'x86_64', machineId: target.id === 'web-a' ? MACHINE_ID_A : 'ffffffffffffffffffffffffffffffff', hostname: target.id }],
        packages: packages.get(target.id) ?? [],
      },
      metrics: null,
    };
  };

  const gql = async (who: string, query: string, variables: Record<string, unknown> = {}): Promise<Body> => {
    const response = await fetch(stack.gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[who]}` }, body: JSON.stringify({ query, variables }) });
    return (await response.json()) as Body;
  };
  /** Straight to the alerts subgraph, signed as the gateway signs, as a given identity. */
  const atAlerts = async (identity: Identity, query: string, variables: Record<string, unknown>): Promise<Body> => {
    const url = new URL(stack.subgraphs.alerts.url);
    const body = JSON.stringify({ query, variables });
    const encoded = encodeIdentity(identity);
    const signature = signRequest(SIGNING, { method: 'POST', path: url.pathname, audience: 'alerts', body, identity: encoded });
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: encoded, [SIGNATURE_HEADER]: signature }, body });
    return (await response.json()) as Body;
  };
  const hostAlert = (host: string, team: string, minutesAgo: number): NewAlert => ({
    source: 'HOSTS',
    severity: 'HIGH',
    title: `new-uid-0-user on ${host}`,
    rule: 'new-uid-0-user',
    subject: { type: 'Host', hostId: host, displayName: host, hostLabels: { team } },
    occurredAt: new Date(clock().getTime() - minutesAgo * 60_000).toISOString(),
  });
  const falco = (namespace: string, name: string, minutesAgo: number): NormalisedSecurityEvent => {
    const at = new Date(clock().getTime() - minutesAgo * 60_000).toISOString();
    const rule = 'Terminal shell in container';
    return {
      dedupKey: `falco/eu/${rule}/${namespace}/${name}/${minutesAgo}`,
      source: 'FALCO',
      category: 'RUNTIME',
      severity: 'CRITICAL',
      eventType: rule,
      title: rule,
      cluster: 'eu',
      resource: { cluster: 'eu', namespace, kind: 'Pod', name },
      hostname: null,
      occurredAt: at,
      details: { priority: 'Critical', rule, output: `${rule} in ${namespace}/${name}`, source: 'syscall', tags: [], outputFields: {}, time: at, hostname: null, containerId: null, containerImage: null, uuid: null },
      raw: {},
    };
  };

  beforeAll(async () => {
    kubeApi = await startKubeApiDouble();
    kubeApi.upsert({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'ip-10-0-0-11' },
      status: { addresses: [{ type: 'InternalIP', address: '10.0.0.11' }], nodeInfo: { machineID: MACHINE_ID_A, systemUUID: '', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0', kubeletVersion: 'v1.31.2', containerRuntimeVersion: 'containerd://1.7.22', architecture: 'amd64' } },
    });
    const kubeconfigPath = join(tmp, 'kubeconfig');
    writeFileSync(kubeconfigPath, kubeApi.kubeconfig('eu'));
    const config = vigilConfig.parse({
      env: 'production',
      log: { level: 'silent' },
      signing: { secret: SIGNING },
      gateway: { auth: { jwt: { secret: JWT_SECRET } } },
      tenants: { 'team-a': { clusters: ['eu'], hostLabels: { team: 'a' } }, 'team-b': { clusters: ['us'], hostLabels: { team: 'b' } } },
      hosts: {
        local: { enabled: false },
        inventory: ['a', 'b'].map((team) => ({ id: `web-${team}`, address: '127.0.0.1', port: 22, user: 'probe', privateKeyPath: '/nonexistent/key', knownHostsPath: '/dev/null', labels: { team } })),
        probe: { factsIntervalSeconds: 86_400, metricsIntervalSeconds: 86_400, concurrency: 4, jitterRatio: 0 },
      },
      cluster: { name: 'eu', kubernetes: { kubeconfigPath, contexts: [{ context: 'eu', name: 'eu' }] }, falco: { token: randomBytes(16).toString('hex') }, audit: { token: randomBytes(16).toString('hex') } },
    });
    stack = await startStack({ config, logger: createLogger('test', { level: 'silent' }), signingSecret: SIGNING, ports: 'ephemeral', clock, probe });
    await stack.hosts.scheduler.firstRoundDone();
    const sign = (subject: string, claims: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(subject).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(JWT_SECRET));
    tokens['viewer-a'] = await sign('vera', { roles: ['viewer'], tenants: ['team-a'] });
    tokens['analyst-a'] = await sign('alice', { roles: ['analyst'], tenants: ['team-a'] });

    // A second probe a minute later, after the baseline: one package upgraded, one added, on both hosts.
    offsetMs = 60_000;
    for (const id of ['web-a', 'web-b']) packages.set(id, [{ name: 'bash', version: '5.2.21-2', arch: 'amd64' }, { name: 'nginx', version: '1.22.1-9', arch: 'amd64' }]);
    for (const id of ['web-a', 'web-b']) await stack.hosts.scheduler.refresh(id);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const changes = await gql('viewer-a', '{ host(id: "web-a") { changes(first: 10) { totalCount } } }');
      if ((changes.data?.['host'] as { changes: { totalCount: number } } | null)?.changes.totalCount === 2) break;
      if (Date.now() > deadline) throw new Error(`web-a's second probe left no changes: ${JSON.stringify(changes)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    offsetMs = 120_000;
    await stack.publisher.raise(hostAlert('web-a', 'a', 0.5));
    await stack.publisher.raise(hostAlert('web-a', 'a', 30));
    await stack.publisher.raise(hostAlert('web-b', 'b', 0.5));
    await stack.cluster.store.record(falco('payments', 'api-0', 3));
    await stack.cluster.store.record(falco('payments', 'api-0', 20));
  }, 90_000);

  afterAll(async () => {
    await stack?.stop();
    await kubeApi?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("merges a host's alerts and fact changes newest first in one connection, and pages it by cursor without gaps or repeats", async () => {
    const whole = await gql('viewer-a', `{ host(id: "web-a") { timeline(first: 50) { ${PAGE} } } }`);
    expect(whole.errors).toBeUndefined();
    const timeline = (whole.data?.['host'] as { timeline: Timeline }).timeline;
    expect(timeline.unavailable).toEqual([]);
    // The probe's changes and the INFO alert they raised share the probe's time: ties go by source name.
    expect(timeline.edges.map((e) => [e.node.source, e.node.hostChange?.key ?? e.node.alert?.rule ?? null])).toEqual([
      ['ALERT', 'new-uid-0-user'],
      ['ALERT', 'packages-changed'],
      ['HOST_CHANGE', 'bash:amd64'],
      ['HOST_CHANGE', 'nginx:amd64'],
      ['ALERT', 'new-uid-0-user'],
    ]);
    const times = timeline.edges.map((e) => Date.parse(e.node.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(timeline.edges.every((e) => e.node.hostChange === null || e.node.hostChange.hostId === 'web-a')).toBe(true);

    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const body = await gql('viewer-a', `query ($after: String) { host(id: "web-a") { timeline(first: 1, after: $after) { ${PAGE} } } }`, { after });
      const t: Timeline = (body.data?.['host'] as { timeline: Timeline }).timeline;
      seen.push(...t.edges.map((e) => `${e.node.source}:${e.node.id}`));
      if (!t.pageInfo.hasNextPage) break;
      after = t.pageInfo.endCursor;
    }
    expect(seen).toEqual(timeline.edges.map((e) => `${e.node.source}:${e.node.id}`));
  });

  it("merges an object's security events and alerts; audit events are omitted for a viewer and unavailable without VictoriaLogs for an analyst", async () => {
    await stack.publisher.raise({ source: 'CLUSTER', severity: 'CRITICAL', title: 'Falco: Terminal shell in container in payments/api-0', rule: 'Terminal shell in container', subject: { type: 'KubeObject', cluster: 'eu', namespace: 'payments', kind: 'Pod', name: 'api-0', displayName: 'payments/api-0' }, occurredAt: new Date(clock().getTime() - 10 * 60_000).toISOString() });
    const query = `{ alerts(first: 1, filter: { sources: [CLUSTER] }) { edges { node { subject { ... on KubeObject { timeline { ${PAGE} } } } } } } }`;
    const asViewer = await gql('viewer-a', query);
    expect(asViewer.errors).toBeUndefined();
    const viewerTimeline = (asViewer.data?.['alerts'] as { edges: { node: { subject: { timeline: Timeline } } }[] }).edges[0]?.node.subject.timeline;
    expect(viewerTimeline?.edges.map((e) => e.node.source)).toEqual(['SECURITY_EVENT', 'ALERT', 'SECURITY_EVENT']);
    expect(viewerTimeline?.omitted).toEqual(['AUDIT_EVENT']);
    const asAnalyst = await gql('analyst-a', query);
    const analystTimeline = (asAnalyst.data?.['alerts'] as { edges: { node: { subject: { timeline: Timeline } } }[] }).edges[0]?.node.subject.timeline;
    expect(analystTimeline?.omitted).toEqual([]);
    expect(analystTimeline?.unavailable).toEqual([{ source: 'AUDIT_EVENT' }]);
    expect(analystTimeline?.edges.map((e) => e.node.source)).toEqual(['SECURITY_EVENT', 'ALERT', 'SECURITY_EVENT']);
  });

  it("merges an identity's attributed alerts of the caller's tenants; its audit events are unavailable without VictoriaLogs", async () => {
    const byUser = (cluster: string, minutesAgo: number): NewAlert => ({
      source: 'AUDIT',
      severity: 'HIGH',
      title: `Secret read by a person: mallory get secrets/${cluster}`,
      rule: 'k8s-audit: Secret read by a person',
      subject: { type: 'KubeObject', cluster, namespace: 'payments', kind: 'Secret', name: 'db', displayName: 'payments/db' },
      occurredAt: new Date(clock().getTime() - minutesAgo * 60_000).toISOString(),
      labels: { cluster, auditRule: 'secretReadByPerson', user: 'mallory' },
    });
    const ours = await stack.publisher.raise(byUser('eu', 2));
    await stack.publisher.raise(byUser('us', 1));
    const body = await gql('analyst-a', `{ identity(username: "mallory") { timeline { ${PAGE} } } }`);
    expect(body.errors).toBeUndefined();
    const timeline = (body.data?.['identity'] as { timeline: Timeline }).timeline;
    expect(timeline.edges.map((e) => [e.node.source, e.node.alert?.id])).toEqual([['ALERT', ours.id]]);
    expect(timeline.unavailable).toEqual([{ source: 'AUDIT_EVENT' }]);
    // A viewer may not read identities at all (Identity is analyst-only), timeline included.
    const asViewer = await gql('viewer-a', '{ identity(username: "mallory") { timeline { edges { cursor } } } }');
    expect(asViewer.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
  });

  it("merges a node's node-level security events with the alerts and fact changes of the host it was matched to", async () => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const matched = await gql('viewer-a', '{ node(cluster: "eu", name: "ip-10-0-0-11") { host { host { id } matchedBy } } }');
      if ((matched.data?.['node'] as { host: { host: { id: string } } | null } | null)?.host?.host.id === 'web-a') break;
      if (Date.now() > deadline) throw new Error(`the Node was not matched to web-a: ${JSON.stringify(matched)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const onNode = { ...falco('kube-system', 'unused', 4), dedupKey: 'falco/eu/node-level/ip-10-0-0-11', resource: null, hostname: 'ip-10-0-0-11', title: 'Write below etc' };
    const { event } = await stack.cluster.store.record(onNode);
    const body = await gql('viewer-a', `{ node(cluster: "eu", name: "ip-10-0-0-11") { timeline { ${PAGE} } } }`);
    expect(body.errors).toBeUndefined();
    const timeline = (body.data?.['node'] as { timeline: Timeline }).timeline;
    expect(timeline.unavailable).toEqual([]);
    const entries = timeline.edges.map((e) => e.node);
    expect(entries.filter((e) => e.source === 'SECURITY_EVENT').map((e) => e.securityEvent?.id)).toEqual([event.id]);
    expect(entries.filter((e) => e.source === 'HOST_CHANGE').map((e) => `${e.hostChange?.hostId ?? ''}/${e.hostChange?.key ?? ''}`)).toEqual(['web-a/bash:amd64', 'web-a/nginx:amd64']);
    expect(entries.filter((e) => e.source === 'ALERT').map((e) => e.alert?.rule)).toEqual(['new-uid-0-user', 'packages-changed', 'new-uid-0-user']);
  });

  it('answers BAD_USER_INPUT naming the argument: from after to, first over the maximum, a foreign cursor', async () => {
    const ask = (args: string) => gql('viewer-a', `{ host(id: "web-a") { timeline(${args}) { edges { cursor } } } }`);
    const reversed = await ask('from: "2026-02-02T00:00:00Z", to: "2026-02-01T00:00:00Z"');
    expect(reversed.errors?.[0]).toMatchObject({ message: expect.stringMatching(/from.*to/), extensions: { code: 'BAD_USER_INPUT', argument: 'from' } });
    const tooMany = await ask('first: 201');
    expect(tooMany.errors?.[0]).toMatchObject({ message: expect.stringContaining('first'), extensions: { code: 'BAD_USER_INPUT', argument: 'first' } });
    const foreign = await ask('after: "bm90LWEtY3Vyc29y"');
    expect(foreign.errors?.[0]).toMatchObject({ message: expect.stringContaining('after'), extensions: { code: 'BAD_USER_INPUT', argument: 'after' } });
  });

  it("never shows another tenant's entries, even for that tenant's Host asked for directly at the alerts subgraph", async () => {
    const query = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Host { timeline(first: 50) { ${PAGE} } } } }`;
    const teamA: Identity = { subject: 'alice', kind: 'user', roles: ['analyst'], tenants: [{ name: 'team-a', clusters: ['eu'], hostLabels: { team: 'a' }, victoriaLogs: null }], expiresAt: null };
    const asA = await atAlerts(teamA, query, { r: [{ __typename: 'Host', id: 'web-b' }] });
    expect(asA.errors).toBeUndefined();
    expect((asA.data?.['_entities'] as { timeline: Timeline }[])[0]?.timeline.edges).toEqual([]);
    // The same request as an unrestricted caller does see web-b's alerts and changes: the empty answer above is the tenancy.
    const everyone: Identity = { ...teamA, subject: 'root', tenants: null };
    const asAll = await atAlerts(everyone, query, { r: [{ __typename: 'Host', id: 'web-b' }] });
    const all = (asAll.data?.['_entities'] as { timeline: Timeline }[])[0]?.timeline;
    expect(all?.edges.map((e) => [e.node.source, e.node.hostChange?.key ?? e.node.alert?.rule])).toEqual([
      ['ALERT', 'new-uid-0-user'],
      ['ALERT', 'packages-changed'],
      ['HOST_CHANGE', 'bash:amd64'],
      ['HOST_CHANGE', 'nginx:amd64'],
    ]);
  });

  it('raises one CORRELATION alert for a listening port near a package change, naming both parts, only to the host\'s tenant', async () => {
    const port = (host: string, team: string): NewAlert => ({ ...hostAlert(host, team, 0.2), severity: 'MEDIUM', rule: 'new-listening-port', title: `New listening port on ${host}: tcp/8443 on 0.0.0.0` });
    const portA = await stack.publisher.raise(port('web-a', 'a'));
    await stack.publisher.raise(port('web-b', 'b'));
    const query = '{ alerts(filter: { sources: [CORRELATION] }, first: 10) { edges { node { rule severity subjectRef { hostId } correlatedAlerts { id rule } } } } }';
    type Correlations = { edges: { node: { rule: string; severity: string; subjectRef: { hostId: string }; correlatedAlerts: { id: string; rule: string }[] } }[] };
    const deadline = Date.now() + 15_000;
    let seen: Correlations = { edges: [] };
    while (seen.edges.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      seen = (await gql('viewer-a', query)).data?.['alerts'] as Correlations;
    }
    expect(seen.edges.map((e) => e.node)).toEqual([
      { rule: 'correlation: listening-port-near-package-change', severity: 'HIGH', subjectRef: { hostId: 'web-a' }, correlatedAlerts: [{ id: expect.any(String), rule: 'packages-changed' }, { id: portA.id, rule: 'new-listening-port' }] },
    ]);
  });
});
