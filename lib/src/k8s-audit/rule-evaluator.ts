import type { AlertPublisher } from '../alerts/publisher.js';
import type { Clock } from '../clock.js';
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AuditRulesConfig } from './rules-config.js';
import type { AuditDetails } from './audit-event.js';
import { failureRateAlert, silenceAlert, silenceResolvedAlert } from './rule-alerts.js';
import type { AuditRuleState, RateWindow } from './rule-state.js';
import { countRequests, failureRateExceeded } from './rules.js';

/** The failure-rate window is summed in this many buckets (300 s: 60 s steps). */
export const RATE_BUCKETS = 5;
/** The silence check runs at most this far apart (and four times per silence period when that is shorter). */
const MAX_CHECK_INTERVAL_MS = 60_000;

export interface AuditRuleEvaluatorOptions {
  state: AuditRuleState;
  config: AuditRulesConfig;
  publisher: AlertPublisher;
  clock: Clock;
  logger: Logger;
}

/**
 * The stateful half of the audit rules: the failure rate per cluster over a sliding window, and
 * silence per cluster. Fed records that are new (a redelivered record must not be fed again: the
 * webhook's delivery ledger sees to that), with the time to count them at — the webhook passes the
 * arrival time by its clock, a VictoriaLogs tail would pass each record's `_time` — so the same
 * evaluator serves either feed. The silence check runs on a timer (`start`), or by calling
 * `checkSilence` (tests move the injected clock and call it).
 *
 * Failures: a state-store error throws (the webhook answers 503 and the batch comes back). An alert
 * that cannot be raised is not lost: its hold or mark is put back, so the next evaluation (the next
 * batch, the next tick) raises it; the error is logged.
 */
export class AuditRuleEvaluator {
  readonly #options: AuditRuleEvaluatorOptions;
  readonly #window: RateWindow;
  #timer: NodeJS.Timeout | null = null;
  #checking: Promise<number> | null = null;

  constructor(options: AuditRuleEvaluatorOptions) {
    this.#options = options;
    const windowMs = options.config.apiFailureRate.windowSeconds * 1000;
    this.#window = { bucketMs: Math.ceil(windowMs / RATE_BUCKETS), buckets: RATE_BUCKETS };
  }

  /**
   * Records of one cluster, new to Vigil, at `atMs`: marks the cluster heard from (resolving its
   * silence) and counts its requests for the failure rate (raising it when the window's count reaches
   * the threshold, once per window). Returns the number of alerts raised.
   */
  async observe(cluster: string, details: readonly AuditDetails[], atMs: number): Promise<number> {
    if (details.length === 0) return 0;
    const { state, config, publisher, logger } = this.#options;
    let raised = 0;

    if (config.silence.enabled) {
      const resumed = await state.heardFrom(cluster, atMs);
      if (resumed !== null) {
        try {
          await publisher.raise(silenceResolvedAlert({ cluster, silentSinceMs: resumed.silentSinceMs, atMs }));
          raised += 1;
        } catch (error) {
          logger.error({ err: describeError(error), cluster }, 'audit rules: raising the silence resolution failed; retried with the next records');
          await state.setSilenceMark(cluster, resumed.silentSinceMs).catch(() => undefined);
        }
      }
    }

    const rate = config.apiFailureRate;
    const counts = countRequests(details);
    if (rate.enabled && counts.requests > 0) {
      const bucket = Math.floor(atMs / this.#window.bucketMs);
      const window = await state.addRequestCounts(cluster, bucket, counts, this.#window);
      if (failureRateExceeded(window, rate) && (await state.claimFiring(cluster, 'apiFailureRate', rate.windowSeconds * 1000))) {
        try {
          await publisher.raise(failureRateAlert({ cluster, counts: window, threshold: rate.threshold, windowSeconds: rate.windowSeconds, severity: rate.severity, atMs }));
          raised += 1;
        } catch (error) {
          logger.error({ err: describeError(error), cluster }, 'audit rules: raising the failure-rate alert failed; retried with the next records');
          await state.releaseFiring(cluster, 'apiFailureRate').catch(() => undefined);
        }
      }
    }
    return raised;
  }

  /**
   * Raises the silence alert for every cluster last heard from `silence.minutes` ago or more, once per
   * silence (replicas sharing Redis raise it once between them). Returns the number raised.
   */
  checkSilence(): Promise<number> {
    // One check at a time: a slow Redis must not stack timer runs.
    this.#checking ??= this.#checkSilence().finally(() => (this.#checking = null));
    return this.#checking;
  }

  async #checkSilence(): Promise<number> {
    const { state, config, publisher, clock, logger } = this.#options;
    if (!config.silence.enabled) return 0;
    const cutoff = clock().getTime() - config.silence.minutes * 60_000;
    let raised = 0;
    for (const { cluster, lastSeenMs } of await state.markSilent(cutoff)) {
      try {
        await publisher.raise(silenceAlert({ cluster, lastSeenMs, minutes: config.silence.minutes, severity: config.silence.severity }));
        raised += 1;
      } catch (error) {
        logger.error({ err: describeError(error), cluster }, 'audit rules: raising the silence alert failed; retried at the next check');
        await state.setSilenceMark(cluster, null).catch(() => undefined);
      }
    }
    return raised;
  }

  /** Starts the silence timer (unref'd: it never keeps the process alive). Idempotent. */
  start(): void {
    if (this.#timer || !this.#options.config.silence.enabled) return;
    const interval = Math.min(MAX_CHECK_INTERVAL_MS, (this.#options.config.silence.minutes * 60_000) / 4);
    this.#timer = setInterval(() => {
      this.checkSilence().catch((error: unknown) => {
        this.#options.logger.warn({ err: describeError(error) }, 'audit rules: silence check failed; retried at the next check');
      });
    }, interval).unref();
  }

  /** Stops the timer and waits for a check in progress. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#checking?.catch(() => undefined);
  }
}
