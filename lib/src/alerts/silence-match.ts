import { tenantFilter } from '../tenancy.js';
import type { Alert } from './alert.js';
import { alertVisible } from './alert-visibility.js';
import type { Silence, SilenceMatchers } from './alert-state.js';

export function hasAnyMatcher(matchers: SilenceMatchers): boolean {
  return matchers.sources.length + matchers.rules.length + matchers.severities.length + matchers.subjects.length + Object.keys(matchers.labels).length > 0;
}

/** Whether the matchers cover the alert; matchers with no condition at all cover nothing (never "silence everything"). */
export function matchesSilence(matchers: SilenceMatchers, alert: Alert): boolean {
  if (!hasAnyMatcher(matchers)) return false;
  if (matchers.sources.length > 0 && !matchers.sources.includes(alert.source)) return false;
  if (matchers.severities.length > 0 && !matchers.severities.includes(alert.severity)) return false;
  if (matchers.rules.length > 0 && (alert.rule === undefined || !matchers.rules.includes(alert.rule))) return false;
  if (matchers.subjects.length > 0) {
    const subject = alert.subject;
    if (!subject) return false;
    const names = subject.type === 'Host' ? [subject.hostId, subject.displayName] : [subject.displayName];
    if (!names.some((name) => matchers.subjects.includes(name))) return false;
  }
  for (const [key, value] of Object.entries(matchers.labels)) if (alert.labels?.[key] !== value) return false;
  return true;
}

export function silenceActive(silence: Silence, now: Date): boolean {
  return silence.expired === null && Date.parse(silence.expiresAt) > now.getTime();
}

/** The active silence covering the alert (within its creator's tenants), if any. */
export function silenceFor(silences: readonly Silence[], alert: Alert, now: Date): Silence | null {
  for (const silence of silences) {
    if (!silenceActive(silence, now)) continue;
    if (!matchesSilence(silence.matchers, alert)) continue;
    if (!alertVisible(tenantFilter(silence.scope === null ? SCOPELESS : { ...SCOPELESS, tenants: silence.scope }), alert)) continue;
    return silence;
  }
  return null;
}

// tenantFilter takes an identity; only its tenants matter here.
const SCOPELESS = { subject: 'silence', kind: 'service' as const, roles: [], tenants: null, expiresAt: null };
