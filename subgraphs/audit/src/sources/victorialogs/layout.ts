import { ANNOTATIONS_PREFIX, AUDIT_FIELDS, AUDIT_MSG_FIELD } from '@vigil/lib/audit-log-format';

/**
 * Where audit records sit in one VictoriaLogs tenant, and how the parts a query needs are read: which
 * stream holds them, which field is the event's time, and where its cluster comes from. Everything
 * inside the records (user.username, objectRef.resource, responseStatus.code, ...) is the API server's
 * own Event, flattened by VictoriaLogs' JSON ingestion, whoever shipped it: Vigil's forwarder and
 * Fluent Bit's `http` output (JSON parser, `json_lines`) store the same fields under the same names.
 *
 * Two layouts are common:
 *
 * - Vigil's own (VIGIL_LAYOUT): written by the cluster subgraph's audit-webhook forwarder, or by the
 *   Fluent Bit snippet in deploy/integrations/fluent-bit, with `_time_field=stageTimestamp` (the event's
 *   time is `_time`) and a `cluster` field on every record.
 * - An existing Fluent Bit pipeline, as the Talos audit-logging policy sets it up: `tail` + JSON parser,
 *   `http` output to `/insert/jsonline?_stream_fields=stream,namespace,pod` (often `&_time_field=date`),
 *   a `stream` field set by a `modify` filter, queried as `{stream="audit.kube-apiserver"}`. There `_time`
 *   is Fluent Bit's `date` (when the line was read) or the arrival time, and `stageTimestamp` stays an
 *   ordinary field: the event's time is that field. A `cluster` field exists only if a filter adds one.
 *
 * A layout is per VictoriaLogs tenant (AccountID/ProjectID): one query reads one tenant, so one layout
 * decides its stream filter, time field and cluster, and a page, a count and a histogram stay one query.
 */
export type AuditLayout = {
  /**
   * Stream labels every query starts with, as `{name="value", ...}` (exact values). Empty: no stream
   * filter (Vigil's layout; records are told apart from other logs by their `auditID`).
   */
  readonly streamFilter: Readonly<Record<string, string>>;
  /**
   * The event's time: `_time` when the writer's `_time_field` was the event's own timestamp, or
   * `stageTimestamp` (RFC 3339 UTC with six fractional digits, as the API server writes it) when `_time`
   * is when a shipper read or VictoriaLogs received the record.
   */
  readonly time: AuditTimeField;
  /**
   * With `time: stageTimestamp`: how far a record's `_time` may be from its event time, either way
   * (shipping delay, a shipper's backlog after a restart, clock skew). Time ranges are narrowed with
   * `_time` widened by this much, so VictoriaLogs still skips the days outside; an event whose `_time`
   * is further off is missed by ranged queries. Unused with `time: _time`.
   */
  readonly timeSkewMs: number;
  /** The record's cluster: a field (null when a record lacks it), or one name for every record. */
  readonly cluster: { readonly field: string } | { readonly value: string };
};

export const AUDIT_TIME_FIELDS = ['_time', 'stageTimestamp'] as const;
export type AuditTimeField = (typeof AUDIT_TIME_FIELDS)[number];

/** A day: a shipper down overnight still has its backlog found. */
export const DEFAULT_TIME_SKEW_MINUTES = 1440;

/** The layout Vigil's own writers produce (lib/src/audit-log-format.ts). */
export const VIGIL_LAYOUT: AuditLayout = Object.freeze({
  streamFilter: Object.freeze({}),
  time: '_time',
  timeSkewMs: DEFAULT_TIME_SKEW_MINUTES * 60_000,
  cluster: Object.freeze({ field: AUDIT_FIELDS.cluster }),
});

export const MAX_STREAM_LABELS = 16;
export const MAX_LAYOUT_NAME_LENGTH = 256;
export const MAX_TIME_SKEW_MS = 366 * 86_400_000;

// C0/C1 controls and lone UTF-16 surrogates: nothing a field name or label value written by a shipper
// holds, and unreadable in a config file or an error message.
const isControl = (text: string) => [...text].some((char) => {
  const code = char.codePointAt(0) ?? 0;
  return code < 0x20 || (code >= 0x7f && code <= 0x9f);
});
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * What is wrong with a layout, each problem with the key it concerns (relative to the layout). Every
 * value a layout contributes to LogsQL is quoted when a query is built; these checks refuse what no
 * shipper would write (and an empty label value, which LogsQL reads as "the label is absent").
 */
