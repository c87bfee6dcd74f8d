import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Severity } from '@vigil/lib/alerts/alert';
import { parseAuditEventList, type AuditEvent } from '../src/sources/k8s-audit/audit-event.js';
import { auditRulesConfig } from '../src/config-audit.js';
import { matchRequestRules, type RequestRuleId } from '../src/sources/k8s-audit/rules.js';
import {
  actorKind,
  kindOfResource,
  normaliseAuditEvent,
  type AuditEventType,
  type NormalisedAuditEvent,
} from '../src/sources/k8s-audit/normalise.js';
import type { KubeObjectRef } from '../src/store/security-event-store.js';

// Samples: test/fixtures/k8s-audit/README.md (copied from the shared fixtures; sources in SOURCES.md).
const FIXTURES = fileURLToPath(new URL('./fixtures/k8s-audit/', import.meta.url));
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
const lines = (name: string) => fixture(name).split('\n').filter((line) => line.trim() !== '');
const CLUSTER = 'prod-eu-1';
const RULES = auditRulesConfig.parse({});

/** The per-request alert rules (rules.ts, default config) an occurrence fires. */
const alertRules = (event: NormalisedAuditEvent): RequestRuleId[] => matchRequestRules({ cluster: CLUSTER, details: event.details }, RULES).map((m) => m.rule);

function allFixtureFiles(dir = FIXTURES): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? allFixtureFiles(join(dir, entry.name)) : entry.name === 'README.md' ? [] : [relative(FIXTURES, join(dir, entry.name))],
  );
}

/** Log-backend records (one Event per line or per file) as the webhook would carry them: in an EventList. */
function asEventList(events: unknown[]): string {
  return JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: events });
}

function parseOk(body: string): AuditEvent[] {
  const parsed = parseAuditEventList(body);
  if (!parsed.ok) throw new Error(`expected the body to parse: ${parsed.reason}`);
  return parsed.events;
}

/** Every record a fixture file holds, parsed the way the route parses. */
function eventsOf(file: string): AuditEvent[] {
  if (file.startsWith('webhook_')) {
    // Webhook bodies: EventLists, one per line (blocking mode) or one per file.
    return file.endsWith('.jsonl') ? lines(file).flatMap(parseOk) : parseOk(fixture(file));
  }
  const records = file.endsWith('.jsonl') ? lines(file).map((line) => JSON.parse(line) as unknown) : [JSON.parse(fixture(file)) as unknown];
  return parseOk(asEventList(records));
}

type Expected = null | { eventType: AuditEventType; severity: Severity; resource: Omit<KubeObjectRef, 'cluster'> | null };

const secret = (namespace: string, name: string) => ({ namespace, kind: 'Secret', name });
const forbidden: Expected = { eventType: 'Forbidden request', severity: 'MEDIUM', resource: null };
const crb = (name: string): Expected => ({ eventType: 'RBAC change', severity: 'HIGH', resource: { namespace: '', kind: 'ClusterRoleBinding', name } });
const exec: Expected = { eventType: 'Pod exec', severity: 'MEDIUM', resource: { namespace: 'wareville', kind: 'Pod', name: 'morality-checker' } };
const saSecretRead: Expected = { eventType: 'Secret read', severity: 'INFO', resource: secret('wareville', 'pull-creds') };

