import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@vigil/lib/config';
import { createLogger } from '@vigil/lib/logger';
import { startStack, type RunningStack } from '../gateway/src/stack.js';
import { loadVigilConfig, vigilConfig } from '../gateway/src/stack-config.js';
import { ancestry, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.js';
import { startKubeApiDouble, type KubeApiDouble } from './support/kube-api-double.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { startVictoriaLogs, type VictoriaLogsServer } from './support/victorialogs.js';

/**
 * OpenTelemetry end to end: the one-process stack exporting to an OTLP/HTTP receiver started here,
 * a query that goes gateway → hosts subgraph → Redis, and the spans that arrive: one trace, the
 * subgraph's span under the gateway's, the Redis command under the subgraph's.
 */

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;
const HOSTS_QUERY = 'query TracedHosts { hosts(first: 5) { totalCount edges { node { id os { name } } } } }';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

/** Kubernetes and VictoriaLogs for the cluster and audit subgraphs to call (the API server a double). */
interface Upstreams {
  kubeApi: KubeApiDouble;
  kubeconfigPath: string;
  victoriaLogs: VictoriaLogsServer;
}

async function startTracedStack(tracing: Record<string, unknown>, logLines?: string[], upstreams?: Upstreams): Promise<RunningStack> {
  const config = vigilConfig.parse({
    env: 'development',
    log: { level: 'silent' },
    redis: { url: redis.url, namespace: redis.uniquePrefix() },
    hosts: { local: { id: 'traced-local' } },
    ...(upstreams
      ? {
          cluster: { kubernetes: { kubeconfigPath: upstreams.kubeconfigPath, contexts: [{ context: 'traced', name: 'default' }] } },
          audit: { victoriaLogs: { url: upstreams.victoriaLogs.url } },
        }
      : {}),
    tracing,
  });
  const logger = logLines ? createLogger('test', { level: 'debug' }, { write: (line: string) => void logLines.push(line) }) : createLogger('test', { level: 'silent' });
  return startStack({ config, logger, signingSecret: randomBytes(32).toString('hex'), ports: 'ephemeral' });
}

/**
 * POSTs a document as an outside caller would. Not through fetch: this test process is the stack's
 * process, whose undici instrumentation would trace the call and add a traceparent of its own.
 */
async function query(stack: RunningStack, document: string, headers: Record<string, string> = {}, variables?: Record<string, unknown>): Promise<{ status: number; body: { data?: unknown; errors?: unknown } }> {
  const payload = JSON.stringify({ query: document, variables });
  return new Promise((resolve, reject) => {
    const req = request(stack.gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data?: unknown; errors?: unknown } }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

describe('tracing on', () => {
  let receiver: OtlpReceiver;
  let spans: ReceivedSpan[];
  const logLines: string[] = [];
  const auditTrace = randomBytes(16).toString('hex');
  let upstreams: Upstreams;
  let tmp: string;
  const callerTrace = randomBytes(16).toString('hex');
  const callerSpan = randomBytes(8).toString('hex');

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    tmp = mkdtempSync(join(tmpdir(), 'vigil-tracing-'));
    const [kubeApi, victoriaLogs] = await Promise.all([startKubeApiDouble(), startVictoriaLogs()]);
    upstreams = { kubeApi, victoriaLogs, kubeconfigPath: join(tmp, 'kubeconfig') };
    writeFileSync(upstreams.kubeconfigPath, kubeApi.kubeconfig('traced'));
    const stack = await startTracedStack({ endpoint: receiver.url, serviceName: 'vigil-under-test', headers: { authorization: 'Bearer collector-token' } }, logLines, upstreams);
    try {
      // The local host's first probe (facts in Redis) before the query, so both are in the export.
      await stack.hosts.scheduler.firstRoundDone();
      const { body } = await query(stack, HOSTS_QUERY, { traceparent: `00-${callerTrace}-${callerSpan}-01` });
      expect(body.errors).toBeUndefined();
      expect(body.data).toBeDefined();
      // A user name as a client sends it: in variables, which no span records.
      const audit = await query(stack, 'query TracedAudit($filter: AuditEventFilter) { auditEvents(filter: $filter, first: 5) { edges { node { verb } } } }', { traceparent: `00-${auditTrace}-${randomBytes(8).toString('hex')}-01` }, { filter: { users: ['mayor-malware'] } });
      expect(audit.body.errors).toBeUndefined();
    } finally {
      // Stopping exports whatever the batch processor still holds.
      await stack.stop();
    }
    spans = receiver.spans;
    if (process.env['DUMP_SPANS']) for (const s of spans) console.log(s.traceId.slice(0, 6), s.spanId, s.parentSpanId || '-', s.kind, s.name, JSON.stringify(s.attributes));
  });
  afterAll(async () => {
    await Promise.all([receiver?.stop(), upstreams?.kubeApi.close(), upstreams?.victoriaLogs.stop()]);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('exports OTLP JSON with the configured service name and headers', () => {
    expect(spans.length).toBeGreaterThan(0);
    expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['vigil-under-test']));
    expect(receiver.headers.every((h) => h['authorization'] === 'Bearer collector-token')).toBe(true);
  });

  it('continues the caller’s traceparent: gateway → hosts subgraph → Redis in one trace', () => {
    const trace = spans.filter((s) => s.traceId === callerTrace);
    // The gateway's HTTP span (Hive Gateway's plugin) is the child of the caller's span.
    const gatewayHttp = trace.find((s) => s.kind === SPAN_KIND_SERVER && s.parentSpanId === callerSpan);
    expect(gatewayHttp, `spans of the trace: ${trace.map((s) => s.name).join(', ')}`).toBeDefined();
    // The hosts subgraph's SERVER span, whose parents lead back to the gateway's span.
    const subgraph = trace.find((s) => s.kind === SPAN_KIND_SERVER && s.attributes['vigil.subgraph'] === 'hosts');
    expect(subgraph, `spans of the trace: ${trace.map((s) => s.name).join(', ')}`).toBeDefined();
    expect(subgraph!.name).toBe('POST /graphql');
    const subgraphChain = ancestry(trace, subgraph!);
    expect(subgraphChain.at(-1)!.spanId).toBe(gatewayHttp!.spanId);
    // Between them, the gateway's fetch of that subgraph (the span whose traceparent the subgraph continued).
    expect(subgraphChain.slice(1, -1).some((s) => s.kind === SPAN_KIND_CLIENT)).toBe(true);
    // A Redis command under the subgraph's span, recorded by its name only.
    const redisSpans = trace.filter((s) => s.attributes['db.system.name'] === 'redis' && ancestry(trace, s).includes(subgraph!));
    expect(redisSpans.length, `spans of the trace: ${trace.map((s) => s.name).join(', ')}`).toBeGreaterThan(0);
    for (const span of redisSpans) expect(span.attributes['db.query.text']).toBe(span.name);
  });

  it('names the subgraph operation, and records no document or variables there', () => {
    const operation = spans.find((s) => s.traceId === callerTrace && s.attributes['graphql.operation.type'] === 'query' && s.service === 'vigil-under-test' && s.name.startsWith('query ') && s.attributes['graphql.document'] === undefined);
    expect(operation).toBeDefined();
  });

  it('traces Kubernetes API calls and VictoriaLogs queries, without the LogsQL or the user names in it', () => {
    const kubeCalls = spans.filter((s) => s.kind === SPAN_KIND_CLIENT && String(s.attributes['url.full']).startsWith(upstreams.kubeApi.url));
    expect(kubeCalls.length, `span names: ${[...new Set(spans.map((s) => s.name))].join(', ')}`).toBeGreaterThan(0);
    const trace = spans.filter((s) => s.traceId === auditTrace);
    const audit = trace.find((s) => s.kind === SPAN_KIND_SERVER && s.attributes['vigil.subgraph'] === 'audit');
    expect(audit, `spans of the trace: ${trace.map((s) => s.name).join(', ')}`).toBeDefined();
    const logsql = trace.filter((s) => s.kind === SPAN_KIND_CLIENT && String(s.attributes['url.full']).startsWith(upstreams.victoriaLogs.url) && ancestry(trace, s).includes(audit!));
    expect(logsql.map((s) => new URL(String(s.attributes['url.full'])).pathname)).toContain('/select/logsql/query');
    for (const span of spans) for (const value of Object.values(span.attributes)) expect(String(value)).not.toContain('mayor-malware');
  });

  it('labels the request’s log lines with its trace id beside the request id, and never logs exporter headers', () => {
    const lines = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const traced = lines.filter((line) => line['traceId'] === callerTrace);
    expect(traced.length).toBeGreaterThan(0);
    // The caller sent no x-request-id: the request id is its traceparent's trace id.
    for (const line of traced) expect(line['requestId']).toBe(callerTrace);
    expect(logLines.join('\n')).not.toContain('collector-token');
    expect(lines.some((line) => line['msg'] === 'exporting traces over OTLP/HTTP')).toBe(true);
  });

  it('traces a host probe: its commands by allow-listed name, never their output', () => {
    const probe = spans.find((s) => s.name === 'host.probe' && s.attributes['vigil.host.id'] === 'traced-local');
    expect(probe, `span names: ${[...new Set(spans.map((s) => s.name))].join(', ')}`).toBeDefined();
    expect(probe!.attributes['vigil.probe.transport']).toBe('local');
    const commands = spans.filter((s) => s.name === 'local.exec' && ancestry(spans, s).includes(probe!));
    expect(commands.length).toBeGreaterThan(0);
    expect(commands.map((s) => s.attributes['vigil.probe.commands'])).toContain('osRelease');
    // Output of /etc/os-release or the package list would be long; names and codes are short.
    for (const span of spans.filter((s) => ancestry(spans, s).includes(probe!))) {
      for (const value of Object.values(span.attributes)) expect(String(value).length).toBeLessThan(200);
    }
  });
});

describe('tracing off', () => {
  it('creates no exporter: nothing reaches a listening receiver', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const stack = await startTracedStack({ endpoint: receiver.url, enabled: false });
      try {
        const response = await query(stack, HOSTS_QUERY, { traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01` });
        expect(response.status).toBe(200);
      } finally {
        // With a provider this would export its batch; without one there is nothing to send.
        await stack.stop();
      }
      expect(receiver.requests).toBe(0);
    } finally {
      await receiver.stop();
    }
  });
});

describe('tracing config', () => {
  const load = (env: Record<string, string>) => loadVigilConfig({ VIGIL_ENV: 'development', ...env });
  const problemsOf = (env: Record<string, string>): string[] => {
    try {
      load(env);
      return [];
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
  };
  const withFile = <T>(yaml: string, fn: (file: string) => T): T => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-tracing-'));
    try {
      const file = join(dir, 'vigil.yaml');
      writeFileSync(file, yaml);
      return fn(file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('refuses tracing enabled without an endpoint, naming tracing.endpoint', () => {
    const problems = withFile('tracing:\n  enabled: true\n', (file) => problemsOf({ VIGIL_CONFIG: file }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^tracing\.endpoint \(or env OTEL_EXPORTER_OTLP_ENDPOINT\): required when tracing\.enabled is true/);
    // The same file with an endpoint from the environment starts.
    expect(withFile('tracing:\n  enabled: true\n', (file) => load({ VIGIL_CONFIG: file, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).tracing.endpoint).toBe('http://collector:4318/v1/traces');
  });

  it('names a bad value without echoing exporter headers', () => {
    expect(problemsOf({ OTEL_EXPORTER_OTLP_HEADERS: 'not-a-pair-secret-value' })).toEqual([expect.stringMatching(/^tracing\.headers \(or env OTEL_EXPORTER_OTLP_HEADERS\): /)]);
    expect(problemsOf({ OTEL_EXPORTER_OTLP_HEADERS: 'not-a-pair-secret-value' }).join()).not.toContain('secret-value');
    expect(problemsOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'collector:4318' })).toEqual([expect.stringMatching(/^tracing\.endpoint \(or env OTEL_EXPORTER_OTLP_ENDPOINT\): /)]);
    expect(problemsOf({ OTEL_TRACES_SAMPLER_ARG: '2' })).toEqual([expect.stringMatching(/^tracing\.sampleRatio \(or env OTEL_TRACES_SAMPLER_ARG\): /)]);
  });

  it('is off by default and on with the OTel endpoint variables', () => {
    expect(load({}).tracing).toEqual({ sampleRatio: 1, headers: {} });
    expect(load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing.endpoint).toBe('http://collector:4318/v1/traces');
    expect(load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:4318/v1/traces' }).tracing.endpoint).toBe('http://traces:4318/v1/traces');
    expect(load({ OTEL_EXPORTER_OTLP_HEADERS: 'x-token=abc%3D,tenant=a', OTEL_SERVICE_NAME: 'vigil-eu' }).tracing).toMatchObject({ headers: { 'x-token': 'abc=', tenant: 'a' }, serviceName: 'vigil-eu' });
  });
});
