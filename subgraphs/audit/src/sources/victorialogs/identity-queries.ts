import { AUDIT_FIELDS } from '@vigil/lib/audit-log-format';
import { badInput, VigilError } from '@vigil/lib/errors';
import type { VictoriaLogsStatsSample } from './client.js';
import { timeFieldOf, VIGIL_LAYOUT, type AuditLayout } from './layout.js';
import { buildAuditFilter, MAX_FILTER_VALUES, quoteLogsQL, type AuditFilter } from './logsql.js';
import { parseRfc3339Nanos } from './timestamps.js';

/**
 * Identities across audit events: who made the requests a filter selects, and what one identity did
 * in a time range. Every query here is the audit filter of logsql.ts (every client value quoted) with
 * a `stats` pipe after it, sent to `/select/logsql/stats_query`; nothing else is added to the filter
 * but "the record names a user", so a count here is the count `auditStats(groupBy: [USER])` gives.
 *
 * Identities are the requesting users (`user.username`), as AuditEvent.user: a request made with
 * `--as` counts for the user who made it; `impersonatedUsers` in the filter finds those.
 */

/** Result names of the stats pipes below. */
const STAT = {
  count: 'count',
  firstSeen: 'first_seen',
  lastSeen: 'last_seen',
  totalEvents: 'total_events',
  totalIdentities: 'total_identities',
} as const;

export const MAX_IDENTITIES_PAGE = 1000;
/** How deep `identities` pages: past this many identities, narrow the filter. */
export const MAX_IDENTITIES_OFFSET = 100_000;
/** Resource groups returned per identity (`Identity.activity.byResource(top:)`). */
export const MAX_RESOURCES_PER_IDENTITY = 1000;

const USER = quoteLogsQL(AUDIT_FIELDS.user);
const VERB = quoteLogsQL(AUDIT_FIELDS.verb);
const RESOURCE_FIELDS = [AUDIT_FIELDS.apiGroup, AUDIT_FIELDS.resource, AUDIT_FIELDS.subresource].map(quoteLogsQL);

/** One identity's share of the events a filter selects. Times are VictoriaLogs' `_time` (RFC 3339, up to ns). */
export type IdentitySummary = { username: string; count: number; firstSeen: string; lastSeen: string };

export type IdentitiesPage = {
  /** Most events first; equal counts by username, in VictoriaLogs' order. */
  identities: IdentitySummary[];
  /** Distinct identities with at least one matching event, all pages together. */
  totalIdentities: number;
  /** Matching events of all those identities together. */
  totalEvents: number;
  hasNextPage: boolean;
};

export type VerbCount = { verb: string; count: number };
export type ResourceCount = { apiGroup: string | null; resource: string | null; subresource: string | null; count: number };

/** `field:*` matches a non-empty value: a request that failed authentication (401) names no user and belongs to no identity. */
function withUser(filter: AuditFilter, layout: AuditLayout): string {
  return `${buildAuditFilter(filter, layout)} AND ${USER}:*`;
}

/**
 * Per user: events, first and last event time. The time is the layout's event time: `_time`, or a field
 * such as `stageTimestamp` (RFC 3339 UTC at a fixed six fractional digits, so its smallest and largest
 * values are its earliest and latest).
 */
function perUserStats(layout: AuditLayout): string {
  const time = layout.time === '_time' ? '_time' : quoteLogsQL(timeFieldOf(layout));
  return `stats by (${USER}) count() as ${STAT.count}, min(${time}) as ${STAT.firstSeen}, max(${time}) as ${STAT.lastSeen}`;
}

/**
 * `identities(filter)`: the users of the matching events, most events first, one page of them. The
 * totals are computed over every group before `offset`/`limit` (`total_stats`), so each page carries them.
 */
export function buildIdentitiesQuery(filter: AuditFilter, page: { offset: number; limit: number }, layout: AuditLayout = VIGIL_LAYOUT): string {
  const offset = checkedInteger('after', page.offset, 0, MAX_IDENTITIES_OFFSET);
  const limit = checkedInteger('first', page.limit, 1, MAX_IDENTITIES_PAGE + 1);
  const pipes = [
    perUserStats(layout),
    `total_stats sum(${STAT.count}) as ${STAT.totalEvents}, count() as ${STAT.totalIdentities}`,
    // The username breaks ties, so pages cut the same sequence on every call.
    `sort by (${STAT.count} desc, ${USER})`,
  ];
  if (offset > 0) pipes.push(`offset ${String(offset)}`);
  pipes.push(`limit ${String(limit)}`);
  return [withUser(filter, layout), ...pipes].join(' | ');
}

/** Events, first and last seen of each of `filter.users` (at most 100 of them) in one query: `Identity.activity` for a page of identities. */
export function buildIdentitySummaryQuery(filter: AuditFilter & { users: readonly string[] }, layout: AuditLayout = VIGIL_LAYOUT): string {
  checkedUsers(filter.users);
  return [withUser(filter, layout), perUserStats(layout)].join(' | ');
}

/** Events per user and verb. */
export function buildIdentityVerbQuery(filter: AuditFilter & { users: readonly string[] }, layout: AuditLayout = VIGIL_LAYOUT): string {
  checkedUsers(filter.users);
  return [withUser(filter, layout), `stats by (${USER}, ${VERB}) count() as ${STAT.count}`, `sort by (${STAT.count} desc, ${VERB})`].join(' | ');
}

/**
 * Events per user and resource (API group, resource, subresource: `pods` and `pods/exec` are different
 * things to have done), the `top` largest per user (`sort ... partition by (user) limit`).
 */
