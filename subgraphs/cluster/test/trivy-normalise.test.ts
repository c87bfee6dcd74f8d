import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ReportNormalisation, ReportNormaliseResult } from '../src/sources/report-common.js';
import { resolvedFindings, resolvedKeys } from '../src/sources/resolution.js';
import {
  TRIVY_SEVERITY,
  normaliseClusterComplianceReport,
  normaliseConfigAuditReport,
  normaliseTrivyReport,
  normaliseVulnerabilityReport,
} from '../src/sources/trivy/normalise.js';
import type { TrivyComplianceDetails, TrivyConfigAuditDetails, TrivyVulnerabilityDetails } from '../src/sources/trivy/trivy-report.js';

// Samples: test/fixtures/trivy/README.md (copied from the shared fixtures; sources in SOURCES.md).
const load = (name: string): Record<string, unknown> =>
  parse(readFileSync(new URL(`./fixtures/trivy/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

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
const clone = <T>(value: T): T => structuredClone(value);

/** Every key is unique, every event's key is among the keys, and normalising again gives the same. */
function expectWellFormed(input: unknown, result: ReportNormalisation): void {
  expect(new Set(result.keys).size).toBe(result.keys.length);
  expect(new Set(result.events.map((e) => e.dedupKey)).size).toBe(result.events.length);
  for (const e of result.events) expect(result.keys).toContain(e.dedupKey);
  expect(ok(normaliseTrivyReport(clone(input), context))).toEqual(result);
}

describe('Trivy severity table', () => {
  it('maps the four named levels one to one and UNKNOWN to INFO', () => {
    expect(TRIVY_SEVERITY).toEqual({ CRITICAL: 'CRITICAL', HIGH: 'HIGH', MEDIUM: 'MEDIUM', LOW: 'LOW', UNKNOWN: 'INFO' });
  });
});

describe('VulnerabilityReport', () => {
  it('vulnerabilityreport_docs_basic.yaml: one event per vulnerability, about the labelled workload and container', () => {
    const input = load('vulnerabilityreport_docs_basic.yaml');
    const result = ok(normaliseVulnerabilityReport(input, context));
    expectWellFormed(input, result);
    expect(result.events).toHaveLength(2);
    expect(result.keys).toEqual([
      'trivy/prod/default/ReplicaSet/nginx-6d4cf56db6/nginx/CVE-2018-25009',
      'trivy/prod/default/ReplicaSet/nginx-6d4cf56db6/nginx/CVE-2019-20367',
    ]);
    const [first, second] = result.events;
    expect(first).toMatchObject({
      source: 'TRIVY',
      category: 'VULNERABILITY',
      severity: 'CRITICAL',
      eventType: 'CVE-2019-20367',
      title: 'CVE-2019-20367 in libbsd0 0.9.1-2',
      cluster: 'prod',
      resource: { cluster: 'prod', namespace: 'default', kind: 'ReplicaSet', name: 'nginx-6d4cf56db6' },
      hostname: null,
      // No updateTimestamp and no creationTimestamp in this docs example: the caller's time.
      occurredAt: '2026-01-02T03:04:05.678Z',
    });
    const details = first?.details as TrivyVulnerabilityDetails;
    expect(details).toEqual({
      kind: 'TRIVY_VULNERABILITY',
      vulnerabilityId: 'CVE-2019-20367',
      pkgName: 'libbsd0',
      installedVersion: '0.9.1-2',
      fixedVersion: '0.9.1-2+deb10u1',
      title: null,
      primaryLink: 'https://avd.aquasec.com/nvd/cve-2019-20367',
      score: 9.1,
      trivySeverity: 'CRITICAL',
      links: [],
      publishedDate: null,
      lastModifiedDate: null,
      packages: [{ pkgName: 'libbsd0', installedVersion: '0.9.1-2', fixedVersion: '0.9.1-2+deb10u1', severity: 'CRITICAL', target: 'library/nginx:1.21.6', pkgPath: null }],
      image: { registry: 'index.docker.io', repository: 'library/nginx', tag: '1.16', digest: null },
      container: 'nginx',
      os: { family: 'debian', name: '10.3', eosl: null },
      scanner: { name: 'Trivy', version: '0.72.0' },
    });
    expect(second?.title).toBe('CVE-2018-25009 in libwebp6 0.6.1-2: libwebp: out-of-bounds read in WebPMuxCreateInternal');
    // fixedVersion '' means no fix yet.
    expect((second?.details as TrivyVulnerabilityDetails).fixedVersion).toBeNull();
    expect(first?.raw).toMatchObject({
      report: { apiVersion: 'aquasecurity.github.io/v1alpha1', kind: 'VulnerabilityReport', namespace: 'default', name: 'replicaset-nginx-6d4cf56db6-nginx', uid: '8aa1a7cb-a319-4b93-850d-5a67827dfbbf' },
      record: [{ vulnerabilityID: 'CVE-2019-20367', resource: 'libbsd0' }],
    });
  });

  it('vulnerabilityreport_envtest_fixture.yaml: HIGH, the report time, no OS', () => {
    const input = load('vulnerabilityreport_envtest_fixture.yaml');
    const result = ok(normaliseTrivyReport(input, context));
    expectWellFormed(input, result);
    expect(result.keys).toEqual(['trivy/prod/kube-system/ReplicaSet/coredns-558bd4d5db/coredns/CVE-2021-3121']);
    const [event] = result.events;
    expect(event).toMatchObject({
      severity: 'HIGH',
      resource: { cluster: 'prod', namespace: 'kube-system', kind: 'ReplicaSet', name: 'coredns-558bd4d5db' },
      occurredAt: '2022-12-08T15:50:37.000Z',
      title: 'CVE-2021-3121 in github.com/gogo/protobuf v1.3.1: gogo/protobuf: plugin/unmarshal/unmarshal.go lacks certain index validation',
    });
    expect(event?.details).toMatchObject({
      image: { registry: 'k8s.gcr.io', repository: 'coredns/coredns', tag: 'v1.8.0', digest: null },
      os: null,
      fixedVersion: '1.3.2',
      score: 8.6,
      scanner: { name: 'Trivy', version: '0.35.0' },
    });
  });

  it('one vulnerability in several packages of one image is one finding, at its worst severity', () => {
    const input = load('vulnerabilityreport_docs_basic.yaml');
    const report = input.report as { vulnerabilities: Record<string, unknown>[] };
    report.vulnerabilities.push({ ...report.vulnerabilities[0], resource: 'libbsd-dev', severity: 'LOW', fixedVersion: '' });
    report.vulnerabilities.unshift({ ...report.vulnerabilities[0], resource: 'libbsd-tools', severity: 'MEDIUM' });
    const result = ok(normaliseVulnerabilityReport(input, context));
    expect(result.events).toHaveLength(2);
    const event = result.events.find((e) => e.eventType === 'CVE-2019-20367');
    expect(event?.severity).toBe('CRITICAL');
    const details = event?.details as TrivyVulnerabilityDetails;
    expect(details.pkgName).toBe('libbsd0');
    expect(details.packages.map((p) => [p.pkgName, p.severity, p.fixedVersion])).toEqual([
      ['libbsd-tools', 'MEDIUM', '0.9.1-2+deb10u1'],
      ['libbsd0', 'CRITICAL', '0.9.1-2+deb10u1'],
      ['libbsd-dev', 'LOW', null],
    ]);
  });

  it('keys are stable across rescans and differ per container and per cluster', () => {
    const input = load('vulnerabilityreport_envtest_fixture.yaml');
    const rescanned = clone(input) as { metadata: Record<string, unknown>; report: Record<string, unknown> };
    rescanned.metadata.resourceVersion = '999';
    rescanned.metadata.uid = 'another-uid';
    rescanned.report.updateTimestamp = '2023-01-01T00:00:00Z';
    const before = ok(normaliseVulnerabilityReport(input, context));
    const after = ok(normaliseVulnerabilityReport(rescanned, context));
    expect(after.keys).toEqual(before.keys);
    expect(after.events[0]?.occurredAt).toBe('2023-01-01T00:00:00.000Z');

    const sidecar = clone(input) as { metadata: { labels: Record<string, string> } };
    sidecar.metadata.labels['trivy-operator.container.name'] = 'sidecar';
    expect(ok(normaliseVulnerabilityReport(sidecar, context)).keys).toEqual([
      'trivy/prod/kube-system/ReplicaSet/coredns-558bd4d5db/sidecar/CVE-2021-3121',
    ]);
    expect(ok(normaliseVulnerabilityReport(input, { ...context, cluster: 'staging' })).keys[0]).toMatch(/^trivy\/staging\//);
  });

  it('falls back to the controller ownerReference, and to the name annotation for long names', () => {
    const input = load('vulnerabilityreport_docs_basic.yaml') as { metadata: { labels: Record<string, string>; annotations?: Record<string, string> } };
    delete input.metadata.labels['trivy-operator.resource.kind'];
    delete input.metadata.labels['trivy-operator.resource.name'];
    expect(ok(normaliseVulnerabilityReport(input, context)).events[0]?.resource).toEqual({
      cluster: 'prod',
      namespace: 'default',
      kind: 'ReplicaSet',
      name: 'nginx-6d4cf56db6',
    });
    input.metadata.labels['trivy-operator.resource.kind'] = 'Deployment';
    input.metadata.annotations = { 'trivy-operator.resource.name': 'a-name-longer-than-a-label-value-may-be-so-trivy-operator-moves-it-to-an-annotation' };
    expect(ok(normaliseVulnerabilityReport(input, context)).events[0]?.resource?.name).toBe(
      'a-name-longer-than-a-label-value-may-be-so-trivy-operator-moves-it-to-an-annotation',
    );
  });

  it('a report with no vulnerabilities has no events and no keys', () => {
    const input = load('vulnerabilityreport_envtest_fixture.yaml') as { report: { vulnerabilities: unknown[] } };
    input.report.vulnerabilities = [];
    expect(ok(normaliseVulnerabilityReport(input, context))).toEqual({ ok: true, events: [], keys: [] });
  });

  it('rejects malformed reports, naming the path', () => {
    const badSeverity = load('vulnerabilityreport_docs_basic.yaml') as { report: { vulnerabilities: Record<string, unknown>[] } };
    badSeverity.report.vulnerabilities[1] = { ...badSeverity.report.vulnerabilities[1], severity: 'SEVERE' };
    expect(reason(normaliseVulnerabilityReport(badSeverity, context))).toBe(
      'report.vulnerabilities[1].severity must be one of "CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN", got "SEVERE"',
    );

    const noId = load('vulnerabilityreport_docs_basic.yaml') as { report: { vulnerabilities: Record<string, unknown>[] } };
    delete noId.report.vulnerabilities[0]?.vulnerabilityID;
    expect(reason(normaliseVulnerabilityReport(noId, context))).toBe('report.vulnerabilities[0].vulnerabilityID is required');

    const noReport = load('vulnerabilityreport_docs_basic.yaml');
    delete noReport.report;
    expect(reason(normaliseTrivyReport(noReport, context))).toBe('report is required');

    const badTime = load('vulnerabilityreport_envtest_fixture.yaml') as { report: Record<string, unknown> };
    badTime.report.updateTimestamp = 'yesterday';
    expect(reason(normaliseTrivyReport(badTime, context))).toBe('report.updateTimestamp must be an RFC 3339 time');

    const orphan = load('vulnerabilityreport_docs_basic.yaml') as { metadata: Record<string, unknown> };
    orphan.metadata.labels = {};
    delete orphan.metadata.ownerReferences;
    expect(reason(normaliseTrivyReport(orphan, context))).toBe(
      'metadata.labels["trivy-operator.resource.kind"] is required: the report names no scanned workload (and has no ownerReference)',
    );

    const wrongGroup = load('vulnerabilityreport_docs_basic.yaml');
    wrongGroup.apiVersion = 'aquasecurity.github.io/v1beta1';
    expect(reason(normaliseTrivyReport(wrongGroup, context))).toBe('apiVersion must be "aquasecurity.github.io/v1alpha1", got "aquasecurity.github.io/v1beta1"');

    expect(reason(normaliseTrivyReport({ ...load('vulnerabilityreport_docs_basic.yaml'), kind: 'ExposedSecretReport' }, context))).toBe(
      'kind must be one of VulnerabilityReport, ConfigAuditReport, ClusterComplianceReport, got "ExposedSecretReport"',
    );
    expect(reason(normaliseTrivyReport([], context))).toBe('the report must be an object, got an array');
    expect(reason(normaliseTrivyReport({}, context))).toBe('kind is required');
  });
});

describe('ConfigAuditReport', () => {
  it('configauditreport_docs.yaml: failed checks only, per container scope; passes keep their keys', () => {
    const input = load('configauditreport_docs.yaml');
    const result = ok(normaliseConfigAuditReport(input, context));
    expectWellFormed(input, result);
    expect(result.keys).toHaveLength(5);
    expect(result.events.map((e) => [e.dedupKey, e.severity, e.title])).toEqual([
      ['trivy-config/prod/default/ReplicaSet/nginx-6d4cf56db6/notReadOnlyRootFilesystem/Container:nginx', 'LOW', 'Filesystem should be read only'],
      ['trivy-config/prod/default/ReplicaSet/nginx-6d4cf56db6/privilegeEscalationAllowed/Container:nginx', 'CRITICAL', 'Privilege escalation should not be allowed'],
    ]);
    expect(result.keys).toContain('trivy-config/prod/default/ReplicaSet/nginx-6d4cf56db6/hostPIDSet/');
    const [event] = result.events;
    expect(event).toMatchObject({
      source: 'TRIVY',
      category: 'MISCONFIGURATION',
      eventType: 'notReadOnlyRootFilesystem',
      resource: { cluster: 'prod', namespace: 'default', kind: 'ReplicaSet', name: 'nginx-6d4cf56db6' },
      occurredAt: '2021-05-20T12:38:10.000Z',
    });
    expect(event?.details as TrivyConfigAuditDetails).toEqual({
      kind: 'TRIVY_CONFIG_AUDIT',
      checkId: 'notReadOnlyRootFilesystem',
      title: null,
      description: null,
      category: 'Security',
      trivySeverity: 'LOW',
      messages: ['Filesystem should be read only'],
      remediation: null,
      scope: { type: 'Container', value: 'nginx' },
      // The docs' scanner name has a trailing space.
      scanner: { name: 'Trivy', version: '0.72.0' },
    });
  });

  it('configauditreport_envtest_fixture.yaml: four failed KSV checks on a Pod', () => {
    const input = load('configauditreport_envtest_fixture.yaml');
    const result = ok(normaliseTrivyReport(input, context));
    expectWellFormed(input, result);
    expect(result.events.map((e) => [e.eventType, e.severity, e.title])).toEqual([
      ['KSV001', 'MEDIUM', 'Can elevate its own privileges'],
      ['KSV003', 'LOW', 'Default capabilities: some containers do not drop all'],
      ['KSV011', 'LOW', 'CPU not limited'],
      ['KSV012', 'MEDIUM', 'Runs as root user'],
    ]);
    expect(result.events.every((e) => e.resource?.kind === 'Pod' && e.resource.name === 'my-pod' && e.resource.namespace === 'default')).toBe(true);
    expect(result.events[0]?.occurredAt).toBe('2026-01-02T03:04:05.678Z');
    expect(result.events[0]?.details).toMatchObject({
      remediation: "Set 'set containers[].securityContext.allowPrivilegeEscalation' to 'false'.",
      messages: ["Container 'app' of Pod 'my-pod' should set 'securityContext.allowPrivilegeEscalation' to false"],
    });
  });

  it('a check that now passes resolves as PASSED; one that disappeared as REMOVED', () => {
    const previous = ok(normaliseConfigAuditReport(load('configauditreport_envtest_fixture.yaml'), context));
    const next = load('configauditreport_envtest_fixture.yaml') as { report: { checks: Record<string, unknown>[] } };
    next.report.checks[0] = { ...next.report.checks[0], success: true };
    next.report.checks.pop();
    const current = ok(normaliseConfigAuditReport(next, context));
    const previousOpen = previous.events.map((e) => e.dedupKey);
    expect(resolvedKeys(previousOpen, current.events.map((e) => e.dedupKey))).toEqual([
      'trivy-config/prod/default/Pod/my-pod/KSV001/',
      'trivy-config/prod/default/Pod/my-pod/KSV012/',
    ]);
    expect(resolvedFindings(previousOpen, current)).toEqual([
      { key: 'trivy-config/prod/default/Pod/my-pod/KSV001/', reason: 'PASSED' },
      { key: 'trivy-config/prod/default/Pod/my-pod/KSV012/', reason: 'REMOVED' },
    ]);
  });

  it('rejects a check without success, naming the path', () => {
    const input = load('configauditreport_envtest_fixture.yaml') as { report: { checks: Record<string, unknown>[] } };
    delete input.report.checks[2]?.success;
    expect(reason(normaliseTrivyReport(input, context))).toBe('report.checks[2].success is required');
  });
});

describe('ClusterComplianceReport', () => {
  const NSA_KEYS = ['1.0', '1.2', '3.0', '7.0'].map((id) => `trivy-compliance/prod/nsa/${id}`);

  it('clustercompliancereport_nsa_detail_docs.yaml (reportType all): one BENCHMARK event per failed control', () => {
    const input = load('clustercompliancereport_nsa_detail_docs.yaml');
    const result = ok(normaliseClusterComplianceReport(input, context));
    expectWellFormed(input, result);
    expect(result.keys).toEqual(NSA_KEYS);
    expect(result.events.map((e) => [e.dedupKey, e.severity, e.title])).toEqual([
      [NSA_KEYS[0], 'MEDIUM', 'nsa 1.0: Non-root containers'],
      [NSA_KEYS[1], 'HIGH', 'nsa 1.2: Preventing privileged containers'],
      [NSA_KEYS[2], 'CRITICAL', 'nsa 3.0: Use CNI plugin that supports NetworkPolicy API (Manual)'],
      [NSA_KEYS[3], 'CRITICAL', 'nsa 7.0: Make sure anonymous-auth is unset'],
    ]);
    const [nonRoot, , cni] = result.events;
    expect(nonRoot).toMatchObject({ source: 'TRIVY', category: 'BENCHMARK', eventType: 'nsa/1.0', resource: null, occurredAt: '2022-12-05T08:43:10.000Z' });
    expect(nonRoot?.details as TrivyComplianceDetails).toEqual({
      kind: 'TRIVY_COMPLIANCE',
      reportName: 'nsa',
      reportType: 'all',
      specId: '0001',
      specTitle: 'nsa',
      specVersion: '1.0',
      controlId: '1.0',
      controlName: 'Non-root containers',
      controlDescription: 'Check that container is not running as root',
      trivySeverity: 'MEDIUM',
      manual: false,
      failedChecks: [
        {
          checkId: 'AVD-KSV-0012',
          target: 'kube-system/pod-etcd-kind-control-plane',
          title: 'Runs as root user',
          severity: 'MEDIUM',
          messages: ["'runAsNonRoot' forces the running image to run as a non-root user to ensure least privileges."],
        },
        {
          checkId: 'AVD-KSV-0012',
          target: 'kube-system/replicaset-coredns-558bd4d5db',
          title: 'Runs as root user',
          severity: 'MEDIUM',
          messages: ["'runAsNonRoot' forces the running image to run as a non-root user to ensure least privileges."],
        },
      ],
      totalFail: null,
    });
    // The manual control fails by its spec's defaultStatus, with no failed check behind it.
    expect(cni?.details).toMatchObject({ manual: true, failedChecks: [] });
  });

  it('clustercompliancereport_nsa_summary_docs.yaml (reportType summary): the same findings as the detail form', () => {
    const input = load('clustercompliancereport_nsa_summary_docs.yaml');
    const result = ok(normaliseTrivyReport(input, context));
    expectWellFormed(input, result);
    expect(result.keys).toEqual(NSA_KEYS);
    expect(result.events.map((e) => e.dedupKey)).toEqual(NSA_KEYS);
    expect(result.events.map((e) => [(e.details as TrivyComplianceDetails).totalFail, (e.details as TrivyComplianceDetails).manual])).toEqual([
      [8, false],
      [1, false],
      [null, true],
      [1, false],
    ]);
    const detail = ok(normaliseTrivyReport(load('clustercompliancereport_nsa_detail_docs.yaml'), context));
    expect(result.events.map((e) => [e.severity, e.title])).toEqual(detail.events.map((e) => [e.severity, e.title]));
    expect(result.events[0]?.occurredAt).toBe('2022-12-05T12:21:30.000Z');
  });

  it('a control that passes keeps its key and has no event', () => {
    const input = load('clustercompliancereport_nsa_summary_docs.yaml') as { status: { summaryReport: { controlCheck: Record<string, unknown>[] } } };
    input.status.summaryReport.controlCheck[1] = { ...input.status.summaryReport.controlCheck[1], totalFail: 0 };
    const result = ok(normaliseTrivyReport(input, context));
    expect(result.keys).toEqual(NSA_KEYS);
    expect(result.events.map((e) => e.dedupKey)).toEqual([NSA_KEYS[0], NSA_KEYS[2], NSA_KEYS[3]]);
  });

  it('a report the operator has not filled yet has nothing; a malformed one is rejected with the path', () => {
    const pending = load('clustercompliancereport_nsa_summary_docs.yaml');
    delete pending.status;
    expect(ok(normaliseTrivyReport(pending, context))).toEqual({ ok: true, events: [], keys: [] });

    const badSeverity = load('clustercompliancereport_nsa_detail_docs.yaml') as { spec: { compliance: { controls: Record<string, unknown>[] } } };
    badSeverity.spec.compliance.controls[3] = { ...badSeverity.spec.compliance.controls[3], severity: 'SEVERE' };
    expect(reason(normaliseTrivyReport(badSeverity, context))).toBe(
      'spec.compliance.controls[3].severity must be one of "CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN", got "SEVERE"',
    );
    const noSpec = load('clustercompliancereport_nsa_detail_docs.yaml');
    delete noSpec.spec;
    expect(reason(normaliseTrivyReport(noSpec, context))).toBe('spec is required');
  });
});

describe('every Trivy fixture together', () => {
  it('keys are unique across reports of different objects', () => {
    const files = [
      'vulnerabilityreport_docs_basic.yaml',
      'vulnerabilityreport_envtest_fixture.yaml',
      'configauditreport_docs.yaml',
      'configauditreport_envtest_fixture.yaml',
      // The summary fixture is the same report object (nsa) as the detail one, so the same keys.
      'clustercompliancereport_nsa_detail_docs.yaml',
    ];
    const keys = files.flatMap((f) => ok(normaliseTrivyReport(load(f), context)).keys);
    expect(keys).toHaveLength(2 + 1 + 5 + 4 + 4);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
