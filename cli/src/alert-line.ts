import type { AlertRaisedSubscription } from '@vigil/sdk/index';

export type AlertSummary = AlertRaisedSubscription['alertRaised'];

/** One alert, one line: when, severity, source, subject, title, id (the id last, so `awk '{print $NF}'` finds it). */
export function alertLine(alert: AlertSummary): string {
  const subject = alert.subjectRef?.displayName ?? '-';
  return `${alert.raisedAt}  ${alert.severity.padEnd(8)}  ${alert.source.padEnd(10)}  ${subject}  ${alert.title}  ${alert.id}`;
}

/**
 * Whether `id` comes after `last` in the alert log. Ids are Redis stream ids (`<ms>-<seq>`, the
 * memory log uses the same form); anything else is only compared for equality.
 */
export function isAfter(id: string, last: string | undefined): boolean {
  if (last === undefined) return true;
  const a = /^(\d+)-(\d+)$/.exec(id);
  const b = /^(\d+)-(\d+)$/.exec(last);
  if (!a || !b) return id !== last;
  const [am, as] = [BigInt(a[1] as string), BigInt(a[2] as string)];
  const [bm, bs] = [BigInt(b[1] as string), BigInt(b[2] as string)];
  return am > bm || (am === bm && as > bs);
}
