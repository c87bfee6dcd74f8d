import { badInput } from '@vigil/lib/errors';
import { formatDate } from './timestamps.js';

/**
 * Time buckets of an audit histogram. VictoriaLogs' `/select/logsql/hits` counts per `step` bucket
 * aligned to multiples of the step since the Unix epoch (with offset 0, i.e. UTC): a bucket starts
 * at `floor(t / step) * step`. The buckets here are computed the same way, so every bucket VictoriaLogs
 * reports is one of them and the empty ones can be filled with 0.
 */

export const MAX_HISTOGRAM_BUCKETS = 10_000;
/** Ten years: a longer step gives one bucket for any range LogsQL can hold anyway. */
export const MAX_STEP_SECONDS = 3650 * 86_400;

const UNIT_SECONDS = new Map([
  ['s', 1],
  ['m', 60],
  ['h', 3600],
  ['d', 86_400],
]);
const STEP = /^([1-9]\d{0,9})([smhd])$/;

/** Seconds in a step written as a whole number of one unit (`30s`, `5m`, `1h`, `1d`); undefined when it is not one. */
export function parseStep(step: string): number | undefined {
  const match = STEP.exec(step);
  if (!match) return undefined;
  const [, count = '', unit = ''] = match;
  const perUnit = UNIT_SECONDS.get(unit);
  if (perUnit === undefined) return undefined;
  const seconds = Number(count) * perUnit;
  return seconds <= MAX_STEP_SECONDS ? seconds : undefined;
}

const NANOS_PER_MILLI = 1_000_000n;
const NANOS_PER_SECOND = 1_000_000_000n;

/**
 * Start of every bucket from the one holding `from` to the one holding the last instant before `to`,
 * in nanoseconds. Refuses (BAD_USER_INPUT naming `step`) a range that would take more than
 * MAX_HISTOGRAM_BUCKETS, before anything is queried.
 */
export function bucketStarts(range: HistogramRange): bigint[] {
  const { start, step, count } = bucketsOf(range);
  return Array.from({ length: count }, (_unused, index) => start + BigInt(index) * step);
}

export type HistogramRange = { from: Date; to: Date; stepSeconds: number };

/** How many buckets `range` takes; refuses it like bucketStarts does. */
export function bucketCount(range: HistogramRange): number {
  return bucketsOf(range).count;
}

function bucketsOf(range: HistogramRange): { start: bigint; step: bigint; count: number } {
  const { from, to, stepSeconds } = range;
  if (!Number.isSafeInteger(stepSeconds) || stepSeconds < 1 || stepSeconds > MAX_STEP_SECONDS) {
    throw badInput(`step: must be 1 second to ${String(MAX_STEP_SECONDS / 86_400)} days`);
  }
  if (formatDate(from) === undefined || formatDate(to) === undefined) throw badInput('filter.from, filter.to: must be valid dates between years 0000 and 9999');
  if (from.getTime() > to.getTime()) throw badInput('filter.from: must not be after filter.to');
  const step = BigInt(stepSeconds) * NANOS_PER_SECOND;
  const fromNanos = BigInt(from.getTime()) * NANOS_PER_MILLI;
  const end = BigInt(to.getTime()) * NANOS_PER_MILLI;
  const start = floorDiv(fromNanos, step) * step;
  if (end <= fromNanos) return { start, step, count: 0 };
  const count = (end - start + step - 1n) / step;
  if (count > BigInt(MAX_HISTOGRAM_BUCKETS)) {
    throw badInput(
      `step: ${String(stepSeconds)}s gives ${count.toString()} buckets from ${from.toISOString()} to ${to.toISOString()}; at most ${String(MAX_HISTOGRAM_BUCKETS)} are allowed: take a longer step or a shorter range`,
    );
  }
  return { start, step, count: Number(count) };
}

function floorDiv(a: bigint, b: bigint): bigint {
  const quotient = a / b;
  return a % b < 0n ? quotient - 1n : quotient;
}
