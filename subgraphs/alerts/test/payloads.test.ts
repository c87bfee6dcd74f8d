import { describe, expect, it } from 'vitest';
import type { Alert } from '@vigil/lib/alerts/alert';
import { alertmanagerPayload, generatorUrl, matchesRoute, slackPayload, webhookBody, webhookSignature } from '../src/routing/payloads.js';

// The outputs' payloads are pure mappings of an alert (and a change) to each API's format.

const alert: Alert = {
  id: '1795344158906-0',
  raisedAt: '2026-11-22T09:15:58.906Z',
  occurredAt: '2026-11-22T09:15:58.000Z',
  source: 'CLUSTER',
  severity: 'CRITICAL',
  title: 'Terminal shell in container <nginx> & more',
  description: 'A shell was spawned',
  rule: 'Terminal shell in container',
  subject: { type: 'KubeObject', cluster: 'prod', namespace: 'shop', kind: 'Pod', name: 'web', displayName: 'shop/web' },
  labels: { 'k8s.ns.name': 'shop', '1st': 'x' },
};
const options = { publicUrl: 'https://vigil.example.com/', firingHoldMs: 3600_000 };

describe('Alertmanager API v2 payload', () => {
  it('a raise: Prometheus-safe labels, annotations, startsAt and a held endsAt, a generatorURL back to Vigil', () => {
    const [posted] = alertmanagerPayload({ entryId: alert.id, kind: 'RAISED', alert }, options);
    expect(posted).toEqual({
      labels: { k8s_ns_name: 'shop', _1st: 'x', alertname: 'Terminal shell in container', severity: 'critical', source: 'cluster', vigil_alert_id: alert.id, cluster: 'prod', namespace: 'shop', kind: 'Pod', name: 'web' },
      annotations: { summary: alert.title, description: 'A shell was spawned', subject: 'shop/web' },
      startsAt: '2026-11-22T09:15:58.000Z',
      endsAt: '2026-11-22T10:15:58.906Z',
      generatorURL: generatorUrl('https://vigil.example.com', alert.id),
    });
    expect(posted?.generatorURL.startsWith('https://vigil.example.com/graphql?query=')).toBe(true);
  });

  it('an alert in a pod on a node matched to a host carries the host label too', () => {
    const onHost = { ...alert, subject: { ...alert.subject, hostId: 'web-1' } } as typeof alert;
    const [withHost] = alertmanagerPayload({ entryId: alert.id, kind: 'RAISED', alert: onHost }, options);
    const [withoutHost] = alertmanagerPayload({ entryId: alert.id, kind: 'RAISED', alert }, options);
    expect(withHost?.labels).toMatchObject({ host: 'web-1', cluster: 'prod', name: 'web' });
    expect(withoutHost?.labels['host']).toBeUndefined();
  });

  it('a resolution: the same labels, endsAt = when the resolution entered the log', () => {
    const change = { id: '1795344200000-3', kind: 'RESOLVED' as const, alertId: alert.id, at: '2030-01-01T00:00:00.000Z', by: 'alice' };
    const [posted] = alertmanagerPayload({ entryId: change.id, kind: 'RESOLVED', alert, change }, options);
    expect(posted?.labels['vigil_alert_id']).toBe(alert.id);
    expect(posted?.endsAt).toBe(new Date(1795344200000).toISOString());
  });
});

describe('Slack and webhook payloads', () => {
  it('Slack: one line, its control characters escaped, a link', () => {
    expect(slackPayload({ entryId: alert.id, kind: 'RAISED', alert }, options).text).toBe(
      `:rotating_light: *CRITICAL* Terminal shell in container &lt;nginx&gt; &amp; more on shop/web (cluster, Terminal shell in container) <${generatorUrl(options.publicUrl, alert.id)}|${alert.id}>`,
    );
  });

  it('webhook: the delivery id is the log entry; the signature is HMAC-SHA256 over "<timestamp>.<body>" (checked against openssl)', () => {
    expect(webhookBody({ entryId: alert.id, kind: 'RAISED', alert }, options)).toMatchObject({ version: 1, deliveryId: alert.id, kind: 'RAISED', change: null });
    // printf '%s' '1700000000.{"version":1}' | openssl dgst -sha256 -hmac 'a-secret-of-at-least-thirty-two-characters'
    expect(webhookSignature('a-secret-of-at-least-thirty-two-characters', 1700000000, '{"version":1}')).toBe('v1=acdd9abc86bcbf63171a7656b18d96dfe402c5a79f7a1c75d145bd79c1eacc9b');
  });
});

describe('route filters', () => {
  it('every given condition must hold', () => {
    expect(matchesRoute({}, alert)).toBe(true);
    expect(matchesRoute({ minSeverity: 'HIGH', sources: ['CLUSTER'], labels: { 'k8s.ns.name': 'shop' } }, alert)).toBe(true);
    expect(matchesRoute({ minSeverity: 'HIGH', sources: ['AUDIT'] }, alert)).toBe(false);
    expect(matchesRoute({ rules: ['other'] }, alert)).toBe(false);
    expect(matchesRoute({ minSeverity: 'CRITICAL' }, { ...alert, severity: 'HIGH' })).toBe(false);
  });
});
