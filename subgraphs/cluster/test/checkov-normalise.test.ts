import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CheckovDetails } from '../src/sources/checkov/checkov-report.js';
import { CHECKOV_DEFAULT_SEVERITY, checkovSeverity, normaliseCheckov, parseCheckovKubernetesResource } from '../src/sources/checkov/normalise.js';
import type { ReportNormalisation, ReportNormaliseResult } from '../src/sources/report-common.js';
import { resolvedFindings } from '../src/sources/resolution.js';

// Samples: test/fixtures/checkov/README.md (copied from the shared fixtures; sources in SOURCES.md).
const load = (name: string): unknown => JSON.parse(readFileSync(new URL(`./fixtures/checkov/${name}`, import.meta.url), 'utf8'));

const observedAt = new Date('2026-01-02T03:04:05.678Z');
const context = { cluster: 'prod', observedAt };

function ok(result: ReportNormaliseResult): ReportNormalisation {
  if (!result.ok) throw new Error(`expected to normalise, got: ${result.reason}`);
  return result;
}
function reason(result: ReportNormaliseResult): string {
  if (result.ok) throw new Error('expected a rejection');
  return result.reason;
}
function expectWellFormed(input: unknown, result: ReportNormalisation): void {
  expect(new Set(result.keys).size).toBe(result.keys.length);
  expect(new Set(result.events.map((e) => e.dedupKey)).size).toBe(result.events.length);
  for (const e of result.events) expect(result.keys).toContain(e.dedupKey);
  expect(ok(normaliseCheckov(structuredClone(input), context))).toEqual(result);
}

type CheckovJson = { check_type: string; results: Record<string, Record<string, unknown>[]> };

/**
 * A Kubernetes-framework report DERIVED from the real terraform one (no real `-o json` of a
 * manifest scan exists in a citable source; see fixtures/checkov/output_format.md): only
 * check_type, check_id, check_name and resource changed, to values output_format.md documents.
 */
function kubernetesReport(): CheckovJson {
  const report = load('checkov_2.2.34_terraform_defectdojo_trimmed.json') as CheckovJson;
  report.check_type = 'kubernetes';
  const [a, b] = report.results.failed_checks ?? [];
  Object.assign(a ?? {}, { check_id: 'CKV_K8S_9', check_name: 'Readiness Probe Should be Configured', resource: 'Deployment.aws-xray.service-a', severity: null });
  Object.assign(b ?? {}, { check_id: 'CKV_K8S_40', check_name: 'Containers should run as a high UID to avoid host conflict', resource: 'Deployment.aws-xray.service-a', severity: 'HIGH' });
  return report;
}

describe('Checkov severity table', () => {
  it('uses the record severity when present, else MEDIUM', () => {
    expect(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO', 'NONE', 'high'].map(checkovSeverity)).toEqual(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO', 'INFO', 'HIGH']);
    expect([null, undefined, '', 'SEVERE'].map(checkovSeverity)).toEqual(['MEDIUM', 'MEDIUM', 'MEDIUM', 'MEDIUM']);
    expect(CHECKOV_DEFAULT_SEVERITY).toBe('MEDIUM');
  });
});

