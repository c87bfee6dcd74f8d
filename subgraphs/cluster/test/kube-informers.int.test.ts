import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@vigil/lib/logger';
import { kubeconfigFor, startKubeApiDouble, type JsonObject, type KubeApiDouble, type KubeApiDoubleOptions, type KubeObjectInput } from '../../../test/support/kube-api-double.js';
import { loadKubeClusters, type KubeCluster, type KubeClusterSelection } from '../src/kube/kube-clusters.js';
import type { KubeObject } from '../src/kube/kube-object.js';
import { pulledSource, type PulledSourceName } from '../src/kube/pulled-source-specs.js';
import { startPulledSources, type PulledChange, type PulledSources, type PulledSourcesOptions } from '../src/kube/pulled-sources.js';
import { ReportInformer, type InformerStatus, type ReportInformerOptions } from '../src/kube/report-informer.js';

// Real CRDs and reports (trivy-operator, Kyverno, kube-bench; JSON conversions of the shared
// fixtures): test/fixtures/kube/README.md.
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`./fixtures/kube/${name}`, import.meta.url), 'utf8'));
const CRD_FILES = [
  'aquasecurity.github.io_vulnerabilityreports.json',
  'aquasecurity.github.io_configauditreports.json',
  'aquasecurity.github.io_clustercompliancereports.json',
  'wgpolicyk8s.io_policyreports.json',
  'wgpolicyk8s.io_clusterpolicyreports.json',
];
const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const crdCatalog = CRD_FILES.map((file) => {
  const crd = fixture(file);
  if (!isObject(crd)) throw new Error(`${file} is not an object`);
  return crd;
});
const VULN_CRD = 'vulnerabilityreports.aquasecurity.github.io';
const ALL_CRDS = crdCatalog.map((crd) => String(isObject(crd.metadata) ? crd.metadata.name : ''));

function report(file: string, overrides: { name?: string; namespace?: string } = {}): KubeObjectInput {
  const value = fixture(file);
  if (!isObject(value) || typeof value.apiVersion !== 'string' || typeof value.kind !== 'string' || !isObject(value.metadata)) throw new Error(`${file} is not a Kubernetes object`);
  const metadata: JsonObject = { ...value.metadata };
  if (overrides.name) metadata.name = overrides.name;
  if (overrides.namespace) metadata.namespace = overrides.namespace;
  return { ...value, apiVersion: value.apiVersion, kind: value.kind, metadata };
}

const vulnReport = (name: string) => report('vulnerabilityreport_envtest_fixture.json', { name });
const ref = (object: KubeObjectInput) => ({ apiVersion: object.apiVersion, kind: object.kind, metadata: { name: String(object.metadata.name), namespace: typeof object.metadata.namespace === 'string' ? object.metadata.namespace : undefined } });
const metaOf = (object: JsonObject) => (isObject(object.metadata) ? object.metadata : {});
const uidOf = (object: JsonObject) => String(metaOf(object).uid);
const rvOf = (object: JsonObject) => String(metaOf(object).resourceVersion);

/** The first ClusterPolicyReport of the docs example, which names none (the docs trimmed metadata). */
function clusterPolicyReport(name: string): KubeObjectInput {
  const documents = fixture('clusterpolicyreport_namespace_pass_skip_docs.json');
  const first: unknown = Array.isArray(documents) ? documents[0] : undefined;
  if (!isObject(first) || typeof first.apiVersion !== 'string' || typeof first.kind !== 'string' || !isObject(first.metadata)) throw new Error('unexpected fixture');
  return { ...first, apiVersion: first.apiVersion, kind: first.kind, metadata: { ...first.metadata, name } };
}

/** The kube-bench JSON report wrapped in a ConfigMap as a kube-bench Job would publish it (the wrapping is ours). */
function kubeBenchConfigMap(name: string, labels: Record<string, string> = { app: 'kube-bench' }): KubeObjectInput {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'kube-bench', labels },
    data: { 'results.json': readFileSync(new URL('./fixtures/kube/kube-bench_testdata_result.json', import.meta.url), 'utf8') },
  };
}

