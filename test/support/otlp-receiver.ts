import { createServer, type IncomingMessage } from 'node:http';
import { gunzipSync } from 'node:zlib';

/** One span as an OTLP/HTTP JSON export carries it, flattened with its resource's service name. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
}

export interface OtlpReceiver {
  /** The OTLP/HTTP traces URL to configure (`tracing.endpoint`). */
  url: string;
  spans: ReceivedSpan[];
  /** Export requests received, spans or not. */
  requests: number;
  /** Header values of every export request, by lower-case name. */
  headers: Array<Record<string, string | string[] | undefined>>;
  stop(): Promise<void>;
}

/**
 * A stand-in for an OpenTelemetry collector: accepts OTLP/HTTP JSON trace exports (what
 * @opentelemetry/exporter-trace-otlp-http sends) on 127.0.0.1, port 0, and keeps the spans. Any
 * other content type is refused with 415, so a change of wire format fails the tests loudly.
 * `discard`: count requests but keep nothing (the overhead benchmark).
 */
export async function startOtlpReceiver(options: { discard?: boolean } = {}): Promise<OtlpReceiver> {
  const receiver: Omit<OtlpReceiver, 'stop' | 'url'> = { spans: [], requests: 0, headers: [] };
  const server = createServer((req, res) => {
    void readBody(req).then((body) => {
      receiver.requests += 1;
      if (req.method !== 'POST' || req.url !== '/v1/traces') return void res.writeHead(404).end();
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return void res.writeHead(415).end();
      if (!options.discard) {
        receiver.headers.push({ ...req.headers });
        receiver.spans.push(...decodeTraces(JSON.parse(body.toString('utf8')) as OtlpTraces));
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the OTLP receiver has no port');
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${address.port}/v1/traces`,
    stop: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpTraces {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: Array<{ spans?: Array<{ traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes?: OtlpAttribute[] }> }>;
  }>;
}

/** Scalars as they are; an array attribute as its values joined with commas. */
const valueOf = (value: OtlpValue): string | number | boolean =>
  value.arrayValue ? (value.arrayValue.values ?? []).map(valueOf).join(',') : (value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : (value.doubleValue ?? value.boolValue ?? '')));
const attributesOf = (list: OtlpAttribute[] = []) => Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));

/** OTLP/JSON (the protobuf JSON mapping with hex trace and span ids) to flat spans. */
function decodeTraces(body: OtlpTraces): ReceivedSpan[] {
  return (body.resourceSpans ?? []).flatMap((resource) => {
    const service = String(attributesOf(resource.resource?.attributes)['service.name'] ?? '');
    return (resource.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        service,
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        name: span.name,
        kind: span.kind,
        attributes: attributesOf(span.attributes),
      })),
    );
  });
}

/** The spans from `span` up to its trace's root (as far as received), `span` first. */
export function ancestry(spans: readonly ReceivedSpan[], span: ReceivedSpan): ReceivedSpan[] {
  const byId = new Map(spans.filter((s) => s.traceId === span.traceId).map((s) => [s.spanId, s]));
  const chain = [span];
  for (let parent = byId.get(span.parentSpanId); parent !== undefined && !chain.includes(parent); parent = byId.get(parent.parentSpanId)) chain.push(parent);
  return chain;
}
