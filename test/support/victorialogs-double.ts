import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { applyPipes, fieldKept, formatRfc3339Nano, LogsQLError, matches, parseLogsQL, parseTimeAt, type LogRow, type Query } from './victorialogs-logsql.js';

/**
 * Not for new tests. Integration tests run the real VictoriaLogs (./victorialogs.ts, the pinned release
 * built by ./install-victorialogs.sh); a double is kept only where a fault must be injected — a timeout, a
 * 5xx, a stream cut short — which the real server cannot be made to produce (those tests use small
 * fault servers of their own, e.g. subgraphs/audit/test/victorialogs.int.test.ts). Still on this double,
 * to be moved: gateway/test/stack.e2e.test.ts; the unit test
 * subgraphs/audit/test/logsql.test.ts uses its LogsQL parser (./victorialogs-logsql.ts) offline.
 *
 * A protocol-faithful VictoriaLogs double for integration tests (DESIGN §8): the real HTTP paths and
 * parameters, the real storage transformations and response shapes, and a real LogsQL parser for the
 * subset in ./victorialogs-logsql.ts — anything else is answered 400, as VictoriaLogs answers what it
 * cannot parse. Behaviour follows VictoriaMetrics/VictoriaLogs `app/vlinsert/jsonline`,
 * `app/vlinsert/insertutil` (common params, timestamps), `lib/logstorage` (json_parser.go flattening,
 * log_rows.go, stream_tags.go), `app/vlselect/logsql` (query args, JSON lines) and `lib/httpserver`
 * (error bodies).
 *
 * - `POST /insert/jsonline`: `_time_field`, `_msg_field`, `_stream_fields`, `ignore_fields`, `extra_fields`
 *   (or their `VL-*` headers); nested objects flattened to dotted names, arrays/numbers/booleans kept as
 *   JSON text, nulls and empty values dropped; `_time`, `_msg`, `_stream`, `_stream_id` stored.
 * - `GET|POST /select/logsql/query`: `query`, `limit`, `offset`; `application/stream+json` rows, every value a string.
 * - `AccountID` / `ProjectID` headers select the tenant (default 0/0) on both.
 * - `/health`.
 */
export type VictoriaLogsDouble = {
  url: string;
  /** Every `query` arg received by /select/logsql/query, raw, in arrival order. */
  queries: string[];
  stop(): Promise<void>;
};

const MAX_FIELD_NAME_SIZE = 128;
const MAX_BODY_BYTES = 32 * 1024 * 1024;
const DEFAULT_MSG_VALUE = 'missing _msg field; see https://docs.victoriametrics.com/victorialogs/keyconcepts/#message-field';
const UINT32_MAX = 0xffff_ffffn;

class StoredRow implements LogRow {
  constructor(
    readonly time: bigint,
    readonly fields: ReadonlyMap<string, string>,
    readonly stream: string,
    readonly streamId: string,
  ) {}

  field(name: string): string {
    switch (name) {
      case '_time':
        return formatRfc3339Nano(this.time);
      case '_stream':
        return this.stream;
      case '_stream_id':
        return this.streamId;
      default:
        return this.fields.get(name) ?? '';
    }
  }

  toJSON(): Record<string, string> {
    const ordered: [string, string][] = [
      ['_msg', this.fields.get('_msg') ?? ''],
      ['_stream', this.stream],
      ['_stream_id', this.streamId],
      ['_time', formatRfc3339Nano(this.time)],
    ];
    const rest = [...this.fields].filter(([name]) => name !== '_msg').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries([...ordered, ...rest]);
  }
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startVictoriaLogsDouble(): Promise<VictoriaLogsDouble> {
  const tenants = new Map<string, StoredRow[]>();
  const queries: string[] = [];

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const status = error instanceof HttpFailure ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      sendError(request, response, status, message);
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://double');
    const body = await readBody(request);
    switch (url.pathname) {
      case '/health':
        response.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('OK');
        return;
      case '/insert/jsonline':
        if (request.method !== 'POST') {
          response.writeHead(405, { 'Content-Type': 'application/json' }).end();
          return;
        }
        insertJsonLines(request, url, body);
        response.writeHead(200, { 'Content-Type': 'application/json' }).end();
        return;
      case '/select/logsql/query':
        if (request.method !== 'GET' && request.method !== 'POST') {
          response.writeHead(405).end();
          return;
        }
        selectQuery(request, url, body, response);
        return;
      default:
        throw new HttpFailure(400, `unsupported path requested: ${JSON.stringify(url.pathname)}`);
    }
  }

