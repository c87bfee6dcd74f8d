import { abortableSleep } from '@vigil/lib/abortable-sleep';
import { severityRank, type Alert, type AlertLogEvent, type NewAlert } from '@vigil/lib/alerts/alert';
import type { AlertLog } from '@vigil/lib/alerts/alert-log';
import type { AlertPublisher } from '@vigil/lib/alerts/publisher';
import type { Clock } from '@vigil/lib/clock';
import { describeError } from '@vigil/lib/errors';
import type { Logger } from '@vigil/lib/logger';
import type { CorrelationRule } from './correlation-config.js';
import type { CorrelationState } from './correlation-state.js';
import { STATE_MARGIN_MS } from './correlation-state.js';
import { joinValue, pairs, partTime, partsOf, type PartName } from './match.js';

/** The engine's consumer group on the alert log: its position survives restarts beside the stream. */
export const CORRELATION_GROUP = 'correlation';
/** Labels of a correlation alert naming its parts (Alert.correlatedAlerts reads them). */
export const FIRST_PART_LABEL = 'correlationFirstAlertId';
export const SECOND_PART_LABEL = 'correlationSecondAlertId';
export const PAIR_LABEL = 'correlationPair';

const BATCH = 100;
const POLL_MS = 250;
const CLAIM_STALE_MS = 60_000;
/** How far back the log is searched for a pair raised by a run that died before recording it. */
const RECENT_ALERTS_SEARCHED = 2000;

export interface CorrelationEngineDeps {
  log: AlertLog;
  publisher: AlertPublisher;
  state: CorrelationState;
  rules: readonly CorrelationRule[];
  /** This process's name in the consumer group. */
  consumer: string;
  clock: Clock;
  logger: Logger;
  /** A claim by another consumer older than this is presumed dead and taken over; so are its unacknowledged entries. @default 60000 */
  claimStaleMs?: number;
}

/**
 * Joins alerts from different sources into one CORRELATION alert per pair.
 *
 * Exactly once per pair, across restarts: the engine reads the alert log through its own consumer
 * group and acknowledges an entry only after it was fully processed, so a crash replays what was in
 * flight and nothing is skipped; each part is remembered in Redis before the other part is looked
 * for, so a restart between the two parts still pairs them (and two consumers processing the two
 * parts at once cannot both miss each other: each writes before it reads); each pair is claimed with
 * SET NX before it is raised, so a replay or a second finder raises nothing. The one gap a claim
 * leaves — a crash after the raise and before the claim records it — is closed by looking for the
 * pair's label in the recent log before raising a pair this consumer claimed in an earlier run.
 */
export class CorrelationEngine {
  private readonly stop = new AbortController();
  private loop: Promise<void> | null = null;
  private readonly rules: readonly CorrelationRule[];
  private acknowledged: string | null = null;
  private readonly claimStaleMs: number;

  constructor(private readonly deps: CorrelationEngineDeps) {
    this.rules = deps.rules.filter((rule) => rule.enabled);
    this.claimStaleMs = deps.claimStaleMs ?? CLAIM_STALE_MS;
  }

  async start(): Promise<void> {
    if (this.rules.length === 0) return;
    await this.deps.log.groups.ensure(CORRELATION_GROUP);
    this.loop = this.run();
    this.deps.logger.info({ rules: this.rules.map((r) => r.name) }, 'correlation rules: reading the alert log');
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.loop;
    await this.deps.state.close();
  }

  /** The log entry this engine last finished (tests wait for it; a metric could export it). */
  get lastAcknowledged(): string | null {
    return this.acknowledged;
  }

  private get stopping(): boolean {
    return this.stop.signal.aborted;
  }

  private async run(): Promise<void> {
    const { log, consumer } = this.deps;
    let lastClaim = Number.NEGATIVE_INFINITY;
    while (!this.stopping) {
      try {
        let batch: AlertLogEvent[] = [];
        const now = performance.now();
        if (now - lastClaim >= this.claimStaleMs / 2) {
          // What a consumer read and did not finish (a restart, a dead replica), once idle long
          // enough not to be a live replica's work in progress.
          batch = await log.groups.claimPending(CORRELATION_GROUP, consumer, { minIdleMs: this.claimStaleMs, count: BATCH });
          lastClaim = now;
        }
        // Polled, not a blocking read: close() aborts the wait between polls at once, where a blocked
        // Redis read would hold the drain until its timeout.
        if (batch.length === 0) batch = await log.groups.readNew(CORRELATION_GROUP, consumer, { count: BATCH, blockMs: 0 });
        if (batch.length === 0) await abortableSleep(POLL_MS, this.stop.signal);
        for (const entry of batch) {
          if (this.stopping) return;
          if (entry.type === 'raised') await this.processWithRetry(entry.alert);
          if (this.stopping) return;
          await log.groups.ack(CORRELATION_GROUP, [entry.id]);
          this.acknowledged = entry.id;
        }
      } catch (error) {
        if (this.stopping) return;
        this.deps.logger.warn({ err: describeError(error) }, 'correlation: reading the alert log failed; retrying');
        await abortableSleep(1000, this.stop.signal);
      }
    }
  }

