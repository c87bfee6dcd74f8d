import type { Alert } from '@vigil/lib/alerts/alert';
import type { AlertLog } from '@vigil/lib/alerts/alert-log';

/**
 * How many alerts one request may look through in the log (a Query.alerts page, an Identity.alerts
 * batch, the alerts of a timeline page): a filter that matches little would otherwise read the whole
 * log for every request.
 */
export const ALERT_SCAN_LIMIT = 20_000;

/** Alerts asked for per read: few round trips to Redis; it divides the limit, so the last read ends exactly at it. */
export const ALERT_SCAN_PAGE = 500;

/**
 * Why a scan ended:
 * - `enough`: the caller's `enough()` said so;
 * - `end-of-log`: a read came back short, so every alert older than `before` was seen;
 * - `past-range`: the caller's `pastRange(oldest)` said nothing older can matter;
 * - `scan-limit`: the limit was reached with older alerts possibly unread, so a caller that found
 *   fewer than it wanted cannot say there are no more (Query.alerts and Identity.alerts report
 *   hasNextPage).
 */
export type AlertScanEnd = 'enough' | 'end-of-log' | 'past-range' | 'scan-limit';

export interface AlertScanOptions {
  /** Start strictly older than this alert id (a page's cursor); absent or null, at the newest alert. */
  before?: string | null;
  /** Every alert read, newest first. */
  visit: (alert: Alert) => void;
  /**
   * Asked before every read, the first one included: true ends the scan. A caller that stops at
   * "one more than the page" gets, besides its page, whether a next page exists.
   * @default never enough: the scan runs to the log's end, `pastRange` or the limit
   */
  enough?: () => boolean;
  /**
   * Asked after each full read with its oldest alert: true when no alert older than that can matter,
   * which ends the scan without another read (the timeline's alerts: raised before its window began).
   * @default never
   */
  pastRange?: (oldest: Alert) => boolean;
  /**
   * Checked before each read, so a scan reads whole pages and may pass a limit that is not a
   * multiple of `pageSize` by less than a page.
   * @default ALERT_SCAN_LIMIT
   */
  scanLimit?: number;
  /** @default ALERT_SCAN_PAGE */
  pageSize?: number;
}

export interface AlertScanResult {
  /** Alerts read (change entries between them are not counted: the log's reads skip them). */
  scanned: number;
  ended: AlertScanEnd;
}

/**
 * Walks the alert log newest first, a page per read, handing each alert to `visit`, until the caller
 * has enough, the log ends, the caller's range is passed, or `scanLimit` alerts have been read.
 * A log that ends exactly on a page boundary takes one more (empty) read to find out.
 */
export async function scanAlertLogNewestFirst(log: Pick<AlertLog, 'listNewestFirst'>, options: AlertScanOptions): Promise<AlertScanResult> {
  const pageSize = options.pageSize ?? ALERT_SCAN_PAGE;
  const scanLimit = options.scanLimit ?? ALERT_SCAN_LIMIT;
  // A page of 0 would read nothing, never come back short and never reach the limit: a loop forever.
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError(`pageSize must be a positive integer, got ${String(pageSize)}`);
  let before = options.before ?? undefined;
  let scanned = 0;
  for (;;) {
    if (options.enough?.() === true) return { scanned, ended: 'enough' };
    if (scanned >= scanLimit) return { scanned, ended: 'scan-limit' };
    const batch = await log.listNewestFirst({ ...(before === undefined ? {} : { before }), limit: pageSize });
    scanned += batch.length;
    for (const alert of batch) options.visit(alert);
    const oldest = batch.at(-1);
    if (batch.length < pageSize || oldest === undefined) return { scanned, ended: 'end-of-log' };
    if (options.pastRange?.(oldest) === true) return { scanned, ended: 'past-range' };
    before = oldest.id;
  }
}
