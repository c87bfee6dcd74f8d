import { auditIngestParams, jsonLineIngestSearchParams, type JsonLineIngestParams } from '@vigil/lib/audit-log-format';
import { describeError } from '@vigil/lib/errors';
import type { Logger } from '@vigil/lib/logger';
import type { AuditEvent } from './audit-event.js';
import { withoutBodies } from './normalise.js';

/**
 * Forwards every new audit record the webhook accepted (all stages, of interest or not; a redelivered
 * record is not forwarded again, see the delivery ledger) to VictoriaLogs
 * `/insert/jsonline`, in the storage convention of `@vigil/lib/audit-log-format`, so the audit subgraph
 * can query them.
 *
 * Delivery is at-least-once, best effort — deliberately weaker than the security events' promise:
 * - Records are buffered in memory and sent in batches (`batchSize`, or after `flushMs`), one request
 *   at a time, in arrival order.
 * - A failed request (network, timeout, 5xx, 429) is retried with exponential backoff and jitter; a
 *   request VictoriaLogs rejects as malformed (other 4xx) is dropped and logged, since resending the
 *   same bytes cannot succeed.
 * - While VictoriaLogs is down the buffer grows to `maxBufferedEvents`, then the oldest records are
 *   dropped and counted in a warning. A process that stops flushes once; what is left is logged as lost.
 * - A retried batch VictoriaLogs had in fact stored (the answer was lost) is stored twice.
 * The webhook's 2xx means "security events are durable in Redis", never "forwarded": forwarding never
 * holds up or fails a webhook answer, so a VictoriaLogs outage cannot make the API server back off and
 * lose the events Vigil alerts on. The API server's own log backend is the complete record.
 */

/** Where batches go: VictoriaLogsJsonLineSink in production; the audit subgraph's VictoriaLogsClient has the same shape. */
export interface JsonLineSink {
  ingest(records: readonly object[], params: JsonLineIngestParams): Promise<void>;
}

/** A sink failure; `permanent` when resending the same request cannot succeed. */
export class ForwardError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ForwardError';
  }
}

export interface VictoriaLogsJsonLineSinkOptions {
  /** Root of the VictoriaLogs HTTP API; may carry basic-auth credentials or a path prefix (vmauth). */
  baseUrl: string;
  timeoutMs: number;
  /** AccountID / ProjectID headers. @default 0 / 0 */
  tenant?: { accountId: number; projectId: number };
  fetch?: typeof fetch;
}

const MAX_REASON_LENGTH = 300;

/** The write half of the VictoriaLogs HTTP API: `POST /insert/jsonline`, one JSON object per line. */
export class VictoriaLogsJsonLineSink implements JsonLineSink {
  readonly #endpoint: URL;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: VictoriaLogsJsonLineSinkOptions) {
    const root = new URL(options.baseUrl);
    if (root.protocol !== 'http:' && root.protocol !== 'https:') throw new Error(`VictoriaLogs URL must be http(s), got ${root.protocol}`);
    const headers: Record<string, string> = { 'Content-Type': 'application/stream+json' };
    // fetch refuses URLs with credentials, and URLs end up in errors and logs: move them to a header.
    if (root.username !== '' || root.password !== '') {
      const credentials = `${decodeURIComponent(root.username)}:${decodeURIComponent(root.password)}`;
      headers['Authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
    }
    if (options.tenant) {
      headers['AccountID'] = String(options.tenant.accountId);
      headers['ProjectID'] = String(options.tenant.projectId);
    }
    root.username = '';
    root.password = '';
    root.search = '';
    root.hash = '';
    if (!root.pathname.endsWith('/')) root.pathname = `${root.pathname}/`;
    this.#endpoint = new URL('insert/jsonline', root);
    this.#headers = headers;
    this.#timeoutMs = options.timeoutMs;
    this.#fetch = options.fetch ?? fetch;
  }