describe('normaliseCheckov: every Checkov fixture', () => {
  it('checkov_2.2.34_terraform_defectdojo_trimmed.json (single object, with severity): no KubeObject, file in the key', () => {
    const input = load('checkov_2.2.34_terraform_defectdojo_trimmed.json');
    const result = ok(normaliseCheckov(input, context));
    expectWellFormed(input, result);
    expect(result.keys).toEqual([
      'checkov/prod/CKV_GCP_29/google_storage_bucket.terragoat_website/%2Fgcs.tf',
      'checkov/prod/CKV_GCP_62/google_storage_bucket.terragoat_website/%2Fgcs.tf',
    ]);
    const [first] = result.events;
    expect(first).toMatchObject({
      source: 'CHECKOV',
      category: 'MISCONFIGURATION',
      severity: 'MEDIUM',
      eventType: 'CKV_GCP_29',
      title: 'Ensure that Cloud Storage buckets have uniform bucket-level access enabled',
      cluster: 'prod',
      resource: null,
      hostname: null,
      occurredAt: '2026-01-02T03:04:05.678Z',
    });
    expect(first?.details as CheckovDetails).toEqual({
      kind: 'CHECKOV',
      checkId: 'CKV_GCP_29',
      bcCheckId: 'BC_GCP_GCS_2',
      checkName: 'Ensure that Cloud Storage buckets have uniform bucket-level access enabled',
      checkType: 'terraform',
      resource: 'google_storage_bucket.terragoat_website',
      filePath: '/gcs.tf',
      fileLineRange: [1, 15],
      guideline: 'https://docs.bridgecrew.io/docs/bc_gcp_gcs_2',
      severity: 'MEDIUM',
      checkClass: 'checkov.terraform.checks.resource.gcp.GoogleStorageBucketUniformAccess',
      checkovVersion: '2.2.34',
    });
    expect(first?.raw).toMatchObject({ report: null, record: { check_id: 'CKV_GCP_29', check_result: { result: 'FAILED' } } });
  });

  it('checkov_multi_framework_array_defectdojo_trimmed.json (array, no severity): failed checks MEDIUM, passed ones as keys', () => {
    const input = load('checkov_multi_framework_array_defectdojo_trimmed.json');
    const result = ok(normaliseCheckov(input, context));
    expectWellFormed(input, result);
    expect(result.keys).toEqual([
      'checkov/prod/CKV_AWS_161/aws_db_instance.default/%2Faws%2Fdb-app.tf',
      'checkov/prod/CKV_AWS_23/aws_security_group.default/%2Faws%2Fdb-app.tf',
      'checkov/prod/CKV_DOCKER_3/%2Faws%2Fresources%2FDockerfile./%2Faws%2Fresources%2FDockerfile',
      'checkov/prod/CKV_DOCKER_7/%2Faws%2Fresources%2FDockerfile./%2Faws%2Fresources%2FDockerfile',
    ]);
    expect(result.events.map((e) => [e.eventType, e.severity, e.resource, (e.details as CheckovDetails).checkType])).toEqual([
      ['CKV_AWS_161', 'MEDIUM', null, 'terraform'],
      ['CKV_DOCKER_3', 'MEDIUM', null, 'dockerfile'],
    ]);
    expect(result.events[1]?.details).toMatchObject({ severity: null, bcCheckId: null, guideline: 'https://docs.bridgecrew.io/docs/ensure-that-a-user-for-the-container-has-been-created', checkovVersion: '2.0.209', fileLineRange: [0, 0] });
  });

  it('Kubernetes framework (derived from the terraform fixture): the resource id becomes a KubeObject and alone keys the finding', () => {
    const input = kubernetesReport();
    const result = ok(normaliseCheckov(input, context));
    expectWellFormed(input, result);
    expect(result.keys).toEqual(['checkov/prod/CKV_K8S_40/Deployment.aws-xray.service-a', 'checkov/prod/CKV_K8S_9/Deployment.aws-xray.service-a']);
    expect(result.events.map((e) => [e.severity, e.resource])).toEqual([
      ['MEDIUM', { cluster: 'prod', namespace: 'aws-xray', kind: 'Deployment', name: 'service-a' }],
      ['HIGH', { cluster: 'prod', namespace: 'aws-xray', kind: 'Deployment', name: 'service-a' }],
    ]);
    // The same object in another file (moved manifest) is the same finding.
    const moved = kubernetesReport();
    for (const r of moved.results.failed_checks ?? []) r.file_path = '/k8s/moved.yaml';
    expect(ok(normaliseCheckov(moved, context)).keys).toEqual(result.keys);
  });

  it('parses Kind.namespace.name: dotted names, cluster-scoped kinds, and anything else as no object', () => {
    expect(parseCheckovKubernetesResource('Pod.default.nginx', 'c')).toEqual({ cluster: 'c', namespace: 'default', kind: 'Pod', name: 'nginx' });
    expect(parseCheckovKubernetesResource('ConfigMap.kube-system.my.dotted.name', 'c')).toEqual({ cluster: 'c', namespace: 'kube-system', kind: 'ConfigMap', name: 'my.dotted.name' });
    expect(parseCheckovKubernetesResource('ClusterRoleBinding.default.cluster-admin', 'c')).toEqual({ cluster: 'c', namespace: '', kind: 'ClusterRoleBinding', name: 'cluster-admin' });
    expect(parseCheckovKubernetesResource('aws_s3_bucket.data', 'c')).toBeNull();
    expect(parseCheckovKubernetesResource('/Dockerfile.', 'c')).toBeNull();
  });

  it('a failed check that now passes resolves as PASSED, a removed one as REMOVED', () => {
    const previous = ok(normaliseCheckov(kubernetesReport(), context));
    const next = kubernetesReport();
    const [stillFailing, nowPassing] = next.results.failed_checks ?? [];
    next.results.failed_checks = stillFailing ? [stillFailing] : [];
    next.results.passed_checks = nowPassing ? [{ ...nowPassing, check_result: { result: 'PASSED' } }] : [];
    const current = ok(normaliseCheckov(next, context));
    expect(resolvedFindings(previous.events.map((e) => e.dedupKey), current)).toEqual([
      { key: 'checkov/prod/CKV_K8S_40/Deployment.aws-xray.service-a', reason: 'PASSED' },
    ]);
    next.results.passed_checks = [];
    expect(resolvedFindings(previous.events.map((e) => e.dedupKey), ok(normaliseCheckov(next, context)))).toEqual([
      { key: 'checkov/prod/CKV_K8S_40/Deployment.aws-xray.service-a', reason: 'REMOVED' },
    ]);
  });

  it('--quiet output (failed_checks only) and the empty-scan summary', () => {
    const quiet = load('checkov_2.2.34_terraform_defectdojo_trimmed.json') as CheckovJson;
    delete quiet.results.passed_checks;
    delete quiet.results.skipped_checks;
    expect(ok(normaliseCheckov(quiet, context)).events).toHaveLength(2);
    const empty = { passed: 0, failed: 0, skipped: 0, parsing_errors: 0, resource_count: 0, checkov_version: '2.2.34' };
    expect(ok(normaliseCheckov(empty, context))).toEqual({ ok: true, events: [], keys: [] });
    expect(ok(normaliseCheckov([], context))).toEqual({ ok: true, events: [], keys: [] });
    expect(reason(normaliseCheckov({ ...empty, failed: 3 }, context))).toBe('failed must be 0: a summary without results can only stand for an empty scan');
  });

  it('rejects malformed reports, naming the path', () => {
    const badResult = load('checkov_2.2.34_terraform_defectdojo_trimmed.json') as CheckovJson;
    const [record] = badResult.results.failed_checks ?? [];
    if (record) record.check_result = { result: 'BROKEN' };
    expect(reason(normaliseCheckov(badResult, context))).toBe('results.failed_checks[0].check_result.result must be one of "PASSED", "FAILED", "SKIPPED", got "BROKEN"');

    const array = load('checkov_multi_framework_array_defectdojo_trimmed.json') as CheckovJson[];
    delete array[1]?.results.passed_checks?.[0]?.resource;
    expect(reason(normaliseCheckov(array, context))).toBe('[1].results.passed_checks[0].resource is required');

    const noResults = load('checkov_2.2.34_terraform_defectdojo_trimmed.json') as Record<string, unknown>;
    delete noResults.results;
    expect(reason(normaliseCheckov(noResults, context))).toBe('results is required');
    expect(reason(normaliseCheckov([null], context))).toBe('[0] must be a Checkov report object, got null');
    expect(reason(normaliseCheckov(42, context))).toBe('the report must be a Checkov report object, got 42');
  });
});
