import { badInput } from '@vigil/lib/errors';
import { AUDIT_FIELDS } from '@vigil/lib/audit-log-format';
import { formatDate, formatRfc3339Nanos, parseRfc3339Nanos } from './timestamps.js';

/** What a caller may filter audit events by. Strings match whole values exactly, case-sensitively. */
export type AuditFilter = {
  user?: string;
  /** One group the user belonged to. */
  userGroups?: string;
  verb?: string;
  resource?: string;
  namespace?: string;
  name?: string;
  responseCode?: number;
  /** One of the request's source IPs. */
  sourceIp?: string;
  cluster?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
};

/**
 * Where the next page starts: at `time` (RFC 3339, up to nanoseconds), after the `skip` events at
 * exactly that time that earlier pages already returned.
 *
 * Why a count rather than the last auditID: equal timestamps are ordered by the sort pipe, which compares
 * strings "naturally" (digit runs as numbers), while LogsQL's string filters compare bytes — and which
 * one a version uses has changed — so "auditID < last" can skip or repeat events. Skipping a counted
 * prefix of the same deterministic sort cannot.
 */
export type AuditPagePosition = { time: string; skip: number };

export type AuditQueryPage = { limit: number; before?: AuditPagePosition };

export const MAX_QUERY_LIMIT = 10_000;
export const MAX_FILTER_VALUE_LENGTH = 1024;
export const MAX_PAGE_SKIP = 100_000;

