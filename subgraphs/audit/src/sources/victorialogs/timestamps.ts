/**
 * RFC 3339 timestamps at nanosecond precision. VictoriaLogs keeps `_time` in nanoseconds and prints it
 * with Go's RFC3339Nano layout; a JS Date would round it to milliseconds, which is enough to make two
 * distinct audit events look simultaneous (or one event look older than itself), so cursors and time
 * arithmetic go through BigInt nanoseconds instead.
 */

const NANOS_PER_MILLI = 1_000_000n;
const NANOS_PER_SECOND = 1_000_000_000n;

// Full date-time only: partial forms (`2024-10-29`) mean whole periods in LogsQL, never an instant.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Nanoseconds since the Unix epoch, or undefined if `value` is not a valid RFC 3339 date-time. */
export function parseRfc3339Nanos(value: string): bigint | undefined {
  const match = RFC3339.exec(value);
  if (!match) return undefined;
  const [, year = '', month = '', day = '', hour = '', minute = '', second = '', fraction = '', zone = 'Z'] = match;
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  date.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  date.setUTCHours(Number(hour), Number(minute), Number(second), 0);
  const roundTrips =
    date.getUTCFullYear() === Number(year) &&
    date.getUTCMonth() === Number(month) - 1 &&
    date.getUTCDate() === Number(day) &&
    date.getUTCHours() === Number(hour) &&
    date.getUTCMinutes() === Number(minute) &&
    date.getUTCSeconds() === Number(second);
  if (!roundTrips) return undefined;
  const offsetMinutes = zone === 'Z' ? 0 : zoneOffsetMinutes(zone);
  if (offsetMinutes === undefined) return undefined;
  const utcMillis = date.getTime() - offsetMinutes * 60_000;
  return BigInt(utcMillis) * NANOS_PER_MILLI + BigInt(fraction.padEnd(9, '0'));
}

function zoneOffsetMinutes(zone: string): number | undefined {
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(4, 6));
  if (hours > 23 || minutes > 59) return undefined;
  return (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}

/**
 * UTC RFC 3339 with exactly nine fractional digits. LogsQL widens a timestamp written with no or three
 * fractional digits to the whole second or millisecond in some filters; nine digits always mean one
 * nanosecond, so the printed instant is the instant meant.
 */
export function formatRfc3339Nanos(nanos: bigint): string {
  const seconds = floorDiv(nanos, NANOS_PER_SECOND);
  const fraction = nanos - seconds * NANOS_PER_SECOND;
  const wholeSeconds = new Date(Number(seconds * 1000n)).toISOString().slice(0, 19);
  return `${wholeSeconds}.${fraction.toString().padStart(9, '0')}Z`;
}

/** `date` as RFC 3339, or undefined for an invalid Date or one outside years 0000-9999 (LogsQL parses four-digit years only). */
export function formatDate(date: Date): string | undefined {
  const millis = date.getTime();
  if (Number.isNaN(millis)) return undefined;
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) return undefined;
  return date.toISOString();
}

function floorDiv(a: bigint, b: bigint): bigint {
  const quotient = a / b;
  return a % b < 0n ? quotient - 1n : quotient;
}
