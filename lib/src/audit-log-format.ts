/**
 * How Kubernetes audit events (audit.k8s.io/v1 Event) are stored in VictoriaLogs — the one definition
 * shared by everything that writes them (`/insert/jsonline`: the cluster subgraph's audit-webhook
 * forwarder, test fixtures) and everything that reads them (the audit subgraph's LogsQL). It lives in
 * lib so that neither subgraph imports the other. The audit subgraph also reads records other shippers
 * wrote (Fluent Bit's own layout), described per tenant in its config: subgraphs/audit/src/sources/victorialogs/layout.ts.
 *
 * Writers send each Event as one JSON line, serialised with JSON.stringify, with `auditIngestParams()`.
 * VictoriaLogs then:
 * - flattens nested objects into dotted names: `user.username`, `objectRef.namespace`,
 *   `responseStatus.code`, `annotations.authorization.k8s.io/decision`;
 * - keeps arrays as their compact JSON text: `user.groups` = `["system:masters","system:authenticated"]`;
 * - prints numbers and booleans as strings (`responseStatus.code` = `"403"`) and drops nulls and empty
 *   strings (an empty annotation simply is not there);
 * - moves the `_time_field` into `_time` and renames the `_msg_field` to `_msg` (neither keeps its
 *   original name).
 */

/** The `/insert/jsonline` parameters that decide how a JSON line becomes a stored log record. */
export type JsonLineIngestParams = {
  timeField: string;
  msgField: string;
  streamFields: readonly string[];
  /** Field names, or prefixes ending in `*`, dropped at ingestion. */
  ignoreFields?: readonly string[];
  /** Fields added to (and overriding) every record. */
  extraFields?: Readonly<Record<string, string>>;
};

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

/** The query string of a `/insert/jsonline` request carrying `params` (VictoriaLogs' own argument names). */
export function jsonLineIngestSearchParams(params: JsonLineIngestParams): URLSearchParams {
  const search = new URLSearchParams({
    _time_field: params.timeField,
    _msg_field: params.msgField,
    _stream_fields: params.streamFields.join(','),
  });
  if (params.ignoreFields && params.ignoreFields.length > 0) search.set('ignore_fields', params.ignoreFields.join(','));
  const extra = Object.entries(params.extraFields ?? {});
  if (extra.length > 0) search.set('extra_fields', extra.map(([name, value]) => `${name}=${value}`).join(','));
  return search;
}
