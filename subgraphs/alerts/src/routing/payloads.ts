import { createHmac } from 'node:crypto';
import { severityRank, type Alert, type AlertChangeEvent } from '@vigil/lib/alerts/alert';
import type { RouteFilter } from './routing-config.js';

/**
 * What an output is asked to deliver: an alert was raised, or a change to it (only the kinds an
 * output cares about reach it: a REPEATED change is folded precisely so that nobody is paged again).
 */
export type Delivery = { entryId: string; kind: 'RAISED'; alert: Alert } | { entryId: string; kind: 'ACKNOWLEDGED' | 'RESOLVED'; alert: Alert; change: AlertChangeEvent };

export function matchesRoute(filter: RouteFilter, alert: Alert): boolean {
  if (filter.minSeverity && severityRank(alert.severity) < severityRank(filter.minSeverity)) return false;
  if (filter.sources && filter.sources.length > 0 && !filter.sources.includes(alert.source)) return false;
  if (filter.rules && filter.rules.length > 0 && (alert.rule === undefined || !filter.rules.includes(alert.rule))) return false;
  for (const [key, value] of Object.entries(filter.labels ?? {})) if (alert.labels?.[key] !== value) return false;
  return true;
}

/**
 * A link back to the alert in Vigil: a GET of the GraphQL endpoint with the `alert(id:)` query
 * (the caller still authenticates; there is no Vigil web UI).
 */
export function generatorUrl(publicUrl: string, alertId: string): string {
  const query = 'query Alert($id: ID!) { alert(id: $id) { id title severity source status raisedAt subjectRef { displayName } } }';
  const base = publicUrl.replace(/\/+$/, '');
  return `${base}/graphql?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify({ id: alertId }))}`;
}

/** When a log entry was appended: the milliseconds of its id (`<ms>-<seq>`). */
function logTime(entryId: string): number {
  return Number(entryId.split('-')[0]);
}

/** Alertmanager label names: `[a-zA-Z_][a-zA-Z0-9_]*`. */
function labelName(key: string): string {
  const cleaned = key.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[a-zA-Z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
}

/**
 * One postable alert of Alertmanager's API v2. `vigil_alert_id` makes each Vigil alert its own
 * Alertmanager alert (Vigil already folded the repeats); a resolution re-sends the same labels with
 * endsAt = the resolution time, which Alertmanager shows as resolved.
 */
export function alertmanagerPayload(delivery: Delivery, options: { publicUrl: string; firingHoldMs: number }): AlertmanagerAlert[] {
  const alert = delivery.alert;
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(alert.labels ?? {})) labels[labelName(key)] = value;
  Object.assign(labels, {
    alertname: alert.rule ?? 'vigil',
    severity: alert.severity.toLowerCase(),
    source: alert.source.toLowerCase(),
    vigil_alert_id: alert.id,
  });
  const subject = alert.subject;
  if (subject?.type === 'Host') labels['host'] = subject.hostId;
  if (subject?.type === 'KubeObject') Object.assign(labels, { cluster: subject.cluster, namespace: subject.namespace, kind: subject.kind, name: subject.name });
  // A pod on a node matched to an inventory host: Alertmanager can group and inhibit by host too.
  if (subject?.type === 'KubeObject' && subject.hostId) labels['host'] = subject.hostId;
  if (subject?.type === 'Host' && subject.cluster) labels['cluster'] = subject.cluster;
  const annotations: Record<string, string> = { summary: alert.title };
  if (alert.description) annotations['description'] = alert.description;
  if (subject) annotations['subject'] = subject.displayName;
  const startsAt = alert.occurredAt;
  // Times from the log, not from the change's `at` (Vigil's clock): raisedAt is the log's time too,
  // so startsAt and endsAt share one time base even when Vigil's clock and the log's differ.
  const endsAt =
    delivery.kind === 'RESOLVED'
      ? new Date(Math.max(logTime(delivery.entryId), Date.parse(startsAt))).toISOString()
      : new Date(Math.max(Date.parse(alert.raisedAt), Date.parse(startsAt)) + options.firingHoldMs).toISOString();
  return [{ labels, annotations, startsAt, endsAt, generatorURL: generatorUrl(options.publicUrl, alert.id) }];
}

/** A Slack incoming-webhook message: one line a phone shows in full, and a link back. */
export function slackPayload(delivery: Delivery, options: { publicUrl: string }): { text: string } {
  const alert = delivery.alert;
  const subject = alert.subject ? ` on ${escapeSlack(alert.subject.displayName)}` : '';
  const link = `<${generatorUrl(options.publicUrl, alert.id)}|${alert.id}>`;
  switch (delivery.kind) {
    case 'RAISED':
      return { text: `:rotating_light: *${alert.severity}* ${escapeSlack(alert.title)}${subject} (${alert.source.toLowerCase()}${alert.rule ? `, ${escapeSlack(alert.rule)}` : ''}) ${link}` };
    case 'ACKNOWLEDGED':
      return { text: `:eyes: Acknowledged by ${escapeSlack(delivery.change.by ?? 'someone')}: ${escapeSlack(alert.title)}${subject} ${link}` };
    case 'RESOLVED':
      return { text: `:white_check_mark: Resolved by ${escapeSlack(delivery.change.by ?? 'someone')}: ${escapeSlack(alert.title)}${subject} ${link}` };
  }
}

/** Slack's three control characters in message text (its formatting rules). */
function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export interface WebhookBody {
  version: 1;
  /** The log entry delivered: unique per delivery, for the receiver's de-duplication. */
  deliveryId: string;
  kind: Delivery['kind'];
  alert: Alert;
  change: AlertChangeEvent | null;
  url: string;
}

export function webhookBody(delivery: Delivery, options: { publicUrl: string }): WebhookBody {
  return {
    version: 1,
    deliveryId: delivery.entryId,
    kind: delivery.kind,
    alert: delivery.alert,
    change: delivery.kind === 'RAISED' ? null : delivery.change,
    url: generatorUrl(options.publicUrl, delivery.alert.id),
  };
}

export const SIGNATURE_HEADER = 'x-vigil-signature';
export const TIMESTAMP_HEADER = 'x-vigil-timestamp';
export const DELIVERY_HEADER = 'x-vigil-delivery';

/**
 * The generic webhook's signature: `v1=` + hex HMAC-SHA256 over `<timestamp>.<raw body>` with the
 * output's secret, the timestamp (unix seconds) sent in X-Vigil-Timestamp. A receiver recomputes it,
 * compares in constant time and rejects timestamps far from its clock (replay).
 */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}
