import { badInput, VigilError } from '@vigil/lib/errors';
import { toAuditEvent, type AuditEvent } from './audit-fields.js';
import type { VictoriaLogsClient, VictoriaLogsRow, VictoriaLogsStatsSample } from './client.js';
import { bucketStarts } from './histogram.js';
import { checkedLayout, VIGIL_LAYOUT, type AuditLayout } from './layout.js';
import {
  buildAuditBoundaryQuery,
  buildAuditFilter,
  buildAuditHistogramStatsQuery,
  buildAuditQuery,
  buildAuditStatsQuery,
  groupFieldOf,
  MAX_PAGE_SKIP,
  STATS_COUNT,
  STATS_TOTAL,
  type AuditFilter,
  type AuditGroupKey,
  type AuditPagePosition,
} from './logsql.js';
import { formatRfc3339Nanos, parseRfc3339Nanos } from './timestamps.js';
import { buildCoverageQuery, parseCoverage, type CoverageCount, type CoverageGroupMatch } from './coverage-queries.js';
import {
  buildIdentitiesQuery,
  buildIdentityResourceQuery,
  buildIdentitySummaryQuery,
  buildIdentityVerbQuery,
  parseIdentitiesPage,
  parseIdentitySummaries,
  parseResourceCounts,
  parseVerbCounts,
  type IdentitiesPage,
  type IdentitySummary,
  type ResourceCount,
  type VerbCount,
} from './identity-queries.js';

export type { AuditEvent } from './audit-fields.js';
export type { AuditFilter, AuditGroupKey } from './logsql.js';
export type { IdentitiesPage, IdentitySummary, ResourceCount, VerbCount } from './identity-queries.js';
export type { CoverageCount, CoverageGroupMatch } from './coverage-queries.js';

export type AuditPage = {
  events: AuditEvent[];
  /** One per event: resumes right after it (a Relay edge cursor). */
  cursors: string[];
  hasNextPage: boolean;
  /** The last event's cursor, or null for an empty page. */
  endCursor: string | null;
};

/** One group of counted events: its value of each grouped field (null where the events have none). */
export type AuditStatsGroup = { values: Partial<Record<AuditGroupKey, string | null>>; count: number };

export type AuditStatsResult = {
  /** The largest groups, largest first. */
  groups: AuditStatsGroup[];
  /** Every group's count added up, those beyond `top` included. */
  total: number;
};

export type AuditHistogramResult = {
  /** One per step, oldest first: start (RFC 3339) and count. */
  buckets: { start: string; count: number }[];
  total: number;
};

/**
 * Audit events from one tenant's store: a page at a time, newest first (`after` is an `endCursor` from
 * an earlier page), counted per group, or counted per time bucket. All three take the same filter and
 * select exactly the same events.
 */
export interface AuditLogSource {
  search(filter: AuditFilter, page: { first: number; after?: string }): Promise<AuditPage>;
  stats(filter: AuditFilter, options: { groupBy: readonly AuditGroupKey[]; top: number }): Promise<AuditStatsResult>;
  /** Counts in [from, to) per `stepSeconds` bucket aligned to the epoch; every bucket of the range is listed. */
  histogram(filter: AuditFilter & { from: Date; to: Date }, options: { stepSeconds: number }): Promise<AuditHistogramResult>;
  /** The users of the events `filter` selects, most events first: `first` of them after the `offset` first ones (sources/victorialogs/identity-queries.ts). */
  identities(filter: AuditFilter, page: { first: number; offset: number }): Promise<IdentitiesPage>;
  /** For each of `filter.users` (1 to 100) with a matching event: its events, first and last seen. */
  identitySummaries(filter: AuditFilter & { users: readonly string[] }): Promise<Map<string, IdentitySummary>>;
  /** For each of `filter.users`: its matching events per verb, largest first. */
  identityVerbs(filter: AuditFilter & { users: readonly string[] }): Promise<Map<string, VerbCount[]>>;
  /** For each of `filter.users`: its matching events per resource, the `top` largest. */
  identityResources(filter: AuditFilter & { users: readonly string[] }, top: number): Promise<Map<string, ResourceCount[]>>;
  /** Records in the range per cluster, first matching group and level (sources/victorialogs/coverage-queries.ts). */
  coverage(range: { from: Date; to: Date }, groups: readonly CoverageGroupMatch[]): Promise<CoverageCount[]>;
}

export const MAX_PAGE_SIZE = 1000;
const MAX_CURSOR_LENGTH = 512;

/**
 * Audit events in VictoriaLogs. Tenancy lives in the client: build one per request with
 * `client.forTenant(tenantOfCaller)`, so no argument can reach another tenant's data. The layout says
 * how that tenant's records are stored (./layout.ts); every query below reads through it.
 */
export class VictoriaLogsAuditLogSource implements AuditLogSource {
  readonly #client: Pick<VictoriaLogsClient, 'query' | 'statsQuery' | 'hits'>;
  readonly layout: AuditLayout;

  constructor(client: Pick<VictoriaLogsClient, 'query' | 'statsQuery' | 'hits'>, layout: AuditLayout = VIGIL_LAYOUT) {
    this.#client = client;
    this.layout = checkedLayout(layout);
  }

