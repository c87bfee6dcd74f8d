import { describe, expect, it } from 'vitest';
import { tenantFilter } from '@vigil/lib/tenancy';
import { loadCatalogue } from '../src/catalogue.js';
import { evaluateCatalogue } from '../src/evaluate.js';
import type { EvidenceSnapshot } from '../src/evidence.js';
import { keyOfSubject, type StoredResult } from '../src/results.js';
import { ResultsView } from '../src/view.js';
import { debianHost, falcoEvent, kubeBenchEvents, kyvernoEvents, snapshot, trivyComplianceEvents } from './evidence-fixtures.js';

// Every control of the shipped catalogue scored from the shared real-format fixtures (test/fixtures/README.md).
const NOW = new Date('2026-03-01T12:00:00.000Z');
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000).toISOString();
const catalogue = loadCatalogue();

function evaluate(evidence: EvidenceSnapshot) {
  const { controls, errors } = evaluateCatalogue(catalogue, evidence, NOW);
  const byControl = new Map(controls.map((c) => [`${c.framework}/${c.id}`, c]));
  const result = (control: string, subject: string) => byControl.get(control)?.results.find((r) => keyOfSubject(r.subject) === subject);
  const stored: StoredResult[] = controls.flatMap((c) => c.results.map((r) => ({ ...r, framework: c.framework, controlId: c.id, controlTitle: c.title, since: NOW.toISOString() })));
  const view = new ResultsView(catalogue, stored, tenantFilter({ subject: 't', kind: 'service', roles: ['viewer'], tenants: null, expiresAt: null }), () => null, NOW.toISOString());
  return { byControl, result, errors, view };
}

const events = [
  ...kubeBenchEvents(NOW, 'prod', 'node-a'),
  // node-b: kube-bench once failed 4.2.1 there; it was fixed (resolved), and 4.1.1 still fails.
  ...kubeBenchEvents(NOW, 'staging', 'node-b')
    .filter((e) => e.eventType === '4.2.1' || e.eventType === '4.1.1')
    .map((e) => (e.eventType === '4.2.1' ? { ...e, resolvedAt: daysAgo(1) } : e)),
  ...trivyComplianceEvents(NOW, 'prod'),
  ...kyvernoEvents(NOW, 'prod'),
  falcoEvent(NOW, 'prod', 'node-a', 1),
];
const hosts = [debianHost(NOW, 'node-a', { env: 'prod' }), debianHost(NOW, 'web-1', { env: 'staging' }, [{ name: 'toor', uid: 0 }])];
const evidence = snapshot(NOW, {
  hosts: { ok: true, value: hosts },
  clusters: { ok: true, value: [{ name: 'prod', sources: [{ name: 'kube-bench', installed: true, lastSync: NOW.toISOString(), error: null }] }, { name: 'staging', sources: [] }, { name: 'dev', sources: [] }] },
  events: { ok: true, value: events },
});

