import { abortableSleep } from '@vigil/lib/abortable-sleep';
import { describeError } from '@vigil/lib/errors';
import type { Logger } from '@vigil/lib/logger';
import type { VictoriaLogsClient, VictoriaLogsRow } from './client.js';
import type { AuditLayout } from './layout.js';
import { buildAuditFilter } from './logsql.js';
import type { TailCheckpoint, TailCheckpointStore } from './tail-checkpoint.js';
import { tailRecordOf, type TailRecord } from './tail-record.js';

/**
 * Follows one VictoriaLogs tenant's audit records through `/select/logsql/tail` and hands them, in
 * batches, to the audit rules (tail-rules.ts). What it guarantees:
 *
 * - **Resume without gaps.** After each batch it saves a checkpoint (tail-checkpoint.ts): the newest
 *   `_time` done and the records done at that instant. A (re)connection asks for rows from the
 *   checkpoint on (`start_offset` = VictoriaLogs' now − checkpoint + `OVERLAP_MS`, measured by
 *   VictoriaLogs' own clock, so a shifted or skewed local clock cannot open a gap), capped at
 *   `maxCatchUpMs` (a longer outage is logged as a gap with its bounds). With no checkpoint it starts
 *   at VictoriaLogs' now.
 * - **No repeats.** Rows at the checkpoint's instant it finished are dropped here; older rows read
 *   again (the overlap) are dropped by the delivery ledger (tail-rules.ts).
 * - **Outages.** VictoriaLogs down, refusing, or closing the stream: reconnects with exponential
 *   backoff (with jitter), logs one warning per outage naming the URL (credentials removed) and one
 *   line when it is back, then resumes from the checkpoint.
 *
 * What it cannot see: a row whose `_time` is already older than the tail's window when it becomes
 * searchable. VictoriaLogs' tail reads `_time` from (previous end − 5 s) to (now − `offset`); a row
 * ingested later than that after its `_time` (a shipper's backlog with `_time_field=date` set to when
 * the line was read is fine; an arrival-time `_time` always is) is missed. `offsetMs` is that margin.
 */
export interface TailFollowerOptions {
  /** Already bound to the tenant (`client.forTenant`): the tenant comes from config, never from a caller. */
  client: Pick<VictoriaLogsClient, 'tail' | 'serverTimeMs'>;
  layout: AuditLayout;
  /** Records without a cluster are this one's. */
  ownCluster: string;
  checkpoints: TailCheckpointStore;
  /** Evaluates a batch; a throw makes the follower re-read from its checkpoint after a backoff. */
  process: (records: readonly TailRecord[]) => Promise<unknown>;
  offsetMs: number;
  refreshIntervalMs: number;
  maxCatchUpMs: number;
  backoff: { initialMs: number; maxMs: number };
  /** The VictoriaLogs URL without credentials, for logs. */
  url: string;
  /** `accountId:projectId`, for logs. */
  tenant: string;
  logger: Logger;
}

/** How far before the checkpoint a resumed tail starts: VictoriaLogs' own tail looks back 5 s per refresh. */
export const OVERLAP_MS = 5_000;
/** The `Date` header has whole seconds. */
const SERVER_CLOCK_RESOLUTION_MS = 1_000;

export class VictoriaLogsTailFollower {
  readonly #options: TailFollowerOptions;
  readonly #query: string;
  #abort: AbortController | null = null;
  #running: Promise<void> | null = null;
  #checkpoint: TailCheckpoint | null = null;
  /** When the current outage began (ms, this process' clock), or null while connected. */
  #outageSince: number | null = null;
  #batches = 0;

  constructor(options: TailFollowerOptions) {
    this.#options = options;
    // The same records every audit query reads in this layout: the stream filter, then "auditID":*.
    this.#query = buildAuditFilter({}, options.layout);
  }

  /** The LogsQL the tail runs. */
  get query(): string {
    return this.#query;
  }

  /** Batches evaluated since start (for tests and metrics). */
  get batches(): number {
    return this.#batches;
  }

  /** Starts following in the background. Idempotent. */
  start(): void {
    if (this.#running) return;
    const abort = new AbortController();
    this.#abort = abort;
    this.#running = this.#run(abort.signal);
  }

  /** Stops: the batch being evaluated finishes and is checkpointed, then the connection closes. */
  async stop(): Promise<void> {
    this.#abort?.abort();
    await this.#running;
    this.#running = null;
    this.#abort = null;
  }

  async #run(signal: AbortSignal): Promise<void> {
    const { backoff } = this.#options;
    let delayMs = backoff.initialMs;
    while (!signal.aborted) {
      let connected = false;
      try {
        this.#checkpoint = await this.#options.checkpoints.load();
        const startOffsetMs = await this.#startOffsetMs();
        const rows = this.#options.client.tail(
          this.#query,
          { startOffsetMs, offsetMs: this.#options.offsetMs, refreshIntervalMs: this.#options.refreshIntervalMs },
          signal,
        );
        for await (const batch of rows) {
          // The first (empty) batch says VictoriaLogs accepted the tail.
          if (!connected) {
            connected = true;
            delayMs = backoff.initialMs;
            this.#connected();
          }
          if (batch.length > 0) {
            try {
              await this.#evaluate(batch);
            } catch (error) {
              throw new EvaluationFailure(error);
            }
          }
        }
      } catch (error) {
        if (signal.aborted) break;
        this.#failed(error, connected);
        await abortableSleep(jitter(delayMs), signal);
        delayMs = Math.min(backoff.maxMs, delayMs * 2);
      }
    }
  }

