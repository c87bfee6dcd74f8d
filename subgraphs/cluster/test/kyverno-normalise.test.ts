import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { KYVERNO_RESULT_SEVERITY, KYVERNO_SEVERITY, normaliseKyvernoReport } from '../src/sources/kyverno/normalise.js';
import { isEnforcePolicy, wildcardMatch } from '../src/sources/kyverno/policy.js';
import type { KyvernoPolicyDetails } from '../src/sources/kyverno/policy-report.js';
import type { ReportNormalisation, ReportNormaliseResult } from '../src/sources/report-common.js';
import { resolvedFindings } from '../src/sources/resolution.js';

// Samples: test/fixtures/kyverno/README.md (copied from the shared fixtures; sources in SOURCES.md).
const text = (name: string) => readFileSync(new URL(`./fixtures/kyverno/${name}`, import.meta.url), 'utf8');
const load = (name: string): Record<string, unknown> => parse(text(name)) as Record<string, unknown>;

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
  expect(ok(normaliseKyvernoReport(structuredClone(input), context))).toEqual(result);
}

type Results = { results: Record<string, unknown>[] };

describe('Kyverno severity tables', () => {
  it('uses the result severity when present, else the outcome', () => {
    expect(KYVERNO_SEVERITY).toEqual({ critical: 'CRITICAL', high: 'HIGH', medium: 'MEDIUM', low: 'LOW', info: 'INFO' });
    expect(KYVERNO_RESULT_SEVERITY).toEqual({ fail: 'MEDIUM', warn: 'LOW', error: 'HIGH' });
  });
});

