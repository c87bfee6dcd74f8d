import { AUDIT_FIELDS } from '@vigil/lib/audit-log-format';
import { auditEventSchema, type AuditDetails } from '@vigil/lib/k8s-audit/audit-event';
import { auditDetails } from '@vigil/lib/k8s-audit/details';
import { recordKey } from '@vigil/lib/k8s-audit/rules';
import { toAuditEvent } from './audit-fields.js';
import type { VictoriaLogsRow } from './client.js';
import type { AuditLayout } from './layout.js';
import { parseRfc3339Nanos } from './timestamps.js';

/**
 * One row of a VictoriaLogs live tail, as the audit rules see it (lib/src/k8s-audit/rules.ts): the
 * record's cluster and details, exactly as the webhook intake would have parsed the same record
 * (auditEventSchema, then auditDetails), plus where it sits in the tail. Pure.
 *
 * The row is the API server's Event flattened by VictoriaLogs (`user.username`, `objectRef.resource`,
 * `annotations.<key>`, arrays as JSON text), in either layout (./layout.ts); the Event is rebuilt from
 * the fields the rules read. Bodies: Vigil's writers drop them; a Fluent Bit layout may keep
 * `requestObject.roleRef.*` and `requestObject.subjects`, which name who an RBAC binding granted what,
 * so they are carried over when present, as the webhook reads them.
 */
export interface TailRecord {
  cluster: string;
  details: AuditDetails;
  /** `auditID/stage`: the delivery ledger's key. */
  key: string;
  /** VictoriaLogs' `_time`, ns: where the tail is (the checkpoint). */
  tailTimeNs: bigint;
  /** The event's time (the layout's time field), ms: what the failure-rate window counts by. */
  eventTimeMs: number;
}

export type TailRowResult = { ok: true; record: TailRecord } | { ok: false; reason: string };

/** Maps one tail row; records without a cluster are `ownCluster`'s (as every audit query reads them). */
export function tailRecordOf(row: Readonly<VictoriaLogsRow>, layout: AuditLayout, ownCluster: string): TailRowResult {
  let event;
  try {
    event = toAuditEvent(row, layout);
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : 'not an audit record' };
  }
  const tailTimeNs = parseRfc3339Nanos(row[AUDIT_FIELDS.time] ?? '');
  const eventTimeNs = parseRfc3339Nanos(event.time);
  if (tailTimeNs === undefined || eventTimeNs === undefined) return { ok: false, reason: 'no readable _time or event time' };
  const body = bindingBody(row);
  const parsed = auditEventSchema.safeParse({
    level: event.level,
    auditID: event.auditId,
    stage: event.stage,
    requestURI: event.requestUri,
    verb: event.verb,
    user: { username: event.user, groups: event.userGroups },
    impersonatedUser: event.impersonatedUser === null ? null : { username: event.impersonatedUser },
    sourceIPs: event.sourceIps,
    userAgent: event.userAgent,
    objectRef: {
      resource: event.resource,
      subresource: event.subresource,
      namespace: event.namespace,
      name: event.name,
      apiGroup: event.apiGroup,
      apiVersion: event.apiVersion,
    },
    responseStatus: { code: event.responseCode, reason: event.responseReason },
    requestReceivedTimestamp: event.requestReceivedAt ?? event.time,
    stageTimestamp: event.time,
    annotations: event.annotations,
    ...(body === undefined ? {} : { requestObject: body }),
  });
  if (!parsed.success) return { ok: false, reason: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') };
  const details = auditDetails(parsed.data);
  return {
    ok: true,
    record: { cluster: event.cluster ?? ownCluster, details, key: recordKey(details), tailTimeNs, eventTimeMs: Number(eventTimeNs / 1_000_000n) },
  };
}

/** `requestObject.roleRef.kind/name` and `requestObject.subjects` of a stored RBAC binding body, if kept. */
function bindingBody(row: Readonly<VictoriaLogsRow>): Record<string, unknown> | undefined {
  const kind = row['requestObject.roleRef.kind'];
  const name = row['requestObject.roleRef.name'];
  if (kind === undefined || name === undefined || kind === '' || name === '') return undefined;
  let subjects: unknown = [];
  try {
    subjects = JSON.parse(row['requestObject.subjects'] ?? '[]');
  } catch {
    // Not JSON: the binding's subjects stay unnamed.
  }
  return { roleRef: { kind, name }, subjects };
}
