import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { auditIngestParams, type JsonLineIngestParams } from '@vigil/lib/audit-log-format';
import { createLogger } from '@vigil/lib/logger';
import { parseAuditEventList, type AuditEvent } from '../src/sources/k8s-audit/audit-event.js';
import { ForwardError, VictoriaLogsAuditForwarder, VictoriaLogsJsonLineSink, type JsonLineSink } from '../src/sources/k8s-audit/victorialogs-forwarder.js';

// Samples: test/fixtures/k8s-audit/README.md. Unit tests, no network: the forwarder's batching, retry and
// bounds against a scripted sink, and the sink's request and status mapping against a scripted fetch — the
// faults (429, 5xx, a network error) a real VictoriaLogs cannot be made to produce on demand. The real HTTP
// path, into a real VictoriaLogs, is in k8s-audit-ingest.int.test.ts.
const lines = readFileSync(new URL('./fixtures/k8s-audit/audit-log_minikube_k8s-1.29.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line !== '');
const parsed = parseAuditEventList(`{"kind":"EventList","items":[${lines.join(',')}]}`);
if (!parsed.ok) throw new Error(parsed.reason);
const EVENTS: AuditEvent[] = parsed.events;

interface Call {
  ids: string[];
  params: JsonLineIngestParams;
}

/** A sink that fails as scripted (one entry per call; undefined = succeed) and records what it was given. */
function scriptedSink(script: (Error | undefined)[] = []): JsonLineSink & { calls: Call[]; delivered: string[] } {
  const calls: Call[] = [];
  const delivered: string[] = [];
  return {
    calls,
    delivered,
    async ingest(records, params) {
      const ids = records.map((r) => `${String((r as AuditEvent).auditID)}/${String((r as AuditEvent).stage)}`);
      calls.push({ ids, params });
      const failure = script.shift();
      if (failure) throw failure;
      delivered.push(...ids);
    },
  };
}

const ids = (events: AuditEvent[]) => events.map((e) => `${e.auditID}/${e.stage}`);
const logger = createLogger('test', { level: 'silent' });
const transient = () => new ForwardError('VictoriaLogs is unreachable', false);

function forwarder(sink: JsonLineSink, options: Partial<{ batchSize: number; flushMs: number; maxBufferedEvents: number }> = {}) {
  return new VictoriaLogsAuditForwarder({
    sink,
    cluster: 'prod',
    batchSize: options.batchSize ?? 3,
    flushMs: options.flushMs ?? 60_000,
    maxBufferedEvents: options.maxBufferedEvents ?? 100,
    initialBackoffMs: 10,
    maxBackoffMs: 40,
    logger,
  });
}

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('VictoriaLogsAuditForwarder', () => {
  it('sends full batches at once, in order, with the shared audit ingest params; the rest on flush', async () => {
    const sink = scriptedSink();
    const f = forwarder(sink, { batchSize: 3 });
    f.enqueue(EVENTS); // 8 records: two full batches now, 2 left for the timer
    await until(() => sink.delivered.length === 6);
    expect(f.stats()).toMatchObject({ buffered: 2, forwarded: 6 });
    await f.flush();
    expect(sink.delivered).toEqual(ids(EVENTS));
    expect(sink.calls.map((c) => c.ids.length)).toEqual([3, 3, 2]);
    expect(sink.calls[0]?.params).toEqual(auditIngestParams({ cluster: 'prod' }));
  });

  it('sends a partial batch after flushMs', async () => {
    const sink = scriptedSink();
    const f = forwarder(sink, { batchSize: 100, flushMs: 20 });
    f.enqueue(EVENTS.slice(0, 2));
    await until(() => sink.delivered.length === 2);
    await f.stop();
  });

  it('never buffers or sends request/response bodies', async () => {
    const withBody = EVENTS[6];
    expect(withBody?.responseObject).toBeDefined();
    let seen: object[] = [];
    const f = forwarder({ ingest: async (records) => void (seen = [...records]) }, { batchSize: 1 });
    f.enqueue([withBody as AuditEvent]);
    await f.flush();
    expect(seen).toHaveLength(1);
    expect(seen[0]).not.toHaveProperty('responseObject');
    expect(seen[0]).toMatchObject({ auditID: withBody?.auditID });
  });

  it('retries a failed batch with backoff, then delivers everything in order', async () => {
    const sink = scriptedSink([transient(), transient()]);
    const f = forwarder(sink, { batchSize: 3 });
    f.enqueue(EVENTS.slice(0, 3));
    await until(() => sink.delivered.length === 3);
    expect(sink.calls.map((c) => c.ids)).toEqual([ids(EVENTS.slice(0, 3)), ids(EVENTS.slice(0, 3)), ids(EVENTS.slice(0, 3))]);
    expect(f.stats()).toMatchObject({ forwarded: 3, consecutiveFailures: 0, dropped: 0 });
    await f.stop();
  });

  it('drops a batch VictoriaLogs rejects as malformed (resending cannot help) and goes on', async () => {
    const sink = scriptedSink([new ForwardError('VictoriaLogs answered HTTP 400: cannot parse', true)]);
    const f = forwarder(sink, { batchSize: 2 });
    f.enqueue(EVENTS.slice(0, 4));
    await until(() => sink.delivered.length === 2);
    expect(sink.delivered).toEqual(ids(EVENTS.slice(2, 4)));
    expect(f.stats()).toMatchObject({ rejected: 2, forwarded: 2 });
    await f.stop();
  });

  it('bounds the buffer while VictoriaLogs is down: the oldest records are dropped and counted', async () => {
    const sink = scriptedSink(Array.from({ length: 1000 }, transient));
    const f = forwarder(sink, { batchSize: 2, maxBufferedEvents: 3 });
    f.enqueue(EVENTS.slice(0, 2));
    await until(() => sink.calls.length >= 1);
    f.enqueue(EVENTS.slice(2, 8));
    expect(f.stats()).toMatchObject({ buffered: 3, dropped: 5 });
    await f.stop();
    // What could not be delivered at stop is counted as dropped too (and logged as lost).
    expect(f.stats()).toMatchObject({ buffered: 0, forwarded: 0, dropped: 8 });
    f.enqueue(EVENTS.slice(0, 1));
    expect(f.stats().dropped).toBe(9);
  });
});

describe('VictoriaLogsJsonLineSink', () => {
  it('POSTs JSON lines to /insert/jsonline with the params, tenant headers, and credentials moved out of the URL', async () => {
    const requests: { url: string; init: RequestInit | undefined }[] = [];
    const fakeFetch: typeof fetch = async (url, init) => {
      requests.push({ url: String(url), init });
      return new Response('', { status: 200 });
    };
    const sink = new VictoriaLogsJsonLineSink({ baseUrl: 'http://vl:p%40ss@victorialogs:9428/prefix', timeoutMs: 1000, tenant: { accountId: 3, projectId: 4 }, fetch: fakeFetch });
    await sink.ingest([{ a: 1 }, { b: 'x' }], auditIngestParams({ cluster: 'prod' }));
    const [request] = requests;
    const url = new URL(request?.url ?? '');
    expect(`${url.origin}${url.pathname}`).toBe('http://victorialogs:9428/prefix/insert/jsonline');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      _time_field: 'stageTimestamp',
      _msg_field: 'requestURI',
      _stream_fields: 'cluster,verb,stage',
      ignore_fields: 'requestObject*,responseObject*',
      extra_fields: 'cluster=prod',
    });
    expect(request?.init?.body).toBe('{"a":1}\n{"b":"x"}\n');
    expect(request?.init?.headers).toEqual({
      'Content-Type': 'application/stream+json',
      Authorization: `Basic ${Buffer.from('vl:p@ss').toString('base64')}`,
      AccountID: '3',
      ProjectID: '4',
    });
  });

  it.each([
    [400, true],
    [413, true],
    [429, false],
    [500, false],
    [503, false],
  ])('HTTP %i is permanent: %s', async (status, permanent) => {
    const sink = new VictoriaLogsJsonLineSink({ baseUrl: 'http://victorialogs:9428', timeoutMs: 1000, fetch: async () => new Response('remoteAddr: "1.2.3.4:5"; requestURI: /insert/jsonline; bad', { status }) });
    const error = await sink.ingest([{}], auditIngestParams()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ForwardError);
    expect(error).toMatchObject({ permanent, message: `VictoriaLogs answered HTTP ${status}: bad` });
  });

  it('a network failure is transient', async () => {
    const sink = new VictoriaLogsJsonLineSink({ baseUrl: 'http://victorialogs:9428', timeoutMs: 1000, fetch: async () => Promise.reject(new TypeError('fetch failed')) });
    await expect(sink.ingest([{}], auditIngestParams())).rejects.toMatchObject({ permanent: false, message: 'VictoriaLogs is unreachable' });
  });
});