describe('normaliseKyvernoReport: every Kyverno report fixture', () => {
  it('policyreport_pod_pass_fail_docs.yaml: the fail is an event, the pass only a key', () => {
    const input = load('policyreport_pod_pass_fail_docs.yaml');
    const result = ok(normaliseKyvernoReport(input, context));
    expectWellFormed(input, result);
    expect(result.keys).toEqual([
      'kyverno/prod/kube-system/Pod/kube-apiserver-kind-control-plane/disallow-capabilities/adding-capabilities',
      'kyverno/prod/kube-system/Pod/kube-apiserver-kind-control-plane/disallow-host-namespaces/host-namespaces',
    ]);
    expect(result.events).toHaveLength(1);
    const [event] = result.events;
    expect(event).toMatchObject({
      dedupKey: 'kyverno/prod/kube-system/Pod/kube-apiserver-kind-control-plane/disallow-host-namespaces/host-namespaces',
      source: 'KYVERNO',
      category: 'POLICY',
      severity: 'MEDIUM',
      eventType: 'disallow-host-namespaces/host-namespaces',
      title: 'Policy disallow-host-namespaces rule host-namespaces failed',
      cluster: 'prod',
      resource: { cluster: 'prod', namespace: 'kube-system', kind: 'Pod', name: 'kube-apiserver-kind-control-plane' },
      hostname: null,
      occurredAt: '2023-12-06T13:19:22.000Z',
    });
    expect(event?.details as KyvernoPolicyDetails).toEqual({
      kind: 'KYVERNO_POLICY',
      policy: 'disallow-host-namespaces',
      rule: 'host-namespaces',
      result: 'fail',
      message:
        'validation error: Sharing the host namespaces is disallowed. The fields spec.hostNetwork, spec.hostIPC, and spec.hostPID must be unset or set to `false`. rule host-namespaces failed at path /spec/hostNetwork/',
      category: 'Pod Security Standards (Baseline)',
      severity: 'medium',
      scored: true,
      properties: {},
      source: 'kyverno',
      reportApiVersion: 'wgpolicyk8s.io/v1alpha2',
      reportKind: 'PolicyReport',
    });
    expect(event?.raw).toMatchObject({
      report: { kind: 'PolicyReport', namespace: 'kube-system', name: '487df031-11d8-4ab4-b089-dfc0db1e533e', uid: '0ec04a57-4c3d-492d-9278-951cd1929fe3', resourceVersion: '720507' },
      record: { policy: 'disallow-host-namespaces', result: 'fail' },
    });
  });

  it('clusterpolicyreport_namespace_pass_skip_docs.yaml (two documents): pass and skip give keys, no events; Namespace is cluster-scoped', () => {
    const documents = parseAllDocuments(text('clusterpolicyreport_namespace_pass_skip_docs.yaml')).map((d) => d.toJS() as unknown);
    expect(documents).toHaveLength(2);
    const results = documents.map((d) => ok(normaliseKyvernoReport(d, context)));
    for (const [i, r] of results.entries()) expectWellFormed(documents[i], r);
    expect(results.map((r) => r.events)).toEqual([[], []]);
    expect(results.map((r) => r.keys)).toEqual([
      ['kyverno/prod//Namespace/production/generate-configmap/generate-configmap'],
      ['kyverno/prod//Namespace/testing/generate-configmap/generate-configmap'],
    ]);
  });

  it('clusterpolicyreport_cli_merged_fail_docs.yaml (kyverno apply): resources[] instead of scope, no rule, no severity', () => {
    const input = load('clusterpolicyreport_cli_merged_fail_docs.yaml');
    const result = ok(normaliseKyvernoReport(input, context));
    expectWellFormed(input, result);
    expect(result.keys).toEqual(['kyverno/prod/staging/Deployment/nginx-1/check-deployment-replicas/']);
    expect(result.events[0]).toMatchObject({
      severity: 'MEDIUM',
      eventType: 'check-deployment-replicas',
      title: 'Policy check-deployment-replicas failed',
      resource: { cluster: 'prod', namespace: 'staging', kind: 'Deployment', name: 'nginx-1' },
      occurredAt: '2024-02-08T12:21:11.000Z',
    });
    expect(result.events[0]?.details).toMatchObject({ rule: null, severity: null, message: 'failed expression: object.spec.replicas <= 5', scored: true });
  });

  it('a CLI result naming several resources is one event per resource', () => {
    const input = load('clusterpolicyreport_cli_merged_fail_docs.yaml') as Results;
    const [result] = input.results;
    const resources = result?.resources as Record<string, unknown>[];
    resources.push({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'nginx-2', namespace: 'staging' }, { apiVersion: 'v1', kind: 'Namespace', name: 'staging' });
    const out = ok(normaliseKyvernoReport(input, context));
    expect(out.events.map((e) => e.dedupKey)).toEqual([
      'kyverno/prod/staging/Deployment/nginx-1/check-deployment-replicas/',
      'kyverno/prod/staging/Deployment/nginx-2/check-deployment-replicas/',
      'kyverno/prod//Namespace/staging/check-deployment-replicas/',
    ]);
  });

  it('openreports_report_list_docs.yaml: supported (openreports.io/v1alpha1 Report inside a v1 List)', () => {
    const input = load('openreports_report_list_docs.yaml');
    const result = ok(normaliseKyvernoReport(input, context));
    expectWellFormed(input, result);
    // A namespaced Policy is `<namespace>/<name>` there; the `/` is escaped inside its key segment.
    expect(result.keys).toEqual(['kyverno/prod/default/Pod/example-deployment-c94dc9f47-dfq6l/default%2Frequire-app-label/check-app-label']);
    expect(result.events[0]).toMatchObject({
      severity: 'MEDIUM',
      title: 'Policy default/require-app-label rule check-app-label failed',
      resource: { cluster: 'prod', namespace: 'default', kind: 'Pod', name: 'example-deployment-c94dc9f47-dfq6l' },
      occurredAt: '2028-08-05T01:06:37.000Z',
    });
    expect(result.events[0]?.details).toMatchObject({
      reportApiVersion: 'openreports.io/v1alpha1',
      reportKind: 'Report',
      properties: { process: 'background scan' },
    });
  });

  it('warn and error results without a severity: LOW and HIGH', () => {
    const input = load('policyreport_pod_pass_fail_docs.yaml') as Results;
    input.results = input.results.map(({ severity: _severity, ...r }, i) => ({ ...r, result: i === 0 ? 'warn' : 'error' }));
    const out = ok(normaliseKyvernoReport(input, context));
    expect(out.events.map((e) => [e.severity, e.title])).toEqual([
      ['LOW', 'Policy disallow-capabilities rule adding-capabilities warned'],
      ['HIGH', 'Policy disallow-host-namespaces rule host-namespaces errored'],
    ]);
  });

  it('the result severity wins over the outcome', () => {
    const input = load('policyreport_pod_pass_fail_docs.yaml') as Results;
    input.results[1] = { ...input.results[1], severity: 'critical', result: 'warn' };
    expect(ok(normaliseKyvernoReport(input, context)).events[0]?.severity).toBe('CRITICAL');
  });

  it('a PolicyReport scope without a namespace takes the report namespace; a result without resource has none', () => {
    const scoped = load('policyreport_pod_pass_fail_docs.yaml') as { scope: Record<string, unknown> };
    delete scoped.scope.namespace;
    expect(ok(normaliseKyvernoReport(scoped, context)).events[0]?.resource?.namespace).toBe('kube-system');
    const unscoped = load('policyreport_pod_pass_fail_docs.yaml');
    delete unscoped.scope;
    const out = ok(normaliseKyvernoReport(unscoped, context));
    expect(out.events[0]?.resource).toBeNull();
    expect(out.events[0]?.dedupKey).toBe('kyverno/prod////disallow-host-namespaces/host-namespaces');
  });

  it('a rule that now passes resolves its earlier failure; keys are stable across report updates', () => {
    const failing = ok(normaliseKyvernoReport(load('policyreport_pod_pass_fail_docs.yaml'), context));
    const fixed = load('policyreport_pod_pass_fail_docs.yaml') as Results & { metadata: Record<string, unknown> };
    fixed.results[1] = { ...fixed.results[1], result: 'pass', timestamp: { seconds: 1701999999, nanos: 0 } };
    fixed.metadata.resourceVersion = '720999';
    const now = ok(normaliseKyvernoReport(fixed, context));
    expect(now.keys).toEqual(failing.keys);
    expect(now.events).toEqual([]);
    expect(resolvedFindings(failing.events.map((e) => e.dedupKey), now)).toEqual([{ key: failing.events[0]?.dedupKey, reason: 'PASSED' }]);
  });

  it('keys are unique across every fixture report', () => {
    const reports = [
      load('policyreport_pod_pass_fail_docs.yaml'),
      ...parseAllDocuments(text('clusterpolicyreport_namespace_pass_skip_docs.yaml')).map((d) => d.toJS() as unknown),
      load('clusterpolicyreport_cli_merged_fail_docs.yaml'),
      load('openreports_report_list_docs.yaml'),
    ];
    const keys = reports.flatMap((r) => ok(normaliseKyvernoReport(r, context)).keys);
    expect(keys).toHaveLength(2 + 1 + 1 + 1 + 1);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('rejects malformed reports, naming the path', () => {
    const badResult = load('policyreport_pod_pass_fail_docs.yaml') as Results;
    badResult.results[1] = { ...badResult.results[1], result: 'failed' };
    expect(reason(normaliseKyvernoReport(badResult, context))).toBe('results[1].result must be one of "pass", "fail", "warn", "error", "skip", got "failed"');

    const noPolicy = load('policyreport_pod_pass_fail_docs.yaml') as Results;
    delete noPolicy.results[0]?.policy;
    expect(reason(normaliseKyvernoReport(noPolicy, context))).toBe('results[0].policy is required');

    const badSeverity = load('policyreport_pod_pass_fail_docs.yaml') as Results;
    badSeverity.results[0] = { ...badSeverity.results[0], severity: 'MEDIUM' };
    expect(reason(normaliseKyvernoReport(badSeverity, context))).toBe(
      'results[0].severity must be one of "critical", "high", "medium", "low", "info", got "MEDIUM"',
    );

    const badList = load('openreports_report_list_docs.yaml') as { items: Results[] };
    badList.items[0]?.results.push({ policy: 'x', result: 'fail', timestamp: { seconds: -1, nanos: 0 } });
    expect(reason(normaliseKyvernoReport(badList, context))).toBe('items[0].results[1].timestamp.seconds must be at least 0, got -1');

    const mixed = load('openreports_report_list_docs.yaml') as { items: Record<string, unknown>[] };
    mixed.items[0] = { ...mixed.items[0], kind: 'PolicyReport' };
    expect(reason(normaliseKyvernoReport(mixed, context))).toBe('items[0].kind must be one of Report, ClusterReport for openreports.io/v1alpha1, got "PolicyReport"');

    // A policy is not a report.
    expect(reason(normaliseKyvernoReport(load('clusterpolicy_disallow-privileged-containers.yaml'), context))).toBe(
      'apiVersion must be one of "wgpolicyk8s.io/v1alpha2", "wgpolicyk8s.io/v1beta1", "openreports.io/v1alpha1", got "kyverno.io/v1"',
    );
    expect(reason(normaliseKyvernoReport('report', context))).toBe('the report must be an object, got "report"');
  });
});

describe('isEnforcePolicy: the report does not say, the policy does', () => {
  it('clusterpolicy_*.yaml: both library policies are Audit', () => {
    expect(isEnforcePolicy(load('clusterpolicy_disallow-privileged-containers.yaml'))).toBe(false);
    expect(isEnforcePolicy(load('clusterpolicy_require-pod-requests-limits.yaml'), { rule: 'validate-resources', namespace: 'default' })).toBe(false);
  });

  it('validationFailureAction Enforce (either case), its namespace overrides, and per-rule failureAction', () => {
    const policy = load('clusterpolicy_disallow-privileged-containers.yaml') as { spec: Record<string, unknown> & { rules: { validate: Record<string, unknown> }[] } };
    policy.spec.validationFailureAction = 'Enforce';
    expect(isEnforcePolicy(policy)).toBe(true);
    policy.spec.validationFailureAction = 'enforce';
    expect(isEnforcePolicy(policy, { rule: 'privileged-containers' })).toBe(true);

    policy.spec.validationFailureActionOverrides = [{ action: 'Audit', namespaces: ['kube-*', 'dev?'] }];
    expect(isEnforcePolicy(policy, { namespace: 'kube-system' })).toBe(false);
    expect(isEnforcePolicy(policy, { namespace: 'dev1' })).toBe(false);
    expect(isEnforcePolicy(policy, { namespace: 'production' })).toBe(true);

    // Kyverno 1.13+: the rule's own failureAction wins over the policy-level fields.
    const [rule] = policy.spec.rules;
    if (!rule) throw new Error('fixture has a rule');
    rule.validate.failureAction = 'Audit';
    expect(isEnforcePolicy(policy, { rule: 'privileged-containers', namespace: 'production' })).toBe(false);
    rule.validate.failureActionOverrides = [{ action: 'Enforce', namespaces: ['production'] }];
    expect(isEnforcePolicy(policy, { rule: 'privileged-containers', namespace: 'production' })).toBe(true);
  });

  it('ValidatingPolicy: validationActions with Deny', () => {
    const policy = { apiVersion: 'policies.kyverno.io/v1alpha1', kind: 'ValidatingPolicy', spec: { validationActions: ['Audit'] } };
    expect(isEnforcePolicy(policy)).toBe(false);
    expect(isEnforcePolicy({ ...policy, spec: { validationActions: ['Deny'] } })).toBe(true);
  });

  it('throws on what is not a Kyverno policy, naming the path', () => {
    expect(() => isEnforcePolicy(load('policyreport_pod_pass_fail_docs.yaml'))).toThrow(
      'not a Kyverno policy: apiVersion must be a kyverno.io or policies.kyverno.io API version',
    );
    const policy = load('clusterpolicy_disallow-privileged-containers.yaml') as { spec: Record<string, unknown> };
    policy.spec.validationFailureAction = 'Block';
    expect(() => isEnforcePolicy(policy)).toThrow('not a Kyverno policy: spec.validationFailureAction must be Enforce or Audit');
  });

  it('wildcards match as Kyverno does', () => {
    expect(wildcardMatch('kube-*', 'kube-system')).toBe(true);
    expect(wildcardMatch('dev?', 'dev12')).toBe(false);
    expect(wildcardMatch('a.b', 'axb')).toBe(false);
  });
});
