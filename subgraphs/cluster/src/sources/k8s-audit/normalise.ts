import type { Severity } from '@vigil/lib/alerts/alert';
import { escapeSegment, type KubeObjectRef, type NormalisedSecurityEvent } from '../../store/security-event-store.js';
import { auditTimeToMillis, type AuditActorKind, type AuditDetails, type AuditEvent } from './audit-event.js';
import { kindOfResource } from '@vigil/lib/kube-kinds';

/**
 * Kubernetes audit events → SecurityEvents. Pure.
 *
 * Which records: only a request's final record, stage `ResponseComplete` (or `Panic`, when the handler
 * panicked). `RequestReceived` and `ResponseStarted` are earlier records of the same request (same
 * auditID) and carry no outcome yet; an exec/attach/portforward or watch writes `ResponseStarted` (code
 * 101 or 200) when the stream opens and `ResponseComplete` when it closes, so such a request becomes an
 * event when it ends. Every stage is still forwarded to VictoriaLogs (the audit subgraph shows them all).
 *
 * Which requests are "of interest" (anything else maps to null):
 * - 401 and 403 responses, whatever was asked;
 * - RBAC writes: create, update, patch, delete, deletecollection on roles, rolebindings, clusterroles,
 *   clusterrolebindings (group rbac.authorization.k8s.io);
 * - pods/exec, pods/attach, pods/portforward;
 * - any verb on core-group secrets;
 * - delete and deletecollection of anything.
 *
 * Severity (first matching row; the request must have succeeded — 2xx, 101, or no code recorded):
 *
 * | event type              | when                                                   | severity |
 * |-------------------------|--------------------------------------------------------|----------|
 * | Unauthenticated request | response 401                                           | MEDIUM   |
 * | Forbidden request       | response 403                                           | MEDIUM   |
 * | RBAC change             | RBAC write                                             | HIGH     |
 * | Pod exec / attach / port-forward | pods/exec, pods/attach, pods/portforward      | MEDIUM   |
 * | Secret read             | get/list/watch secrets by a USER or ANONYMOUS actor    | HIGH     |
 * | Secret read             | get/list/watch secrets by a service account or system component | INFO |
 * | Delete                  | delete/deletecollection (secrets included)             | LOW      |
 * | Secret write            | any other verb on secrets (create, update, patch)      | LOW      |
 * | (any of the above)      | failed otherwise (404, 409, 422, 5xx…): nothing changed | INFO    |
 *
 * Which of them raise alerts is not decided here: see rules.ts (named rules with their own config).
 *
 * Dedup key: `k8s-audit/<cluster>/<auditID>`. The auditID is unique per request, and the webhook's
 * delivery ledger (delivery-ledger.ts) keeps a redelivered record from being recorded again, so a
 * count above 1 means the record came back after the ledger forgot it (past
 * `cluster.audit.redelivery.windowSeconds`).
 */

export const AUDIT_EVENT_TYPES = {
  unauthenticated: 'Unauthenticated request',
  forbidden: 'Forbidden request',
  rbacChange: 'RBAC change',
  podExec: 'Pod exec',
  podAttach: 'Pod attach',
  podPortForward: 'Pod port-forward',
  secretRead: 'Secret read',
  secretWrite: 'Secret write',
  delete: 'Delete',
} as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[keyof typeof AUDIT_EVENT_TYPES];

/** A SecurityEvent occurrence from the audit webhook: the general shape with its details typed. */
export type NormalisedAuditEvent = NormalisedSecurityEvent & { source: 'K8S_AUDIT'; eventType: AuditEventType; details: AuditDetails };

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const RBAC_RESOURCES: ReadonlySet<string> = new Set(['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings']);
const WRITE_VERBS: ReadonlySet<string> = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);
const READ_VERBS: ReadonlySet<string> = new Set(['get', 'list', 'watch']);
const DELETE_VERBS: ReadonlySet<string> = new Set(['delete', 'deletecollection']);
const POD_STREAMS: Readonly<Record<string, AuditEventType>> = {
  exec: AUDIT_EVENT_TYPES.podExec,
  attach: AUDIT_EVENT_TYPES.podAttach,
  portforward: AUDIT_EVENT_TYPES.podPortForward,
};

