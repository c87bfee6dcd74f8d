import type { Counter, Registry } from 'prom-client';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { counter } from '../metrics.js';
import { ALERT_SOURCES, SEVERITIES, type Alert, type NewAlert } from './alert.js';
import type { AlertLog } from './alert-log.js';
import type { AlertLifecycle } from './alert-lifecycle.js';

/**
 * The one way any part of Vigil raises an alert. Validates the record (a malformed alert from a
 * source is a bug, not something to store), appends it to the durable log, and logs one line.
 * An alert raised without occurredAt gets this process's time: left to the log it would take the
 * log's time (Redis's clock), and correlation would compare it against sources' times on another clock.
 */
export class AlertPublisher {
  private readonly published: Counter<'source' | 'severity'> | undefined;

  constructor(
    private readonly log: AlertLog,
    private readonly logger: Logger,
    /** The process's clock (SharedServices.clock): occurredAt of an alert raised without one. */
    private readonly clock: Clock,
    /** Where vigil_alerts_published_total is counted (SharedServices.metrics). */
    metrics?: Registry,
    /** Folds repeats of a rule on a subject into one alert (count, lastSeen); without it every raise appends. */
    readonly lifecycle?: AlertLifecycle,
  ) {
    this.published = metrics
      ? counter(metrics, {
          name: 'vigil_alerts_published_total',
          help: 'Alerts appended to the durable alert log, by source and severity (both closed sets).',
          labelNames: ['source', 'severity'] as const,
        })
      : undefined;
  }

  async raise(input: NewAlert): Promise<Alert> {
    const problems = validate(input);
    if (problems.length > 0) throw new Error(`invalid alert from ${input.source}: ${problems.join('; ')}`);
    const alert: NewAlert = input.occurredAt === undefined ? { ...input, occurredAt: this.clock().toISOString() } : input;
    if (this.lifecycle) {
      const outcome = await this.lifecycle.raise(alert);
      if (outcome.folded) return outcome.alert;
      return this.logRaised(outcome.alert);
    }
    return this.logRaised(await this.log.append(alert));
  }

  private logRaised(stored: Alert): Alert {
    // Validated above, so both labels are from closed sets.
    this.published?.inc({ source: stored.source, severity: stored.severity });
    this.logger.info({ alertId: stored.id, source: stored.source, severity: stored.severity, rule: stored.rule }, 'alert raised');
    return stored;
  }
}

function validate(alert: NewAlert): string[] {
  const problems: string[] = [];
  if (!ALERT_SOURCES.includes(alert.source)) problems.push(`unknown source ${String(alert.source)}`);
  if (!SEVERITIES.includes(alert.severity)) problems.push(`unknown severity ${String(alert.severity)}`);
  if (alert.title.trim() === '') problems.push('empty title');
  if (alert.title.length > 500) problems.push('title longer than 500 characters');
  if (alert.occurredAt !== undefined && Number.isNaN(Date.parse(alert.occurredAt))) problems.push('occurredAt is not a date');
  return problems;
}