  function insertJsonLines(request: IncomingMessage, url: URL, body: string): void {
    const tenant = tenantOf(request);
    const timeFields = listParam(request, url, '_time_field', 'vl-time-field');
    const msgFields = listParam(request, url, '_msg_field', 'vl-msg-field');
    const streamFields = listParam(request, url, '_stream_fields', 'vl-stream-fields');
    const ignoreFields = listParam(request, url, 'ignore_fields', 'vl-ignore-fields');
    const extraFields = listParam(request, url, 'extra_fields', 'vl-extra-fields').map(parseExtraField);
    if (request.headers['content-encoding'] !== undefined) throw new HttpFailure(400, 'the test double accepts no Content-Encoding');

    const stored = tenants.get(tenant) ?? [];
    tenants.set(tenant, stored);
    let lines = 0;
    let errors = 0;
    let lastError = '';
    for (const line of body.split('\n')) {
      if (line === '') continue;
      lines++;
      try {
        stored.push(
          toStoredRow(tenant, line, {
            timeFields: timeFields.length > 0 ? timeFields : ['_time'],
            msgFields,
            streamFields,
            ignoreFields,
            extraFields,
          }),
        );
      } catch (error) {
        // VictoriaLogs skips an invalid line (and logs it); the request fails only if every line did.
        errors++;
        lastError = error instanceof Error ? error.message : String(error);
      }
    }
    if (errors > 0 && errors === lines) {
      throw new HttpFailure(400, `cannot process jsonline request; error: ${lastError}`);
    }
  }