// With the `u` flag a well-formed surrogate pair is one code point outside this range.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * A double-quoted LogsQL string literal that decodes to exactly `value`, whatever it contains.
 *
 * LogsQL unquotes with Go's strconv.Unquote. JSON string escaping is a subset of Go's (it only emits
 * \" \\ \b \f \n \r \t and \uXXXX, never a raw newline), so JSON.stringify is such a literal — except for
 * an unpaired UTF-16 surrogate, which has no UTF-8 form at all and is refused rather than altered.
 * Inside the quotes, `*`, `|`, `:`, parentheses and keywords like `or` are plain characters.
 */
export function quoteLogsQL(value: string): string {
  if (LONE_SURROGATE.test(value)) throw badInput('value contains an unpaired UTF-16 surrogate');
  return JSON.stringify(value);
}

type StringFilterKey = 'user' | 'userGroups' | 'verb' | 'resource' | 'namespace' | 'name' | 'sourceIp' | 'cluster';

/** Exact filters: `field:="value"` matches the whole value, never as a word, prefix or pattern. */
const EXACT_FIELDS = [
  ['user', AUDIT_FIELDS.user],
  ['verb', AUDIT_FIELDS.verb],
  ['resource', AUDIT_FIELDS.resource],
  ['namespace', AUDIT_FIELDS.namespace],
  ['name', AUDIT_FIELDS.name],
  ['cluster', AUDIT_FIELDS.cluster],
] as const satisfies ReadonlyArray<readonly [StringFilterKey, string]>;

/**
 * Array fields are stored as the JSON text their writer sent (`["a","b"]`; writers serialise with
 * JSON.stringify, see @vigil/lib/audit-log-format). Matching one element takes two filters:
 *
 * - a phrase filter on the element's JSON text, quotes included, which VictoriaLogs answers from its
 *   bloom filters; on its own it is not exact: the text can also start at the escaped quote inside
 *   another element (`"*"` occurs in `["\"*"]`, the array of the one string `"*`);
 * - a regexp that parses the whole array as JSON strings, so the element can only be one of them.
 *
 * `json_array_contains_any` would do both, but it needs VictoriaLogs v1.47; this works on older releases.
 */
const ARRAY_ELEMENT_FIELDS = [
  ['userGroups', AUDIT_FIELDS.userGroups],
  ['sourceIp', AUDIT_FIELDS.sourceIps],
] as const satisfies ReadonlyArray<readonly [StringFilterKey, string]>;

/**
 * The LogsQL for one page of audit events matching `filter`, newest first. Every client value is
 * validated and quoted; numbers and times are printed from numbers and Dates, never copied from input.
 */
export function buildAuditQuery(filter: AuditFilter, page: AuditQueryPage): string {
  const limit = checkedInteger('limit', page.limit, 1, MAX_QUERY_LIMIT);

  // Only audit records: a tenant may hold other logs, which would not map to events.
  const filters = [`${quoteLogsQL(AUDIT_FIELDS.auditId)}:*`];
  for (const [key, field] of EXACT_FIELDS) {
    const value = filter[key];
    if (value !== undefined) filters.push(`${quoteLogsQL(field)}:=${quoteLogsQL(checkedValue(key, value))}`);
  }
  for (const [key, field] of ARRAY_ELEMENT_FIELDS) {
    const value = filter[key];
    if (value !== undefined) filters.push(...arrayElementFilters(field, checkedValue(key, value)));
  }
  if (filter.responseCode !== undefined) {
    const code = checkedInteger('responseCode', filter.responseCode, 100, 599);
    filters.push(`${quoteLogsQL(AUDIT_FIELDS.responseCode)}:=${String(code)}`);
  }
  filters.push(...timeRangeFilters(filter.from, filter.to));

  let skip = 0;
  if (page.before !== undefined) {
    const before = parseRfc3339Nanos(page.before.time);
    if (before === undefined) throw badInput('before.time: must be an RFC 3339 date-time');
    skip = checkedInteger('before.skip', page.before.skip, 0, MAX_PAGE_SKIP);
    // `<` is exact at any precision (`<=` widens a second- or millisecond-precision time to its whole period).
    filters.push(`_time:<${formatRfc3339Nanos(before + 1n)}`);
  }

  const pipes = [`sort by (_time desc, ${AUDIT_FIELDS.auditId} desc, ${AUDIT_FIELDS.stage} desc)`];
  if (skip > 0) pipes.push(`offset ${String(skip)}`);
  pipes.push(`limit ${String(limit)}`);
  return [filters.join(' AND '), ...pipes].join(' | ');
}

/** One JSON string literal: a quote, then escape sequences or characters other than `"` and `\`, then a quote. */
const JSON_STRING_RE = String.raw`"(?:[^"\\]|\\.)*"`;

/** The filters matching a stored JSON array of strings that has an element equal to `value`. */
function arrayElementFilters(field: string, value: string): string[] {
  const element = JSON.stringify(value);
  const wholeArray = `^\\[(?:${JSON_STRING_RE},)*${escapeRegexp(element)}(?:,${JSON_STRING_RE})*\\]$`;
  return [`${quoteLogsQL(field)}:${quoteLogsQL(element)}`, `${quoteLogsQL(field)}:~${quoteLogsQL(wholeArray)}`];
}

/** `text` as a Go (RE2) regexp matching exactly itself: every metacharacter escaped. */
export function escapeRegexp(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

function timeRangeFilters(from: Date | undefined, to: Date | undefined): string[] {
  const start = from === undefined ? undefined : checkedDate('from', from);
  const end = to === undefined ? undefined : checkedDate('to', to);
  if (from !== undefined && to !== undefined && from.getTime() > to.getTime()) {
    throw badInput('from: must not be after to');
  }
  // `[start` and `end)` are exact; only `]`, `<=` and bare times widen to the printed precision.
  if (start !== undefined && end !== undefined) return [`_time:[${start}, ${end})`];
  if (start !== undefined) return [`_time:>=${start}`];
  if (end !== undefined) return [`_time:<${end}`];
  return [];
}

function checkedValue(key: StringFilterKey, value: string): string {
  if (value.length === 0 || value.length > MAX_FILTER_VALUE_LENGTH) {
    // VictoriaLogs does not store empty values: `field:=""` would match every record *without* the field.
    throw badInput(`${key}: must be 1 to ${String(MAX_FILTER_VALUE_LENGTH)} characters`);
  }
  if (LONE_SURROGATE.test(value)) throw badInput(`${key}: contains an unpaired UTF-16 surrogate`);
  return value;
}

function checkedInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw badInput(`${name}: must be an integer from ${String(min)} to ${String(max)}`);
  }
  return value;
}

function checkedDate(name: string, date: Date): string {
  const formatted = formatDate(date);
  if (formatted === undefined) throw badInput(`${name}: must be a valid date between years 0000 and 9999`);
  return formatted;
}
