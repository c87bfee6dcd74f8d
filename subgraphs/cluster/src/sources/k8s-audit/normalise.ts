import type { Severity } from '@vigil/lib/alerts/alert';
import { escapeSegment, type NormalisedSecurityEvent } from '../../store/security-event-store.js';
import { auditTimeToMillis, type AuditDetails, type AuditEvent } from './audit-event.js';
import { AUDIT_EVENT_TYPES, auditDetails, headline, isRbacWrite, isSecretRead, kubeObject, podStreamOf, succeeded, withoutBodies, type AuditEventType } from '@vigil/lib/k8s-audit/details';

// The details and request shapes live in lib (shared with the audit subgraph's live tail).
export * from '@vigil/lib/k8s-audit/details';

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

/** A SecurityEvent occurrence from the audit webhook: the general shape with its details typed. */
export type NormalisedAuditEvent = NormalisedSecurityEvent & { source: 'K8S_AUDIT'; eventType: AuditEventType; details: AuditDetails };

const DELETE_VERBS: ReadonlySet<string> = new Set(['delete', 'deletecollection']);

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


function title(eventType: AuditEventType, d: AuditDetails): string {
  return headline(eventType, d);
}
