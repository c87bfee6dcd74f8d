import { jsonLineIngestSearchParams, type JsonLineIngestParams } from '@vigil/lib/audit-log-format';
import { VigilError } from '@vigil/lib/errors';

export type { JsonLineIngestParams } from '@vigil/lib/audit-log-format';

/** A VictoriaLogs tenant: sent as the AccountID / ProjectID headers (uint32 each, 0/0 when absent). */
export type VictoriaLogsTenant = { accountId: number; projectId: number };

export type VictoriaLogsClientOptions = {
  /** Root of the VictoriaLogs HTTP API, e.g. `http://victorialogs:9428`; may carry basic-auth credentials or a path prefix (vmauth). */
  baseUrl: string;
  /** Budget for a whole request, body included. */
  timeoutMs: number;
  tenant?: VictoriaLogsTenant;
  fetch?: typeof fetch;
};

export type VictoriaLogsRow = Record<string, string>;

/** One sample of a `/select/logsql/stats_query` answer: the group's labels (by-fields) and one stats result. */
export type VictoriaLogsStatsSample = {
  /** The stats result's name (`__name__`): `count` for `count() as count`. */
  name: string;
  /** The by(...) fields of the group, as stored (a missing value is ""). */
  labels: Record<string, string>;
  value: string;
};

/** One series of a `/select/logsql/hits` answer: bucket start times (RFC 3339) and their counts. */
export type VictoriaLogsHitsSeries = {
  fields: Record<string, string>;
  timestamps: string[];
  values: number[];
  total: number;
};

const QUERY_PATH = 'select/logsql/query';
const STATS_QUERY_PATH = 'select/logsql/stats_query';
const HITS_PATH = 'select/logsql/hits';
const TAIL_PATH = 'select/logsql/tail';
/** Stats and hits answers are small (at most 1,000 groups, 10,000 buckets): anything far larger is not an answer. */
const MAX_JSON_BODY_BYTES = 8 * 1024 * 1024;
const INGEST_PATH = 'insert/jsonline';
const MAX_REASON_LENGTH = 500;
const MAX_ERROR_BODY_BYTES = 64 * 1024;
const UINT32_MAX = 0xffff_ffff;

/**
 * The VictoriaLogs HTTP API. Long-lived and cheap: holds no connection of its own (fetch pools them), so
 * `forTenant` can derive a per-request client from the caller's identity without any setup cost.
 */
export class VictoriaLogsClient {
  readonly #root: URL;
  // Not readonly: forTenant copies them onto the derived client, whose URL no longer carries credentials.
  #authorization: string | undefined;
  #secrets: readonly string[];
  readonly #timeoutMs: number;
  readonly #tenant: VictoriaLogsTenant | undefined;
  readonly #fetch: typeof fetch;

  constructor(options: VictoriaLogsClientOptions) {
    const root = new URL(options.baseUrl);
    if (root.protocol !== 'http:' && root.protocol !== 'https:') {
      throw new Error(`VictoriaLogs baseUrl must be http(s), got ${root.protocol}`);
    }
    const username = decodeURIComponent(root.username);
    const password = decodeURIComponent(root.password);
    const secrets = [password, root.password].filter((secret) => secret.length > 0);
    // fetch refuses URLs with credentials, and URLs end up in error causes and logs: move them to a header.
    root.username = '';
    root.password = '';
    root.search = '';
    root.hash = '';
    if (!root.pathname.endsWith('/')) root.pathname = `${root.pathname}/`;
    if (!(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0)) {
      throw new Error('VictoriaLogs timeoutMs must be a positive number');
    }
    if (options.tenant) assertTenant(options.tenant);

    this.#root = root;
    this.#authorization =
      username || password ? `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` : undefined;
    this.#secrets = secrets;
    this.#timeoutMs = options.timeoutMs;
    this.#tenant = options.tenant;
    this.#fetch = options.fetch ?? fetch;
  }

