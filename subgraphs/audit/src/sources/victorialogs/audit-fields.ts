import { ANNOTATIONS_PREFIX, AUDIT_FIELDS, AUDIT_MSG_FIELD } from '@vigil/lib/audit-log-format';
import type { VictoriaLogsRow } from './client.js';
import { timeFieldOf, VIGIL_LAYOUT, type AuditLayout } from './layout.js';

/**
 * Reading audit events back out of VictoriaLogs. How they are stored (field names, `_time_field`,
 * `_msg_field`, stream fields, ignored fields, `auditIngestParams`) is defined once, for writers and
 * readers alike, in `@vigil/lib/audit-log-format`.
 */

// Existing importers (the gateway's stack test) take the writer parameters from here.
export { auditIngestParams } from '@vigil/lib/audit-log-format';

const DECISION_ANNOTATION = 'authorization.k8s.io/decision';

export type AuditEvent = {
  auditId: string;
  /**
   * When this stage was recorded (`stageTimestamp`), RFC 3339: as VictoriaLogs prints `_time` (up to
   * nanoseconds), or as the API server wrote it (six fractional digits) in a layout that keeps it a field.
   */
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

/** Maps one row of `/select/logsql/query` output, stored in `layout`, to an audit event. Throws on a row that is not an audit record. */
export function toAuditEvent(record: Readonly<VictoriaLogsRow>, layout: AuditLayout = VIGIL_LAYOUT): AuditEvent {
  const annotations = annotationsOf(record);
  const responseCode = optional(record, AUDIT_FIELDS.responseCode);
  return {
    auditId: required(record, AUDIT_FIELDS.auditId),
    time: required(record, timeFieldOf(layout)),
    requestReceivedAt: optional(record, AUDIT_FIELDS.requestReceivedAt),
    stage: required(record, AUDIT_FIELDS.stage),
    level: optional(record, AUDIT_FIELDS.level),
    verb: required(record, AUDIT_FIELDS.verb),
    // A request that failed authentication (401) carries no username: it is '' rather than unreadable.
    user: optional(record, AUDIT_FIELDS.user) ?? '',
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
    cluster: 'value' in layout.cluster ? layout.cluster.value : optional(record, layout.cluster.field),
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
