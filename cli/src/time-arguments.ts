import { InvalidArgumentError } from 'commander';

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "90s", "30m", "12h", "7d", "2w" → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)(s|m|h|d|w)$/.exec(text.trim());
  if (!match) throw new InvalidArgumentError(`${JSON.stringify(text)} is not a duration: a whole number and one of s, m, h, d, w (e.g. 30m, 7d)`);
  const ms = Number(match[1]) * (UNITS[match[2] as string] as number);
  if (ms <= 0) throw new InvalidArgumentError(`${JSON.stringify(text)}: the duration must be more than zero`);
  return ms;
}

/** A moment: a duration ago ("7d") or an ISO 8601 date-time with a zone ("2026-11-30T00:00:00Z"). */
export function parseSince(text: string, now: Date): Date {
  if (/^\d+[smhdw]$/.test(text.trim())) return new Date(now.getTime() - parseDuration(text));
  if (/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    const date = new Date(text);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new InvalidArgumentError(`${JSON.stringify(text)} is neither a duration (7d, 12h) nor an ISO date-time with a zone (2026-11-30T00:00:00Z)`);
}

export function parsePositiveInt(max: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`${JSON.stringify(text)} is not a whole number from 1 to ${max}`);
    return n;
  };
}
