import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '@vigil/lib/alerts/alert';
import { MemoryAlertLog } from '@vigil/lib/alerts/memory-alert-log';
import { AlertPublisher } from '@vigil/lib/alerts/publisher';
import { systemClock } from '@vigil/lib/clock';
import { createLogger } from '@vigil/lib/logger';
import { startKubeApiDouble, type JsonObject, type KubeApiDouble, type KubeObjectInput } from '../../../test/support/kube-api-double.js';
import { loadKubeClusters } from '../src/kube/kube-clusters.js';
import { startPulledSources, type PulledSources } from '../src/kube/pulled-sources.js';
import { createReportIngest } from '../src/report-ingest.js';
import { PolicyModes } from '../src/sources/kyverno/policy-modes.js';
import { MemorySecurityEventStore } from '../src/store/memory-security-event-store.js';

// "A Kyverno failure of an Enforce policy" end to end: the API double serves Kyverno's PolicyReports
// and ClusterPolicies / Policies, the real informers read them, report-ingest keeps the policies in
// PolicyModes and alerts on a new fail result of an Enforce policy. The pipeline is wired here (as
// runtime.ts does) so the test can hand in its own PolicyModes and wait for a policy to be read
// before sending its report: the policy and report informers run concurrently.

const logger = createLogger('test', { level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'vigil-kyverno-enforce-'));
const CLUSTER = 'prod';

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const kubeFixture = (name: string): JsonObject => {
  const value: unknown = JSON.parse(readFileSync(new URL(`./fixtures/kube/${name}`, import.meta.url), 'utf8'));
  if (!isObject(value)) throw new Error(`${name} is not an object`);
  return value;
};

/**
 * Minimal CRDs for kyverno.io ClusterPolicy / Policy. No copy of Kyverno's real CRDs is kept (they
 * are large), and the API double reads only metadata.name, spec.group, spec.names (plural, kind),
 * spec.scope and spec.versions[].name/served — which is also all that CRD detection checks.
 */