  function selectQuery(request: IncomingMessage, url: URL, body: string, response: ServerResponse): void {
    const form = formOf(request, url, body);
    const query = form.get('query') ?? '';
    queries.push(query);
    const tenant = tenantOf(request);
    for (const arg of ['start', 'end', 'time', 'extra_filters', 'extra_stream_filters']) {
      if (form.has(arg)) throw new HttpFailure(400, `the test double does not support the ${arg} arg`);
    }
    const offset = nonNegativeIntArg(form, 'offset');
    const limit = nonNegativeIntArg(form, 'limit');
    const parsed = parseQuery(query);
    let matching: StoredRow[];
    try {
      matching = (tenants.get(tenant) ?? []).filter((row) => matches(parsed.filter, row));
    } catch (error) {
      if (error instanceof LogsQLError) throw new HttpFailure(400, `cannot execute query [${query}]: ${error.message}`);
      throw error;
    }
    const rows = applyPipes(matching, parsed.pipes, limit, offset);
    response.writeHead(200, { 'Content-Type': 'application/stream+json' });
    for (const row of rows) {
      const printed = Object.fromEntries(Object.entries(row.toJSON()).filter(([field]) => fieldKept(parsed.pipes, field)));
      response.write(`${JSON.stringify(printed)}\n`);
    }
    response.end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the VictoriaLogs double is not listening on TCP');
  const { port } = address;
  return {
    url: `http://127.0.0.1:${String(port)}`,
    queries,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function parseQuery(query: string): Query {
  try {
    return parseLogsQL(query, nowNanos());
  } catch (error) {
    if (error instanceof LogsQLError) throw new HttpFailure(400, `cannot parse query [${query}]: ${error.message}`);
    throw error;
  }
}

type IngestSettings = {
  timeFields: readonly string[];
  msgFields: readonly string[];
  streamFields: readonly string[];
  ignoreFields: readonly string[];
  extraFields: readonly (readonly [string, string])[];
};

function toStoredRow(tenant: string, line: string, settings: IngestSettings): StoredRow {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    throw new Error(`cannot parse JSON: ${error instanceof Error ? error.message : String(error)}; line contents: ${JSON.stringify(line)}`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`value doesn't contain object; line contents: ${JSON.stringify(line)}`);
  }
  const fields: [string, string][] = [];
  flatten(parsed, '', fields);

  const time = extractTimestamp(settings.timeFields, fields);
  renameFirstNonEmpty(fields, settings.msgFields, '_msg');

  const extraNames = new Set(settings.extraFields.map(([name]) => name));
  const streamTags: [string, string][] = [];
  for (const [name, value] of fields) {
    if (settings.streamFields.includes(name) && !extraNames.has(name) && value !== '') streamTags.push([name, value]);
  }
  for (const [name, value] of settings.extraFields) {
    if (settings.streamFields.includes(name) && value !== '') streamTags.push([name, value]);
  }
  streamTags.sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  const stream = `{${streamTags.map(([name, value]) => `${name}=${goQuote(value)}`).join(',')}}`;
  const streamId = '0'.repeat(16) + createHash('sha256').update(`${tenant}\u0000${stream}`).digest('hex').slice(0, 32);

  const stored = new Map<string, string>();
  for (const [rawName, value] of fields) {
    const name = rawName === '' ? '_msg' : rawName;
    if (value === '' || extraNames.has(name) || isIgnored(name, settings.ignoreFields)) continue;
    // These are generated by VictoriaLogs itself; a record cannot set them.
    if (name === '_time' || name === '_stream' || name === '_stream_id') continue;
    stored.set(name, value);
  }
  for (const [name, value] of settings.extraFields) stored.set(name, value);
  if (!stored.has('_msg')) stored.set('_msg', DEFAULT_MSG_VALUE);
  return new StoredRow(time, stored, stream, streamId);
}

/** json_parser.go: nested objects become `a.b.c`; arrays, numbers and booleans their JSON text; nulls vanish. */
function flatten(object: object, prefix: string, out: [string, string][]): void {
  const entries = Object.entries(object);
  const longestKey = Math.max(0, ...entries.map(([key]) => Buffer.byteLength(key)));
  if (Buffer.byteLength(prefix) + longestKey > MAX_FIELD_NAME_SIZE) {
    // Too long a composite name: the object is kept whole, as JSON, under its prefix.
    out.push([prefix.endsWith('.') ? prefix.slice(0, -1) : prefix, JSON.stringify(object)]);
    return;
  }
  for (const [key, value] of entries) {
    if (value === null) continue;
    if (typeof value === 'object' && !Array.isArray(value)) {
      flatten(value, `${prefix}${key}.`, out);
    } else {
      out.push([`${prefix}${key}`, typeof value === 'string' ? value : JSON.stringify(value)]);
    }
  }
}

/** insertutil.ExtractTimestampFromFields: the first listed field present wins and is then dropped. */
function extractTimestamp(timeFields: readonly string[], fields: [string, string][]): bigint {
  for (const name of timeFields) {
    const field = fields.find(([fieldName]) => fieldName === name);
    if (field === undefined) continue;
    const value = field[1];
    field[1] = '';
    if (value === '' || value === '0' || value === '-') return nowNanos();
    const nanos = value.length <= 4 || value.charAt(4) !== '-' ? parseUnixTimestamp(value) : parseRfc3339(value);
    if (nanos === undefined) throw new Error(`cannot parse timestamp from field ${JSON.stringify(name)}: ${JSON.stringify(value)}`);
    return nanos === 0n ? nowNanos() : nanos;
  }
  return nowNanos();
}

function parseUnixTimestamp(value: string): bigint | undefined {
  if (!/^\d+$/.test(value)) return undefined;
  const n = BigInt(value);
  // Seconds, milliseconds, microseconds or nanoseconds, told apart by magnitude.
  if (n < 10n ** 10n) return n * 1_000_000_000n;
  if (n < 10n ** 13n) return n * 1_000_000n;
  if (n < 10n ** 16n) return n * 1_000n;
  return n;
}

function parseRfc3339(value: string): bigint | undefined {
  if (!/(Z|[+-]\d{2}:\d{2})$/.test(value)) return undefined;
  return parseTimeAt(value, 0n);
}

function nowNanos(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

function renameFirstNonEmpty(fields: [string, string][], names: readonly string[], to: string): void {
  for (const name of names) {
    const field = fields.find(([fieldName, value]) => fieldName === name && value !== '');
    if (field !== undefined) {
      field[0] = to;
      return;
    }
  }
}

function isIgnored(name: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => (pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern));
}

function parseExtraField(entry: string): [string, string] {
  const equals = entry.indexOf('=');
  if (equals <= 0 || equals === entry.length - 1) {
    throw new HttpFailure(400, `invalid extra_field format: ${JSON.stringify(entry)}; must be in the form "field=value"`);
  }
  return [entry.slice(0, equals), entry.slice(equals + 1)];
}

/** strconv.Quote, as stream tags are printed: JSON-like, with Go's escapes for control characters. */
function goQuote(value: string): string {
  const named: Record<string, string> = { '\u0007': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u000b': '\\v', '"': '\\"', '\\': '\\\\' };
  let quoted = '"';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    const escape = named[char];
    if (escape !== undefined) quoted += escape;
    else if (code < 0x20 || code === 0x7f) quoted += `\\x${code.toString(16).padStart(2, '0')}`;
    else quoted += char;
  }
  return `${quoted}"`;
}

function tenantOf(request: IncomingMessage): string {
  return `${String(tenantId(request, 'accountid', 'accountID'))}:${String(tenantId(request, 'projectid', 'projectID'))}`;
}

function tenantId(request: IncomingMessage, header: string, name: string): bigint {
  const value = headerValue(request, header);
  if (value === '') return 0n;
  if (!/^\d+$/.test(value) || BigInt(value) > UINT32_MAX) {
    throw new HttpFailure(400, `cannot obtain tenantID: cannot parse ${name} from ${JSON.stringify(value)}: invalid syntax`);
  }
  return BigInt(value);
}

function headerValue(request: IncomingMessage, name: string): string {
  const value = request.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

/** httputil.GetArray: the query arg (or else the header), split on commas. */
function listParam(request: IncomingMessage, url: URL, arg: string, header: string): string[] {
  const value = url.searchParams.get(arg) ?? headerValue(request, header);
  return value === '' ? [] : value.split(',');
}

/** Go's Request.Form: url-encoded POST body values first, then the URL's. */
function formOf(request: IncomingMessage, url: URL, body: string): URLSearchParams {
  const form = new URLSearchParams();
  const contentType = headerValue(request, 'content-type');
  if (request.method === 'POST' && contentType.startsWith('application/x-www-form-urlencoded')) {
    for (const [key, value] of new URLSearchParams(body)) form.append(key, value);
  }
  for (const [key, value] of url.searchParams) form.append(key, value);
  return form;
}

function nonNegativeIntArg(form: URLSearchParams, name: string): number {
  const value = form.get(name) ?? '';
  if (value === '') return 0;
  if (!/^[+-]?\d+$/.test(value)) throw new HttpFailure(400, `cannot parse ${name}=${JSON.stringify(value)}: invalid syntax`);
  const n = Number(value);
  if (n < 0) throw new HttpFailure(400, `${JSON.stringify(name)} cannot be smaller than 0; got ${String(n)}`);
  return n;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new HttpFailure(413, 'request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** httpserver.Errorf: the reason prefixed with the caller's address and request URI, as text/plain. */
function sendError(request: IncomingMessage, response: ServerResponse, status: number, message: string): void {
  const remoteAddr = JSON.stringify(`${request.socket.remoteAddress ?? ''}:${String(request.socket.remotePort ?? '')}`);
  const text = `remoteAddr: ${remoteAddr}; requestURI: ${request.url ?? '/'}; ${message}`;
  if (response.headersSent) {
    response.end(`\n${text}\n`);
    return;
  }
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' }).end(`${text}\n`);
}
