import { describe, expect, it } from 'vitest';
import { collectNewestFirst, compareTimeline, readTimeline, type TimelineReader } from '../src/timeline/timeline.js';
import { entry, type TimelineEntryModel, type TimelineSourceName } from '../src/timeline/timeline-model.js';

/**
 * The merge without any server: sources whose entries share timestamps (within and across sources),
 * read page after page, must give every entry exactly once, in one total order, however small the page.
 */

const T0 = Date.parse('2026-04-01T12:00:00.000Z');
const clock = () => new Date(T0);

/** A source as an upstream list: newest first, read through collectNewestFirst with small upstream pages. */
function listSource(source: TimelineSourceName, times: number[], upstreamPage = 2, tiesReversed = false): { reader: TimelineReader; entries: TimelineEntryModel[] } {
  // tiesReversed: the upstream orders equal times against the timeline's id order (its own tie-breaker).
  const entries = times
    .map((t, i) => entry(source, T0 - t * 1000, `${source.toLowerCase()}-${i}`, `${source} ${i}`))
    .sort((a, b) => b.atMs - a.atMs || (tiesReversed ? (a.id < b.id ? 1 : -1) : 0));
  const reader: TimelineReader = {
    source,
    read: (window, after, limit) =>
      collectNewestFirst<number>(
        async (cursor) => {
          const start = cursor ?? 0;
          const page = entries.slice(start, start + upstreamPage);
          return { entries: page, next: start + upstreamPage < entries.length ? start + upstreamPage : null };
        },
        window,
        after,
        limit,
        100,
      ),
  };
  return { reader, entries };
}

describe('timeline merge', () => {
  const alerts = listSource('ALERT', [5, 10, 10, 10, 30, 60], 2, true);
  const changes = listSource('HOST_CHANGE', [10, 10, 20, 60, 3600]);
  const events = listSource('SECURITY_EVENT', [1, 10, 45]);
  const readers = [alerts.reader, changes.reader, events.reader];
  const all = [...alerts.entries, ...changes.entries, ...events.entries].sort(compareTimeline);

  it.each([1, 2, 3, 7, 50])('pages of %i give every entry once, newest first, ties by source then id', async (first) => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 100; page++) {
      const result = await readTimeline(readers, [], { first, after, from: new Date(T0 - 7200_000).toISOString(), to: new Date(T0).toISOString() }, { clock, logger: undefined });
      expect(result.edges.length).toBeLessThanOrEqual(first);
      seen.push(...result.edges.map((e) => e.node.id));
      if (!result.pageInfo.hasNextPage) break;
      after = result.pageInfo.endCursor;
    }
    // The 3600 s old change is outside the two hours asked for: excluded, not lost.
    expect(seen).toEqual(all.filter((e) => e.atMs >= T0 - 7200_000).map((e) => e.id));
  });

  it('keeps to the window and lists a failing source as unavailable, with the others still merged', async () => {
    const failing: TimelineReader = { source: 'AUDIT_EVENT', read: () => Promise.reject(new Error('VictoriaLogs: connect ECONNREFUSED 10.0.0.9:9428')) };
    const result = await readTimeline([...readers, failing], ['AUDIT_EVENT'], { from: new Date(T0 - 15_000).toISOString(), to: new Date(T0 - 5000).toISOString() }, { clock, logger: undefined });
    expect(result.edges.map((e) => e.node.id)).toEqual(['alert-0', 'alert-1', 'alert-2', 'alert-3', 'host_change-0', 'host_change-1', 'security_event-1']);
    expect(result.unavailable).toEqual([{ source: 'AUDIT_EVENT', message: 'AUDIT_EVENT could not be read for this page' }]);
    expect(JSON.stringify(result)).not.toContain('10.0.0.9');
  });

  it('refuses from after to, first out of range and a made-up cursor, naming the argument', async () => {
    const run = (args: Parameters<typeof readTimeline>[2]) => readTimeline(readers, [], args, { clock, logger: undefined });
    await expect(run({ from: '2026-04-02T00:00:00Z', to: '2026-04-01T00:00:00Z' })).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'from' } });
    await expect(run({ first: 0 })).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'first' } });
    await expect(run({ first: 201 })).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'first' } });
    await expect(run({ to: 'yesterday' })).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'to' } });
    await expect(run({ after: Buffer.from('[1,"NOPE","x"]').toString('base64url') })).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'after' } });
  });
});
