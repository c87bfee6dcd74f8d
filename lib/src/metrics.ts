import type { IncomingHttpHeaders } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type CounterConfiguration, type GaugeConfiguration, type HistogramConfiguration } from 'prom-client';

/**
 * One Prometheus registry per Vigil service (per process, or per stack when tests start several
 * stacks in one process) — never prom-client's global registry, which two stacks would fight over.
 */
export function createServiceRegistry(options: { processMetricsPrefix?: string } = {}): Registry {
  const registry = new Registry();
  // Left out where another registry of the same process already collects them (the one-process
  // stack: the gateway's vigil_gateway_process_*), so one scrape never shows them twice.
  if (options.processMetricsPrefix !== undefined) collectDefaultMetrics({ register: registry, prefix: options.processMetricsPrefix });
  return registry;
}

/**
 * The metric of that name on the registry, created on first use. Several parts of one stack share a
 * registry (the cluster and audit subgraphs both count webhook intake), and prom-client refuses to
 * register a name twice.
 */
export function counter<T extends string>(registry: Registry, config: Omit<CounterConfiguration<T>, 'registers'>): Counter<T> {
  return (registry.getSingleMetric(config.name) as Counter<T> | undefined) ?? new Counter({ ...config, registers: [registry] });
}

export function gauge<T extends string>(registry: Registry, config: Omit<GaugeConfiguration<T>, 'registers'>): Gauge<T> {
  return (registry.getSingleMetric(config.name) as Gauge<T> | undefined) ?? new Gauge({ ...config, registers: [registry] });
}

export function histogram<T extends string>(registry: Registry, config: Omit<HistogramConfiguration<T>, 'registers'>): Histogram<T> {
  return (registry.getSingleMetric(config.name) as Histogram<T> | undefined) ?? new Histogram({ ...config, registers: [registry] });
}

/** Whether an Authorization header carries exactly this bearer token (constant time). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1] ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export type MetricsAnswer = { status: 200; contentType: string; body: string } | { status: 401; contentType: string; body: string; challenge: string };

/**
 * The answer to `GET /metrics`: the text exposition of every registry given, or 401 when a token
 * is configured (`gateway.auth.metricsToken`, env VIGIL_METRICS_TOKEN) and the caller lacks it.
 */
export async function answerMetrics(registries: Registry[], headers: IncomingHttpHeaders, token: string | undefined): Promise<MetricsAnswer> {
  if (token && !bearerMatches(headers.authorization, token)) {
    return { status: 401, contentType: 'text/plain', body: 'metrics need "Authorization: Bearer <gateway.auth.metricsToken>"\n', challenge: 'Bearer realm="vigil-metrics"' };
  }
  const merged = registries.length === 1 ? registries[0]! : Registry.merge(registries);
  return { status: 200, contentType: merged.contentType, body: await merged.metrics() };
}