const kyvernoPolicyCrd = (plural: string, kind: string, scope: 'Cluster' | 'Namespaced'): JsonObject => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${plural}.kyverno.io` },
  spec: {
    group: 'kyverno.io',
    names: { plural, singular: kind.toLowerCase(), kind, listKind: `${kind}List` },
    scope,
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
  },
});

/**
 * /work/shared/fixtures/kyverno/clusterpolicy_disallow-privileged-containers.yaml as JSON (the cluster
 * workspace has no YAML parser; the long description annotation and message are shortened), with the
 * failure action and name as each case needs. The original is `validationFailureAction: Audit`.
 */
function privilegedPolicy(options: { action: 'Enforce' | 'Audit'; name?: string; namespace?: string }): KubeObjectInput {
  return {
    apiVersion: 'kyverno.io/v1',
    kind: options.namespace ? 'Policy' : 'ClusterPolicy',
    metadata: {
      name: options.name ?? 'disallow-privileged-containers',
      ...(options.namespace ? { namespace: options.namespace } : {}),
      annotations: {
        'policies.kyverno.io/title': 'Disallow Privileged Containers',
        'policies.kyverno.io/category': 'Pod Security Standards (Baseline)',
        'policies.kyverno.io/severity': 'medium',
        'policies.kyverno.io/subject': 'Pod',
        'kyverno.io/kyverno-version': '1.6.0',
        'kyverno.io/kubernetes-version': '1.22-1.23',
      },
    },
    spec: {
      validationFailureAction: options.action,
      background: true,
      rules: [
        {
          name: 'privileged-containers',
          match: { any: [{ resources: { kinds: ['Pod'] } }] },
          validate: {
            message: 'Privileged mode is disallowed.',
            pattern: {
              spec: {
                '=(ephemeralContainers)': [{ '=(securityContext)': { '=(privileged)': 'false' } }],
                '=(initContainers)': [{ '=(securityContext)': { '=(privileged)': 'false' } }],
                containers: [{ '=(securityContext)': { '=(privileged)': 'false' } }],
              },
            },
          },
        },
      ],
    },
  };
}

/**
 * The docs PolicyReport (test/fixtures/kube/policyreport_pod_pass_fail_docs.json: one Pod in
 * kube-system), with its results replaced by one result of `policy` and a name/scope of our own so
 * each case has its own report and resource.
 */
function policyReport(options: { name: string; pod: string; policy: string; result: 'fail' | 'pass'; namespace?: string }): KubeObjectInput {
  const base = kubeFixture('policyreport_pod_pass_fail_docs.json');
  const namespace = options.namespace ?? 'kube-system';
  // The docs result's 2023 timestamp is dropped: the event then dates from the report's creation
  // (now, set by the API double), inside the store's retention.
  const { timestamp: _timestamp, ...template } = (base['results'] as JsonObject[])[0] ?? {};
  const scope = base['scope'] as JsonObject;
  return {
    ...base,
    apiVersion: String(base['apiVersion']),
    kind: String(base['kind']),
    metadata: { name: options.name, namespace, labels: { 'app.kubernetes.io/managed-by': 'kyverno' } },
    scope: { ...scope, name: options.pod, namespace },
    results: [
      {
        ...template,
        policy: options.policy,
        rule: 'privileged-containers',
        result: options.result,
        message: options.result === 'fail' ? 'validation error: Privileged mode is disallowed. rule privileged-containers failed at path /spec/containers/0/securityContext/privileged/' : "validation rule 'privileged-containers' passed.",
        category: 'Pod Security Standards (Baseline)',
      },
    ],
    summary: { pass: options.result === 'pass' ? 1 : 0, fail: options.result === 'fail' ? 1 : 0, warn: 0, error: 0, skip: 0 },
  };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Kyverno failures of Enforce policies, read through the Kubernetes API', () => {
  let api: KubeApiDouble;
  let sources: PulledSources;
  let alerts: MemoryAlertLog;
  const store = new MemorySecurityEventStore({ retentionDays: 30 });
  const policyModes = new PolicyModes();
  const enforceAlerts = async (): Promise<Alert[]> => (await alerts.listNewestFirst({ limit: 100 })).filter((a) => a.rule === 'kyverno-enforce-failure');

  /** Upserts a policy and waits until report-ingest has it in PolicyModes with the expected mode. */
  async function upsertPolicy(policy: KubeObjectInput, enforce: boolean): Promise<void> {
    api.upsert(policy);
    const name = String(policy.metadata['name']);
    const namespace = typeof policy.metadata['namespace'] === 'string' ? policy.metadata['namespace'] : undefined;
    await waitFor(`policy ${name} read`, () => policyModes.isEnforce(CLUSTER, namespace ? `${namespace}/${name}` : name, { namespace: namespace ?? 'kube-system' }) === enforce);
  }

  /** Upserts a report and waits until report-ingest has processed this version of it. */
  async function upsertReport(report: KubeObjectInput): Promise<void> {
    const stored = api.upsert(report);
    const uid = String((stored['metadata'] as JsonObject)['uid']);
    await waitFor(`report ${String(report.metadata['name'])} ingested`, async () => (await store.getReportKeys(`${CLUSTER}/kyverno-policy-reports/${uid}`)) !== null);
  }

  beforeAll(async () => {
    api = await startKubeApiDouble({
      crdCatalog: [kubeFixture('wgpolicyk8s.io_policyreports.json'), kyvernoPolicyCrd('clusterpolicies', 'ClusterPolicy', 'Cluster'), kyvernoPolicyCrd('policies', 'Policy', 'Namespaced')],
      installedCrds: ['policyreports.wgpolicyk8s.io', 'clusterpolicies.kyverno.io', 'policies.kyverno.io'],
    });
    const kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, api.kubeconfig('ctx-prod'));
    alerts = new MemoryAlertLog({ maxLength: 100 });
    sources = startPulledSources({
      clusters: loadKubeClusters({ kubeconfigPath, contexts: [{ context: 'ctx-prod', name: CLUSTER }] }),
      handler: createReportIngest({ store, publisher: new AlertPublisher(alerts, logger, systemClock), logger, policyModes }),
      logger,
      detectionIntervalMs: 60_000,
      informer: { backoffInitialMs: 20, backoffMaxMs: 200 },
    });
    await sources.ready;
  });

  afterAll(async () => {
    await sources?.stop();
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('detects the ClusterPolicy and Policy sources by their CRDs', () => {
    expect(sources.registry.get(CLUSTER, 'kyverno-cluster-policies')?.installed).toBe(true);
    expect(sources.registry.get(CLUSTER, 'kyverno-policies')?.installed).toBe(true);
  });

  it('raises one HIGH alert for a fail result of an Enforce ClusterPolicy', async () => {
    await upsertPolicy(privilegedPolicy({ action: 'Enforce' }), true);
    await upsertReport(policyReport({ name: 'report-enforce', pod: 'privileged-pod', policy: 'disallow-privileged-containers', result: 'fail' }));
    const raised = await enforceAlerts();
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({
      rule: 'kyverno-enforce-failure',
      severity: 'HIGH',
      source: 'CLUSTER',
      title: 'Kyverno Enforce policy disallow-privileged-containers/privileged-containers failed on Pod kube-system/privileged-pod',
      subject: { type: 'KubeObject', cluster: CLUSTER, kind: 'Pod', namespace: 'kube-system', name: 'privileged-pod' },
    });
    expect(raised[0]?.description).toContain('Privileged mode is disallowed');

    // The report rewritten (a rescan: new resourceVersion, same fail): a restatement, so neither
    // counted nor alerted again. A later report of the same source is processed after it (changes of
    // one source come in order), so once that one is stored the rewrite has been handled.
    api.upsert({ ...policyReport({ name: 'report-enforce', pod: 'privileged-pod', policy: 'disallow-privileged-containers', result: 'fail' }), summary: { fail: 1 } });
    api.upsert(policyReport({ name: 'report-sentinel', pod: 'sentinel-pod', policy: 'unknown-policy', result: 'fail' }));
    await waitFor('the later report stored', async () => (await store.list({ sources: ['KYVERNO'], resourceName: 'sentinel-pod' }, { first: 10 })).events.length === 1);
    expect((await store.list({ sources: ['KYVERNO'], resourceName: 'privileged-pod' }, { first: 10 })).events[0]?.count).toBe(1);
    expect(await enforceAlerts()).toHaveLength(1);
  });

  it('raises none for a fail result of an Audit policy, though the finding is recorded', async () => {
    await upsertPolicy(privilegedPolicy({ action: 'Audit', name: 'disallow-privileged-containers-audit' }), false);
    await upsertReport(policyReport({ name: 'report-audit', pod: 'audited-pod', policy: 'disallow-privileged-containers-audit', result: 'fail' }));
    const events = await store.list({ sources: ['KYVERNO'] }, { first: 50 });
    expect(events.events.map((e) => e.resource?.name)).toContain('audited-pod');
    expect(await enforceAlerts()).toHaveLength(1);
  });

  it('raises none for a pass result of an Enforce policy', async () => {
    await upsertReport(policyReport({ name: 'report-pass', pod: 'good-pod', policy: 'disallow-privileged-containers', result: 'pass' }));
    expect(await enforceAlerts()).toHaveLength(1);
  });

  it('alerts for a namespaced Policy named <namespace>/<name> in the report (openreports form)', async () => {
    await upsertPolicy(privilegedPolicy({ action: 'Enforce', name: 'team-privileged', namespace: 'team-a' }), true);
    await upsertReport(policyReport({ name: 'report-team', pod: 'team-pod', namespace: 'team-a', policy: 'team-a/team-privileged', result: 'fail' }));
    const raised = await enforceAlerts();
    expect(raised).toHaveLength(2);
    expect(raised[0]?.title).toBe('Kyverno Enforce policy team-a/team-privileged/privileged-containers failed on Pod team-a/team-pod');
  });

  it('does not alert when the report is read before its policy, nor once the policy arrives', async () => {
    await upsertReport(policyReport({ name: 'report-early', pod: 'early-pod', policy: 'late-policy', result: 'fail' }));
    expect(policyModes.isEnforce(CLUSTER, 'late-policy')).toBeUndefined();
    await upsertPolicy(privilegedPolicy({ action: 'Enforce', name: 'late-policy' }), true);
    expect(await enforceAlerts()).toHaveLength(2);
  });

  it('forgets a deleted policy', async () => {
    api.delete({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: 'late-policy' } });
    await waitFor('policy forgotten', () => policyModes.isEnforce(CLUSTER, 'late-policy') === undefined);
  });
});