  /** The same server seen as another tenant. */
  forTenant(tenant: VictoriaLogsTenant): VictoriaLogsClient {
    const derived = new VictoriaLogsClient({ baseUrl: this.#root.href, timeoutMs: this.#timeoutMs, tenant, fetch: this.#fetch });
    derived.#authorization = this.#authorization;
    derived.#secrets = this.#secrets;
    return derived;
  }

  /**
   * Runs a LogsQL query (`/select/logsql/query`) and returns at most `limit` rows, every field a string
   * as VictoriaLogs prints them. Rows are read as they stream in; nothing past `limit` is buffered.
   */
  async query(logsql: string, options: { limit: number }): Promise<VictoriaLogsRow[]> {
    const limit = options.limit;
    if (!Number.isSafeInteger(limit) || limit < 1) throw new Error('VictoriaLogs query limit must be a positive integer');
    const signal = AbortSignal.timeout(this.#timeoutMs);
    try {
      const response = await this.#send(QUERY_PATH, {
        method: 'POST',
        // Form-encoded POST rather than GET: queries can outgrow URL limits, and bodies stay out of access logs.
        body: new URLSearchParams({ query: logsql, limit: String(limit) }),
        signal,
      });
      return await readRows(response, limit);
    } catch (error) {
      throw this.#failure(error, signal);
    }
  }

  /**
   * Runs a LogsQL query ending in a `stats` pipe through `/select/logsql/stats_query` (a Prometheus
   * instant-query vector) and returns its samples. No `time` argument: the queries built here carry
   * their own absolute time range, and nothing in them is relative to an evaluation time.
   */
  async statsQuery(logsql: string): Promise<VictoriaLogsStatsSample[]> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    try {
      const response = await this.#send(STATS_QUERY_PATH, { method: 'POST', body: new URLSearchParams({ query: logsql }), signal });
      return parseStatsQuery(await readJson(response));
    } catch (error) {
      throw this.#failure(error, signal);
    }
  }

  /**
   * Counts the rows `logsql` selects per `step` bucket through `/select/logsql/hits`. `start` and `end`
   * (exclusive) frame the buckets; VictoriaLogs widens them to whole steps, so the query itself must
   * carry the exact time range.
   */
  async hits(logsql: string, params: { start: string; end: string; step: string }): Promise<VictoriaLogsHitsSeries[]> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    try {
      const body = new URLSearchParams({ query: logsql, start: params.start, end: params.end, step: params.step });
      const response = await this.#send(HITS_PATH, { method: 'POST', body, signal });
      return parseHits(await readJson(response));
    } catch (error) {
      throw this.#failure(error, signal);
    }
  }

  /**
   * Opens a live tail (`/select/logsql/tail`): rows matching `logsql` as VictoriaLogs finds them, one
   * array per chunk it flushes (it checks every `refreshIntervalMs`, for rows whose `_time` is at least
   * `offsetMs` old; the first check reaches `startOffsetMs` further back). The stream never ends by
   * itself: it runs until `signal` aborts or the connection drops (a rejected query, a restart), which
   * ends the iteration with a VigilError. The first batch is empty: VictoriaLogs accepted the tail. Only the answer's headers are bound by `timeoutMs`: a quiet
   * tail is not a slow one.
   */
  async *tail(
    logsql: string,
    params: { startOffsetMs: number; offsetMs: number; refreshIntervalMs: number },
    signal: AbortSignal,
  ): AsyncGenerator<VictoriaLogsRow[]> {
    const body = new URLSearchParams({
      query: logsql,
      start_offset: `${String(Math.max(0, Math.ceil(params.startOffsetMs)))}ms`,
      offset: `${String(Math.max(0, Math.ceil(params.offsetMs)))}ms`,
      refresh_interval: `${String(Math.max(1, Math.ceil(params.refreshIntervalMs)))}ms`,
    });
    // One controller for the whole stream: the caller's signal ends it; the timeout only until the headers.
    const request = new AbortController();
    const stop = () => request.abort();
    signal.addEventListener('abort', stop, { once: true });
    const timer = setTimeout(stop, this.#timeoutMs);
    let response: Response;
    try {
      response = await this.#send(TAIL_PATH, { method: 'POST', body, signal: request.signal });
    } catch (error) {
      signal.removeEventListener('abort', stop);
      throw this.#failure(error, request.signal);
    } finally {
      clearTimeout(timer);
    }
    if (!response.body) throw new VigilError('UPSTREAM_UNAVAILABLE', 'VictoriaLogs returned an empty tail');
    const decoder = new TextDecoder();
    let pending = '';
    try {
      // Accepted: an empty batch tells the caller so before any row (a tail with nothing new sends nothing).
      yield [];
      for await (const chunk of chunksOf(response.body)) {
        pending += decoder.decode(chunk, { stream: true });
        const end = pending.lastIndexOf('\n');
        if (end < 0) continue;
        const lines = pending.slice(0, end).split('\n').filter((line) => line.trim() !== '');
        pending = pending.slice(end + 1);
        if (lines.length > 0) yield lines.map(parseRow);
      }
    } catch (error) {
      if (signal.aborted) return;
      throw this.#failure(error, request.signal);
    } finally {
      signal.removeEventListener('abort', stop);
      // Ended early (the caller stopped reading): close the stream rather than leave it open.
      await response.body.cancel().catch(() => undefined);
    }
    if (signal.aborted) return;
    // A clean end is still an end: VictoriaLogs closes a tail only when it stops or the query failed.
    const rest = pending.trim();
    if (rest !== '') parseRow(rest);
    throw new VigilError('UPSTREAM_UNAVAILABLE', 'VictoriaLogs closed the live tail');
  }

  /**
   * VictoriaLogs' own clock (its answer's `Date` header, to the second), or null when it gives none. A
   * tail's windows are measured by that clock, which need not agree with this process' (an injected or
   * shifted clock, skew between hosts).
   */
  async serverTimeMs(): Promise<number | null> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    try {
      const headers: Record<string, string> = this.#authorization ? { Authorization: this.#authorization } : {};
      const response = await this.#fetch(new URL('health', this.#root), { headers, signal, redirect: 'manual' });
      await response.arrayBuffer();
      const date = Date.parse(response.headers.get('date') ?? '');
      return Number.isNaN(date) ? null : date;
    } catch (error) {
      throw this.#failure(error, signal);
    }
  }

  /** Stores `records` through `/insert/jsonline`, one JSON object per line. */
  async ingest(records: readonly object[], params: JsonLineIngestParams): Promise<void> {
    if (records.length === 0) return;
    const signal = AbortSignal.timeout(this.#timeoutMs);
    const body = records.map((record) => JSON.stringify(record)).join('\n') + '\n';
    try {
      const response = await this.#send(`${INGEST_PATH}?${jsonLineIngestSearchParams(params)}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/stream+json' },
        body,
        signal,
      });
      // Drain so the connection returns to the pool.
      await response.arrayBuffer();
    } catch (error) {
      throw this.#failure(error, signal);
    }
  }

  async #send(path: string, init: { method: string; headers?: Record<string, string>; body: BodyInit; signal: AbortSignal }): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.#authorization) headers['Authorization'] = this.#authorization;
    if (this.#tenant) {
      headers['AccountID'] = String(this.#tenant.accountId);
      headers['ProjectID'] = String(this.#tenant.projectId);
    }
    const response = await this.#fetch(new URL(path, this.#root), {
      method: init.method,
      headers,
      body: init.body,
      signal: init.signal,
      // A redirect could hand our credentials to another host; VictoriaLogs never redirects API calls.
      redirect: 'manual',
    });
    if (response.ok) return response;
    const reason = this.#redact(await readReason(response));
    if (response.status >= 400 && response.status < 500) {
      throw new VigilError('UPSTREAM_REJECTED', `VictoriaLogs rejected the request (HTTP ${String(response.status)}): ${reason}`);
    }
    throw new VigilError('UPSTREAM_UNAVAILABLE', `VictoriaLogs failed (HTTP ${String(response.status)}): ${reason}`);
  }

  #failure(error: unknown, signal: AbortSignal): VigilError {
    if (error instanceof VigilError) return error;
    if (signal.aborted) {
      return new VigilError('UPSTREAM_TIMEOUT', `VictoriaLogs did not answer within ${String(this.#timeoutMs)} ms`, { cause: error });
    }
    return new VigilError('UPSTREAM_UNAVAILABLE', 'VictoriaLogs is unreachable', { cause: error });
  }

  #redact(text: string): string {
    return this.#secrets.reduce((redacted, secret) => redacted.replaceAll(secret, '***'), text);
  }
}

