import type { JsonLineIngestParams, VictoriaLogsRow } from './client.js';

/**
 * How Kubernetes audit events (audit.k8s.io/v1 Event) are stored in VictoriaLogs — the one definition
 * shared by everything that writes them (`/insert/jsonline`) and everything that reads them (LogsQL).
 *
 * Writers send each Event as one JSON line, serialised with JSON.stringify (VictoriaLogsClient.ingest
 * does), with `auditIngestParams()`. VictoriaLogs then:
 * - flattens nested objects into dotted names: `user.username`, `objectRef.namespace`,
 *   `responseStatus.code`, `annotations.authorization.k8s.io/decision`;
 * - keeps arrays as their compact JSON text: `user.groups` = `["system:masters","system:authenticated"]`;
 * - prints numbers and booleans as strings (`responseStatus.code` = `"403"`) and drops nulls and empty
 *   strings (an empty annotation simply is not there);
 * - moves the `_time_field` into `_time` and renames the `_msg_field` to `_msg` (neither keeps its
 *   original name).
 */

/** Stored field names, after flattening. */
export const AUDIT_FIELDS = {
  auditId: 'auditID',
  stage: 'stage',
  level: 'level',
  verb: 'verb',
  user: 'user.username',
  userGroups: 'user.groups',
  impersonatedUser: 'impersonatedUser.username',
  sourceIps: 'sourceIPs',
  userAgent: 'userAgent',
  resource: 'objectRef.resource',
  subresource: 'objectRef.subresource',
  namespace: 'objectRef.namespace',
  name: 'objectRef.name',
  apiGroup: 'objectRef.apiGroup',
  apiVersion: 'objectRef.apiVersion',
  responseCode: 'responseStatus.code',
  responseReason: 'responseStatus.reason',
  requestReceivedAt: 'requestReceivedTimestamp',
  cluster: 'cluster',
  time: '_time',
  message: '_msg',
} as const;

export const ANNOTATIONS_PREFIX = 'annotations.';
const DECISION_ANNOTATION = 'authorization.k8s.io/decision';

/**
 * `stageTimestamp`, not `requestReceivedTimestamp`: it is when this record was written, so it is
 * distinct for the stages of one request (RequestReceived / ResponseStarted / ResponseComplete share
 * the receive time) and never lies in the past of its own arrival (a watch completes minutes after it
 * was received). The receive time stays searchable as the regular field `requestReceivedTimestamp`.
 */
export const AUDIT_TIME_FIELD = 'stageTimestamp';

/** The request URI is what an audit record "says"; it becomes `_msg`, so full-text search reads it. */
export const AUDIT_MSG_FIELD = 'requestURI';

/**
 * Low, bounded cardinality only (clusters × ~10 verbs × 4 stages): records of one stream share their
 * shape, which compresses well and lets VictoriaLogs skip whole streams for the commonest filters.
 * Never user, namespace, resource or source IP — unbounded values would explode the stream index.
 * `cluster` exists only when a writer sets it through `extra_fields`.
 */
export const AUDIT_STREAM_FIELDS = ['cluster', 'verb', 'stage'] as const;

/**
 * Request and response bodies are not stored: at Request/RequestResponse level they carry Secret data,
 * tokens and whole objects, and no query here needs them.
 */
export const AUDIT_IGNORED_FIELDS = ['requestObject*', 'responseObject*'] as const;

/** `/insert/jsonline` parameters for audit events; `cluster` tags every record (and stream) with its source cluster. */
export function auditIngestParams(options: { cluster?: string } = {}): JsonLineIngestParams {
  const { cluster } = options;
  if (cluster !== undefined && (cluster === '' || cluster.includes(','))) {
    // extra_fields is a comma-separated list of name=value pairs.
    throw new Error('audit ingest: cluster must be non-empty and must not contain ","');
  }
  return {
    timeField: AUDIT_TIME_FIELD,
    msgField: AUDIT_MSG_FIELD,
    streamFields: AUDIT_STREAM_FIELDS,
    ignoreFields: AUDIT_IGNORED_FIELDS,
    ...(cluster === undefined ? {} : { extraFields: { [AUDIT_FIELDS.cluster]: cluster } }),
  };
}