/** Per file, per record in order: whether it is a security event, and which. */
const EXPECTED: Record<string, Expected[]> = {
  'audit-log_minikube_k8s-1.29.jsonl': [
    null, // secrets list, RequestReceived: an earlier stage of the next record
    forbidden, // secrets list 403
    null, // roles list 200: an RBAC read
    forbidden, // events list 403
    null, // pod get 200
    null, // exec ResponseStarted 101: the session is still open
    saSecretRead, // secret get by system:serviceaccount:wareville:job-runner-sa
    exec, // exec ResponseComplete 101
  ],
  'audit-log_openshift-4.6_k8s-1.19.jsonl': [
    null, // tokenreviews create by a kubelet
    { eventType: 'Secret write', severity: 'INFO', resource: secret('openshift-logging', 'elasticsearch') }, // 409 AlreadyExists: nothing changed
    null, // builds watch, ResponseStarted
    null, // GET /openapi/v2 (no objectRef)
  ],
  'event_clusterrolebinding_create_2018_falco-fixture.json': [crb('some-reader-binding')],
  'event_clusterrolebinding_create_k8s-1.33.json': [crb('system:cos')],
  'event_pod_exec.json': [exec],
  'event_secret_get_serviceaccount.json': [saSecretRead],
  'event_secrets_list_forbidden_403.json': [forbidden],
  'webhook_eventlist_blocking_mode.jsonl': [null, null], // pod create: RequestReceived, then ResponseComplete 201
  'webhook_eventlist_pod_create.json': [null],
  'falco-trace-fixtures/anonymous_creates_namespace_foo.json': [null], // a namespace create is not of interest
  'falco-trace-fixtures/attach_cluster_admin_role.json': [crb('some-reader-binding')],
  'falco-trace-fixtures/create_clusterrolebinding.json': [crb('some-reader-binding')],
  'falco-trace-fixtures/create_kube_system_secret.json': [
    { eventType: 'Secret write', severity: 'LOW', resource: secret('kube-system', 'bootstrap-token-ne7bxu') },
  ],
  'falco-trace-fixtures/create_secret.json': [{ eventType: 'Secret write', severity: 'LOW', resource: secret('default', 'example-secret') }],
  'falco-trace-fixtures/delete_secret.json': [{ eventType: 'Delete', severity: 'LOW', resource: secret('default', 'example-secret') }],
  'falco-trace-fixtures/exec_pod.json': [null], // ResponseStarted only
};

const normalise = (event: AuditEvent) => normaliseAuditEvent(event, { cluster: CLUSTER });

function normaliseOne(event: AuditEvent): NormalisedAuditEvent {
  const normalised = normalise(event);
  if (normalised === null) throw new Error(`expected ${event.auditID} to be of interest`);
  return normalised;
}

/** A fixture record changed in the named fields only (for cases no captured record shows). */
function derived(file: string, index: number, changes: Record<string, unknown>): AuditEvent {
  const [event] = parseOk(asEventList([{ ...(JSON.parse(lines(file)[index] ?? 'null') as object), ...changes }]));
  if (!event) throw new Error('no event');
  return event;
}

const MINIKUBE = 'audit-log_minikube_k8s-1.29.jsonl';
const SA_SECRET_GET = 6; // index in the minikube log
const person = { username: 'alice@example.com', groups: ['developers', 'system:authenticated'] };