export function layoutProblems(layout: AuditLayout): LayoutProblem[] {
  const problems = [...streamFilterProblems(layout.streamFilter).map((p) => ({ ...p, path: ['streamFilter', ...p.path] }))];
  if (!AUDIT_TIME_FIELDS.includes(layout.time)) problems.push({ path: ['time'], message: `must be one of ${AUDIT_TIME_FIELDS.join(', ')}` });
  if (!Number.isSafeInteger(layout.timeSkewMs) || layout.timeSkewMs < 0 || layout.timeSkewMs > MAX_TIME_SKEW_MS) {
    problems.push({ path: ['timeSkewMinutes'], message: `must be 0 to ${String(MAX_TIME_SKEW_MS / 60_000)} minutes` });
  }
  problems.push(...clusterProblems(layout.cluster).map((p) => ({ ...p, path: ['cluster', ...p.path] })));
  return problems;
}

export type LayoutProblem = { path: string[]; message: string };

/** Problems of a stream filter, each with the label it concerns. */
export function streamFilterProblems(streamFilter: Readonly<Record<string, string>>): LayoutProblem[] {
  const problems: LayoutProblem[] = [];
  const labels = Object.entries(streamFilter);
  if (labels.length > MAX_STREAM_LABELS) problems.push({ path: [], message: `at most ${String(MAX_STREAM_LABELS)} labels` });
  for (const [name, value] of labels) {
    const nameProblem = textProblem(name);
    if (nameProblem) problems.push({ path: [name], message: `label name ${nameProblem}` });
    else if (name.startsWith('_')) problems.push({ path: [name], message: "label name: VictoriaLogs' own fields (starting with _) are not stream labels" });
    const valueProblem = textProblem(value);
    // `{label=""}` selects the streams *without* the label: never what a layout means.
    if (valueProblem) problems.push({ path: [name], message: `value ${valueProblem}` });
  }
  return problems;
}

/** Problems of a cluster source (`field` or `value`), each with the key it concerns. */
export function clusterProblems(cluster: { readonly field: string } | { readonly value: string }): LayoutProblem[] {
  if ('field' in cluster) {
    const problem = textProblem(cluster.field);
    if (problem) return [{ path: ['field'], message: problem }];
    if (cluster.field.startsWith('_')) return [{ path: ['field'], message: "must be a field of the record, not one of VictoriaLogs' own (starting with _)" }];
    return [];
  }
  const problem = textProblem(cluster.value);
  return problem ? [{ path: ['value'], message: problem }] : [];
}

function textProblem(text: string): string | undefined {
  if (text.length === 0 || text.length > MAX_LAYOUT_NAME_LENGTH) return `must be 1 to ${String(MAX_LAYOUT_NAME_LENGTH)} characters`;
  if (isControl(text)) return 'must not contain control characters';
  if (LONE_SURROGATE.test(text)) return 'must not contain an unpaired UTF-16 surrogate';
  return undefined;
}

/** Throws on a layout with problems: layouts come from config, which checked them already; this guards other callers. */
export function checkedLayout(layout: AuditLayout): AuditLayout {
  const problems = layoutProblems(layout);
  if (problems.length > 0) throw new Error(`audit layout: ${problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ')}`);
  return layout;
}

/** The prefix of the flattened `annotations` map: every field below it is one annotation. */
export const READ_FIELD_PREFIXES = [ANNOTATIONS_PREFIX] as const;

/**
 * Every stored field an audit event is read from in `layout` (audit-fields.ts `toAuditEvent` reads
 * nothing else), besides the fields under READ_FIELD_PREFIXES. A page asks VictoriaLogs for these only:
 * it then reads and sorts a few columns per row instead of all of them (about 15-20 % less time for a
 * page of a day of a busy cluster; see README, Benchmarks).
 */
export function readFieldsOf(layout: AuditLayout): string[] {
  const fields = new Set<string>([
    AUDIT_FIELDS.time,
    timeFieldOf(layout),
    AUDIT_FIELDS.auditId,
    AUDIT_FIELDS.stage,
    AUDIT_FIELDS.level,
    AUDIT_FIELDS.verb,
    AUDIT_FIELDS.requestReceivedAt,
    AUDIT_FIELDS.user,
    AUDIT_FIELDS.userGroups,
    AUDIT_FIELDS.impersonatedUser,
    AUDIT_FIELDS.sourceIps,
    AUDIT_FIELDS.userAgent,
    AUDIT_FIELDS.resource,
    AUDIT_FIELDS.subresource,
    AUDIT_FIELDS.namespace,
    AUDIT_FIELDS.name,
    AUDIT_FIELDS.apiGroup,
    AUDIT_FIELDS.apiVersion,
    AUDIT_FIELDS.responseCode,
    AUDIT_FIELDS.responseReason,
    AUDIT_FIELDS.message,
    AUDIT_MSG_FIELD,
  ]);
  if ('field' in layout.cluster) fields.add(layout.cluster.field);
  return [...fields];
}

/** The stored name of the field holding the event's time. */
export function timeFieldOf(layout: AuditLayout): string {
  return layout.time === '_time' ? AUDIT_FIELDS.time : layout.time;
}