/**
 * Users that are Kubernetes' own control-plane components. Their secret reads are routine (the
 * controller manager mints service-account tokens, the kubelet mounts secrets into pods) and INFO.
 * Deliberately not `system:*` as a whole: `system:anonymous` (or any other identity an authenticator
 * maps to a `system:` name) reading a secret is exactly what the alert is for.
 */
const SYSTEM_COMPONENTS: ReadonlySet<string> = new Set([
  'system:apiserver',
  'system:kube-controller-manager',
  'system:kube-scheduler',
  'system:kube-proxy',
  'system:volume-scheduler',
]);

/**
 * How the alert rules see the authenticated user (not the impersonated one: a person impersonating a
 * service account is still a person reading the secret):
 * - SERVICE_ACCOUNT: `system:serviceaccount:<namespace>:<name>`;
 * - SYSTEM_COMPONENT: one of SYSTEM_COMPONENTS, or a kubelet (`system:node:<name>` in group `system:nodes`);
 * - ANONYMOUS: `system:anonymous` (anonymous auth on);
 * - UNAUTHENTICATED: no username at all (the record of a 401);
 * - USER: anyone else — people, CI identities, cloud IAM users, members of system:masters.
 */
export function actorKind(username: string, groups: readonly string[]): AuditActorKind {
  if (username === '') return 'UNAUTHENTICATED';
  if (username.startsWith('system:serviceaccount:')) return 'SERVICE_ACCOUNT';
  if (username === 'system:anonymous') return 'ANONYMOUS';
  if (SYSTEM_COMPONENTS.has(username)) return 'SYSTEM_COMPONENT';
  if (username.startsWith('system:node:') && groups.includes('system:nodes')) return 'SYSTEM_COMPONENT';
  return 'USER';
}

export { kindOfResource };

/** Maps one audit record to a SecurityEvent occurrence, or null when it is not of interest (see above). */
export function normaliseAuditEvent(event: AuditEvent, context: { cluster: string }): NormalisedAuditEvent | null {
  if (event.stage !== 'ResponseComplete' && event.stage !== 'Panic') return null;
  const details = auditDetails(event);
  const classified = classify(details);
  if (classified === null) return null;
  return {
    dedupKey: ['k8s-audit', context.cluster, event.auditID].map(escapeSegment).join('/'),
    source: 'K8S_AUDIT',
    category: 'AUDIT',
    severity: classified.severity,
    eventType: classified.eventType,
    title: title(classified.eventType, details),
    cluster: context.cluster,
    resource: kubeObject(details, context.cluster),
    // An audit record happens in the API server, not on a host Vigil probes.
    hostname: null,
    // When the request was made (for an exec: when the session opened), not when its record was written.
    occurredAt: new Date(auditTimeToMillis(event.requestReceivedTimestamp)).toISOString(),
    details,
    raw: withoutBodies(event),
  };
}

function classify(d: AuditDetails): { eventType: AuditEventType; severity: Severity } | null {
  if (d.responseCode === 401) return { eventType: AUDIT_EVENT_TYPES.unauthenticated, severity: 'MEDIUM' };
  if (d.responseCode === 403) return { eventType: AUDIT_EVENT_TYPES.forbidden, severity: 'MEDIUM' };
  const action = actionOf(d);
  if (action === null) return null;
  return { eventType: action.eventType, severity: succeeded(d) ? action.severity : 'INFO' };
}

