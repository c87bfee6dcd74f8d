import { badInput, describeError } from '@vigil/lib/errors';
import type { Clock } from '@vigil/lib/clock';
import type { Logger } from '@vigil/lib/logger';
import { TIMELINE_SOURCES, type TimelineConnectionModel, type TimelineEntryModel, type TimelineSourceName } from './timeline-model.js';

/**
 * A subject's timeline: several sources, each already newest first, merged into one page.
 *
 * Federation resolves each field in the subgraph that owns it and cannot sort one list across
 * subgraphs, so this module (in the alerts subgraph, which owns the Alert side and already extends
 * Host, KubeObject and Identity) asks every source for at most `first + 1` entries after the cursor
 * within [from, to] and merges them (a k-way merge of sorted runs). That is enough: whatever the
 * page's `first` entries are, each source's share of them is among its own first `first + 1`.
 *
 * Order and cursor: newest first, ties by source name, then id — a total order, so the cursor
 * (time, source, id) of the last entry says exactly where the next page starts, in every source,
 * whatever was appended meanwhile.
 */

export interface TimelinePosition {
  atMs: number;
  source: TimelineSourceName;
  id: string;
}

export interface TimelineWindow {
  fromMs: number;
  toMs: number;
}

/** One source of a subject's timeline. */
export interface TimelineReader {
  source: TimelineSourceName;
  /**
   * At most `limit` entries within the window, in timeline order, each strictly after `after`.
   * Throws when the source cannot be read: the page then lists it as unavailable.
   */
  read(window: TimelineWindow, after: TimelinePosition | null, limit: number): Promise<TimelineEntryModel[]>;
}

export const MAX_TIMELINE_PAGE = 200;
const DEFAULT_WINDOW_MS = 7 * 86_400_000;

/** Negative when `a` comes first in a timeline. */
export function compareTimeline(a: TimelinePosition, b: TimelinePosition): number {
  if (a.atMs !== b.atMs) return b.atMs - a.atMs;
  if (a.source !== b.source) return a.source < b.source ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Whether an entry belongs on a page that starts after `after`. */
export function comesAfter(entry: TimelinePosition, after: TimelinePosition | null): boolean {
  return after === null || compareTimeline(entry, after) > 0;
}

export function encodeTimelineCursor(position: TimelinePosition): string {
  return Buffer.from(JSON.stringify([position.atMs, position.source, position.id]), 'utf8').toString('base64url');
}

export function decodeTimelineCursor(cursor: string): TimelinePosition {
  const fail = () => badInput('after: not a timeline cursor returned by this API', { argument: 'after' });
  if (!/^[A-Za-z0-9_-]{1,2048}$/.test(cursor)) throw fail();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw fail();
  }
  if (!Array.isArray(value) || value.length !== 3) throw fail();
  const [atMs, source, id] = value as unknown[];
  if (typeof atMs !== 'number' || !Number.isFinite(atMs) || typeof id !== 'string' || !TIMELINE_SOURCES.includes(source as TimelineSourceName)) throw fail();
  return { atMs, source: source as TimelineSourceName, id };
}

export interface TimelineArgs {
  from?: string | null;
  to?: string | null;
  first?: number | null;
  after?: string | null;
}

function instant(value: string, argument: 'from' | 'to'): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw badInput(`${argument}: not an ISO-8601 date-time`, { argument });
  return ms;
}

/** The arguments checked, defaults filled in: BAD_USER_INPUT names the argument at fault. */
export function timelineWindow(args: TimelineArgs, clock: Clock): { window: TimelineWindow; first: number; after: TimelinePosition | null } {
  const first = args.first ?? 50;
  if (!Number.isInteger(first) || first < 1 || first > MAX_TIMELINE_PAGE) throw badInput(`first must be between 1 and ${MAX_TIMELINE_PAGE}`, { argument: 'first' });
  const toMs = args.to != null ? instant(args.to, 'to') : clock().getTime();
  const fromMs = args.from != null ? instant(args.from, 'from') : toMs - DEFAULT_WINDOW_MS;
  if (fromMs > toMs) throw badInput('from must not be after to', { argument: 'from', arguments: ['from', 'to'] });
  return { window: { fromMs, toMs }, first, after: args.after != null ? decodeTimelineCursor(args.after) : null };
}

/** One page: every reader asked at once, `first + 1` each, merged. */
export async function readTimeline(
  readers: readonly TimelineReader[],
  omitted: readonly TimelineSourceName[],
  args: TimelineArgs,
  deps: { clock: Clock; logger: Logger | undefined },
): Promise<TimelineConnectionModel> {
  const { window, first, after } = timelineWindow(args, deps.clock);
  const unavailable: TimelineConnectionModel['unavailable'] = [];
  const runs = await Promise.all(
    readers.map(async (reader) => {
      try {
        return await reader.read(window, after, first + 1);
      } catch (error) {
        // The detail (an upstream URL, a status) stays in the log; the caller learns which source.
        deps.logger?.warn({ source: reader.source, err: describeError(error) }, 'timeline: a source could not be read');
        unavailable.push({ source: reader.source, message: `${reader.source} could not be read for this page` });
        return [];
      }
    }),
  );
  const merged = runs
    .flat()
    .filter((e) => e.atMs >= window.fromMs && e.atMs <= window.toMs && comesAfter(e, after))
    .sort(compareTimeline);
  const page = merged.slice(0, first);
  const last = page.at(-1);
  return {
    edges: page.map((node) => ({ cursor: encodeTimelineCursor(node), node })),
    pageInfo: { hasNextPage: merged.length > first, endCursor: last ? encodeTimelineCursor(last) : null },
    from: new Date(window.fromMs).toISOString(),
    to: new Date(window.toMs).toISOString(),
    omitted: [...omitted],
    unavailable: unavailable.sort((a, b) => (a.source < b.source ? -1 : 1)),
  };
}

/**
 * Pages through a newest-first upstream list until `limit` entries after the cursor are collected,
 * the list ends, or it is older than the window. Entries as old as the `limit`-th are still read:
 * the upstream may order equal times otherwise than the timeline, and one of them may sort first.
 * Bounded: at most `maxPages` upstream pages.
 */
export async function collectNewestFirst<TCursor>(
  fetchPage: (after: TCursor | null) => Promise<{ entries: TimelineEntryModel[]; next: TCursor | null }>,
  window: TimelineWindow,
  after: TimelinePosition | null,
  limit: number,
  maxPages = 10,
): Promise<TimelineEntryModel[]> {
  const out: TimelineEntryModel[] = [];
  const finish = () => out.sort(compareTimeline).slice(0, limit);
  let boundaryMs: number | null = null;
  let cursor: TCursor | null = null;
  for (let page = 0; page < maxPages; page++) {
    const { entries, next } = await fetchPage(cursor);
    for (const e of entries) {
      if (e.atMs < window.fromMs || (boundaryMs !== null && e.atMs < boundaryMs)) return finish();
      if (e.atMs > window.toMs || !comesAfter(e, after)) continue;
      out.push(e);
      if (boundaryMs === null && out.length >= limit) boundaryMs = e.atMs;
    }
    if (next === null) break;
    cursor = next;
  }
  return finish();
}