export function buildIdentityResourceQuery(filter: AuditFilter & { users: readonly string[] }, top: number, layout: AuditLayout = VIGIL_LAYOUT): string {
  checkedUsers(filter.users);
  const limit = checkedInteger('top', top, 1, MAX_RESOURCES_PER_IDENTITY);
  return [
    withUser(filter, layout),
    `stats by (${[USER, ...RESOURCE_FIELDS].join(', ')}) count() as ${STAT.count}`,
    `sort by (${[`${STAT.count} desc`, ...RESOURCE_FIELDS].join(', ')}) partition by (${USER}) limit ${String(limit)}`,
  ].join(' | ');
}

/** A stats_query answer as rows: one per group (its labels), holding each named result. */
type StatsRow = { labels: Record<string, string>; values: Map<string, string> };

/** Samples regrouped into rows in the order VictoriaLogs sent the groups (its sort order). */
function rowsOf(samples: readonly VictoriaLogsStatsSample[]): StatsRow[] {
  const rows = new Map<string, StatsRow>();
  for (const sample of samples) {
    const id = JSON.stringify(Object.entries(sample.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    let row = rows.get(id);
    if (!row) {
      row = { labels: sample.labels, values: new Map() };
      rows.set(id, row);
    }
    row.values.set(sample.name, sample.value);
  }
  return [...rows.values()];
}

export function parseIdentitiesPage(samples: readonly VictoriaLogsStatsSample[], first: number): IdentitiesPage {
  const rows = rowsOf(samples);
  let totalEvents = 0;
  let totalIdentities = 0;
  const identities: IdentitySummary[] = [];
  for (const row of rows) {
    totalEvents = Math.max(totalEvents, countOf(row.values.get(STAT.totalEvents)));
    totalIdentities = Math.max(totalIdentities, countOf(row.values.get(STAT.totalIdentities)));
    const summary = summaryOf(row);
    if (summary) identities.push(summary);
  }
  return { identities: identities.slice(0, first), totalIdentities, totalEvents, hasNextPage: identities.length > first };
}

/** Per username; users without a matching event are absent. */
export function parseIdentitySummaries(samples: readonly VictoriaLogsStatsSample[]): Map<string, IdentitySummary> {
  const out = new Map<string, IdentitySummary>();
  for (const row of rowsOf(samples)) {
    const summary = summaryOf(row);
    if (summary) out.set(summary.username, summary);
  }
  return out;
}

/** Per username, largest count first. */
export function parseVerbCounts(samples: readonly VictoriaLogsStatsSample[]): Map<string, VerbCount[]> {
  const out = new Map<string, VerbCount[]>();
  for (const row of rowsOf(samples)) {
    const username = row.labels[AUDIT_FIELDS.user] ?? '';
    const count = countOf(row.values.get(STAT.count));
    if (username === '' || count === 0) continue;
    const list = out.get(username) ?? [];
    // Every audit record has a verb; a record without one (not written by an API server) shows as "".
    list.push({ verb: row.labels[AUDIT_FIELDS.verb] ?? '', count });
    out.set(username, list);
  }
  for (const list of out.values()) list.sort((a, b) => b.count - a.count);
  return out;
}

/** Per username, largest count first. */
export function parseResourceCounts(samples: readonly VictoriaLogsStatsSample[]): Map<string, ResourceCount[]> {
  const out = new Map<string, ResourceCount[]>();
  const value = (row: StatsRow, field: string) => {
    const stored = row.labels[field] ?? '';
    return stored === '' ? null : stored;
  };
  for (const row of rowsOf(samples)) {
    const username = row.labels[AUDIT_FIELDS.user] ?? '';
    const count = countOf(row.values.get(STAT.count));
    if (username === '' || count === 0) continue;
    const list = out.get(username) ?? [];
    list.push({
      apiGroup: value(row, AUDIT_FIELDS.apiGroup),
      resource: value(row, AUDIT_FIELDS.resource),
      subresource: value(row, AUDIT_FIELDS.subresource),
      count,
    });
    out.set(username, list);
  }
  for (const list of out.values()) list.sort((a, b) => b.count - a.count);
  return out;
}

function summaryOf(row: StatsRow): IdentitySummary | null {
  const username = row.labels[AUDIT_FIELDS.user] ?? '';
  // A page past the last group still carries no row; a row without a count is a total-only artefact.
  if (username === '' || !row.values.has(STAT.count)) return null;
  const count = countOf(row.values.get(STAT.count));
  if (count === 0) return null;
  return { username, count, firstSeen: timeOf(row.values.get(STAT.firstSeen)), lastSeen: timeOf(row.values.get(STAT.lastSeen)) };
}

function timeOf(value: string | undefined): string {
  if (value === undefined || parseRfc3339Nanos(value) === undefined) {
    throw new VigilError('UPSTREAM_UNAVAILABLE', 'VictoriaLogs returned a first or last time that is not a timestamp');
  }
  return value;
}

function countOf(value: string | undefined): number {
  if (value === undefined) return 0;
  const count = /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(count)) throw new VigilError('UPSTREAM_UNAVAILABLE', 'VictoriaLogs returned a count that is not a whole number');
  return count;
}

function checkedUsers(users: readonly string[]): void {
  if (users.length === 0 || users.length > MAX_FILTER_VALUES) throw badInput(`users: must hold 1 to ${String(MAX_FILTER_VALUES)} values`);
}

function checkedInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw badInput(`${name}: must be an integer from ${String(min)} to ${String(max)}`);
  return value;
}
