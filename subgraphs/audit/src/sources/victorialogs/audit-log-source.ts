import { badInput } from '@vigil/lib/errors';
import { toAuditEvent, type AuditEvent } from './audit-fields.js';
import type { VictoriaLogsClient } from './client.js';
import { buildAuditQuery, MAX_PAGE_SKIP, type AuditFilter, type AuditPagePosition } from './logsql.js';
import { parseRfc3339Nanos } from './timestamps.js';

export type { AuditEvent } from './audit-fields.js';
export type { AuditFilter } from './logsql.js';

export type AuditPage = {
  events: AuditEvent[];
  /** One per event: resumes right after it (a Relay edge cursor). */
  cursors: string[];
  hasNextPage: boolean;
  /** The last event's cursor, or null for an empty page. */
  endCursor: string | null;
};

/** Audit events, newest first, a page at a time. `after` is an `endCursor` from an earlier page. */
export interface AuditLogSource {
  search(filter: AuditFilter, page: { first: number; after?: string }): Promise<AuditPage>;
}

export const MAX_PAGE_SIZE = 1000;
const MAX_CURSOR_LENGTH = 512;

/**
 * Audit events in VictoriaLogs. Tenancy lives in the client: build one per request with
 * `client.forTenant(tenantOfCaller)`, so no argument can reach another tenant's data.
 */
export class VictoriaLogsAuditLogSource implements AuditLogSource {
  readonly #client: Pick<VictoriaLogsClient, 'query'>;

  constructor(client: Pick<VictoriaLogsClient, 'query'>) {
    this.#client = client;
  }

  async search(filter: AuditFilter, page: { first: number; after?: string }): Promise<AuditPage> {
    const { first } = page;
    if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
      throw badInput(`first: must be an integer from 1 to ${String(MAX_PAGE_SIZE)}`);
    }
    const before = page.after === undefined ? undefined : decodeCursor(page.after);
    // One row more than asked tells whether another page exists.
    const limit = first + 1;
    const rows = await this.#client.query(buildAuditQuery(filter, { limit, before }), { limit });
    const events = rows.slice(0, first).map(toAuditEvent);
    const cursors = positionsAfterEach(before, events).map(encodeCursor);
    return { events, cursors, hasNextPage: rows.length > first, endCursor: cursors.at(-1) ?? null };
  }
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