describe('every k8s-audit fixture', () => {
  it('has an expectation here (a new fixture file must be classified)', () => {
    expect(allFixtureFiles().sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('%s parses and classifies', (file, expected) => {
    const events = eventsOf(file);
    expect(events).toHaveLength(expected.length);
    events.forEach((event, i) => {
      const normalised = normalise(event);
      const want = expected[i];
      if (want === null || want === undefined) {
        expect(normalised, `${file} record ${i + 1}`).toBeNull();
        return;
      }
      expect(normalised, `${file} record ${i + 1}`).toMatchObject({
        dedupKey: `k8s-audit/${CLUSTER}/${event.auditID}`,
        source: 'K8S_AUDIT',
        category: 'AUDIT',
        eventType: want.eventType,
        severity: want.severity,
        cluster: CLUSTER,
        resource: want.resource === null ? null : { cluster: CLUSTER, ...want.resource },
        hostname: null,
      });
      expect(normalised?.occurredAt).toBe(new Date(Date.parse(event.requestReceivedTimestamp.replace(/(\.\d{3})\d+/, '$1'))).toISOString());
    });
  });

  it('the single-event files are the log lines they were pretty-printed from', () => {
    const log = lines(MINIKUBE).map((line) => JSON.parse(line) as unknown);
    expect(JSON.parse(fixture('event_secrets_list_forbidden_403.json'))).toEqual(log[1]);
    expect(JSON.parse(fixture('event_secret_get_serviceaccount.json'))).toEqual(log[6]);
    expect(JSON.parse(fixture('event_pod_exec.json'))).toEqual(log[7]);
    expect(JSON.parse(fixture('webhook_eventlist_pod_create.json'))).toEqual(JSON.parse(lines('webhook_eventlist_blocking_mode.jsonl')[1] ?? ''));
  });
});

describe('the webhook EventList (blocking mode)', () => {
  it('accepts items without kind/apiVersion: one list per line, one request per stage', () => {
    const [first = '', second = ''] = lines('webhook_eventlist_blocking_mode.jsonl');
    const [received] = parseOk(first);
    const [complete] = parseOk(second);
    for (const item of [received, complete]) {
      expect(item).toBeDefined();
      expect(item).not.toHaveProperty('kind');
      expect(item).not.toHaveProperty('apiVersion');
    }
    expect(received).toMatchObject({ auditID: 'd2a97a82-f39e-41d0-8b31-dd74f42ac7fe', stage: 'RequestReceived', verb: 'create' });
    expect(complete).toMatchObject({ auditID: 'd2a97a82-f39e-41d0-8b31-dd74f42ac7fe', stage: 'ResponseComplete', responseStatus: { code: 201 } });
  });

  it('keeps unknown fields for lineage (loose model), e.g. the pre-v1 timestamp and metadata', () => {
    const [event] = eventsOf('event_clusterrolebinding_create_2018_falco-fixture.json');
    expect(event).toMatchObject({ timestamp: '2018-10-26T13:25:18Z', metadata: { creationTimestamp: '2018-10-26T13:25:18Z' } });
    expect(event).not.toHaveProperty('apiVersion');
    expect(normaliseOne(event as AuditEvent).raw).toMatchObject({ timestamp: '2018-10-26T13:25:18Z' });
  });
});

describe('stages', () => {
  it('only the final record of a request is an event: exec is reported when the session closes', () => {
    const events = eventsOf(MINIKUBE).filter((e) => e.auditID === '927fcde7-74e5-4a57-af53-dceacefaf47c');
    expect(events.map((e) => [e.stage, e.responseStatus?.code])).toEqual([
      ['ResponseStarted', 101],
      ['ResponseComplete', 101],
    ]);
    expect(events.map((e) => normalise(e) !== null)).toEqual([false, true]);
  });

  it('RequestReceived is never an event, even for a request of interest', () => {
    const [received, complete] = eventsOf(MINIKUBE).filter((e) => e.auditID === 'a02486f1-3a7c-4bca-8bcb-9019fa43dac4');
    expect(received?.stage).toBe('RequestReceived');
    expect(normalise(received as AuditEvent)).toBeNull();
    expect(normalise(complete as AuditEvent)?.eventType).toBe('Forbidden request');
  });

  it('Panic (the handler panicked) is final too', () => {
    const panic = derived(MINIKUBE, 7, { stage: 'Panic', responseStatus: { code: 500, status: 'Failure' } });
    // The exec failed: nothing happened, so INFO.
    expect(normaliseOne(panic)).toMatchObject({ eventType: 'Pod exec', severity: 'INFO' });
  });

  it('one request, however many stages or deliveries, has one dedup key', () => {
    const a = normaliseOne(eventsOf('event_clusterrolebinding_create_2018_falco-fixture.json')[0] as AuditEvent);
    const b = normaliseOne(eventsOf('falco-trace-fixtures/create_clusterrolebinding.json')[0] as AuditEvent);
    expect(a.dedupKey).toBe(`k8s-audit/${CLUSTER}/e040d0ab-473c-442c-9707-88553173e962`);
    expect(b.dedupKey).toBe(a.dedupKey);
    expect(normaliseAuditEvent(eventsOf('event_pod_exec.json')[0] as AuditEvent, { cluster: 'other' })?.dedupKey).toBe(
      'k8s-audit/other/927fcde7-74e5-4a57-af53-dceacefaf47c',
    );
  });
});

describe('details', () => {
  it('exec: who, where, the command from the request URI', () => {
    const event = normaliseOne(eventsOf('event_pod_exec.json')[0] as AuditEvent);
    expect(event.title).toBe('Pod exec: mayor-malware create pods/exec wareville/morality-checker');
    expect(event.details).toEqual({
      auditId: '927fcde7-74e5-4a57-af53-dceacefaf47c',
      stage: 'ResponseComplete',
      level: 'Metadata',
      verb: 'create',
      requestUri: '/api/v1/namespaces/wareville/pods/morality-checker/exec?command=%2Fbin%2Fsh&container=kubectl-container&stdin=true&stdout=true&tty=true',
      user: 'mayor-malware',
      groups: ['example', 'system:authenticated'],
      impersonatedUser: null,
      actor: 'USER',
      resource: 'pods',
      subresource: 'exec',
      namespace: 'wareville',
      name: 'morality-checker',
      apiGroup: null,
      apiVersion: 'v1',
      responseCode: 101,
      responseReason: null,
      sourceIps: ['192.168.49.1'],
      userAgent: 'kubectl/v1.29.3 (linux/amd64) kubernetes/6813625',
      decision: 'allow',
      reason: 'RBAC: allowed by RoleBinding "mayor-user-binding/wareville" of Role "mayor-user" to User "mayor-malware"',
      annotations: {
        'apiserver.latency.k8s.io/etcd': '1.150272ms',
        'apiserver.latency.k8s.io/total': '35.683763759s',
        'authorization.k8s.io/decision': 'allow',
        'authorization.k8s.io/reason': 'RBAC: allowed by RoleBinding "mayor-user-binding/wareville" of Role "mayor-user" to User "mayor-malware"',
      },
      requestReceivedAt: '2024-10-29T12:21:44.189258Z',
      stageAt: '2024-10-29T12:22:19.873022Z',
      command: ['/bin/sh'],
      container: 'kubectl-container',
      roleRef: null,
      subjects: [],
    });
    // When the session opened, not when it closed 35 s later.
    expect(event.occurredAt).toBe('2024-10-29T12:21:44.189Z');
  });

  it('403: the reason and decision, and no object for a collection request', () => {
    const event = normaliseOne(eventsOf('event_secrets_list_forbidden_403.json')[0] as AuditEvent);
    expect(event.title).toBe('Forbidden request: mayor-malware list secrets in wareville');
    expect(event.resource).toBeNull();
    expect(event.details).toMatchObject({ responseCode: 403, responseReason: 'Forbidden', decision: 'forbid', reason: null, name: null });
  });

  it('RBAC binding: roleRef and subjects from the request body', () => {
    const [admin] = eventsOf('falco-trace-fixtures/attach_cluster_admin_role.json');
    expect(normaliseOne(admin as AuditEvent).details).toMatchObject({ roleRef: 'ClusterRole/cluster-admin', subjects: ['User/minikube'], apiGroup: 'rbac.authorization.k8s.io' });
    const [basic] = eventsOf('event_clusterrolebinding_create_2018_falco-fixture.json');
    expect(normaliseOne(basic as AuditEvent)).toMatchObject({
      title: 'RBAC change: minikube-user create clusterrolebindings some-reader-binding',
      details: { roleRef: 'ClusterRole/system:basic-user', subjects: ['User/minikube'] },
    });
    // Metadata level (or a body that was not recorded): no binding details, still an RBAC change.
    const [metadataOnly] = eventsOf('event_clusterrolebinding_create_k8s-1.33.json');
    expect(normaliseOne(metadataOnly as AuditEvent).details).toMatchObject({ roleRef: null, subjects: [] });
  });

  it('never copies request or response bodies (Secret data) into the event', () => {
    const [event] = eventsOf('event_secret_get_serviceaccount.json');
    expect(event?.responseObject).toBeDefined();
    const normalised = normaliseOne(event as AuditEvent);
    expect(normalised.raw).not.toHaveProperty('responseObject');
    expect(normalised.raw).not.toHaveProperty('requestObject');
    expect(JSON.stringify(normalised)).not.toContain('dockerconfigjson');
    expect(normalised.raw).toMatchObject({ auditID: 'c59d6a7c-1e07-43cb-8bf6-4d41a9c98ddb', user: { extra: { 'authentication.kubernetes.io/pod-name': ['morality-checker'] } } });
  });
});

describe('severity and alert rules', () => {
  it('a secret read by a service account is INFO and raises no alert', () => {
    const event = normaliseOne(derived(MINIKUBE, SA_SECRET_GET, {}));
    expect(event).toMatchObject({ eventType: 'Secret read', severity: 'INFO', details: { actor: 'SERVICE_ACCOUNT' } });
    expect(alertRules(event)).toEqual([]);
  });

  // Derived from the ServiceAccount secret get: only the user changes.
  it.each([
    ['a person', person, 'USER', ['secretReadByPerson']],
    ['a member of system:masters', { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] }, 'USER', ['secretReadByPerson']],
    // Not a person (system:*): anonymous alerts as an anonymous request allowed; an unknown system: name not at all.
    ['anonymous', { username: 'system:anonymous', groups: ['system:unauthenticated'] }, 'ANONYMOUS', ['anonymousAllowed']],
    ['an unknown system: name', { username: 'system:something-else', groups: [] }, 'USER', []],
  ] as const)('a secret read by %s is HIGH', (_who, user, actor, rules) => {
    const event = normaliseOne(derived(MINIKUBE, SA_SECRET_GET, { user }));
    expect(event).toMatchObject({ eventType: 'Secret read', severity: 'HIGH', details: { actor } });
    expect(event.title).toBe(`Secret read: ${user.username} get secrets wareville/pull-creds`);
    expect(alertRules(event)).toEqual(rules);
  });

  it.each([
    ['the controller manager', { username: 'system:kube-controller-manager', groups: ['system:authenticated'] }],
    ['a kubelet', { username: 'system:node:worker-1', groups: ['system:nodes', 'system:authenticated'] }],
  ])('a secret read by %s (a control-plane component) is INFO and raises no alert', (_who, user) => {
    const event = normaliseOne(derived(MINIKUBE, SA_SECRET_GET, { user }));
    expect(event).toMatchObject({ severity: 'INFO', details: { actor: 'SYSTEM_COMPONENT' } });
    expect(alertRules(event)).toEqual([]);
  });

  it('a person impersonating a service account is still a person', () => {
    const event = normaliseOne(
      derived(MINIKUBE, SA_SECRET_GET, { user: person, impersonatedUser: { username: 'system:serviceaccount:wareville:job-runner-sa' } }),
    );
    expect(event.title).toBe('Secret read: alice@example.com (as system:serviceaccount:wareville:job-runner-sa) get secrets wareville/pull-creds');
    expect(alertRules(event)).toEqual(['secretReadByPerson']);
  });

  it('a secret list that was forbidden is a Forbidden request (MEDIUM), not a secret read', () => {
    const event = normaliseOne(eventsOf('event_secrets_list_forbidden_403.json')[0] as AuditEvent);
    expect(event.severity).toBe('MEDIUM');
    expect(alertRules(event)).toEqual([]);
  });

  it('every RBAC change alerts; a failed one is INFO and does not', () => {
    const [binding] = eventsOf('falco-trace-fixtures/attach_cluster_admin_role.json');
    expect(alertRules(normaliseOne(binding as AuditEvent))).toEqual(['rbacChange']);
    const conflict = normaliseOne({ ...(binding as AuditEvent), responseStatus: { code: 409, reason: 'AlreadyExists' } });
    expect(conflict).toMatchObject({ eventType: 'RBAC change', severity: 'INFO' });
    expect(alertRules(conflict)).toEqual([]);
    // A role deleted is an RBAC change, not a plain delete.
    const deleted = normaliseOne({ ...(binding as AuditEvent), verb: 'delete', responseStatus: { code: 200 } });
    expect(deleted).toMatchObject({ eventType: 'RBAC change', severity: 'HIGH' });
  });

  it('RBAC reads are not of interest', () => {
    expect(normalise(eventsOf(MINIKUBE)[2] as AuditEvent)).toBeNull();
  });

  it.each([
    ['attach', 'Pod attach'],
    ['portforward', 'Pod port-forward'],
  ] as const)('pods/%s is MEDIUM and alerts as interactive pod access', (subresource, eventType) => {
    const exec = eventsOf('event_pod_exec.json')[0] as AuditEvent;
    const event = normaliseOne({ ...exec, objectRef: { ...exec.objectRef, subresource }, requestURI: `/api/v1/namespaces/wareville/pods/morality-checker/${subresource}?container=c1` });
    expect(event).toMatchObject({ eventType, severity: 'MEDIUM', details: { command: [], container: 'c1' } });
    expect(alertRules(event)).toEqual(['podExec']);
  });

  it('401: an unauthenticated client (the record has "user":{})', () => {
    const event = normaliseOne(
      derived(MINIKUBE, 4, { user: {}, responseStatus: { code: 401, status: 'Failure', reason: 'Unauthorized' }, annotations: undefined }),
    );
    expect(event).toMatchObject({ eventType: 'Unauthenticated request', severity: 'MEDIUM', details: { user: '', actor: 'UNAUTHENTICATED' } });
    expect(event.title).toBe('Unauthenticated request: an unauthenticated client get pods wareville/morality-checker');
  });

  it('deletes of anything are LOW; deletecollection names no object; a failed delete is INFO', () => {
    const pod = eventsOf(MINIKUBE)[4] as AuditEvent;
    expect(normaliseOne({ ...pod, verb: 'delete' })).toMatchObject({ eventType: 'Delete', severity: 'LOW', resource: { kind: 'Pod', name: 'morality-checker' } });
    const collection = normaliseOne({ ...pod, verb: 'deletecollection', objectRef: { resource: 'pods', namespace: 'wareville', apiVersion: 'v1' } });
    expect(collection).toMatchObject({ eventType: 'Delete', severity: 'LOW', resource: null, title: 'Delete: mayor-malware deletecollection pods in wareville' });
    expect(normaliseOne({ ...pod, verb: 'delete', responseStatus: { code: 404 } }).severity).toBe('INFO');
  });

  it('a Namespace is cluster-scoped even though its record names it as its own namespace', () => {
    const pod = eventsOf(MINIKUBE)[4] as AuditEvent;
    const event = normaliseOne({ ...pod, verb: 'delete', objectRef: { resource: 'namespaces', namespace: 'wareville', name: 'wareville', apiVersion: 'v1' } });
    expect(event.resource).toEqual({ cluster: CLUSTER, namespace: '', kind: 'Namespace', name: 'wareville' });
    expect(event.title).toBe('Delete: mayor-malware delete namespaces wareville');
  });

  it('secrets in another API group are not core secrets', () => {
    const sa = derived(MINIKUBE, SA_SECRET_GET, { user: person });
    expect(normalise({ ...sa, objectRef: { ...sa.objectRef, apiGroup: 'example.com' } })).toBeNull();
  });
});

describe('actor kinds and resource kinds', () => {
  it.each([
    ['system:serviceaccount:ns:name', [], 'SERVICE_ACCOUNT'],
    ['system:kube-scheduler', [], 'SYSTEM_COMPONENT'],
    ['system:node:n1', ['system:nodes'], 'SYSTEM_COMPONENT'],
    ['system:node:n1', [], 'USER'],
    ['system:anonymous', [], 'ANONYMOUS'],
    ['', [], 'UNAUTHENTICATED'],
    ['bob', ['system:masters'], 'USER'],
  ] as const)('%s %j is %s', (username, groups, kind) => {
    expect(actorKind(username, groups)).toBe(kind);
  });

  it.each([
    ['secrets', 'Secret'],
    ['clusterrolebindings', 'ClusterRoleBinding'],
    ['endpoints', 'Endpoints'],
    ['ingresses', 'Ingress'],
    ['widgets', 'Widget'],
    ['networkpolicies', 'NetworkPolicy'],
    ['policies', 'Policy'],
    ['prometheuses', 'Prometheus'],
    ['boxes', 'Box'],
    ['licenses', 'License'],
    ['foobars', 'Foobar'],
  ])('%s → %s', (resource, kind) => {
    expect(kindOfResource(resource)).toBe(kind);
  });
});

describe('parseAuditEventList rejects bad bodies with the path of the problem', () => {
  const good = JSON.parse(lines(MINIKUBE)[7] ?? '') as Record<string, unknown>;
  const list = (items: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items, ...extra });

  it.each([
    ['', 'body is empty'],
    ['{"kind":', 'body is not JSON'],
    ['[]', 'body must be an EventList object, got an array'],
    [lines(MINIKUBE)[0] ?? '', 'body is a single audit Event: the webhook sends an EventList ({"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[...]})'],
    [JSON.stringify({ kind: 'PodList', items: [] }), 'kind must be "EventList", got "PodList"'],
    [
      list([good], { apiVersion: 'audit.k8s.io/v1alpha1' }),
      'apiVersion "audit.k8s.io/v1alpha1" is not supported: send audit.k8s.io/v1 or audit.k8s.io/v1beta1 (kube-apiserver --audit-webhook-version)',
    ],
    [JSON.stringify({ kind: 'EventList' }), 'items is required'],
    [list({}), 'items must be an array, got an object'],
    [list([good, good, 'x']), 'items[2] must be an audit Event object, got a string'],
    [list([good, { ...good, stage: 'Done' }]), 'items[1].stage must be one of RequestReceived, ResponseStarted, ResponseComplete, Panic'],
    [list([{ ...good, user: undefined }]), 'items[0].user is required'],
    [list([{ ...good, user: { username: 5 } }]), 'items[0].user.username must be a string, got a number'],
    [list([{ ...good, sourceIPs: ['10.0.0.1', 7] }]), 'items[0].sourceIPs[1] must be a string, got a number'],
    [
      list([{ ...good, requestReceivedTimestamp: 'yesterday' }]),
      'items[0].requestReceivedTimestamp must be an RFC 3339 timestamp such as 2024-10-29T12:20:30.664633Z',
    ],
    [
      list([{ ...good, annotations: { 'authorization.k8s.io/decision': true } }]),
      'items[0].annotations["authorization.k8s.io/decision"] must be a string, got a boolean',
    ],
    [list([{ ...good, kind: 'Pod' }]), 'items[0].kind must be "Event"'],
    [list([{ ...good, apiVersion: 'audit.k8s.io/v1alpha1' }]), 'items[0].apiVersion must be one of audit.k8s.io/v1, audit.k8s.io/v1beta1'],
    [list([{ ...good, auditID: '' }]), 'items[0].auditID must not be empty'],
    [list([{ ...good, auditID: 'a'.repeat(129) }]), 'items[0].auditID must be at most 128 characters'],
    [list([{ ...good, verb: undefined, level: 'Everything' }]), 'items[0].level must be one of None, Metadata, Request, RequestResponse (and 1 more problem)'],
  ].map(([body = '', reason = '']) => ({ body, reason })))('$reason', ({ body, reason }) => {
    expect(parseAuditEventList(body)).toEqual({ ok: false, reason });
  });

  it('accepts items: null (Go nil slice) as an empty list, and a BOM', () => {
    expect(parseAuditEventList(list(null))).toEqual({ ok: true, events: [] });
    expect(parseAuditEventList(`\uFEFF${list([good])}`)).toMatchObject({ ok: true, events: [{ auditID: good['auditID'] }] });
  });

  it('accepts the pre-v1 shapes: audit.k8s.io/v1beta1 lists and items', () => {
    expect(parseAuditEventList(list([{ ...good, apiVersion: 'audit.k8s.io/v1beta1' }], { apiVersion: 'audit.k8s.io/v1beta1' }))).toMatchObject({ ok: true });
  });
});
