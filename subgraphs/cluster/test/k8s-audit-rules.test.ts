import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { auditRulesConfig } from '../src/config-audit.js';
import { parseAuditEventList, type AuditEvent } from '../src/sources/k8s-audit/audit-event.js';
import { auditDetails } from '../src/sources/k8s-audit/normalise.js';
import { failureRateAlert, requestRuleAlert, silenceAlert, silenceResolvedAlert } from '../src/sources/k8s-audit/rule-alerts.js';
import {
  countRequests,
  failureRateExceeded,
  matchRequestRules,
  pathMatches,
  recordKey,
  ruleOnceKey,
  userMatches,
  type RequestRuleId,
} from '../src/sources/k8s-audit/rules.js';

// Samples: test/fixtures/k8s-audit/README.md (copied from the shared fixtures; sources in SOURCES.md).
const fixture = (name: string) => readFileSync(new URL(`./fixtures/k8s-audit/${name}`, import.meta.url), 'utf8');
const CLUSTER = 'prod-eu-1';
const DEFAULTS = auditRulesConfig.parse({});

function parse(records: unknown[]): AuditEvent[] {
  const parsed = parseAuditEventList(JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: records }));
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.events;
}
const minikube = parse(fixture('audit-log_minikube_k8s-1.29.jsonl').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown));
const one = (name: string) => parse([JSON.parse(fixture(name)) as unknown])[0] as AuditEvent;
const saSecretGet = minikube[6] as AuditEvent;
const execStarted = minikube[5] as AuditEvent;
const execCompleted = minikube[7] as AuditEvent;
const anonymousNamespace = one('falco-trace-fixtures/anonymous_creates_namespace_foo.json');
const rbacBinding = one('falco-trace-fixtures/attach_cluster_admin_role.json');
/** The ServiceAccount's secret read with only the fields named changed (no fixture has a person's read). */
const derived = (event: AuditEvent, changes: Partial<AuditEvent>): AuditEvent => ({ ...event, ...changes });
const person = { username: 'alice@example.com', groups: ['developers', 'system:authenticated'] };

const rules = (event: AuditEvent, config = DEFAULTS): RequestRuleId[] =>
  matchRequestRules({ cluster: CLUSTER, details: auditDetails(event) }, config).map((m) => m.rule);