  async stats(filter: AuditFilter, options: { groupBy: readonly AuditGroupKey[]; top: number }): Promise<AuditStatsResult> {
    const groupBy = [...new Set(options.groupBy)];
    const samples = await this.#client.statsQuery(buildAuditStatsQuery(filter, groupBy, options.top, this.layout));
    return statsResult(samples, groupBy, this.layout);
  }

  async histogram(filter: AuditFilter & { from: Date; to: Date }, options: { stepSeconds: number }): Promise<AuditHistogramResult> {
    const starts = bucketStarts({ from: filter.from, to: filter.to, stepSeconds: options.stepSeconds });
    if (starts.length === 0) return { buckets: [], total: 0 };
    const counts = new Map(starts.map((start) => [start, 0]));
    const add = (timestamp: string, count: number) => {
      if (count === 0) return;
      const start = parseRfc3339Nanos(timestamp);
      const seen = start === undefined ? undefined : counts.get(start);
      // The query's own time range keeps every event inside the buckets computed for it.
      if (start === undefined || seen === undefined) throw new VigilError('UPSTREAM_UNAVAILABLE', `VictoriaLogs returned a bucket outside the range asked: ${timestamp.slice(0, 40)}`);
      counts.set(start, seen + count);
    };
    if (this.layout.time === '_time') {
      const series = await this.#client.hits(buildAuditFilter(filter, this.layout), {
        start: formatRfc3339Nanos(BigInt(filter.from.getTime()) * 1_000_000n),
        end: formatRfc3339Nanos(BigInt(filter.to.getTime()) * 1_000_000n),
        step: `${String(options.stepSeconds)}s`,
      });
      for (const { timestamps, values } of series) {
        for (const [index, timestamp] of timestamps.entries()) add(timestamp, values[index] ?? 0);
      }
    } else {
      // /hits counts by _time, which this layout's records carry only approximately: count by the event's time field.
      const timeField = this.layout.time;
      const samples = await this.#client.statsQuery(buildAuditHistogramStatsQuery(filter, options.stepSeconds, this.layout));
      for (const sample of samples) {
        if (sample.name === STATS_COUNT) add(sample.labels[timeField] ?? '', countOf(sample.value));
      }
    }
    const buckets = starts.map((start) => ({ start: new Date(Number(start / 1_000_000n)).toISOString(), count: counts.get(start) ?? 0 }));
    return { buckets, total: buckets.reduce((sum, bucket) => sum + bucket.count, 0) };
  }

  async identities(filter: AuditFilter, page: { first: number; offset: number }): Promise<IdentitiesPage> {
    // One row more than asked tells whether another page exists.
    const found = parseIdentitiesPage(await this.#client.statsQuery(buildIdentitiesQuery(filter, { offset: page.offset, limit: page.first + 1 }, this.layout)), page.first);
    if (found.identities.length > 0 || page.offset === 0) return found;
    // A page past the end has no group to carry the totals: ask for them from the start.
    const totals = parseIdentitiesPage(await this.#client.statsQuery(buildIdentitiesQuery(filter, { offset: 0, limit: 1 }, this.layout)), 1);
    return { ...found, totalIdentities: totals.totalIdentities, totalEvents: totals.totalEvents };
  }

  async identitySummaries(filter: AuditFilter & { users: readonly string[] }): Promise<Map<string, IdentitySummary>> {
    return parseIdentitySummaries(await this.#client.statsQuery(buildIdentitySummaryQuery(filter, this.layout)));
  }

  async identityVerbs(filter: AuditFilter & { users: readonly string[] }): Promise<Map<string, VerbCount[]>> {
    return parseVerbCounts(await this.#client.statsQuery(buildIdentityVerbQuery(filter, this.layout)));
  }

  async identityResources(filter: AuditFilter & { users: readonly string[] }, top: number): Promise<Map<string, ResourceCount[]>> {
    return parseResourceCounts(await this.#client.statsQuery(buildIdentityResourceQuery(filter, top, this.layout)));
  }

  async coverage(range: { from: Date; to: Date }, groups: readonly CoverageGroupMatch[]): Promise<CoverageCount[]> {
    return parseCoverage(await this.#client.statsQuery(buildCoverageQuery(range, groups, this.layout)), groups.length, this.layout);
  }

  async search(filter: AuditFilter, page: { first: number; after?: string }): Promise<AuditPage> {
    const { first } = page;
    if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
      throw badInput(`first: must be an integer from 1 to ${String(MAX_PAGE_SIZE)}`);
    }
    const before = page.after === undefined ? undefined : decodeCursor(page.after);
    // One row more than asked tells whether another page exists.
    const limit = first + 1;
    const rows = await this.#page(filter, { limit, before });
    const events = rows.slice(0, first).map((row) => toAuditEvent(row, this.layout));
    const cursors = positionsAfterEach(before, events).map(encodeCursor);
    return { events, cursors, hasNextPage: rows.length > first, endCursor: cursors.at(-1) ?? null };
  }

  /**
   * One page's rows, newest first. With `_time` as the event time, two queries (see
   * buildAuditBoundaryQuery): the times of the records up to the page's end, found by VictoriaLogs'
   * last-N search, then the page itself sorted over only the records at or after the oldest of them.
   */
  async #page(filter: AuditFilter, page: { limit: number; before?: AuditPagePosition }): Promise<VictoriaLogsRow[]> {
    if (this.layout.time !== '_time') return this.#client.query(buildAuditQuery(filter, page, this.layout), { limit: page.limit });
    const boundaryLimit = (page.before?.skip ?? 0) + page.limit;
    const times = await this.#client.query(buildAuditBoundaryQuery(filter, page, this.layout), { limit: boundaryLimit });
    const notBefore = oldestTime(times);
    if (notBefore === null) return [];
    return this.#client.query(buildAuditQuery(filter, { ...page, notBefore }, this.layout), { limit: page.limit });
  }
}

/**
 * The oldest `_time` of a boundary query's rows (buildAuditBoundaryQuery), at full precision: where
 * the page query starts (`notBefore`). Null for no rows: the page is empty.
 */
export function oldestTime(rows: readonly VictoriaLogsRow[]): string | null {
  let oldest: bigint | undefined;
  for (const row of rows) {
    const nanos = nanosOf(row['_time'] ?? '');
    if (oldest === undefined || nanos < oldest) oldest = nanos;
  }
  return oldest === undefined ? null : formatRfc3339Nanos(oldest);
}

/**
 * Where a page resuming after each event would start: that event's time, and how many events at that
 * exact time precede it in the whole result — on this page, and (when the time is the one this page
 * resumed at) on earlier pages. Events come newest first, so equal times are contiguous.
 */
function positionsAfterEach(before: AuditPagePosition | undefined, events: readonly AuditEvent[]): AuditPagePosition[] {
  let previous = before === undefined ? undefined : parseRfc3339Nanos(before.time);
  let skip = before?.skip ?? 0;
  return events.map((event) => {
    const nanos = nanosOf(event.time);
    skip = nanos === previous ? skip + 1 : 1;
    previous = nanos;
    return { time: event.time, skip };
  });
}

function nanosOf(time: string): bigint {
  const nanos = parseRfc3339Nanos(time);
  if (nanos === undefined) throw new Error(`VictoriaLogs returned an unparsable _time: ${time}`);
  return nanos;
}

type CursorPayload = { t: string; k: number };

export function encodeCursor(position: AuditPagePosition): string {
  const payload: CursorPayload = { t: position.time, k: position.skip };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

export function decodeCursor(cursor: string): AuditPagePosition {
  const malformed = () => badInput('after: not a cursor returned by this field');
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw malformed();
  const json = Buffer.from(cursor, 'base64url').toString('utf8');
  let payload: unknown;
  try {
    payload = JSON.parse(json);
  } catch {
    throw malformed();
  }
  if (typeof payload !== 'object' || payload === null) throw malformed();
  const time: unknown = Reflect.get(payload, 't');
  const skip: unknown = Reflect.get(payload, 'k');
  if (typeof time !== 'string' || parseRfc3339Nanos(time) === undefined) throw malformed();
  if (typeof skip !== 'number' || !Number.isInteger(skip) || skip < 1 || skip > MAX_PAGE_SKIP) throw malformed();
  return { time, skip };
}

/**
 * Groups from a stats_query answer: each group (one set of labels) carries a `count` sample and a `total`
 * sample. VictoriaLogs sorted them by count, largest first, ties by the grouped values; the stable sort
 * below keeps that order whatever order the samples arrive in.
 */
function statsResult(samples: readonly VictoriaLogsStatsSample[], groupBy: readonly AuditGroupKey[], layout: AuditLayout): AuditStatsResult {
  const groups = new Map<string, AuditStatsGroup>();
  let total = 0;
  for (const sample of samples) {
    const value = countOf(sample.value);
    if (sample.name === STATS_TOTAL) {
      total = Math.max(total, value);
      continue;
    }
    if (sample.name !== STATS_COUNT) continue;
    const values: Partial<Record<AuditGroupKey, string | null>> = {};
    for (const key of groupBy) {
      const field = groupFieldOf(key, layout);
      // The one cluster of a layout without a cluster field (not grouped by in the query).
      if (field === null) {
        values[key] = 'value' in layout.cluster ? layout.cluster.value : null;
        continue;
      }
      // VictoriaLogs groups events lacking the field under "" (it stores no empty values).
      const stored = sample.labels[field] ?? '';
      values[key] = stored === '' ? null : stored;
    }
    const id = JSON.stringify(groupBy.map((key) => values[key] ?? null));
    const group = groups.get(id);
    if (group) group.count += value;
    else groups.set(id, { values, count: value });
  }
  const sorted = [...groups.values()].filter((group) => group.count > 0).sort((a, b) => b.count - a.count);
  return { groups: sorted, total };
}

function countOf(value: string): number {
  const count = /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(count)) throw new VigilError('UPSTREAM_UNAVAILABLE', 'VictoriaLogs returned a count that is not a whole number');
  return count;
}