const logger = createLogger('test', { level: 'silent' });
const FAST = { backoffInitialMs: 20, backoffMaxMs: 200, watchTimeoutSeconds: 60 } as const;

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
}

/** Lets in-flight work settle so that "nothing more arrived" means something. */
const settle = (ms = 300) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- harness ----------------------------------------------------------------------------------

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startDouble(options: KubeApiDoubleOptions = {}): Promise<KubeApiDouble> {
  const double = await startKubeApiDouble({ crdCatalog, ...options });
  cleanups.push(() => double.close());
  return double;
}

function clustersFor(yaml: string, contexts: readonly (string | KubeClusterSelection)[]): KubeCluster[] {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-kube-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'kubeconfig.yaml');
  writeFileSync(path, yaml, { mode: 0o600 });
  return loadKubeClusters({ kubeconfigPath: path, contexts });
}

interface Delivery {
  type: 'upsert' | 'delete';
  name: string;
  uid: string;
  rv: string;
  object: KubeObject;
}

function recorder() {
  const deliveries: Delivery[] = [];
  const record = (type: Delivery['type'], object: KubeObject) => {
    deliveries.push({ type, name: object.metadata.name, uid: object.metadata.uid, rv: object.metadata.resourceVersion, object });
    return Promise.resolve();
  };
  return { deliveries, handler: { onUpsert: (o: KubeObject) => record('upsert', o), onDelete: (o: KubeObject) => record('delete', o) } };
}

function startInformer(double: KubeApiDouble, options: Partial<ReportInformerOptions> = {}) {
  const [cluster] = clustersFor(double.kubeconfig('test'), ['test']);
  if (!cluster) throw new Error('no cluster');
  const { deliveries, handler } = recorder();
  const statuses: InformerStatus[] = [];
  const informer = new ReportInformer({
    ...FAST,
    kubeConfig: cluster.kubeConfig,
    resource: pulledSource('trivy-vulnerability-reports').resource,
    handler,
    logger,
    onStatus: (status) => statuses.push(status),
    ...options,
  });
  informer.start();
  cleanups.push(() => informer.stop());
  return { informer, deliveries, statuses };
}

const VULN_PATH = '/apis/aquasecurity.github.io/v1alpha1/vulnerabilityreports';
const lists = (double: KubeApiDouble, path = VULN_PATH) => double.requests.filter((r) => r.path === path && !r.watch);
const watches = (double: KubeApiDouble, path = VULN_PATH) => double.requests.filter((r) => r.path === path && r.watch);

/** No (uid, resourceVersion) pair delivered twice. */
function expectNoDuplicates(deliveries: readonly Delivery[]): void {
  const seen = deliveries.map((d) => `${d.type} ${d.uid} ${d.rv}`);
  expect(new Set(seen).size).toBe(seen.length);
}

// ---- the double itself --------------------------------------------------------------------------

describe('Kubernetes API double', () => {
  it('answers like kube-apiserver: 401/404 Status objects, lists with a resourceVersion, 410 Expired as a watch ERROR event', async () => {
    const double = await startDouble({ installedCrds: [VULN_CRD] });
    const auth = { authorization: `Bearer ${double.token}` };

    const unauthorized = await fetch(`${double.url}${VULN_PATH}`);
    expect(unauthorized.status).toBe(401);
    expect(await unauthorized.json()).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    expect(double.requests[0]).toMatchObject({ auth: 'missing', status: 401 });

    const missingCrd = await fetch(`${double.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions/policyreports.wgpolicyk8s.io`, { headers: auth });
    expect(missingCrd.status).toBe(404);
    expect(await missingCrd.json()).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      code: 404,
      message: 'customresourcedefinitions.apiextensions.k8s.io "policyreports.wgpolicyk8s.io" not found',
    });
    const unserved = await fetch(`${double.url}/apis/wgpolicyk8s.io/v1alpha2/policyreports`, { headers: auth });
    expect(unserved.status).toBe(404);

    const stored = double.upsert(vulnReport('a'));
    const list: unknown = await (await fetch(`${double.url}${VULN_PATH}`, { headers: auth })).json();
    expect(list).toMatchObject({ kind: 'VulnerabilityReportList', apiVersion: 'aquasecurity.github.io/v1alpha1', metadata: { resourceVersion: rvOf(stored) }, items: [stored] });

    const configMap = double.upsert(kubeBenchConfigMap('kb'));
    double.upsert({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other', namespace: 'kube-bench' }, data: {} });
    const configMaps: unknown = await (await fetch(`${double.url}/api/v1/configmaps?labelSelector=app%3Dkube-bench`, { headers: auth })).json();
    // Built-in kinds are listed without apiVersion/kind per item, as the typed encoder writes them.
    const { apiVersion: _a, kind: _k, ...bare } = configMap;
    expect(configMaps).toMatchObject({ kind: 'ConfigMapList', apiVersion: 'v1', items: [bare] });

    double.expireHistoryBefore();
    const expired = await fetch(`${double.url}${VULN_PATH}?watch=true&resourceVersion=${rvOf(stored)}`, { headers: auth });
    expect(expired.status).toBe(200);
    const lines = (await expired.text()).trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      type: 'ERROR',
      object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `too old resource version: ${rvOf(stored)} (${double.resourceVersion()})`, reason: 'Expired', code: 410 },
    });
  });
});