  /** An entry is not acknowledged until processed: on failure (Redis down) it is retried, never skipped. */
  private async processWithRetry(alert: Alert): Promise<void> {
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        await this.process(alert);
        return;
      } catch (error) {
        if (this.stopping) return;
        this.deps.logger.warn({ alertId: alert.id, attempt, err: describeError(error) }, 'correlation: processing an alert failed; retrying');
        await abortableSleep(Math.min(30_000, 500 * 2 ** Math.min(attempt, 6)), this.stop.signal);
      }
    }
  }

  /** Every rule's view of one alert: remember it as a part, then pair it with the other part's remembered alerts. */
  async process(alert: Alert): Promise<void> {
    // Its own alerts are not parts of anything: a rule matching CORRELATION would feed on itself.
    if (alert.source === 'CORRELATION') return;
    const atMs = partTime(alert);
    if (Number.isNaN(atMs)) return;
    for (const rule of this.rules) {
      const parts = partsOf(rule, alert);
      if (parts.length === 0) continue;
      const join = joinValue(rule.joinOn, alert);
      if (join === null) continue;
      const windowMs = rule.windowSeconds * 1000;
      // Kept for two windows: a part arriving late (its event older than the newest seen) can still pair.
      for (const part of parts) await this.deps.state.remember(rule.name, part, join, alert, atMs, 2 * windowMs);
      for (const part of parts) {
        const other: PartName = part === 'first' ? 'second' : 'first';
        const candidates = await this.deps.state.partsBetween(rule.name, other, join, atMs - windowMs, atMs + windowMs);
        for (const candidate of candidates) {
          if (candidate.id === alert.id) continue;
          const [first, second] = part === 'first' ? [alert, candidate] : [candidate, alert];
          if (!pairs(rule, partTime(first), partTime(second))) continue;
          await this.fire(rule, first, second, join);
        }
      }
    }
  }

  private async fire(rule: CorrelationRule, first: Alert, second: Alert, join: string): Promise<void> {
    const pair = `${first.id}/${second.id}`;
    const nowMs = this.deps.clock().getTime();
    // Longer than any time the pair can be found again: the parts stay remembered for two windows.
    const ttlMs = 2 * rule.windowSeconds * 1000 + STATE_MARGIN_MS;
    let claim = await this.deps.state.claimPair(rule.name, pair, this.deps.consumer, nowMs, ttlMs);
    // Another consumer (a replica) is raising it right now: wait for it to record the raise rather
    // than acknowledge this entry on its word — it may die first. Stale, it is presumed dead.
    while (claim.state === 'claimed' && claim.by !== this.deps.consumer && this.deps.clock().getTime() - claim.atMs < this.claimStaleMs && !this.stopping) {
      await abortableSleep(250, this.stop.signal);
      claim = await this.deps.state.claimPair(rule.name, pair, this.deps.consumer, this.deps.clock().getTime(), ttlMs);
    }
    if (this.stopping) throw new Error('stopping');
    if (claim.state === 'raised') return;
    if (claim.state === 'claimed') {
      // Claimed by an earlier run of this consumer or by one that died: raised, unless it died before the raise.
      const existing = await this.findRaised(pair);
      if (existing) {
        await this.deps.state.markRaised(rule.name, pair, existing, ttlMs);
        return;
      }
    }
    const raised = await this.deps.publisher.raise(correlationAlert(rule, first, second, join));
    await this.deps.state.markRaised(rule.name, pair, raised.id, ttlMs);
  }

  private async findRaised(pair: string): Promise<string | null> {
    const recent = await this.deps.log.listNewestFirst({ limit: RECENT_ALERTS_SEARCHED });
    return recent.find((a) => a.source === 'CORRELATION' && a.labels?.[PAIR_LABEL] === pair)?.id ?? null;
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function describePart(n: number, alert: Alert): string {
  return `${n}. ${alert.occurredAt} ${alert.source} ${alert.severity} ${alert.rule ?? ''}: ${alert.title} (alert ${alert.id})`;
}

/**
 * The alert for one pair: names both parts (title, description, and their alert ids as labels, which
 * Alert.correlatedAlerts resolves), at the time of the later part, about the configured part's subject.
 */
export function correlationAlert(rule: CorrelationRule, first: Alert, second: Alert, join: string): NewAlert {
  const severity = rule.severity ?? (severityRank(first.severity) >= severityRank(second.severity) ? first.severity : second.severity);
  const subject = (rule.subjectFrom === 'first' ? first : second).subject;
  const later = partTime(second) >= partTime(first) ? second : first;
  const joinedOn = (JSON.parse(join) as string[]).join('/');
  const cluster = first.labels?.['cluster'] ?? second.labels?.['cluster'];
  return {
    source: 'CORRELATION',
    severity,
    title: truncate(`${rule.title}: ${first.title} → ${second.title}`, 500),
    rule: `correlation: ${rule.name}`,
    description: [`Joined on ${rule.joinOn} ${joinedOn} within ${rule.windowSeconds} s.`, describePart(1, first), describePart(2, second)].join('\n'),
    ...(subject ? { subject } : {}),
    occurredAt: later.occurredAt,
    labels: {
      correlationRule: rule.name,
      [PAIR_LABEL]: `${first.id}/${second.id}`,
      [FIRST_PART_LABEL]: first.id,
      [SECOND_PART_LABEL]: second.id,
      correlationJoin: `${rule.joinOn} ${joinedOn}`,
      ...(cluster ? { cluster } : {}),
    },
  };
}
