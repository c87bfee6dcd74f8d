import { z } from 'zod';
import { isRecord } from '../is-record.js';

/**
 * How long after an alert's last sighting a repeat (same source, rule and subject) folds into it
 * instead of raising a new alert; 0 turns folding off. Every process that raises alerts reads it
 * (`alerts.foldWindowSeconds`). Off by default: sources that raise one alert per event (the audit
 * rules: one per request) keep that behaviour until a deployment opts in (300 is a good start).
 * @default 0
 */
export const foldWindowSeconds = z.coerce.number().int().min(0).max(7 * 24 * 3600).default(0);
export const DEFAULT_FOLD_WINDOW_SECONDS = 0;

/** The fold window from a whole config whose `alerts` section another process validates (a bad value there fails that process's start). */
export function foldWindowMsOf(alertsSection: unknown): number {
  const raw = isRecord(alertsSection) ? alertsSection['foldWindowSeconds'] : undefined;
  const parsed = foldWindowSeconds.safeParse(raw);
  return (parsed.success ? parsed.data : DEFAULT_FOLD_WINDOW_SECONDS) * 1000;
}
