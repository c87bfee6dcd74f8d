import { systemClock } from '@vigil/lib/clock';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAlertLog } from '@vigil/lib/alerts/memory-alert-log';
import { AlertPublisher } from '@vigil/lib/alerts/publisher';
import { createLogger } from '@vigil/lib/logger';
import { executeSubgraph } from '../../../test/support/execute-subgraph.js';
import { startKubeApiDouble, type KubeApiDouble, type KubeObjectInput } from '../../../test/support/kube-api-double.js';
import { clusterConfig } from '../src/config.js';
import { createClusterRuntime, type ClusterRuntime } from '../src/runtime.js';
import { createServiceRegistry } from '@vigil/lib/metrics';

// Reports read through the Kubernetes API end to end: the API double serves a Trivy
// VulnerabilityReport, the real informer reads it, the real normaliser and store keep it, and the
// subgraph's schema answers. Fixtures: test/fixtures/kube/README.md.

type JsonObject = Record<string, unknown>;
const fixture = (name: string): JsonObject => JSON.parse(readFileSync(new URL(`./fixtures/kube/${name}`, import.meta.url), 'utf8')) as JsonObject;
const logger = createLogger('test', { level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'vigil-pulled-'));

/** The envtest VulnerabilityReport (coredns, one HIGH CVE), re-timed to now, plus one CRITICAL CVE of our own. */
function vulnerabilityReport(options: { withCritical: boolean }): KubeObjectInput {
  const base = fixture('vulnerabilityreport_envtest_fixture.json');
  const report = base['report'] as JsonObject;
  const [first] = report['vulnerabilities'] as JsonObject[];
  const critical = { ...first, vulnerabilityID: 'CVE-2099-0001', severity: 'CRITICAL', title: 'made-up critical for the test', resource: 'libexample', installedVersion: '1.0.0', fixedVersion: '1.0.1' };
  return {
    ...base,
    apiVersion: String(base['apiVersion']),
    kind: String(base['kind']),
    metadata: { ...(base['metadata'] as JsonObject), uid: undefined, resourceVersion: undefined },
    report: { ...report, updateTimestamp: new Date().toISOString(), vulnerabilities: options.withCritical ? [first, critical] : [first] },
  };
}

