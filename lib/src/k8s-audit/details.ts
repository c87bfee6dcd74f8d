import { kindOfResource } from '../kube-kinds.js';
import type { AuditActorKind, AuditDetails, AuditEvent } from './audit-event.js';

/**
 * One audit record's typed details and the request shapes read from them: what the cluster
 * subgraph's normaliser (webhook intake) and the audit rules (rules.ts, fed by the webhook or by a
 * VictoriaLogs live tail in the audit subgraph) share, so that they cannot disagree. Pure.
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

/** The object a request was about, in a cluster (the cluster subgraph's KubeObjectRef has the same shape). */
export interface KubeObjectRef {
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
}

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const RBAC_RESOURCES: ReadonlySet<string> = new Set(['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings']);
const WRITE_VERBS: ReadonlySet<string> = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);
const READ_VERBS: ReadonlySet<string> = new Set(['get', 'list', 'watch']);
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