function actionOf(d: AuditDetails): { eventType: AuditEventType; severity: Severity } | null {
  if (isRbacWrite(d)) return { eventType: AUDIT_EVENT_TYPES.rbacChange, severity: 'HIGH' };
  const stream = podStreamOf(d);
  if (stream !== null) return { eventType: stream, severity: 'MEDIUM' };
  if (isSecretRead(d)) {
    const routine = d.actor === 'SERVICE_ACCOUNT' || d.actor === 'SYSTEM_COMPONENT';
    return { eventType: AUDIT_EVENT_TYPES.secretRead, severity: routine ? 'INFO' : 'HIGH' };
  }
  if (DELETE_VERBS.has(d.verb)) return { eventType: AUDIT_EVENT_TYPES.delete, severity: 'LOW' };
  if (d.apiGroup === null && d.resource === 'secrets') return { eventType: AUDIT_EVENT_TYPES.secretWrite, severity: 'LOW' };
  return null;
}

// The request shapes the normaliser and the alert rules (rules.ts) share, so the two cannot disagree.

/** Whether the request did what it asked: 2xx, 101 (an upgraded exec/attach/portforward stream), or no code recorded. */
export function succeeded(d: Pick<AuditDetails, 'responseCode'>): boolean {
  const code = d.responseCode;
  return code === null || code === 101 || (code >= 200 && code <= 299);
}

/** create/update/patch/delete/deletecollection of roles, rolebindings, clusterroles, clusterrolebindings. */
export function isRbacWrite(d: Pick<AuditDetails, 'verb' | 'resource' | 'subresource' | 'apiGroup'>): boolean {
  return d.apiGroup === RBAC_GROUP && d.resource !== null && RBAC_RESOURCES.has(d.resource) && d.subresource === null && WRITE_VERBS.has(d.verb);
}

/** get/list/watch of core-group secrets. */
export function isSecretRead(d: Pick<AuditDetails, 'verb' | 'resource' | 'apiGroup'>): boolean {
  return d.apiGroup === null && d.resource === 'secrets' && READ_VERBS.has(d.verb);
}

/** The event type of a pods/exec, pods/attach or pods/portforward request; null for anything else. */
export function podStreamOf(d: Pick<AuditDetails, 'resource' | 'subresource' | 'apiGroup'>): AuditEventType | null {
  // hasOwn: a subresource named `constructor` must not find Object.prototype's.
  if (d.apiGroup !== null || d.resource !== 'pods' || d.subresource === null || !Object.hasOwn(POD_STREAMS, d.subresource)) return null;
  return POD_STREAMS[d.subresource] ?? null;
}

/**
 * The typed details of any audit record, of interest or not, at any stage: what the normaliser and
 * the alert rules read. A record read back from VictoriaLogs (the forwarded convention keeps every field
 * but the bodies) gives the same details, so a live tail can feed the same rules.
 */
export function auditDetails(event: AuditEvent): AuditDetails {
  const ref = event.objectRef ?? {};
  const user = event.user.username ?? '';
  const groups = event.user.groups ?? [];
  const annotations = { ...event.annotations };
  const subresource = nonEmpty(ref.subresource);
  const query = queryOf(event.requestURI);
  const binding = bindingOf(event);
  return {
    auditId: event.auditID,
    stage: event.stage,
    level: event.level,
    verb: event.verb,
    requestUri: event.requestURI,
    user,
    groups,
    impersonatedUser: nonEmpty(event.impersonatedUser?.username),
    actor: actorKind(user, groups),
    resource: nonEmpty(ref.resource),
    subresource,
    namespace: nonEmpty(ref.namespace),
    name: nonEmpty(ref.name),
    apiGroup: nonEmpty(ref.apiGroup),
    apiVersion: nonEmpty(ref.apiVersion),
    responseCode: event.responseStatus?.code ?? null,
    responseReason: nonEmpty(event.responseStatus?.reason),
    sourceIps: event.sourceIPs ?? [],
    userAgent: nonEmpty(event.userAgent),
    decision: nonEmpty(annotations['authorization.k8s.io/decision']),
    reason: nonEmpty(annotations['authorization.k8s.io/reason']),
    annotations,
    requestReceivedAt: event.requestReceivedTimestamp,
    stageAt: event.stageTimestamp,
    command: subresource === 'exec' ? (query?.getAll('command') ?? []) : [],
    container: subresource !== null && Object.hasOwn(POD_STREAMS, subresource) ? nonEmpty(query?.get('container')) : null,
    roleRef: binding.roleRef,
    subjects: binding.subjects,
  };
}