function assertTenant(tenant: VictoriaLogsTenant): void {
  for (const id of [tenant.accountId, tenant.projectId]) {
    if (!Number.isInteger(id) || id < 0 || id > UINT32_MAX) {
      throw new Error('VictoriaLogs tenant ids must be unsigned 32-bit integers');
    }
  }
}

/** Parses the JSON-lines body as it arrives, stopping (and closing the stream) after `limit` rows. */
async function readRows(response: Response, limit: number): Promise<VictoriaLogsRow[]> {
  const rows: VictoriaLogsRow[] = [];
  if (!response.body) return rows;
  for await (const line of jsonLines(response.body)) {
    rows.push(parseRow(line));
    if (rows.length >= limit) break;
  }
  return rows;
}

async function* jsonLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of chunksOf(body)) {
    pending += decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n', start)) {
      const line = pending.slice(start, end);
      start = end + 1;
      if (line.trim() !== '') yield line;
    }
    pending = pending.slice(start);
  }
  pending += decoder.decode();
  if (pending.trim() !== '') yield pending;
}

async function* chunksOf(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    // Reached early too (enough rows, or a bad line): stops the transfer instead of draining it.
    await reader.cancel().catch(() => undefined);
  }
}

function parseRow(line: string): VictoriaLogsRow {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    // VictoriaLogs reports an error found after the headers went out as a plain-text line, then aborts.
    throw new VigilError('UPSTREAM_UNAVAILABLE', `VictoriaLogs aborted the response: ${truncate(stripRequestEcho(line))}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new VigilError('UPSTREAM_UNAVAILABLE', 'VictoriaLogs returned a row that is not a JSON object');
  }
  // fromEntries defines own properties, so a field named `__proto__` stays a field.
  return Object.fromEntries(
    Object.entries(value).map(([name, field]) => [name, typeof field === 'string' ? field : JSON.stringify(field)]),
  );
}

/** The whole JSON body, refused past MAX_JSON_BODY_BYTES. */
async function readJson(response: Response): Promise<unknown> {
  if (!response.body) throw new VigilError('UPSTREAM_UNAVAILABLE', 'VictoriaLogs returned an empty body');
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of chunksOf(response.body)) {
    size += chunk.byteLength;
    if (size > MAX_JSON_BODY_BYTES) throw new VigilError('UPSTREAM_UNAVAILABLE', 'VictoriaLogs returned an answer too large to be one');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new VigilError('UPSTREAM_UNAVAILABLE', 'VictoriaLogs returned a body that is not JSON');
  }
}

function malformed(what: string): VigilError {
  return new VigilError('UPSTREAM_UNAVAILABLE', `VictoriaLogs returned a malformed ${what} answer`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

function stringRecord(value: unknown, what: string): Record<string, string> {
  if (!isObject(value)) throw malformed(what);
  // fromEntries defines own properties, so a label named `__proto__` stays a label.
  return Object.fromEntries(
    Object.entries(value).map(([name, field]) => {
      if (typeof field !== 'string') throw malformed(what);
      return [name, field];
    }),
  );
}

/** `{"status":"success","data":{"resultType":"vector","result":[{"metric":{...},"value":[t,"v"]}]}}` */
export function parseStatsQuery(body: unknown): VictoriaLogsStatsSample[] {
  const data = isObject(body) && body['status'] === 'success' ? body['data'] : undefined;
  if (!isObject(data) || data['resultType'] !== 'vector' || !Array.isArray(data['result'])) throw malformed('stats_query');
  return data['result'].map((sample: unknown) => {
    if (!isObject(sample) || !Array.isArray(sample['value'])) throw malformed('stats_query');
    const { __name__: name, ...labels } = stringRecord(sample['metric'], 'stats_query');
    const value: unknown = sample['value'][1];
    if (name === undefined || typeof value !== 'string') throw malformed('stats_query');
    return { name, labels, value };
  });
}

/** `{"hits":[{"fields":{...},"timestamps":["..."],"values":[n],"total":n}]}` */
export function parseHits(body: unknown): VictoriaLogsHitsSeries[] {
  const hits = isObject(body) ? body['hits'] : undefined;
  if (!Array.isArray(hits)) throw malformed('hits');
  return hits.map((series: unknown) => {
    if (!isObject(series)) throw malformed('hits');
    const { timestamps, values, total } = series;
    if (!Array.isArray(timestamps) || !timestamps.every(isString) || !Array.isArray(values) || !values.every(isCount)) throw malformed('hits');
    if (timestamps.length !== values.length || !isCount(total)) throw malformed('hits');
    return { fields: stringRecord(series['fields'] ?? {}, 'hits'), timestamps, values, total };
  });
}

async function readReason(response: Response): Promise<string> {
  if (!response.body) return response.statusText;
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of chunksOf(response.body)) {
    text += decoder.decode(chunk, { stream: true });
    if (text.length > MAX_ERROR_BODY_BYTES) break;
  }
  text += decoder.decode();
  const reason = truncate(stripRequestEcho(prometheusError(text) ?? text));
  return reason === '' ? response.statusText : reason;
}

/** stats_query and stats_query_range answer errors as `{"status":"error","errorType":"422","error":"..."}`. */
function prometheusError(text: string): string | undefined {
  if (!text.trimStart().startsWith('{')) return undefined;
  try {
    const body: unknown = JSON.parse(text);
    return isObject(body) && body['status'] === 'error' && typeof body['error'] === 'string' ? body['error'] : undefined;
  } catch {
    return undefined;
  }
}

// VictoriaLogs prefixes errors with `remoteAddr: "..."; requestURI: ...;`: our own address and request,
// nothing a Vigil client should see.
const REQUEST_ECHO = /^\s*remoteAddr: .*?; requestURI: [^;]*; /s;

function stripRequestEcho(text: string): string {
  return text.replace(REQUEST_ECHO, '').replace(/\s+/g, ' ').trim();
}

function truncate(text: string): string {
  return text.length > MAX_REASON_LENGTH ? `${text.slice(0, MAX_REASON_LENGTH)}…` : text;
}
