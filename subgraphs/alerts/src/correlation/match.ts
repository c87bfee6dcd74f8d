import { KUBERNETES_USER_LABEL, severityRank, type Alert } from '@vigil/lib/alerts/alert';
import type { CorrelationRule, JoinKey, PartMatcher } from './correlation-config.js';

/** Pure parts of the engine: whether an alert is a part of a rule, what it joins on, whether two parts pair. */

export type PartName = 'first' | 'second';

export function matchesPart(matcher: PartMatcher, alert: Alert): boolean {
  if (matcher.sources && !matcher.sources.includes(alert.source)) return false;
  if (matcher.rules && (alert.rule === undefined || !matcher.rules.includes(alert.rule))) return false;
  if (matcher.minSeverity && severityRank(alert.severity) < severityRank(matcher.minSeverity)) return false;
  if (matcher.subjectKinds && (alert.subject?.type !== 'KubeObject' || !matcher.subjectKinds.includes(alert.subject.kind))) return false;
  const labels = alert.labels ?? {};
  if (matcher.labels && !Object.entries(matcher.labels).every(([key, value]) => labels[key] === value)) return false;
  if (matcher.hasLabels && !matcher.hasLabels.every((key) => labels[key] !== undefined)) return false;
  return true;
}

/** The parts of `rule` this alert is (an alert may be both when the matchers overlap). */
export function partsOf(rule: CorrelationRule, alert: Alert): PartName[] {
  const parts: PartName[] = [];
  if (matchesPart(rule.first, alert)) parts.push('first');
  if (matchesPart(rule.second, alert)) parts.push('second');
  return parts;
}

/**
 * The value two parts must share, or null when the alert does not carry it (it then joins nothing:
 * a missing namespace is not a wildcard). Encoded unambiguously: names may contain any character.
 */
export function joinValue(joinOn: JoinKey, alert: Alert): string | null {
  const subject = alert.subject;
  switch (joinOn) {
    case 'namespace':
      return subject?.type === 'KubeObject' && subject.namespace !== '' ? JSON.stringify([subject.cluster, subject.namespace]) : null;
    case 'host':
      return subject?.hostId !== undefined ? JSON.stringify([subject.hostId]) : null;
    case 'cluster': {
      const cluster = subject?.type === 'KubeObject' ? subject.cluster : (subject?.cluster ?? alert.labels?.['cluster']);
      return cluster ? JSON.stringify([cluster]) : null;
    }
    case 'user': {
      const user = alert.labels?.[KUBERNETES_USER_LABEL];
      return user && alert.source !== 'HOSTS' ? JSON.stringify([user]) : null;
    }
  }
}

/** When the part happened (the underlying event), in ms: windows are about events, not about when alerts arrived. */
export function partTime(alert: Alert): number {
  return Date.parse(alert.occurredAt);
}

/** Whether a first part at `firstMs` and a second at `secondMs` are within the rule's window, in its order. */
export function pairs(rule: CorrelationRule, firstMs: number, secondMs: number): boolean {
  const windowMs = rule.windowSeconds * 1000;
  const gap = secondMs - firstMs;
  return rule.order === 'sequence' ? gap >= 0 && gap <= windowMs : Math.abs(gap) <= windowMs;
}