describe('the shipped catalogue scores every control from evidence', () => {
  const { result, byControl, errors, view } = evaluate(evidence);

  it('CIS 4.2.1: kube-bench FAIL on a node is a FAIL for that node, with the benchmark version and the event as evidence', () => {
    const r = result('CIS_KUBERNETES/4.2.1', 'node:prod/node-a');
    expect(r?.status).toBe('FAIL');
    expect(r?.severity).toBe('HIGH');
    expect(r?.evidence[0]).toMatchObject({ satisfied: false, observed: 'FAIL', expected: 'PASS', hostId: 'node-a', reference: { kind: 'SECURITY_EVENT', securityEventId: 'kb-prod-node-a-4.2.1' } });
    expect(r?.evidence[0]?.summary).toContain('CIS 1.6');
    // Fixed on node-b: the resolved finding passes.
    expect(result('CIS_KUBERNETES/4.2.1', 'node:staging/node-b')?.status).toBe('PASS');
  });

  it('imports every other check kube-bench reports, per node; a check of a target that ran and is not failing passes', () => {
    expect(byControl.get('CIS_KUBERNETES/4.1.1')?.title).toContain('(1.6)');
    expect(result('CIS_KUBERNETES/4.1.1', 'node:prod/node-a')?.status).toBe('FAIL');
    expect(result('CIS_KUBERNETES/4.2.2', 'node:staging/node-b')?.status).toBe('PASS');
    expect(byControl.has('CIS_KUBERNETES/4.1.3')).toBe(false); // PASS in the report: no finding, no imported control
  });

  it('Trivy ClusterComplianceReport controls are imported as reported; the manual one is ERROR', () => {
    expect(result('TRIVY_COMPLIANCE/nsa-1.0/1.0', 'cluster:prod')).toMatchObject({ status: 'FAIL', evidence: [{ observed: 'FAIL (8)' }] });
    expect(result('TRIVY_COMPLIANCE/nsa-1.0/3.0', 'cluster:prod')?.status).toBe('ERROR');
  });

  it('Kyverno policy results per workload and namespace', () => {
    expect(result('KUBERNETES_POLICY/disallow-host-namespaces', 'workload:prod/kube-system/Pod/kube-apiserver-kind-control-plane')?.status).toBe('FAIL');
    expect(result('KUBERNETES_POLICY/disallow-host-namespaces', 'namespace:prod/kube-system')?.status).toBe('FAIL');
  });

  it('CM-8 per host; AC-6 fails an unexpected uid-0 account and is ERROR for clusters (bindings not collected)', () => {
    expect(result('NIST_800_53/CM-8', 'host:node-a')?.status).toBe('PASS');
    expect(result('NIST_800_53/AC-6', 'host:node-a')?.status).toBe('PASS');
    expect(result('NIST_800_53/AC-6', 'host:web-1')).toMatchObject({ status: 'FAIL', evidence: [{ observed: 'uid 0: root, toor' }] });
    expect(result('NIST_800_53/AC-6', 'cluster:prod')?.status).toBe('ERROR');
  });

  it('CM-6: the captured nftables input policy (drop) passes; a node with a scored kube-bench FAIL fails. CM-7: ports outside the allow-list fail', () => {
    expect(result('NIST_800_53/CM-6', 'host:node-a')?.status).toBe('PASS');
    expect(result('NIST_800_53/CM-6', 'node:prod/node-a')?.status).toBe('FAIL');
    const cm7 = result('NIST_800_53/CM-7', 'host:node-a');
    expect(cm7?.status).toBe('FAIL');
    expect(cm7?.evidence[0]?.observed).toContain('tcp/8080');
    expect(cm7?.evidence[0]?.observed).not.toContain('5432'); // loopback only
  });

  it('SI-4: a node with a recent Falco event passes, a node without fails, a cluster with no reporting node fails', () => {
    expect(result('NIST_800_53/SI-4', 'node:prod/node-a')?.status).toBe('PASS');
    expect(result('NIST_800_53/SI-4', 'node:staging/node-b')?.status).toBe('FAIL');
    expect(result('NIST_800_53/SI-4', 'cluster:dev')?.status).toBe('FAIL');
  });

  it('mappings read through the evaluated controls: ISO A.8.9 is the worst of CM-6 and CM-7 per subject', () => {
    const a89 = view.control('ISO_27001', 'A.8.9');
    expect(a89?.mapsTo).toEqual([{ framework: 'NIST_800_53', id: 'CM-6' }, { framework: 'NIST_800_53', id: 'CM-7' }]);
    const host = view.results(a89!).find((r) => keyOfSubject(r.subject) === 'host:node-a');
    expect(host?.viewStatus).toBe('FAIL');
    expect(host?.evidence.map((e) => e.source)).toEqual(expect.arrayContaining([expect.stringMatching(/^NIST_800_53 CM-6/), expect.stringMatching(/^NIST_800_53 CM-7/)]));
    expect(view.results(view.control('CMMC_L2', '3.12.4')!).find((r) => keyOfSubject(r.subject) === 'host:web-1')?.viewStatus).toBe('PASS');
  });

  it('OWASP LLM controls nothing maps to are NOT_APPLICABLE with the reason', () => {
    expect(byControl.get('OWASP_LLM/LLM01')?.results).toMatchObject([{ subject: null, status: 'NOT_APPLICABLE', evidence: [{ summary: expect.stringContaining('OWASP_LLM:LLM01') }] }]);
    expect(errors).toEqual([]);
  });

  it('no catalogue control is left without a result', () => {
    for (const control of catalogue.controls) expect(view.results(view.control(control.framework, control.id)!).length, `${control.framework}/${control.id}`).toBeGreaterThan(0);
  });
});

