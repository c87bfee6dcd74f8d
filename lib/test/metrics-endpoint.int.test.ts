import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { register as globalRegistry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { counter, createServiceRegistry } from '../src/metrics.js';
import { serveSubgraph, type RunningSubgraph } from '../src/subgraph-server.js';

// GET /metrics on a subgraph's own HTTP server (lib/src/subgraph-server.ts), served for real on
// port 0: open when no token is configured, behind the gateway's bearer token when one is.

const SECRET = 'metrics-endpoint-test-secret-0123456789abcdef';
const TOKEN = 'scrape-token-0123456789';
const schema = buildSubgraphSchema([{ typeDefs: parse('type Query { ping: String! }'), resolvers: { Query: { ping: () => 'pong' } } }]);
const logger = createLogger('metrics-test', { level: 'silent' });

const metricsUrl = (server: RunningSubgraph) => server.url.replace(/\/graphql$/, '/metrics');

describe('subgraph /metrics', () => {
  const open = createServiceRegistry({ processMetricsPrefix: 'vigil_test_' });
  const guarded = createServiceRegistry();
  let openServer: RunningSubgraph;
  let guardedServer: RunningSubgraph;
  let bare: RunningSubgraph;

  beforeAll(async () => {
    const base = { port: 0, host: '127.0.0.1', signingSecret: SECRET, development: false, logger };
    openServer = await serveSubgraph({ name: 'open', schema, context: async () => ({}) }, { ...base, metrics: open });
    guardedServer = await serveSubgraph({ name: 'guarded', schema, context: async () => ({}) }, { ...base, metrics: guarded, metricsToken: TOKEN });
    bare = await serveSubgraph({ name: 'bare', schema, context: async () => ({}) }, base);
  });
  afterAll(async () => {
    await Promise.all([openServer?.stop(), guardedServer?.stop(), bare?.stop()]);
  });

  it('answers the text exposition with the registry content type, process metrics prefixed per service', async () => {
    counter(open, { name: 'vigil_test_things_total', help: 'Things.', labelNames: ['kind'] as const }).inc({ kind: 'a' }, 3);
    const response = await fetch(metricsUrl(openServer));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(open.contentType);
    const text = await response.text();
    expect(text).toContain('vigil_test_things_total{kind="a"} 3');
    expect(text).toMatch(/^vigil_test_process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^vigil_test_nodejs_eventloop_lag_seconds /m);
  });

  it('keeps each registry to itself: nothing lands on the global registry, nothing crosses services', async () => {
    counter(guarded, { name: 'vigil_guarded_only_total', help: 'Only here.' }).inc();
    const openText = await (await fetch(metricsUrl(openServer))).text();
    expect(openText).not.toContain('vigil_guarded_only_total');
    expect(globalRegistry.getSingleMetric('vigil_guarded_only_total')).toBeUndefined();
    // Get-or-create: a second caller gets the same counter instead of prom-client's duplicate error.
    const again = counter(guarded, { name: 'vigil_guarded_only_total', help: 'Only here.' });
    again.inc();
    expect((await guarded.getSingleMetricAsString('vigil_guarded_only_total'))).toContain('vigil_guarded_only_total 2');
  });

  it('asks for the metrics token when one is configured', async () => {
    const refused = await fetch(metricsUrl(guardedServer));
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="vigil-metrics"');
    expect(await refused.text()).not.toContain(TOKEN);
    const wrong = await fetch(metricsUrl(guardedServer), { headers: { authorization: `Bearer ${TOKEN}x` } });
    expect(wrong.status).toBe(401);
    const allowed = await fetch(metricsUrl(guardedServer), { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain('vigil_guarded_only_total');
  });

  it('is absent when no registry is given', async () => {
    expect((await fetch(metricsUrl(bare))).status).toBe(404);
  });
});