describe('per-request audit rules', () => {
  it('match the fixture log: the exec at both stages (fired once, by its once-key), nothing for 403s, RBAC reads or the service account', () => {
    expect(minikube.map((e) => [e.auditID.slice(0, 8), e.stage, rules(e)])).toEqual([
      ['a02486f1', 'RequestReceived', []],
      ['a02486f1', 'ResponseComplete', []],
      ['8084daec', 'ResponseComplete', []],
      ['24444640', 'ResponseComplete', []],
      ['7fc89d4f', 'ResponseComplete', []],
      ['927fcde7', 'ResponseStarted', ['podExec']],
      ['c59d6a7c', 'ResponseComplete', []],
      ['927fcde7', 'ResponseComplete', ['podExec']],
    ]);
    const [started] = matchRequestRules({ cluster: CLUSTER, details: auditDetails(execStarted) }, DEFAULTS);
    const [completed] = matchRequestRules({ cluster: CLUSTER, details: auditDetails(execCompleted) }, DEFAULTS);
    expect(started?.onceKey).toBe(completed?.onceKey);
    expect(started).toEqual({ rule: 'podExec', severity: 'MEDIUM', onceKey: ruleOnceKey(execStarted.auditID, 'podExec') });
    expect(recordKey(auditDetails(execStarted))).not.toBe(recordKey(auditDetails(execCompleted)));
  });

  it('secretReadByPerson: a person, not a service account, node, control-plane component or anonymous', () => {
    expect(rules(derived(saSecretGet, { user: person }))).toEqual(['secretReadByPerson']);
    expect(rules(saSecretGet)).toEqual([]);
    expect(rules(derived(saSecretGet, { user: { username: 'system:node:worker-1', groups: ['system:nodes'] } }))).toEqual([]);
    expect(rules(derived(saSecretGet, { user: { username: 'system:kube-controller-manager' } }))).toEqual([]);
    // A failed read is no read.
    expect(rules(derived(saSecretGet, { user: person, responseStatus: { code: 404 } }))).toEqual([]);
    // Listing a namespace's secrets is a read too.
    expect(rules(derived(saSecretGet, { user: person, verb: 'list', objectRef: { resource: 'secrets', namespace: 'wareville', apiVersion: 'v1' } }))).toEqual(['secretReadByPerson']);
  });

  it('rbacChange: every successful write; ignoreUsers exact or by prefix; the control plane ignored by default', () => {
    expect(rules(rbacBinding)).toEqual(['rbacChange']);
    expect(rules(derived(rbacBinding, { verb: 'delete' }))).toEqual(['rbacChange']);
    expect(rules(derived(rbacBinding, { responseStatus: { code: 409 } }))).toEqual([]);
    expect(rules(derived(rbacBinding, { user: { username: 'system:serviceaccount:kube-system:clusterrole-aggregation-controller' } }))).toEqual([]);
    expect(rules(derived(rbacBinding, { user: { username: 'system:apiserver' } }))).toEqual([]);
    const argo = auditRulesConfig.parse({ rbacChange: { ignoreUsers: ['system:serviceaccount:argocd:*'] } });
    expect(rules(derived(rbacBinding, { user: { username: 'system:serviceaccount:argocd:argocd-application-controller' } }), argo)).toEqual([]);
    expect(rules(rbacBinding, argo)).toEqual(['rbacChange']);
    // Overriding the list replaces the defaults: the API server's writes alert then.
    expect(rules(derived(rbacBinding, { user: { username: 'system:apiserver' } }), argo)).toEqual(['rbacChange']);
  });

  it('podExec: exec, attach and port-forward once open; not a refused one', () => {
    const exec = one('falco-trace-fixtures/exec_pod.json');
    expect(rules(exec)).toEqual(['podExec']);
    for (const subresource of ['attach', 'portforward']) expect(rules(derived(exec, { objectRef: { ...exec.objectRef, subresource } }))).toEqual(['podExec']);
    expect(rules(derived(exec, { responseStatus: { code: 403 } }))).toEqual([]);
    expect(rules(derived(exec, { objectRef: { ...exec.objectRef, subresource: 'log' } }))).toEqual([]);
    // No outcome yet: the session may still be refused.
    expect(rules(derived(exec, { stage: 'RequestReceived', responseStatus: null }))).toEqual([]);
  });

  it('anonymousAllowed: what authorization let through, health paths excepted', () => {
    expect(rules(anonymousNamespace)).toEqual(['anonymousAllowed']);
    const refused = derived(anonymousNamespace, { annotations: { 'authorization.k8s.io/decision': 'forbid' }, responseStatus: { code: 403 } });
    expect(rules(refused)).toEqual([]);
    // No decision annotation (an older API server): the response says it.
    expect(rules(derived(anonymousNamespace, { annotations: {} }))).toEqual(['anonymousAllowed']);
    const probe = (requestURI: string) => derived(anonymousNamespace, { verb: 'get', requestURI, objectRef: null, responseStatus: { code: 200 } });
    expect(rules(probe('/healthz'))).toEqual([]);
    expect(rules(probe('/readyz/etcd?verbose'))).toEqual([]);
    expect(rules(probe('/version'))).toEqual([]);
    expect(rules(probe('/healthzz'))).toEqual(['anonymousAllowed']);
    expect(rules(probe('/api/v1/secrets'))).toEqual(['anonymousAllowed']);
    // An anonymous RBAC write is both: each rule fires once.
    const anonymousRbac = derived(rbacBinding, { user: { username: 'system:anonymous', groups: ['system:unauthenticated'] } });
    expect(rules(anonymousRbac)).toEqual(['rbacChange', 'anonymousAllowed']);
  });

  it('disabled rules and configured severities', () => {
    const config = auditRulesConfig.parse({ rbacChange: { enabled: false }, podExec: { severity: 'CRITICAL' } });
    expect(rules(rbacBinding, config)).toEqual([]);
    expect(matchRequestRules({ cluster: CLUSTER, details: auditDetails(execStarted) }, config)[0]?.severity).toBe('CRITICAL');
  });

  it('pattern helpers', () => {
    expect(userMatches('system:serviceaccount:a:b', ['system:serviceaccount:a:*'])).toBe(true);
    expect(userMatches('system:serviceaccount:ab:c', ['system:serviceaccount:a:*'])).toBe(false);
    expect(userMatches('alice', ['alic'])).toBe(false);
    expect(pathMatches('/livez/ping', ['/livez/'])).toBe(true);
  });
});