  async ingest(records: readonly object[], params: JsonLineIngestParams): Promise<void> {
    if (records.length === 0) return;
    const url = new URL(this.#endpoint);
    url.search = jsonLineIngestSearchParams(params).toString();
    const body = records.map((record) => JSON.stringify(record)).join('\n') + '\n';
    const signal = AbortSignal.timeout(this.#timeoutMs);
    let response: Response;
    try {
      response = await this.#fetch(url, { method: 'POST', headers: this.#headers, body, signal, redirect: 'manual' });
    } catch (error) {
      const what = signal.aborted ? `did not answer within ${this.#timeoutMs} ms` : 'is unreachable';
      throw new ForwardError(`VictoriaLogs ${what}`, false, { cause: error });
    }
    const text = await response.text().catch(() => '');
    if (response.ok) return;
    // VictoriaLogs answers 400 only when no line of the request could be stored; 429/5xx are transient.
    const permanent = response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429;
    throw new ForwardError(`VictoriaLogs answered HTTP ${response.status}: ${reason(text)}`, permanent);
  }
}

// VictoriaLogs prefixes errors with `remoteAddr: "..."; requestURI: ...;`: our own address and request.
function reason(text: string): string {
  const cleaned = text.replace(/^\s*remoteAddr: .*?; requestURI: [^;]*; /s, '').replace(/\s+/g, ' ').trim();
  return cleaned.length > MAX_REASON_LENGTH ? `${cleaned.slice(0, MAX_REASON_LENGTH)}…` : cleaned;
}

export interface AuditForwarderOptions {
  sink: JsonLineSink;
  /** Tags every record (`cluster` field and stream) — the audit subgraph's `cluster` filter. */
  cluster: string;
  batchSize: number;
  flushMs: number;
  maxBufferedEvents: number;
  /** First retry delay after a failure; doubles per failure. @default 1000 */
  initialBackoffMs?: number;
  /** @default 30000 */
  maxBackoffMs?: number;
  logger: Logger;
}

export interface AuditForwarderStats {
  buffered: number;
  /** Records VictoriaLogs accepted. */
  forwarded: number;
  /** Records dropped because the buffer was full (or enqueued after stop). */
  dropped: number;
  /** Records VictoriaLogs rejected as malformed. */
  rejected: number;
  /** Failed requests since the last success. */
  consecutiveFailures: number;
}

/** A stored record: the event without request/response bodies (VictoriaLogs ignores them anyway; this keeps the buffer small). */
type ForwardRecord = Omit<AuditEvent, 'requestObject' | 'responseObject'>;

const DROP_LOG_INTERVAL_MS = 10_000;

export class VictoriaLogsAuditForwarder {
  readonly #options: AuditForwarderOptions;
  readonly #params: JsonLineIngestParams;
  readonly #initialBackoffMs: number;
  readonly #maxBackoffMs: number;
  #buffer: ForwardRecord[] = [];
  #sending: Promise<void> | null = null;
  #flushTimer: NodeJS.Timeout | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  #backoffMs = 0;
  #stopped = false;
  #droppedSinceLog = 0;
  #lastDropLog = 0;
  readonly #stats = { forwarded: 0, dropped: 0, rejected: 0, consecutiveFailures: 0 };

  constructor(options: AuditForwarderOptions) {
    for (const key of ['batchSize', 'flushMs', 'maxBufferedEvents'] as const) {
      if (!Number.isInteger(options[key]) || options[key] < 1) throw new Error(`audit forwarder: ${key} must be a positive integer`);
    }
    this.#options = options;
    this.#params = auditIngestParams({ cluster: options.cluster });
    this.#initialBackoffMs = options.initialBackoffMs ?? 1000;
    this.#maxBackoffMs = options.maxBackoffMs ?? 30_000;
  }

  /** Queues records for VictoriaLogs. Never blocks or throws: forwarding must not hold up the webhook. */
  enqueue(events: readonly AuditEvent[]): void {
    if (this.#stopped) {
      this.#drop(events.length);
      return;
    }
    for (const event of events) this.#buffer.push(withoutBodies(event));
    this.#bound();
    this.#schedule();
  }

  /** Sends everything buffered now, skipping any backoff wait. Resolves when done or after one failed attempt. */
  async flush(): Promise<void> {
    this.#clearTimers();
    // A finished send may start the next full batch at once: wait until none is running.
    while (this.#sending) await this.#sending;
    if (this.#buffer.length > 0) await this.#start(true);
  }

  /** Stops the timers and flushes once; records still buffered afterwards are logged as lost. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.flush();
    this.#clearTimers();
    if (this.#buffer.length > 0) {
      this.#options.logger.warn({ lost: this.#buffer.length }, 'audit forwarding: stopped with records not delivered to VictoriaLogs');
      this.#stats.dropped += this.#buffer.length;
      this.#buffer = [];
    }
  }

  stats(): AuditForwarderStats {
    return { buffered: this.#buffer.length, ...this.#stats };
  }

  #schedule(): void {
    if (this.#stopped || this.#sending || this.#retryTimer || this.#buffer.length === 0) return;
    if (this.#buffer.length >= this.#options.batchSize) {
      void this.#start(false);
      return;
    }
    this.#flushTimer ??= setTimeout(() => {
      this.#flushTimer = null;
      void this.#start(true);
    }, this.#options.flushMs).unref();
  }

  /** `partial`: send a last batch smaller than batchSize too (its time is up); else full batches only. */
  #start(partial: boolean): Promise<void> {
    if (partial && this.#flushTimer) {
      clearTimeout(this.#flushTimer);
      this.#flushTimer = null;
    }
    this.#sending ??= this.#drain(partial).finally(() => {
      this.#sending = null;
      this.#schedule();
    });
    return this.#sending;
  }

  /** Sends batches until the buffer is empty (or holds less than a batch) or a request fails (which schedules the retry). */
  async #drain(partial: boolean): Promise<void> {
    while (this.#buffer.length >= (partial ? 1 : this.#options.batchSize)) {
      const batch = this.#buffer.splice(0, this.#options.batchSize);
      try {
        await this.#options.sink.ingest(batch, this.#params);
        this.#stats.forwarded += batch.length;
        this.#stats.consecutiveFailures = 0;
        this.#backoffMs = 0;
      } catch (error) {
        if (error instanceof ForwardError && error.permanent) {
          this.#stats.rejected += batch.length;
          this.#options.logger.error({ err: describeError(error), records: batch.length }, 'audit forwarding: VictoriaLogs rejected a batch; dropped');
          continue;
        }
        this.#buffer.unshift(...batch);
        this.#bound();
        this.#stats.consecutiveFailures += 1;
        this.#backoffMs = this.#backoffMs === 0 ? this.#initialBackoffMs : Math.min(this.#backoffMs * 2, this.#maxBackoffMs);
        // Jitter over the upper half of the delay: senders that failed together do not retry together.
        const delay = Math.round(this.#backoffMs * (0.5 + Math.random() / 2));
        this.#options.logger.warn(
          { err: describeError(error), buffered: this.#buffer.length, retryInMs: delay, failures: this.#stats.consecutiveFailures },
          'audit forwarding: VictoriaLogs write failed; will retry',
        );
        if (!this.#stopped) {
          this.#retryTimer = setTimeout(() => {
            this.#retryTimer = null;
            void this.#start(true);
          }, delay).unref();
        }
        return;
      }
    }
  }

  /** Drops the oldest records beyond maxBufferedEvents. */
  #bound(): void {
    const excess = this.#buffer.length - this.#options.maxBufferedEvents;
    if (excess <= 0) return;
    this.#buffer.splice(0, excess);
    this.#drop(excess);
  }

  #drop(count: number): void {
    if (count === 0) return;
    this.#stats.dropped += count;
    this.#droppedSinceLog += count;
    const now = Date.now();
    if (now - this.#lastDropLog < DROP_LOG_INTERVAL_MS) return;
    this.#lastDropLog = now;
    this.#options.logger.warn(
      { dropped: this.#droppedSinceLog, droppedTotal: this.#stats.dropped, maxBufferedEvents: this.#options.maxBufferedEvents },
      'audit forwarding: buffer full or stopped; oldest records dropped',
    );
    this.#droppedSinceLog = 0;
  }

  #clearTimers(): void {
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#flushTimer = null;
    this.#retryTimer = null;
  }
}