  async #startOffsetMs(): Promise<number> {
    const { client, offsetMs, maxCatchUpMs, logger } = this.#options;
    const checkpoint = this.#checkpoint;
    if (checkpoint === null) return 0;
    const serverNowMs = ((await client.serverTimeMs()) ?? Date.now()) + SERVER_CLOCK_RESOLUTION_MS;
    const checkpointMs = Number(checkpoint.timeNs / 1_000_000n);
    // The tail's first window ends at (now - offset) and reaches start_offset back from there.
    const wanted = serverNowMs - offsetMs - checkpointMs + OVERLAP_MS;
    if (wanted <= maxCatchUpMs) return Math.max(0, wanted);
    const resumeAtMs = serverNowMs - offsetMs - maxCatchUpMs;
    logger.warn(
      { tenant: this.#options.tenant, from: new Date(checkpointMs).toISOString(), to: new Date(resumeAtMs).toISOString() },
      'audit live rules: the tail stopped longer ago than audit.liveRules.maxCatchUpMinutes; audit records in this gap are not evaluated',
    );
    return maxCatchUpMs;
  }

  /** Parses, drops what the checkpoint says is done, evaluates, then moves the checkpoint. */
  async #evaluate(rows: readonly VictoriaLogsRow[]): Promise<void> {
    const { layout, ownCluster, logger } = this.#options;
    const checkpoint = this.#checkpoint;
    const records: TailRecord[] = [];
    let skipped = 0;
    for (const row of rows) {
      const parsed = tailRecordOf(row, layout, ownCluster);
      if (!parsed.ok) {
        skipped += 1;
        continue;
      }
      const record = parsed.record;
      if (checkpoint !== null && record.tailTimeNs === checkpoint.timeNs && checkpoint.keys.includes(record.key)) continue;
      records.push(record);
    }
    if (skipped > 0) logger.warn({ tenant: this.#options.tenant, skipped }, 'audit live rules: tail rows that are not audit records were skipped');
    if (records.length > 0) await this.#options.process(records);
    this.#batches += 1;
    const next = advance(checkpoint, records);
    if (next !== checkpoint && next !== null) {
      await this.#options.checkpoints.save(next);
      this.#checkpoint = next;
    }
  }

  #connected(): void {
    if (this.#outageSince === null) return;
    this.#options.logger.info(
      { url: this.#options.url, tenant: this.#options.tenant, outageSeconds: Math.round((Date.now() - this.#outageSince) / 1000) },
      'audit live rules: VictoriaLogs live tail is back; resuming from the checkpoint',
    );
    this.#outageSince = null;
  }

  #failed(error: unknown, connected: boolean): void {
    const { logger, url, tenant } = this.#options;
    if (error instanceof EvaluationFailure) {
      // Not VictoriaLogs: the ledger, rule state or alert log. Each attempt is logged (the backoff spaces them).
      logger.error({ err: describeError(error.cause), tenant }, 'audit live rules: evaluating a batch failed; re-reading it from the checkpoint after a backoff');
      return;
    }
    if (this.#outageSince !== null) {
      logger.debug({ err: describeError(error), url, tenant }, 'audit live rules: VictoriaLogs live tail still unavailable');
      return;
    }
    this.#outageSince = Date.now();
    logger.warn(
      { err: describeError(error), url, tenant, connected },
      'audit live rules: VictoriaLogs live tail unavailable; reconnecting with backoff, resuming from the checkpoint (logged once per outage)',
    );
  }
}

/** The rules could not evaluate a batch (Redis, the alert log): unlike a VictoriaLogs failure, not an outage of the tail. */
class EvaluationFailure extends Error {
  constructor(cause: unknown) {
    super('evaluating a tail batch failed', { cause });
  }
}

/** The checkpoint after `records`: the newest `_time` among them and every key at it (merged when the instant is the same). */
export function advance(checkpoint: TailCheckpoint | null, records: readonly TailRecord[]): TailCheckpoint | null {
  let next = checkpoint;
  for (const record of records) {
    if (next === null || record.tailTimeNs > next.timeNs) next = { timeNs: record.tailTimeNs, keys: [record.key] };
    else if (record.tailTimeNs === next.timeNs && !next.keys.includes(record.key)) next = { timeNs: next.timeNs, keys: [...next.keys, record.key] };
  }
  return next;
}

function jitter(ms: number): number {
  return Math.round(ms * (0.8 + Math.random() * 0.4));
}