// ---- the informer -------------------------------------------------------------------------------

describe('ReportInformer', () => {
  it('delivers every object of the initial (paged) list once, then MODIFIED and DELETED, with bookmarks requested', async () => {
    const double = await startDouble({ installedCrds: [VULN_CRD] });
    const created = ['a', 'b', 'c', 'd', 'e'].map((name) => double.upsert(vulnReport(name)));
    const { informer, deliveries } = startInformer(double, { pageSize: 2 });

    await waitFor('the initial list', () => deliveries.length >= 5);
    await waitFor('the watch', () => double.openWatches(VULN_PATH) === 1);
    expect(deliveries.map((d) => [d.type, d.uid, d.rv])).toEqual(created.map((o) => ['upsert', uidOf(o), rvOf(o)]));
    // Objects are handed on as the server sent them (the report body included), apiVersion/kind set.
    expect(deliveries[0]?.object).toEqual(created[0]);
    expect(lists(double).map((r) => r.query)).toEqual([
      { limit: '2' },
      { limit: '2', continue: expect.any(String) },
      { limit: '2', continue: expect.any(String) },
    ]);
    const listRv = double.resourceVersion();
    expect(watches(double)[0]?.query).toMatchObject({ watch: 'true', resourceVersion: listRv, allowWatchBookmarks: 'true' });

    const modified = double.upsert({ ...vulnReport('a'), report: { summary: { criticalCount: 9 } } });
    const deleted = double.delete(ref(vulnReport('b')));
    await waitFor('MODIFIED and DELETED', () => deliveries.length >= 7);
    expect(deliveries.slice(5).map((d) => [d.type, d.name, d.rv])).toEqual([
      ['upsert', 'a', rvOf(modified)],
      ['delete', 'b', deleted ? rvOf(deleted) : ''],
    ]);
    expect(informer.size).toBe(4);
    expect(informer.lastResourceVersion).toBe(double.resourceVersion());
    await settle();
    expect(deliveries).toHaveLength(7);
  });

  it('after dropWatches resumes from the last resourceVersion: changes made while disconnected arrive exactly once', async () => {
    const double = await startDouble({ installedCrds: [VULN_CRD] });
    ['a', 'b', 'c'].forEach((name) => double.upsert(vulnReport(name)));
    const { deliveries, informer } = startInformer(double, { backoffInitialMs: 150 });
    await waitFor('the watch', () => double.openWatches(VULN_PATH) === 1 && deliveries.length === 3);
    const a2 = double.upsert({ ...vulnReport('a'), report: { updated: 1 } });
    await waitFor('the live change', () => deliveries.length === 4);
    const resumeFrom = informer.lastResourceVersion;
    expect(resumeFrom).toBe(rvOf(a2));

    double.dropWatches();
    // Made before the client has even noticed the broken stream.
    const a3 = double.upsert({ ...vulnReport('a'), report: { updated: 2 } });
    const b = double.delete(ref(vulnReport('b')));
    const d = double.upsert(vulnReport('d'));
    await waitFor('the resumed watch', () => deliveries.length >= 7);
    await settle();

    expect(deliveries.slice(4).map((x) => [x.type, x.name, x.rv])).toEqual([
      ['upsert', 'a', rvOf(a3)],
      ['delete', 'b', b ? rvOf(b) : ''],
      ['upsert', 'd', rvOf(d)],
    ]);
    expect(deliveries).toHaveLength(7);
    expectNoDuplicates(deliveries);
    expect(lists(double)).toHaveLength(1);
    expect(watches(double).map((w) => w.query.resourceVersion)).toEqual([expect.any(String), resumeFrom]);
  });

  it('after expireHistoryBefore the resume gets 410 Expired, relists, emits deletes for vanished objects and nothing twice', async () => {
    const double = await startDouble({ installedCrds: [VULN_CRD] });
    const [a, b, c] = ['a', 'b', 'c'].map((name) => double.upsert(vulnReport(name)));
    const unchanged = double.upsert(vulnReport('unchanged'));
    const { deliveries, informer } = startInformer(double);
    await waitFor('the watch', () => double.openWatches(VULN_PATH) === 1 && deliveries.length === 4);
    const staleRv = informer.lastResourceVersion;

    double.dropWatches();
    double.delete(ref(vulnReport('b')));
    const a2 = double.upsert({ ...vulnReport('a'), report: { updated: true } });
    // Deleted and re-created under the same name: a new uid, so a delete of the old one first.
    double.delete(ref(vulnReport('c')));
    const c2 = double.upsert(vulnReport('c'));
    double.expireHistoryBefore();
    await waitFor('the relist', () => lists(double).length === 2);
    await waitFor('the deliveries after the relist', () => deliveries.length >= 8);
    await waitFor('the new watch', () => double.openWatches(VULN_PATH) === 1);
    await settle();

    expect(watches(double)[1]?.query.resourceVersion).toBe(staleRv);
    const after = deliveries.slice(4).map((x) => [x.type, x.name, x.uid]);
    expect(after).toEqual([
      ['delete', 'b', uidOf(b ?? {})],
      ['delete', 'c', uidOf(c ?? {})],
      ['upsert', 'a', uidOf(a ?? {})],
      ['upsert', 'c', uidOf(c2)],
    ]);
    expect(deliveries.slice(4).find((x) => x.name === 'a')?.rv).toBe(rvOf(a2));
    expect(deliveries.filter((x) => x.uid === uidOf(unchanged))).toHaveLength(1);
    expectNoDuplicates(deliveries);
    expect(watches(double)[2]?.query.resourceVersion).toBe(double.resourceVersion());
    expect(informer.size).toBe(3);
  });

  it('bookmarks advance the resume point past changes it does not watch, so a resume after compaction needs no relist', async () => {
    const double = await startDouble({ installedCrds: [VULN_CRD] });
    double.upsert(vulnReport('a'));
    const { deliveries, informer } = startInformer(double, { backoffInitialMs: 50 });
    await waitFor('the watch', () => double.openWatches(VULN_PATH) === 1 && deliveries.length === 1);
    const listRv = informer.lastResourceVersion;
    // Other collections move the cluster's resourceVersion on; this watch sees none of it.
    for (let i = 0; i < 5; i++) double.upsert({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `noise-${i}`, namespace: 'default' }, data: {} });
    expect(informer.lastResourceVersion).toBe(listRv);

    double.bookmark();
    const head = double.resourceVersion();
    await waitFor('the bookmark', () => informer.lastResourceVersion === head);
    double.expireHistoryBefore(head);
    double.dropWatches();
    const b = double.upsert(vulnReport('b'));
    await waitFor('the change after the resume', () => deliveries.length === 2);

    expect(watches(double).map((w) => w.query.resourceVersion)).toEqual([listRv, head]);
    expect(lists(double)).toHaveLength(1);
    expect(deliveries[1]).toMatchObject({ type: 'upsert', name: 'b', rv: rvOf(b) });
  });

  it('a handler that fails gets the object again after the backoff, and the failure is reported', async () => {
    const double = await startDouble({ installedCrds: [VULN_CRD] });
    const [cluster] = clustersFor(double.kubeconfig('test'), ['test']);
    if (!cluster) throw new Error('no cluster');
    const seen: string[] = [];
    let failOnce = true;
    const statuses: InformerStatus[] = [];
    const informer = new ReportInformer({
      ...FAST,
      kubeConfig: cluster.kubeConfig,
      resource: pulledSource('trivy-vulnerability-reports').resource,
      logger,
      onStatus: (s) => statuses.push(s),
      handler: {
        onUpsert: (object) => {
          if (object.metadata.name === 'flaky' && failOnce) {
            failOnce = false;
            return Promise.reject(new Error('store unavailable'));
          }
          seen.push(`${object.metadata.name}@${object.metadata.resourceVersion}`);
          return Promise.resolve();
        },
        onDelete: () => Promise.resolve(),
      },
    });
    informer.start();
    cleanups.push(() => informer.stop());
    double.upsert(vulnReport('a'));
    await waitFor('the watch', () => double.openWatches(VULN_PATH) === 1);
    const flaky = double.upsert(vulnReport('flaky'));
    await waitFor('the retried delivery', () => seen.includes(`flaky@${rvOf(flaky)}`));
    expect(statuses).toContainEqual({ type: 'error', message: 'handler failed: store unavailable' });
    expect(seen.filter((s) => s.startsWith('a@'))).toHaveLength(1);
  });
});