async function query<T>(runtime: ClusterRuntime, source: string, variables: Record<string, unknown> = {}): Promise<T> {
  const result = await executeSubgraph(runtime.definition, source, variables);
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

type EventRow = { id: string; severity: string; resolvedAt: string | null; details: { vulnerabilityId?: string }; resource: { kind: string; namespace: string; name: string } | null };
const EVENTS = `query ($f: SecurityEventFilter) { securityEvents(filter: $f, first: 50) { edges { node {
  id severity resolvedAt resource { kind namespace name }
  details { ... on TrivyVulnerabilityDetails { vulnerabilityId } }
} } } }`;

describe('pulled sources: a Trivy VulnerabilityReport read through the Kubernetes API', () => {
  let api: KubeApiDouble;
  let runtime: ClusterRuntime;
  let alerts: MemoryAlertLog;
  const events = async (filter: Record<string, unknown> = { sources: ['TRIVY'] }) =>
    (await query<{ securityEvents: { edges: { node: EventRow }[] } }>(runtime, EVENTS, { f: filter })).securityEvents.edges.map((e) => e.node);

  beforeAll(async () => {
    const crds = ['aquasecurity.github.io_vulnerabilityreports.json'].map(fixture);
    api = await startKubeApiDouble({ crdCatalog: crds, installedCrds: ['vulnerabilityreports.aquasecurity.github.io'] });
    const kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, api.kubeconfig('ctx-prod'));
    const config = clusterConfig.parse({ name: 'pushed', kubernetes: { kubeconfigPath, contexts: [{ context: 'ctx-prod', name: 'prod' }], detectionIntervalSeconds: 5 } });
    alerts = new MemoryAlertLog({ maxLength: 100 });
    runtime = createClusterRuntime(config, { logger, publisher: new AlertPublisher(alerts, logger, systemClock), redisUrl: undefined, namespace: 'test', clock: systemClock, metrics: createServiceRegistry() });
    await runtime.start();
  });

  afterAll(async () => {
    await runtime?.definition.close?.();
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('normalises each vulnerability into an event on the workload, and alerts on the new Critical one', async () => {
    api.upsert(vulnerabilityReport({ withCritical: true }));
    const found = await waitFor('two Trivy events', async () => {
      const rows = await events();
      return rows.length === 2 ? rows : undefined;
    });
    expect(found.map((e) => e.details.vulnerabilityId).sort()).toEqual(['CVE-2021-3121', 'CVE-2099-0001']);
    expect(found.every((e) => e.resolvedAt === null)).toBe(true);
    expect(found[0]?.resource).toEqual({ kind: 'ReplicaSet', namespace: 'kube-system', name: 'coredns-558bd4d5db' });
    const raised = await alerts.listNewestFirst({ limit: 10 });
    expect(raised.map((a) => [a.rule, a.severity])).toEqual([['new-critical-vulnerability', 'CRITICAL']]);
    expect(raised[0]?.subject).toMatchObject({ type: 'KubeObject', cluster: 'prod', kind: 'ReplicaSet', name: 'coredns-558bd4d5db' });
  });

  it('serves the Vulnerability entity and the source state', async () => {
    const data = await query<{
      vulnerability: { id: string; severity: string; packages: { name: string; fixedVersion: string | null }[]; images: { repository: string }[]; workloads: { totalCount: number; edges: { node: { name: string } }[] } } | null;
      sources: { name: string; installed: boolean; lastSync: string | null; error: string | null }[];
      clusters: { name: string }[];
    }>(
      runtime,
      `{ vulnerability(id: "CVE-2099-0001") { id severity packages { name fixedVersion } images { repository } workloads { totalCount edges { node { name } } } }
         sources(cluster: "prod") { name installed lastSync error }
         clusters { name } }`,
    );
    expect(data.vulnerability).toEqual({
      id: 'CVE-2099-0001',
      severity: 'CRITICAL',
      packages: [{ name: 'libexample', fixedVersion: '1.0.1' }],
      images: [{ repository: 'coredns/coredns' }],
      workloads: { totalCount: 1, edges: [{ node: { name: 'coredns-558bd4d5db' } }] },
    });
    const vulnSource = data.sources.find((s) => s.name === 'trivy-vulnerability-reports');
    expect(vulnSource).toMatchObject({ installed: true, error: null });
    expect(vulnSource?.lastSync).not.toBeNull();
    expect(data.sources.find((s) => s.name === 'kyverno-policy-reports')?.installed).toBe(false);
    expect(data.clusters.map((c) => c.name).sort()).toEqual(['prod', 'pushed']);
  });

  it('marks a finding that disappears from its report resolved, with a time, and keeps it', async () => {
    api.upsert(vulnerabilityReport({ withCritical: false }));
    const resolved = await waitFor('the critical finding resolved', async () => {
      const rows = await events({ sources: ['TRIVY'], resolved: true });
      return rows.length === 1 ? rows : undefined;
    });
    expect(resolved[0]?.details.vulnerabilityId).toBe('CVE-2099-0001');
    expect(Date.parse(resolved[0]?.resolvedAt ?? '')).not.toBeNaN();
    expect((await events({ sources: ['TRIVY'], resolved: false })).map((e) => e.details.vulnerabilityId)).toEqual(['CVE-2021-3121']);
    // No second alert for a finding that was already known.
    expect((await alerts.listNewestFirst({ limit: 10 })).length).toBe(1);
  });

  it('resolves every finding of a deleted report', async () => {
    const report = vulnerabilityReport({ withCritical: false });
    api.delete({ apiVersion: report.apiVersion, kind: report.kind, metadata: { name: String(report.metadata['name']), namespace: String(report.metadata['namespace']) } });
    await waitFor('all findings resolved', async () => ((await events({ sources: ['TRIVY'], resolved: false })).length === 0 ? true : undefined));
    expect((await events({ sources: ['TRIVY'] })).length).toBe(2);
  });
});