/** The KubeObject a request was about; null for collection requests (list, create without a name yet) and non-resource URLs. */
export function kubeObject(d: AuditDetails, cluster: string): KubeObjectRef | null {
  if (d.resource === null || d.name === null) return null;
  const kind = kindOfResource(d.resource);
  // The API server records a Namespace's own name as its objectRef.namespace; the object is cluster-scoped.
  const namespace = kind === 'Namespace' ? '' : (d.namespace ?? '');
  return { cluster, namespace, kind, name: d.name };
}

function title(eventType: AuditEventType, d: AuditDetails): string {
  return headline(eventType, d);
}

/** `<what>: <who> <verb> <target>`, cut to an alert title's 500 characters. */
export function headline(what: string, d: AuditDetails): string {
  const actor = d.user === '' ? 'an unauthenticated client' : d.impersonatedUser === null ? d.user : `${d.user} (as ${d.impersonatedUser})`;
  const text = `${what}: ${actor} ${d.verb} ${target(d)}`;
  return text.length <= 500 ? text : `${text.slice(0, 499)}…`;
}

/** `secrets wareville/pull-creds`, `secrets in wareville`, `pods/exec wareville/x`, `clusterrolebindings system:cos`, `/openapi/v2`. */
function target(d: AuditDetails): string {
  if (d.resource === null) return d.requestUri.split('?')[0] ?? d.requestUri;
  const what = d.subresource === null ? d.resource : `${d.resource}/${d.subresource}`;
  if (d.name !== null) return `${what} ${d.namespace !== null && d.resource !== 'namespaces' ? `${d.namespace}/` : ''}${d.name}`;
  return d.namespace !== null ? `${what} in ${d.namespace}` : what;
}

/** roleRef and subjects of a (Cluster)RoleBinding in the request (or response) body, when the level recorded one. */
function bindingOf(event: AuditEvent): { roleRef: string | null; subjects: string[] } {
  const none = { roleRef: null, subjects: [] };
  const resource = event.objectRef?.resource;
  if (resource !== 'rolebindings' && resource !== 'clusterrolebindings') return none;
  const body = objectField(event.requestObject, 'roleRef') !== undefined ? event.requestObject : event.responseObject;
  const roleRef = objectField(body, 'roleRef');
  const roleKind = stringField(roleRef, 'kind');
  const roleName = stringField(roleRef, 'name');
  const subjects = objectField(body, 'subjects');
  return {
    roleRef: roleKind !== null && roleName !== null ? `${roleKind}/${roleName}` : null,
    subjects: Array.isArray(subjects) ? subjects.flatMap((s: unknown) => subjectName(s)) : [],
  };
}

function subjectName(subject: unknown): string[] {
  const kind = stringField(subject, 'kind');
  const name = stringField(subject, 'name');
  if (kind === null || name === null) return [];
  const namespace = stringField(subject, 'namespace');
  return [kind === 'ServiceAccount' && namespace !== null ? `${kind}/${namespace}/${name}` : `${kind}/${name}`];
}

function objectField(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, key)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

function stringField(value: unknown, key: string): string | null {
  const field = objectField(value, key);
  return typeof field === 'string' && field !== '' ? field : null;
}

function queryOf(requestUri: string): URLSearchParams | null {
  const at = requestUri.indexOf('?');
  return at === -1 ? null : new URLSearchParams(requestUri.slice(at + 1));
}

/**
 * The record for lineage, without `requestObject` / `responseObject`: at Request/RequestResponse level
 * they hold Secret data, tokens and whole objects, which must not be copied into Vigil's store (the
 * VictoriaLogs convention drops them for the same reason). What the rules need from a binding body is
 * kept in the details (roleRef, subjects).
 */
export function withoutBodies(event: AuditEvent): Omit<AuditEvent, 'requestObject' | 'responseObject'> {
  const { requestObject: _request, responseObject: _response, ...rest } = event;
  return rest;
}

function nonEmpty(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === '' ? null : value;
}
