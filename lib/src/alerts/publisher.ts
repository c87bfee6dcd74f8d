import type { Logger } from '../logger.js';
import { ALERT_SOURCES, SEVERITIES, type Alert, type NewAlert } from './alert.js';
import type { AlertLog } from './alert-log.js';

/**
 * The one way any part of Vigil raises an alert. Validates the record (a malformed alert from a
 * source is a bug, not something to store), appends it to the durable log, and logs one line.
 */
export class AlertPublisher {
  constructor(
    private readonly log: AlertLog,
    private readonly logger: Logger,
  ) {}

  async raise(alert: NewAlert): Promise<Alert> {
    const problems = validate(alert);
    if (problems.length > 0) throw new Error(`invalid alert from ${alert.source}: ${problems.join('; ')}`);
    const stored = await this.log.append(alert);
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
