import { isRecord } from '../is-record.js';
import { article, describeJson } from '../json-words.js';
import { z } from 'zod';

/**
 * The Kubernetes API server's audit records: `audit.k8s.io/v1` Event, and the EventList its webhook
 * backend POSTs (kubernetes `staging/src/k8s.io/apiserver/pkg/apis/audit/v1/types.go`,
 * `plugin/pkg/audit/webhook/webhook.go`). See test/fixtures/k8s-audit/README.md for the samples this
 * model was checked against.
 *
 * What is accepted, and why:
 * - Items without `kind`/`apiVersion`: the webhook sends TypeMeta on the list only.
 * - `audit.k8s.io/v1beta1` (list or item) and items with no `apiVersion` at all, as in the 2018 Falco
 *   capture: that pre-v1 shape is v1 plus two deprecated fields (`timestamp`, `metadata`), and every
 *   field read here has the same name and meaning, so rejecting it would lose real records for nothing.
 *   The extra fields are kept in the raw record and ignored.
 * - `audit.k8s.io/v1alpha1` is rejected with the fix: its `objectRef` and timestamps differ.
 * - Unknown fields are kept (loose objects): the raw record stays what the API server sent.
 */

export const AUDIT_API_VERSIONS = ['audit.k8s.io/v1', 'audit.k8s.io/v1beta1'] as const;
/** The order a request's records are written in; one record per stage, same auditID. */
export const AUDIT_STAGES = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'] as const;
export type AuditStage = (typeof AUDIT_STAGES)[number];
export const AUDIT_LEVELS = ['None', 'Metadata', 'Request', 'RequestResponse'] as const;
export type AuditLevel = (typeof AUDIT_LEVELS)[number];

/** An auditID is a UUID; the cap only keeps a hostile sender from making huge store keys. */
const MAX_AUDIT_ID_LENGTH = 128;

// metav1.MicroTime: RFC 3339 with microseconds (`2024-10-29T12:20:30.664633Z`); a re-serialising
// pipeline may write fewer or more digits, or an offset.
const TIME_PATTERN = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch for an audit timestamp, or NaN. Truncates below ms: Date has ms precision. */
export function auditTimeToMillis(time: string): number {
  const match = TIME_PATTERN.exec(time);
  if (!match) return Number.NaN;
  const [, seconds, fraction = '', zone] = match;
  return Date.parse(`${seconds}${fraction.slice(0, 4)}${zone}`);
}

const microTime = z.string().refine((t) => !Number.isNaN(auditTimeToMillis(t)), {
  error: 'must be an RFC 3339 timestamp such as 2024-10-29T12:20:30.664633Z',
});

// Go omits empty fields (omitempty) rather than writing null; a pipeline that re-serialised the record
// may have written null, which means the same thing here.
const userInfo = z.looseObject({
  /** Absent for requests that failed authentication (401): their record has `"user":{}`. */
  username: z.string().nullish(),
  uid: z.string().nullish(),
  groups: z.array(z.string()).nullish(),
  extra: z.record(z.string(), z.array(z.string()).nullable()).nullish(),
});

const objectReference = z.looseObject({
  resource: z.string().nullish(),
  namespace: z.string().nullish(),
  name: z.string().nullish(),
  uid: z.string().nullish(),
  /** Absent for the core group. */
  apiGroup: z.string().nullish(),
  apiVersion: z.string().nullish(),
  resourceVersion: z.string().nullish(),
  subresource: z.string().nullish(),
});

const responseStatus = z.looseObject({
  code: z.number().int().nullish(),
  status: z.string().nullish(),
  reason: z.string().nullish(),
  message: z.string().nullish(),
});

export const auditEventSchema = z.looseObject({
  kind: z.literal('Event', { error: 'must be "Event"' }).optional(),
  apiVersion: z.enum(AUDIT_API_VERSIONS, { error: `must be one of ${AUDIT_API_VERSIONS.join(', ')}` }).optional(),
  level: z.enum(AUDIT_LEVELS, { error: `must be one of ${AUDIT_LEVELS.join(', ')}` }),
  auditID: z
    .string()
    .min(1, { error: 'must not be empty' })
    .max(MAX_AUDIT_ID_LENGTH, { error: `must be at most ${MAX_AUDIT_ID_LENGTH} characters` }),
  stage: z.enum(AUDIT_STAGES, { error: `must be one of ${AUDIT_STAGES.join(', ')}` }),
  requestURI: z.string(),
  verb: z.string().min(1, { error: 'must not be empty' }),
  user: userInfo,
  impersonatedUser: userInfo.nullish(),
  sourceIPs: z.array(z.string()).nullish(),
  userAgent: z.string().nullish(),
  objectRef: objectReference.nullish(),
  responseStatus: responseStatus.nullish(),
  // Bodies (Request / RequestResponse level): whole objects, Secret data included. Never stored.
  requestObject: z.unknown().optional(),
  responseObject: z.unknown().optional(),
  requestReceivedTimestamp: microTime,
  stageTimestamp: microTime,
  annotations: z.record(z.string(), z.string()).nullish(),
});
export type AuditEvent = z.infer<typeof auditEventSchema>;