export type AuditEvent = {
  auditId: string;
  /** When this stage was recorded (`stageTimestamp`), RFC 3339 with up to nanoseconds, as VictoriaLogs prints `_time`. */
  time: string;
  requestReceivedAt: string | null;
  stage: string;
  level: string | null;
  verb: string;
  user: string;
  userGroups: string[];
  impersonatedUser: string | null;
  sourceIps: string[];
  userAgent: string | null;
  resource: string | null;
  subresource: string | null;
  namespace: string | null;
  name: string | null;
  apiGroup: string | null;
  apiVersion: string | null;
  requestUri: string;
  responseCode: number | null;
  responseReason: string | null;
  /** `authorization.k8s.io/decision`: `allow` or `forbid`. */
  decision: string | null;
  annotations: Record<string, string>;
  cluster: string | null;
};

/** Maps one row of `/select/logsql/query` output to an audit event. Throws on a row that is not an audit record. */
export function toAuditEvent(record: Readonly<VictoriaLogsRow>): AuditEvent {
  const annotations = annotationsOf(record);
  const responseCode = optional(record, AUDIT_FIELDS.responseCode);
  return {
    auditId: required(record, AUDIT_FIELDS.auditId),
    time: required(record, AUDIT_FIELDS.time),
    requestReceivedAt: optional(record, AUDIT_FIELDS.requestReceivedAt),
    stage: required(record, AUDIT_FIELDS.stage),
    level: optional(record, AUDIT_FIELDS.level),
    verb: required(record, AUDIT_FIELDS.verb),
    user: required(record, AUDIT_FIELDS.user),
    userGroups: stringList(optional(record, AUDIT_FIELDS.userGroups)),
    impersonatedUser: optional(record, AUDIT_FIELDS.impersonatedUser),
    sourceIps: stringList(optional(record, AUDIT_FIELDS.sourceIps)),
    userAgent: optional(record, AUDIT_FIELDS.userAgent),
    resource: optional(record, AUDIT_FIELDS.resource),
    subresource: optional(record, AUDIT_FIELDS.subresource),
    namespace: optional(record, AUDIT_FIELDS.namespace),
    name: optional(record, AUDIT_FIELDS.name),
    apiGroup: optional(record, AUDIT_FIELDS.apiGroup),
    apiVersion: optional(record, AUDIT_FIELDS.apiVersion),
    // A writer that used another _msg_field keeps requestURI under its own name.
    requestUri: optional(record, AUDIT_MSG_FIELD) ?? required(record, AUDIT_FIELDS.message),
    responseCode: responseCode !== null && /^\d{1,3}$/.test(responseCode) ? Number(responseCode) : null,
    responseReason: optional(record, AUDIT_FIELDS.responseReason),
    decision: annotations[DECISION_ANNOTATION] ?? null,
    annotations,
    cluster: optional(record, AUDIT_FIELDS.cluster),
  };
}

// VictoriaLogs prints a field missing from a row either not at all or as "" (both mean "no value").
function optional(record: Readonly<VictoriaLogsRow>, field: string): string | null {
  if (!Object.hasOwn(record, field)) return null;
  const value = record[field];
  return value === undefined || value === '' ? null : value;
}

function required(record: Readonly<VictoriaLogsRow>, field: string): string {
  const value = optional(record, field);
  if (value === null) throw new Error(`VictoriaLogs row is not an audit event: no "${field}"`);
  return value;
}

/** Array fields are stored as JSON text; a writer that flattened differently may have stored a single plain value. */
function stringList(value: string | null): string[] {
  if (value === null) return [];
  if (!value.startsWith('[')) return [value];
  try {
    const parsed: unknown = JSON.parse(value);
    if (Array.isArray(parsed)) return parsed.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
  } catch {
    // Not JSON after all: fall through to the plain value.
  }
  return [value];
}

function annotationsOf(record: Readonly<VictoriaLogsRow>): Record<string, string> {
  // Annotation values are strings (map[string]string), so nothing below the prefix was flattened further.
  // fromEntries defines own properties: an annotation named `__proto__` stays data.
  return Object.fromEntries(
    Object.entries(record)
      .filter(([field, value]) => field.startsWith(ANNOTATIONS_PREFIX) && value !== '')
      .map(([field, value]) => [field.slice(ANNOTATIONS_PREFIX.length), value]),
  );
}
