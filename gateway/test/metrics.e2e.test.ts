import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleValue, startObservedStack, type ObservedStack } from '../../test/support/observed-stack.js';

// Metrics of the one-process stack, moved by real actions: webhook posts, probes of the local
// machine, informers against the Kubernetes API double, alerts raised.

const SUBGRAPHS = ['hosts', 'cluster', 'audit', 'compliance', 'alerts'] as const;

describe('metrics of every service', () => {
  let observed: ObservedStack;
  const scrape = async (service: Parameters<ObservedStack['metricsUrl']>[0] = 'gateway') => {
    const response = await fetch(observed.metricsUrl(service));
    expect(response.status).toBe(200);
    return response.text();
  };
  const falco = (body: string, contentType = 'application/json') => fetch(observed.falcoUrl, { method: 'POST', headers: { 'content-type': contentType }, body });

  beforeAll(async () => {
    observed = await startObservedStack();
    await observed.stack.hosts.scheduler.firstRoundDone();
  });
  afterAll(async () => {
    await observed?.stop();
  });

  it('every subgraph answers /metrics in the text exposition format', async () => {
    for (const name of SUBGRAPHS) {
      const response = await fetch(observed.metricsUrl(name));
      expect(response.status, name).toBe(200);
      expect(response.headers.get('content-type'), name).toBe(observed.stack.metrics.contentType);
      expect(await response.text(), name).toContain('# TYPE vigil_intake_events_total counter');
    }
  });

  it('the gateway exposes its own metrics and the subgraphs\', each name once', async () => {
    const text = await scrape();
    expect(text).toMatch(/^vigil_gateway_process_cpu_user_seconds_total /m);
    expect(text).toContain('# TYPE vigil_gateway_operations_total counter');
    expect(text).toContain('# TYPE vigil_host_probes_total counter');
    const helpLines = text.split('\n').filter((line) => line.startsWith('# HELP '));
    const names = helpLines.map((line) => line.split(' ')[2]);
    expect(new Set(names).size).toBe(names.length);
  });

  it('a Falco event moves accepted, its Critical alert moves alerts published', async () => {
    const before = await scrape('cluster');
    expect((await falco(observed.falcoEvent())).status).toBe(202);
    const after = await scrape('cluster');
    const accepted = { source: 'falco', outcome: 'accepted' };
    expect(sampleValue(after, 'vigil_intake_events_total', accepted)).toBe((sampleValue(before, 'vigil_intake_events_total', accepted) ?? 0) + 1);
    const published = { source: 'CLUSTER', severity: 'CRITICAL' };
    expect(sampleValue(after, 'vigil_alerts_published_total', published)).toBe((sampleValue(before, 'vigil_alerts_published_total', published) ?? 0) + 1);
  });

  it('refused Falco posts count as rejected, by a reason from a closed set', async () => {
    const before = await scrape('cluster');
    expect((await falco('{"rule": ')).status).toBe(400);
    expect((await falco(observed.falcoEvent(), 'text/html')).status).toBe(415);
    const after = await scrape('cluster');
    const delta = (name: string, labels: Record<string, string>) => (sampleValue(after, name, labels) ?? 0) - (sampleValue(before, name, labels) ?? 0);
    expect(delta('vigil_intake_rejections_total', { source: 'falco', reason: 'malformed' })).toBe(1);
    expect(delta('vigil_intake_rejections_total', { source: 'falco', reason: 'unsupported_media_type' })).toBe(1);
    expect(delta('vigil_intake_events_total', { source: 'falco', outcome: 'rejected' })).toBe(2);
    expect(delta('vigil_intake_events_total', { source: 'falco', outcome: 'accepted' })).toBe(0);
    // Nothing the client sent becomes a label value.
    expect(after).not.toContain('text/html');
  });

  it('an audit EventList counts each record once, and its redelivery as duplicates', async () => {
    const body = observed.auditEventList();
    const items = (JSON.parse(body) as { items: unknown[] }).items.length;
    const post = () => fetch(observed.auditUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const before = await scrape('cluster');
    expect((await post()).status).toBe(200);
    expect((await post()).status).toBe(200);
    const after = await scrape('cluster');
    const delta = (outcome: string) => (sampleValue(after, 'vigil_intake_events_total', { source: 'k8s-audit', outcome }) ?? 0) - (sampleValue(before, 'vigil_intake_events_total', { source: 'k8s-audit', outcome }) ?? 0);
    expect(delta('accepted')).toBe(items);
    expect(delta('duplicate')).toBe(items);
  });

  it('host probes are timed and counted by kind and status', async () => {
    const text = await scrape('hosts');
    expect(sampleValue(text, 'vigil_host_probes_total', { kind: 'facts', status: 'OK' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(text, 'vigil_host_probe_duration_seconds_count', { kind: 'facts', status: 'OK' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(text, 'vigil_host_probe_duration_seconds_sum', { kind: 'facts', status: 'OK' })).toBeGreaterThan(0);
    expect(sampleValue(text, 'vigil_host_probes_total', { kind: 'facts', status: 'UNREACHABLE' })).toBe(0);
  });

  it('informers report their lists and sync state per cluster and source', async () => {
    const labels = { cluster: 'default', resource: 'trivy-vulnerability-reports' };
    const deadline = Date.now() + 10_000;
    let text = await scrape('cluster');
    while (sampleValue(text, 'vigil_kube_informer_synced', labels) !== 1 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      text = await scrape('cluster');
    }
    expect(sampleValue(text, 'vigil_kube_informer_synced', labels)).toBe(1);
    expect(sampleValue(text, 'vigil_kube_informer_relists_total', labels)).toBeGreaterThanOrEqual(1);
  });
});