// ---- detection and the wiring -------------------------------------------------------------------

function startSources(clusters: readonly KubeCluster[], options: Partial<PulledSourcesOptions> = {}) {
  const changes: { cluster: string; source: PulledSourceName; change: PulledChange }[] = [];
  const sources: PulledSources = startPulledSources({
    clusters,
    logger,
    detectionIntervalMs: 100,
    informer: FAST,
    handler: (cluster, source, change) => {
      changes.push({ cluster, source, change });
      return Promise.resolve();
    },
    ...options,
  });
  cleanups.push(() => sources.stop());
  return { sources, changes };
}

describe('startPulledSources', () => {
  it('a missing CRD is not installed; installCrd is picked up by re-detection and synced; removeCrd deletes its objects', async () => {
    const double = await startDouble({ installedCrds: ALL_CRDS.filter((name) => name !== VULN_CRD) });
    const clusters = clustersFor(double.kubeconfig('kind-test'), ['kind-test']);
    const { sources, changes } = startSources(clusters);
    await sources.ready;

    const vuln = () => sources.registry.get('kind-test', 'trivy-vulnerability-reports');
    expect(vuln()).toEqual({ cluster: 'kind-test', name: 'trivy-vulnerability-reports', installed: false, lastSync: null, error: null });
    await waitFor('the Kyverno informer', () => sources.registry.get('kind-test', 'kyverno-policy-reports')?.lastSync);
    expect(sources.registry.get('kind-test', 'kyverno-policy-reports')).toMatchObject({ installed: true, error: null });
    expect(double.requests.some((r) => r.path === VULN_PATH)).toBe(false);

    double.installCrd(VULN_CRD);
    const stored = double.upsert(vulnReport('late'));
    await waitFor('detection of the new CRD', () => vuln()?.installed && vuln()?.lastSync);
    await waitFor('the report', () => changes.find((c) => c.source === 'trivy-vulnerability-reports'));
    expect(changes.filter((c) => c.source === 'trivy-vulnerability-reports').map((c) => [c.cluster, c.change.type, c.change.object.metadata.uid])).toEqual([
      ['kind-test', 'upsert', uidOf(stored)],
    ]);

    double.removeCrd(VULN_CRD);
    await waitFor('removal', () => vuln()?.installed === false);
    await waitFor('the delete', () => changes.some((c) => c.change.type === 'delete'));
    await settle();
    expect(changes.filter((c) => c.change.type === 'delete').map((c) => c.change.object.metadata.uid)).toEqual([uidOf(stored)]);
  });

  it('a wrong token puts every source in an error state (401) without crashing, and never shows the token', async () => {
    const double = await startDouble({ installedCrds: ALL_CRDS, token: 'the-right-token-0123456789' });
    double.upsert(kubeBenchConfigMap('kb'));
    const wrongToken = 'wrong-token-abcdefghijklmnop';
    const clusters = clustersFor(double.kubeconfig('prod', { token: wrongToken }), ['prod']);
    const { sources, changes } = startSources(clusters);
    await sources.ready;

    const states = await waitFor('errors on every source', () => {
      const all = sources.registry.list();
      // Every pulled source (PULLED_SOURCES), the Nodes included.
      return all.length === 10 && all.every((s) => s.error !== null) ? all : undefined;
    });
    for (const state of states) {
      expect(state).toMatchObject({ cluster: 'prod', installed: false, lastSync: null });
      expect(state.error).toMatch(/401 Unauthorized/);
      expect(state.error).not.toContain(wrongToken);
      expect(state.error).not.toContain(double.token);
    }
    expect(sources.registry.get('prod', 'kube-bench')?.error).toBe('list failed: HTTP 401 Unauthorized');
    expect(sources.registry.get('prod', 'trivy-vulnerability-reports')?.error).toBe('detection failed: HTTP 401 Unauthorized');
    expect(double.requests.every((r) => r.auth === 'invalid' && r.status === 401)).toBe(true);
    // Retries keep going, with backoff, and nothing was delivered.
    await waitFor('a retried list', () => lists(double, '/api/v1/configmaps').length >= 3);
    expect(changes).toEqual([]);
  });

  it('two API servers as two clusters report separately; labelled ConfigMaps are found and followed', async () => {
    const east = await startDouble({
      installedCrds: [VULN_CRD, 'configauditreports.aquasecurity.github.io', 'clustercompliancereports.aquasecurity.github.io', 'policyreports.wgpolicyk8s.io'],
    });
    const west = await startDouble({ installedCrds: ['clusterpolicyreports.wgpolicyk8s.io'] });
    const eastReport = east.upsert(vulnReport('east-report'));
    const eastPolicy = east.upsert(report('policyreport_pod_pass_fail_docs.json'));
    const eastAudit = east.upsert(report('configauditreport_docs.json'));
    const eastCompliance = east.upsert(report('clustercompliancereport_nsa_summary_docs.json'));
    const eastCheckov = east.upsert({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'checkov-scan', namespace: 'ci', labels: { app: 'checkov' } },
      data: { 'results.json': readFileSync(new URL('./fixtures/kube/checkov_2.2.34_terraform_defectdojo_trimmed.json', import.meta.url), 'utf8') },
    });
    east.upsert({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'unrelated', namespace: 'default', labels: { app: 'web' } }, data: {} });
    const westPolicy = west.upsert(clusterPolicyReport('namespace-production'));
    const westBench = west.upsert(kubeBenchConfigMap('kube-bench-node-1'));

    const yaml = kubeconfigFor([
      { double: east, context: 'kind-east' },
      { double: west, context: 'kind-west' },
    ]);
    const clusters = clustersFor(yaml, [{ context: 'kind-east', name: 'east' }, 'kind-west']);
    expect(clusters.map((c) => [c.name, c.context])).toEqual([
      ['east', 'kind-east'],
      ['kind-west', 'kind-west'],
    ]);
    const { sources, changes } = startSources(clusters);
    await sources.ready;
    await waitFor('every object', () => changes.length >= 7);
    await settle();

    const summary = (cluster: string) =>
      changes
        .filter((c) => c.cluster === cluster)
        .map((c) => [c.source, c.change.type, c.change.object.metadata.uid])
        .sort();
    expect(summary('east')).toEqual(
      [
        ['checkov', 'upsert', uidOf(eastCheckov)],
        ['kyverno-policy-reports', 'upsert', uidOf(eastPolicy)],
        ['trivy-cluster-compliance-reports', 'upsert', uidOf(eastCompliance)],
        ['trivy-config-audit-reports', 'upsert', uidOf(eastAudit)],
        ['trivy-vulnerability-reports', 'upsert', uidOf(eastReport)],
      ].sort(),
    );
    expect(summary('kind-west')).toEqual(
      [
        ['kube-bench', 'upsert', uidOf(westBench)],
        ['kyverno-cluster-policy-reports', 'upsert', uidOf(westPolicy)],
      ].sort(),
    );
    // ConfigMaps of built-in kind reach the handler complete, though lists omit apiVersion/kind.
    expect(changes.find((c) => c.source === 'kube-bench')?.change.object).toEqual(westBench);

    const installed = (cluster: string) =>
      Object.fromEntries(
        sources.registry
          .list()
          .filter((s) => s.cluster === cluster)
          .map((s) => [s.name, s.installed]),
      );
    await waitFor(
      'ConfigMap and Node sources marked installed',
      () =>
        sources.registry.get('kind-west', 'kube-bench')?.installed &&
        sources.registry.get('east', 'checkov')?.installed &&
        sources.registry.get('kind-west', 'kubernetes-nodes')?.installed &&
        sources.registry.get('east', 'kubernetes-nodes')?.installed,
    );
    expect(installed('east')).toEqual({
      checkov: true,
      'kube-bench': false,
      'kyverno-cluster-policies': false,
      'kyverno-cluster-policy-reports': false,
      'kyverno-policies': false,
      'kyverno-policy-reports': true,
      // Nodes are served by every API server: always installed once listed.
      'kubernetes-nodes': true,
      'trivy-cluster-compliance-reports': true,
      'trivy-config-audit-reports': true,
      'trivy-vulnerability-reports': true,
    });
    expect(installed('kind-west')).toEqual({
      checkov: false,
      'kube-bench': true,
      'kyverno-cluster-policies': false,
      'kyverno-cluster-policy-reports': true,
      'kyverno-policies': false,
      'kyverno-policy-reports': false,
      // Nodes are served by every API server: always installed once listed.
      'kubernetes-nodes': true,
      'trivy-cluster-compliance-reports': false,
      'trivy-config-audit-reports': false,
      'trivy-vulnerability-reports': false,
    });
    expect(sources.registry.list().every((s) => s.error === null)).toBe(true);
    // Cluster-scoped kinds are read at the cluster-scoped path, namespaced ones across all namespaces.
    expect(east.requests.some((r) => r.path === '/apis/aquasecurity.github.io/v1alpha1/clustercompliancereports' && r.watch)).toBe(true);
    // Every request carried the right cluster's token.
    expect([...east.requests, ...west.requests].every((r) => r.auth === 'ok')).toBe(true);

    // A ConfigMap relabelled out of the selection is gone for the source (the watch says DELETED).
    west.upsert({ ...kubeBenchConfigMap('kube-bench-node-1', { app: 'archived' }) });
    await waitFor('the delete', () => changes.some((c) => c.change.type === 'delete'));
    expect(changes.filter((c) => c.change.type === 'delete').map((c) => [c.cluster, c.source, c.change.object.metadata.uid])).toEqual([['kind-west', 'kube-bench', uidOf(westBench)]]);
    await waitFor('kube-bench no longer installed', () => sources.registry.get('kind-west', 'kube-bench')?.installed === false);
  });
});

describe('loadKubeClusters', () => {
  it('builds one KubeConfig per context, named after the context unless mapped, and rejects unknown or clashing ones', async () => {
    const a = await startDouble();
    const b = await startDouble();
    const yaml = kubeconfigFor([
      { double: a, context: 'ctx-a' },
      { double: b, context: 'ctx-b' },
    ]);
    const clusters = clustersFor(yaml, ['ctx-b', { context: 'ctx-a', name: 'prod' }]);
    expect(clusters.map((c) => [c.name, c.context, c.kubeConfig.getCurrentCluster()?.server])).toEqual([
      ['ctx-b', 'ctx-b', b.url],
      ['prod', 'ctx-a', a.url],
    ]);
    expect(clustersFor(yaml, []).map((c) => c.name)).toEqual(['ctx-a']);
    expect(() => clustersFor(yaml, ['ctx-c'])).toThrow('kubeconfig has no context "ctx-c" (contexts: ctx-a, ctx-b)');
    expect(() => clustersFor(yaml, ['ctx-a', { context: 'ctx-b', name: 'ctx-a' }])).toThrow('two clusters are named "ctx-a"');
  });
});
