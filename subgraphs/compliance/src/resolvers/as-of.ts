import { badInput } from '@vigil/lib/errors';

/** asOf: a valid time, not in the future (the history has nothing there). */
export function asOfArg(value: string | null | undefined, now: Date): string | null {
  if (value == null) return null;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw badInput(`asOf: ${JSON.stringify(value)} is not a date-time`, { argument: 'asOf' });
  if (t > now.getTime()) throw badInput(`asOf: ${value} is in the future`, { argument: 'asOf' });
  return new Date(t).toISOString();
}