describe('vulnerabilities (RA-5, SI-2)', () => {
  const vuln = (id: string, severity: 'CRITICAL' | 'HIGH' | 'MEDIUM', firstSeenDaysAgo: number, fixedVersion: string | null) => ({
    id: `vuln-${id}`,
    source: 'TRIVY',
    severity,
    eventType: id,
    title: id,
    cluster: 'prod',
    resource: { cluster: 'prod', namespace: 'shop', kind: 'Deployment', name: 'api' },
    hostname: null,
    firstSeen: daysAgo(firstSeenDaysAgo),
    lastSeen: daysAgo(0),
    resolvedAt: null,
    details: { kind: 'TRIVY_VULNERABILITY' as const, vulnerabilityId: id, pkgName: 'openssl', installedVersion: '3.0.1', fixedVersion },
  });

  it('a Critical finding with a fix open longer than 30 days fails the workload and the affected host; a young one passes', () => {
    const { result } = evaluate(
      snapshot(NOW, {
        hosts: { ok: true, value: [debianHost(NOW, 'web-1'), debianHost(NOW, 'web-2')] },
        events: { ok: true, value: [vuln('CVE-2099-1', 'CRITICAL', 45, '3.0.2'), vuln('CVE-2099-2', 'HIGH', 3, '3.0.2'), vuln('CVE-2099-3', 'CRITICAL', 90, null)] },
        hostVulnerabilities: { ok: true, value: [{ vulnerabilityId: 'CVE-2099-1', severity: 'CRITICAL', hostId: 'web-1', packageName: 'openssl', installedVersion: '3.0.1', fixedVersion: '3.0.2', fixKnownSince: daysAgo(45) }] },
      }),
    );
    const workload = result('NIST_800_53/RA-5', 'workload:prod/shop/Deployment/api');
    expect(workload?.status).toBe('FAIL');
    expect(workload?.severity).toBe('CRITICAL');
    expect(workload?.evidence.map((e) => e.reference)).toEqual([{ kind: 'SECURITY_EVENT', securityEventId: 'vuln-CVE-2099-1' }]);
    expect(result('NIST_800_53/RA-5', 'host:web-1')?.status).toBe('FAIL');
    expect(result('NIST_800_53/RA-5', 'host:web-2')?.status).toBe('PASS');
    expect(result('NIST_800_53/SI-2', 'host:web-1')?.evidence[0]).toMatchObject({ observed: 'openssl 3.0.1', expected: 'openssl >= 3.0.2', reference: { kind: 'HOST_FACT', hostId: 'web-1', fact: 'packages', key: 'openssl' } });
    // SI-2 scores hosts only.
    expect(result('NIST_800_53/SI-2', 'workload:prod/shop/Deployment/api')).toBeUndefined();
  });
});

describe('audit (AU-2, AU-12)', () => {
  it('scores each cluster from auditPolicyCoverage: no records fails AU-12, a coverage finding fails AU-2', () => {
    const { result } = evaluate(
      snapshot(NOW, {
        auditCoverage: {
          ok: true,
          value: {
            from: daysAgo(1),
            to: NOW.toISOString(),
            clusters: [
              { cluster: 'prod', expected: true, total: 1200, satisfied: false, findings: [{ kind: 'LEVEL_BELOW_MINIMUM', group: 'rbac-writes', message: 'rbac-writes recorded at Metadata, below RequestResponse.' }] },
              { cluster: 'staging', expected: true, total: 0, satisfied: false, findings: [] },
            ],
          },
        },
      }),
    );
    expect(result('NIST_800_53/AU-12', 'cluster:prod')?.status).toBe('PASS');
    expect(result('NIST_800_53/AU-12', 'cluster:staging')?.status).toBe('FAIL');
    expect(result('NIST_800_53/AU-2', 'cluster:prod')).toMatchObject({ status: 'FAIL', evidence: [{ observed: 'LEVEL_BELOW_MINIMUM', reference: { kind: 'AUDIT_QUERY', query: 'auditPolicyCoverage' } }] });
  });

  it('evidence that could not be gathered is ERROR, never FAIL', () => {
    const { byControl } = evaluate(snapshot(NOW, { auditCoverage: { ok: false, error: 'VictoriaLogs unreachable' }, hosts: { ok: false, error: 'gateway 503' } }));
    expect(byControl.get('NIST_800_53/AU-2')?.results).toMatchObject([{ subject: null, status: 'ERROR', evidence: [{ summary: expect.stringContaining('VictoriaLogs unreachable') }] }]);
    expect(byControl.get('NIST_800_53/CM-8')?.results).toMatchObject([{ subject: null, status: 'ERROR' }]);
  });
});

describe("the organisation's own mappings", () => {
  it('a Kyverno policy whose category names a control, and a Falco rule tagged with one, score it with no catalogue change', () => {
    const { result, byControl } = evaluate(
      snapshot(NOW, { events: { ok: true, value: [...kyvernoEvents(NOW, 'ai', 'Best Practices, OWASP_LLM:LLM04'), falcoEvent(NOW, 'ai', 'gpu-1', 2, ['OWASP_LLM:LLM10']), falcoEvent(NOW, 'ai', 'gpu-2', 30, ['OWASP_LLM:LLM10'])] } }),
    );
    expect(result('OWASP_LLM/LLM04', 'workload:ai/kube-system/Pod/kube-apiserver-kind-control-plane')?.status).toBe('FAIL');
    const llm10 = byControl.get('OWASP_LLM/LLM10')?.results ?? [];
    expect(llm10.map((r) => r.status)).toEqual(['FAIL']); // both events are on the same pod: the recent one fails it
    expect(llm10[0]?.evidence.map((e) => e.satisfied)).toEqual([false]);
  });
});