describe('failure-rate inputs', () => {
  it('counts final records only, 401 and 403 as failures', () => {
    const details = minikube.map(auditDetails);
    // 7 requests (the RequestReceived and the exec's ResponseStarted are not final), two 403s.
    expect(countRequests(details)).toEqual({ requests: 6, failures: 2 });
    expect(failureRateExceeded({ requests: 6, failures: 20 }, DEFAULTS.apiFailureRate)).toBe(true);
    expect(failureRateExceeded({ requests: 6, failures: 19 }, DEFAULTS.apiFailureRate)).toBe(false);
  });
});

describe('audit rule alerts', () => {
  it('a per-request alert carries what a pager needs: who, what, the object, the command', () => {
    const [match] = matchRequestRules({ cluster: CLUSTER, details: auditDetails(execStarted) }, DEFAULTS);
    if (!match) throw new Error('expected a match');
    const alert = requestRuleAlert(match, { cluster: CLUSTER, details: auditDetails(execStarted) }, null);
    expect(alert).toEqual({
      source: 'AUDIT',
      severity: 'MEDIUM',
      title: 'Pod exec, attach or port-forward: mayor-malware create pods/exec wareville/morality-checker',
      rule: 'k8s-audit: Pod exec, attach or port-forward',
      description: expect.stringMatching(/^mayor-malware create \/api\/v1\/namespaces\/wareville\/pods\/morality-checker\/exec\?.*; response 101; command \/bin\/sh; container .*; from /),
      subject: { type: 'KubeObject', cluster: CLUSTER, namespace: 'wareville', kind: 'Pod', name: 'morality-checker', displayName: 'wareville/morality-checker' },
      occurredAt: expect.stringMatching(/^2024-10-29T12:2\d:\d\d\.\d{3}Z$/),
      labels: { cluster: CLUSTER, auditRule: 'podExec', auditId: execStarted.auditID, stage: 'ResponseStarted', user: 'mayor-malware', verb: 'create' },
    });
  });

  it('cluster-wide alerts name the cluster in a label and carry no subject', () => {
    const rate = failureRateAlert({ cluster: CLUSTER, counts: { requests: 90, failures: 25 }, threshold: 20, windowSeconds: 300, severity: 'MEDIUM', atMs: Date.UTC(2025, 0, 1) });
    expect(rate).toMatchObject({ title: 'API failure rate: 25 responses 401/403 in cluster prod-eu-1 within 5 min', labels: { cluster: CLUSTER, failures: '25', requests: '90' } });
    expect(rate.subject).toBeUndefined();
    const silent = silenceAlert({ cluster: CLUSTER, lastSeenMs: Date.UTC(2025, 0, 1), minutes: 10, severity: 'HIGH' });
    expect(silent).toMatchObject({ severity: 'HIGH', occurredAt: '2025-01-01T00:00:00.000Z', labels: { state: 'firing', lastSeen: '2025-01-01T00:00:00.000Z' } });
    const back = silenceResolvedAlert({ cluster: CLUSTER, silentSinceMs: Date.UTC(2025, 0, 1), atMs: Date.UTC(2025, 0, 1, 1) });
    expect(back).toMatchObject({ severity: 'INFO', rule: silent.rule, labels: { state: 'resolved' } });
  });
});
