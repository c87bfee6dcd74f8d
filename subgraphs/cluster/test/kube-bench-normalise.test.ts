import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { KubeBenchDetails } from '../src/sources/kube-bench/kube-bench-report.js';
import { kubeBenchSeverity, normaliseKubeBench, type KubeBenchContext } from '../src/sources/kube-bench/normalise.js';
import type { ReportNormalisation, ReportNormaliseResult } from '../src/sources/report-common.js';
import { resolvedFindings } from '../src/sources/resolution.js';

// Samples: test/fixtures/kube-bench/README.md (copied from the shared fixtures; sources in SOURCES.md).
const load = (name: string): unknown => JSON.parse(readFileSync(new URL(`./fixtures/kube-bench/${name}`, import.meta.url), 'utf8'));

const observedAt = new Date('2026-01-02T03:04:05.678Z');
const context: KubeBenchContext = { cluster: 'prod', node: 'kind-control-plane', observedAt };

function ok(result: ReportNormaliseResult): ReportNormalisation {
  if (!result.ok) throw new Error(`expected to normalise, got: ${result.reason}`);
  return result;
}
function reason(result: ReportNormaliseResult): string {
  if (result.ok) throw new Error('expected a rejection');
  return result.reason;
}
function expectWellFormed(input: unknown, result: ReportNormalisation, ctx: KubeBenchContext = context): void {
  expect(new Set(result.keys).size).toBe(result.keys.length);
  expect(new Set(result.events.map((e) => e.dedupKey)).size).toBe(result.events.length);
  for (const e of result.events) expect(result.keys).toContain(e.dedupKey);
  expect(ok(normaliseKubeBench(structuredClone(input), ctx))).toEqual(result);
}
const keyOf = (test: string, node = 'kind-control-plane') => `kube-bench/prod/${node}/${test}`;

type Controls = { tests: { results: Record<string, unknown>[] }[] }[];

describe('kube-bench severity table', () => {
  it('FAIL scored HIGH, FAIL unscored MEDIUM, WARN LOW', () => {
    expect(kubeBenchSeverity('FAIL', true)).toBe('HIGH');
    expect(kubeBenchSeverity('FAIL', false)).toBe('MEDIUM');
    expect(kubeBenchSeverity('WARN', true)).toBe('LOW');
    expect(kubeBenchSeverity('WARN', false)).toBe('LOW');
  });
});