/** The typed audit part of a SecurityEvent (source K8S_AUDIT). */
export interface AuditDetails {
  auditId: string;
  stage: AuditStage;
  level: AuditLevel;
  verb: string;
  requestUri: string;
  /** The authenticated user; '' when authentication failed (401). */
  user: string;
  groups: string[];
  /** Who `user` acted as (`Impersonate-User`), if anyone. */
  impersonatedUser: string | null;
  /** How the alert rules see `user` (see `actorKind` in normalise.ts). */
  actor: AuditActorKind;
  resource: string | null;
  subresource: string | null;
  namespace: string | null;
  name: string | null;
  /** null for the core group. */
  apiGroup: string | null;
  apiVersion: string | null;
  responseCode: number | null;
  /** `responseStatus.reason`, e.g. Forbidden, AlreadyExists. */
  responseReason: string | null;
  sourceIps: string[];
  userAgent: string | null;
  /** `authorization.k8s.io/decision`: allow or forbid. */
  decision: string | null;
  /** `authorization.k8s.io/reason`: the RBAC binding that allowed it. */
  reason: string | null;
  annotations: Record<string, string>;
  /** RFC 3339 as sent (microseconds). */
  requestReceivedAt: string;
  stageAt: string;
  /** pods/exec: the argv from the request URI (`command=` repeated), else []. */
  command: string[];
  /** pods/exec, attach, portforward: `container=` from the request URI. */
  container: string | null;
  /** (Cluster)RoleBinding writes at Request level or above: `ClusterRole/cluster-admin`. */
  roleRef: string | null;
  /** (Cluster)RoleBinding writes at Request level or above: `User/alice`, `ServiceAccount/ns/name`, `Group/devs`. */
  subjects: string[];
}

export const AUDIT_ACTOR_KINDS = ['USER', 'SERVICE_ACCOUNT', 'SYSTEM_COMPONENT', 'ANONYMOUS', 'UNAUTHENTICATED'] as const;
export type AuditActorKind = (typeof AUDIT_ACTOR_KINDS)[number];

export type AuditParseResult = { ok: true; events: AuditEvent[] } | { ok: false; reason: string };

const SINGLE_EVENT_REASON =
  'body is a single audit Event: the webhook sends an EventList ({"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[...]})';

/**
 * Parses a webhook request body: one `EventList`. All or nothing: one invalid item rejects the whole
 * list, with a reason naming the path of the problem (`items[2].stage must be one of …`).
 * `items: null` (Go's empty slice) is an empty list.
 */
export function parseAuditEventList(body: string): AuditParseResult {
  const text = body.replace(/^\uFEFF/, '').trim();
  if (text === '') return fail('body is empty');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('body is not JSON');
  }
  if (!isRecord(value)) return fail(`body must be an EventList object, got ${describeJson(value)}`);
  const { kind, apiVersion, items } = value;
  if (kind === 'Event') return fail(SINGLE_EVENT_REASON);
  if (kind !== undefined && kind !== 'EventList') return fail(`kind must be "EventList", got ${describeValue(kind)}`);
  if (apiVersion !== undefined && !(AUDIT_API_VERSIONS as readonly unknown[]).includes(apiVersion)) {
    return fail(
      `apiVersion ${describeValue(apiVersion)} is not supported: send ${AUDIT_API_VERSIONS.join(' or ')} (kube-apiserver --audit-webhook-version)`,
    );
  }
  if (items === undefined) return fail('items is required');
  if (items === null) return { ok: true, events: [] };
  if (!Array.isArray(items)) return fail(`items must be an array, got ${describeJson(items)}`);

  const events: AuditEvent[] = [];
  for (const [i, item] of items.entries()) {
    const label = `items[${i}]`;
    if (!isRecord(item)) return fail(`${label} must be an audit Event object, got ${describeJson(item)}`);
    const result = auditEventSchema.safeParse(item, { reportInput: true });
    if (!result.success) {
      const [first, ...rest] = result.error.issues;
      const problem = first ? describeIssue(label, first) : `${label} is not a valid audit Event`;
      return fail(`${problem}${rest.length > 0 ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : ''}`);
    }
    events.push(result.data);
  }
  return { ok: true, events };
}

function describeIssue(label: string, issue: z.core.$ZodIssue): string {
  const path = `${label}${formatPath(issue.path)}`;
  if (issue.input === undefined) return `${path} is required`;
  if (issue.code === 'invalid_type') return `${path} must be ${article(issue.expected)}, got ${describeJson(issue.input)}`;
  // Our own messages read as the rest of the sentence.
  return `${path} ${issue.message}`;
}

/** `.user.username`, `.sourceIPs[0]`, `.annotations["authorization.k8s.io/decision"]`. */
function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p) => {
      if (typeof p === 'number') return `[${p}]`;
      const key = String(p);
      return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
    })
    .join('');
}

/** A short, safe rendering of a value the sender chose (quoted and cut, never a whole object). */
function describeValue(value: unknown): string {
  if (typeof value !== 'string') return describeJson(value);
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}

function fail(reason: string): AuditParseResult {
  return { ok: false, reason };
}
