import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@vigil/lib/logger';
import { startStack, type RunningStack } from '../../../gateway/src/stack.js';
import { vigilConfig } from '../../../gateway/src/stack-config.js';
import { startVictoriaLogs, type VictoriaLogsServer } from '../../../test/support/victorialogs.js';

// One identity across sources, through the gateway: the API server's audit webhook and Falco push to
// the cluster subgraph, which stores security events, raises alerts and forwards every audit record
// to a real VictoriaLogs; `identities` (audit) then lists who touched secrets, and each identity's
// security events (cluster) and alerts (alerts) come through federation. Counts are checked against
// LogsQL sent straight to VictoriaLogs. The whole stack runs on an injected clock, END.

const END = new Date('2025-10-09T01:00:00Z');
const MINUTE = 60_000;
const at = (minutesBefore: number) => new Date(END.getTime() - minutesBefore * MINUTE).toISOString().replace('Z', '000Z');

const auditFixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const falcoFixture = (name: string) => JSON.parse(readFileSync(new URL(`../../cluster/test/fixtures/falco/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
const minikube = auditFixture('audit-log_minikube_k8s-1.29.jsonl')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Record<string, unknown>);

/** A real audit event re-timed and re-numbered: received `minutes` before END. */
function audit(template: Record<string, unknown> | undefined, id: string, minutes: number): Record<string, unknown> {
  if (!template) throw new Error('missing fixture line');
  return { ...template, auditID: id, requestReceivedTimestamp: at(minutes), stageTimestamp: at(minutes) };
}

// mayor-malware (a person) reads a secret three times and execs into a pod; kubernetes-admin binds a
// ClusterRole; a service account reads a secret. (Fixture lines: 6 = a service account's secret get,
// 7 = mayor-malware's pods/exec.)
const MAYOR = { username: 'mayor-malware', groups: ['example', 'system:authenticated'] };
const EVENTS = [
  { ...audit(minikube[6], 'e2e-secret-1', 50), user: MAYOR },
  { ...audit(minikube[6], 'e2e-secret-2', 40), user: MAYOR },
  { ...audit(minikube[6], 'e2e-secret-3', 30), user: MAYOR },
  audit(minikube[7], 'e2e-exec-1', 20),
  audit(JSON.parse(auditFixture('event_clusterrolebinding_create_k8s-1.33.json')) as Record<string, unknown>, 'e2e-crb-1', 10),
  audit(minikube[6], 'e2e-secret-sa', 5),
];

type IdentityNode = {
  username: string;
  isServiceAccount: boolean;
  activity: { total: number; byVerb: { verb: string; count: number }[] };
  securityEvents: { source: string; eventType: string }[];
  alerts: { edges: { node: { source: string; rule: string | null } }[] };
};

describe('identity across sources, through the gateway', () => {
  let victoriaLogs: VictoriaLogsServer;
  let stack: RunningStack;
  let clusterUrl: string;

  async function graphql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const response = await fetch(stack.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
    if (body.errors) throw new Error(body.errors.map((e) => e.message).join('; '));
    if (!body.data) throw new Error(`no data: HTTP ${String(response.status)}`);
    return body.data;
  }

  async function logsql(query: string): Promise<Record<string, string>[]> {
    const response = await fetch(`${victoriaLogs.url}/select/logsql/query`, { method: 'POST', body: new URLSearchParams({ query }) });
    const text = await response.text();
    if (!response.ok) throw new Error(`${query}: ${text}`);
    return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, string>);
  }

  async function post(path: string, body: unknown): Promise<number> {
    const response = await fetch(`${clusterUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await response.arrayBuffer();
    return response.status;
  }

  beforeAll(async () => {
    victoriaLogs = await startVictoriaLogs();
    const config = vigilConfig.parse({
      env: 'development',
      log: { level: 'silent' },
      hosts: { local: { enabled: false } },
      audit: { victoriaLogs: { url: victoriaLogs.url } },
      cluster: { name: 'prod', falco: { alertMinPriority: 'Notice' }, audit: { forward: { victoriaLogsUrl: victoriaLogs.url, flushMs: 10 } } },
    });
    stack = await startStack({ config, logger: createLogger('test', { level: 'silent' }), signingSecret: 'identity-e2e-signing-secret-0123456789abcdef', ports: 'ephemeral', clock: () => END });
    clusterUrl = stack.subgraphs.cluster.url.replace(/\/graphql$/, '');

    expect(await post('/ingest/k8s-audit', { kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: EVENTS })).toBe(200);
    // Falco's Kubernetes audit plugin (ka.user.name) and a syscall rule whose Unix user happens to be
    // called like a Kubernetes user: only the first is theirs.
    const exec = falcoFixture('k8saudit_attach_exec_pod_v040.json');
    expect(await post('/ingest/falco', { ...exec, time: at(15) })).toBe(202);
    const shell = falcoFixture('terminal_shell_in_container.json');
    const shellFields = shell['output_fields'] as Record<string, unknown>;
    expect(await post('/ingest/falco', { ...shell, time: at(12), output_fields: { ...shellFields, 'user.name': 'mayor-malware' } })).toBe(202);

    // The forwarder sends within flushMs; then VictoriaLogs makes the rows searchable.
    const deadline = Date.now() + 20_000;
    for (;;) {
      await victoriaLogs.flush();
      const [row] = await logsql('* | stats count() n');
      if (Number(row?.['n'] ?? 0) >= EVENTS.length) break;
      if (Date.now() > deadline) throw new Error('audit records did not reach VictoriaLogs');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, 90_000);

  afterAll(async () => {
    await stack?.stop();
    await victoriaLogs?.stop();
  });

  it('who touched secrets this week, with what each did, its security events and its alerts', async () => {
    const { identities } = await graphql<{ identities: { totalCount: number; from: string; to: string; edges: { count: number; node: IdentityNode }[] } }>(`{
      identities(filter: { resources: ["secrets"] }) {
        totalCount from to
        edges { count node {
          username isServiceAccount
          activity { total byVerb { verb count } }
          securityEvents { source eventType }
          alerts { edges { node { source rule } } }
        } }
      }
    }`);
    expect(identities).toMatchObject({ from: new Date(END.getTime() - 7 * 86_400_000).toISOString(), to: END.toISOString() });
    const direct = await logsql('objectRef.resource:=secrets | stats by (user.username) count() n | sort by (n desc, user.username)');
    expect(identities.edges.map((e) => [e.node.username, e.count])).toEqual(direct.map((row) => [row['user.username'], Number(row['n'])]));
    expect(identities.totalCount).toBe(2);

    const mayor = identities.edges.find((e) => e.node.username === 'mayor-malware')?.node;
    const [all] = await logsql('user.username:="mayor-malware" | stats count() n');
    expect(mayor?.activity.total).toBe(Number(all?.['n']));
    expect(mayor?.activity.byVerb).toEqual([
      { verb: 'get', count: 3 },
      { verb: 'create', count: 1 },
    ]);
    // Its audit-webhook events (the secret reads, the exec), never the Falco syscall event naming a Unix mayor-malware.
    expect(mayor?.securityEvents.length).toBeGreaterThan(0);
    expect(new Set(mayor?.securityEvents.map((e) => e.source))).toEqual(new Set(['K8S_AUDIT']));
    // Its alerts: the audit rules' secret read by a person (once per request) and pod exec.
    const rules = mayor?.alerts.edges.map((e) => e.node.rule) ?? [];
    expect(rules.filter((rule) => rule === 'k8s-audit: Secret read by a person')).toHaveLength(3);
    expect(mayor?.alerts.edges.every((e) => e.node.source === 'AUDIT')).toBe(true);

    const controller = identities.edges.find((e) => e.node.username.startsWith('system:serviceaccount:'))?.node;
    expect(controller?.isServiceAccount).toBe(true);
  });

  it('one identity: Falco’s Kubernetes audit events and alerts are attributed to it, with its RBAC change', async () => {
    const { identities } = await graphql<{ identities: { edges: { node: IdentityNode }[] } }>(
      `{ identities(filter: { users: ["kubernetes-admin"] }) { edges { node {
        username isServiceAccount activity { total byVerb { verb count } } securityEvents { source eventType } alerts { edges { node { source rule } } } } } } }`,
    );
    const admin = identities.edges[0]?.node;
    expect(admin?.activity).toEqual({ total: 1, byVerb: [{ verb: 'create', count: 1 }] });
    expect(admin?.securityEvents.map((e) => e.source).sort()).toEqual(['FALCO', 'K8S_AUDIT']);
    expect(admin?.alerts.edges.map((e) => e.node.source).sort()).toEqual(['AUDIT', 'CLUSTER']);
  });

  it('auditPolicyCoverage: what arrived from the cluster, per group and level', async () => {
    const { auditPolicyCoverage } = await graphql<{ auditPolicyCoverage: { clusters: { cluster: string; total: number; groups: { group: string; total: number }[] }[]; findings: { kind: string; group: string | null }[] } }>(
      '{ auditPolicyCoverage { clusters { cluster total groups { group total } } findings { kind group } } }',
    );
    expect(auditPolicyCoverage.clusters.map((c) => [c.cluster, c.total])).toEqual([['prod', EVENTS.length]]);
    expect(auditPolicyCoverage.clusters[0]?.groups.map((g) => [g.group, g.total])).toEqual([
      ['secrets', 4],
      ['rbac-writes', 1],
      ['pods-exec', 1],
      ['configmaps', 0],
      ['other', 0],
    ]);
    // The minikube policy records secrets with their bodies; this short window has no ConfigMap and nothing else.
    expect(auditPolicyCoverage.findings).toEqual([
      { kind: 'LEVEL_ABOVE_MAXIMUM', group: 'secrets' },
      { kind: 'GROUP_NOT_RECORDED', group: 'configmaps' },
      { kind: 'GROUP_NOT_RECORDED', group: 'other' },
    ]);
  });
});