describe('normaliseKubeBench: every kube-bench fixture', () => {
  it('kube-bench_cis-1.6_master_trimmed.json: three scored FAILs and a WARN; passes only as keys', () => {
    const input = load('kube-bench_cis-1.6_master_trimmed.json');
    const result = ok(normaliseKubeBench(input, context));
    expectWellFormed(input, result);
    expect(result.keys).toEqual(['1.1.1', '1.1.2', '1.1.3', '1.2.1', '1.2.2', '1.2.3'].map((t) => keyOf(t)));
    expect(result.events.map((e) => [e.eventType, e.severity])).toEqual([
      ['1.1.1', 'HIGH'],
      ['1.1.2', 'HIGH'],
      ['1.1.3', 'HIGH'],
      ['1.2.1', 'LOW'],
    ]);
    const [first] = result.events;
    expect(first).toMatchObject({
      dedupKey: 'kube-bench/prod/kind-control-plane/1.1.1',
      source: 'KUBE_BENCH',
      category: 'BENCHMARK',
      cluster: 'prod',
      resource: { cluster: 'prod', namespace: '', kind: 'Node', name: 'kind-control-plane' },
      hostname: 'kind-control-plane',
      occurredAt: '2026-01-02T03:04:05.678Z',
    });
    expect(first?.title).toMatch(/^1\.1\.1 Ensure that the API server pod specification file permissions are set to 644 or more restrictive/);
    const details = first?.details as KubeBenchDetails;
    expect(details).toMatchObject({
      kind: 'KUBE_BENCH',
      testNumber: '1.1.1',
      status: 'FAIL',
      scored: true,
      section: { id: '1.1', text: 'Master Node Configuration Files' },
      controls: { id: '1', text: 'Master Node Security Configuration' },
      nodeType: 'master',
      version: '1.6',
      detectedVersion: null,
    });
    expect(details.remediation).toContain('chmod 644');
    expect(first?.raw).toMatchObject({ report: null, record: { test_number: '1.1.1', status: 'FAIL' } });
  });

  it('kube-bench_cis-1.6_node_trimmed.json: five scored FAILs on a worker node', () => {
    const input = load('kube-bench_cis-1.6_node_trimmed.json');
    const ctx = { ...context, node: 'kind-worker' };
    const result = ok(normaliseKubeBench(input, ctx));
    expectWellFormed(input, result, ctx);
    expect(result.keys).toEqual(['4.1.1', '4.1.2', '4.1.3', '4.2.1', '4.2.2', '4.2.3'].map((t) => keyOf(t, 'kind-worker')));
    expect(result.events.map((e) => [e.eventType, e.severity])).toEqual([
      ['4.1.1', 'HIGH'],
      ['4.1.2', 'HIGH'],
      ['4.2.1', 'HIGH'],
      ['4.2.2', 'HIGH'],
      ['4.2.3', 'HIGH'],
    ]);
    expect(result.events.every((e) => e.resource?.name === 'kind-worker' && e.hostname === 'kind-worker')).toBe(true);
    expect(result.events[2]?.details).toMatchObject({ nodeType: 'node', section: { id: '4.2', text: 'Kubelet' } });
  });

  it('kube-bench_testdata_result.json (object form, three targets): one manual WARN', () => {
    const input = load('kube-bench_testdata_result.json');
    const result = ok(normaliseKubeBench(input, context));
    expectWellFormed(input, result);
    expect(result.keys).toEqual([keyOf('1.1.1'), keyOf('2.1'), keyOf('3.1.1')]);
    expect(result.events).toHaveLength(1);
    expect(result.events[0]).toMatchObject({ eventType: '3.1.1', severity: 'LOW', title: '3.1.1 Client certificate authentication should not be used for users (Not Scored)' });
    expect(result.events[0]?.details).toMatchObject({
      status: 'WARN',
      scored: false,
      reason: 'Test marked as a manual test',
      testType: 'manual',
      nodeType: 'controlplane',
      version: '1.5',
      section: { id: '3.1', text: 'Authentication and Authorization' },
    });
  });

  it('kube-bench_testdata_result_no_totals.json (--noTotals array form): the same as the object form', () => {
    const input = load('kube-bench_testdata_result_no_totals.json');
    expect(Array.isArray(input)).toBe(true);
    const result = ok(normaliseKubeBench(input, context));
    expectWellFormed(input, result);
    const objectForm = ok(normaliseKubeBench(load('kube-bench_testdata_result.json'), context));
    expect(result.keys).toEqual(objectForm.keys);
    expect(result.events).toEqual(objectForm.events);
  });

  it('an unscored FAIL is MEDIUM; a fix resolves as PASSED; keys do not depend on the run', () => {
    const before = ok(normaliseKubeBench(load('kube-bench_cis-1.6_master_trimmed.json'), context));
    const input = load('kube-bench_cis-1.6_master_trimmed.json') as { Controls: Controls };
    const results = input.Controls[0]?.tests[0]?.results ?? [];
    results[0] = { ...results[0], scored: false };
    results[1] = { ...results[1], status: 'PASS' };
    const after = ok(normaliseKubeBench(input, { ...context, observedAt: new Date('2026-02-01T00:00:00Z') }));
    expect(after.keys).toEqual(before.keys);
    expect(after.events[0]?.severity).toBe('MEDIUM');
    expect(after.events[0]?.occurredAt).toBe('2026-02-01T00:00:00.000Z');
    expect(resolvedFindings(before.events.map((e) => e.dedupKey), after)).toEqual([{ key: keyOf('1.1.2'), reason: 'PASSED' }]);
  });

  it('keys are unique across nodes and the ConfigMap is kept for lineage', () => {
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'kube-bench', name: 'kube-bench-kind-worker', uid: 'u1', resourceVersion: '7' };
    const worker = ok(normaliseKubeBench(load('kube-bench_cis-1.6_node_trimmed.json'), { ...context, node: 'kind-worker', configMap }));
    const worker2 = ok(normaliseKubeBench(load('kube-bench_cis-1.6_node_trimmed.json'), { ...context, node: 'kind-worker2' }));
    const master = ok(normaliseKubeBench(load('kube-bench_cis-1.6_master_trimmed.json'), context));
    const keys = [...worker.keys, ...worker2.keys, ...master.keys];
    expect(new Set(keys).size).toBe(18);
    expect(worker.events[0]?.raw).toMatchObject({ report: configMap });
    // A node name with a slash cannot run into the test number.
    expect(ok(normaliseKubeBench(load('kube-bench_testdata_result.json'), { ...context, node: 'a/b' })).keys[0]).toBe('kube-bench/prod/a%2Fb/1.1.1');
  });

  it('rejects malformed output, naming the path', () => {
    const badStatus = load('kube-bench_testdata_result.json') as { Controls: Controls };
    const r = badStatus.Controls[2]?.tests[0]?.results;
    if (r) r[0] = { ...r[0], status: 'ERROR' };
    expect(reason(normaliseKubeBench(badStatus, context))).toBe('Controls[2].tests[0].results[0].status must be one of "PASS", "FAIL", "WARN", "INFO", got "ERROR"');

    const noScored = load('kube-bench_testdata_result_no_totals.json') as Controls;
    delete noScored[1]?.tests[0]?.results[0]?.scored;
    expect(reason(normaliseKubeBench(noScored, context))).toBe('[1].tests[0].results[0].scored is required');

    expect(reason(normaliseKubeBench({ Totals: {} }, context))).toBe('Controls is required');
    expect(reason(normaliseKubeBench('PASS', context))).toBe(
      'the report must be kube-bench JSON (an object with Controls, or the --noTotals array), got "PASS"',
    );
    expect(reason(normaliseKubeBench(load('kube-bench_testdata_result.json'), { ...context, node: ' ' }))).toBe(
      'node must not be empty: name the node the run was on',
    );
  });
});
