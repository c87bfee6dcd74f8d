import { createHash } from 'node:crypto';
import { badInput } from '@vigil/lib/errors';
import { severityRank, type Severity } from '@vigil/lib/alerts/alert';
import type { FalcoDetails } from '../sources/falco/falco-event.js';

/**
 * The port every security-event source writes to and the cluster resolvers read from. Two
 * implementations (memory, Redis); test/security-event-store.contract.ts runs one suite against both.
 */

export const SECURITY_SOURCES = ['FALCO'] as const;
/** More sources (Trivy, Kyverno, kube-bench, Checkov, audit webhook) join this union. */
export type SecuritySource = (typeof SECURITY_SOURCES)[number];

export const SECURITY_CATEGORIES = ['RUNTIME', 'AUDIT', 'VULNERABILITY', 'POLICY', 'BENCHMARK', 'MISCONFIGURATION'] as const;
export type SecurityCategory = (typeof SECURITY_CATEGORIES)[number];

/** The KubeObject entity key. `namespace` is '' for cluster-scoped objects. */
export interface KubeObjectRef {
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
}

/** Typed per-source details; a union as sources are added (discriminated by `source`). */
export type SecurityEventDetails = FalcoDetails;

/** One occurrence, as a source's pure mapper produces it. */
export interface NormalisedSecurityEvent {
  /** Per-source key: occurrences with the same key are one SecurityEvent with a count. */
  dedupKey: string;
  source: SecuritySource;
  category: SecurityCategory;
  severity: Severity;
  /** The source's own name for what happened (the Falco rule). */
  eventType: string;
  title: string;
  cluster: string;
  resource: KubeObjectRef | null;
  hostname: string | null;
  /** ISO-8601 with millisecond precision (the stores order and page on it). */
  occurredAt: string;
  details: SecurityEventDetails;
  /** The record as received, for lineage. */
  raw: unknown;
}

/** A deduplicated event: details and raw are those of the most recent occurrence. */
export interface SecurityEvent extends Omit<NormalisedSecurityEvent, 'occurredAt'> {
  id: string;
  firstSeen: string;
  lastSeen: string;
  count: number;
}

export interface SecurityEventFilter {
  sources?: SecuritySource[];
  minSeverity?: Severity;
  categories?: SecurityCategory[];
  cluster?: string;
  namespace?: string;
  resourceKind?: string;
  resourceName?: string;
  hostname?: string;
  /** Inclusive bounds on lastSeen. */
  from?: Date;
  to?: Date;
}

export interface PageRequest {
  first: number;
  after?: string;
}

export interface SecurityEventPage {
  events: SecurityEvent[];
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface SecurityEventStore {
  /**
   * Stores one occurrence. A repeat of a stored key increments count, moves lastSeen forward and
   * firstSeen back as needed (occurrences may arrive out of order) and keeps the details of the
   * newest occurrence. Atomic: concurrent writers, in one process or several, never lose a count.
   * Durable in the backing store when the promise resolves.
   */
  record(event: NormalisedSecurityEvent): Promise<{ event: SecurityEvent; isNew: boolean }>;
  /** Newest lastSeen first (ties: id descending); `after` is an endCursor from a previous page. */
  list(filter: SecurityEventFilter, page: PageRequest): Promise<SecurityEventPage>;
  get(ids: readonly string[]): Promise<(SecurityEvent | null)[]>;
  /** For KubeObject.securityEvents: one batch for N objects, newest first per object. */
  forResources(refs: readonly KubeObjectRef[], limitPerResource: number): Promise<SecurityEvent[][]>;
  /** For Host.securityEvents: one batch for N hosts, newest first per host. */
  forHosts(hostnames: readonly string[], limitPerHost: number): Promise<SecurityEvent[][]>;
}

/** Largest `first` a list call accepts; the GraphQL layer is expected to cap lower. */
export const MAX_PAGE_SIZE = 500;

export interface SecurityEventStoreOptions {
  /** Events whose lastSeen is older than this are dropped (Redis: key TTL; memory: swept on write). */
  retentionDays: number;
  /** The clock retention is measured against. @default () => new Date() */
  now?: () => Date;
}

export const DAY_MS = 86_400_000;

/** A stable id for a dedup key, identical in every process: hex of the first 128 bits of its SHA-256. */
export function securityEventId(dedupKey: string): string {
  return createHash('sha256').update(dedupKey).digest('hex').slice(0, 32);
}

export function resourceKey(ref: KubeObjectRef): string {
  return [ref.cluster, ref.namespace, ref.kind, ref.name].map(escapeSegment).join('/');
}

/** Escapes `/` (and the escape character) so joined segments cannot collide. */
export function escapeSegment(segment: string): string {
  return segment.replaceAll('%', '%25').replaceAll('/', '%2F');
}

export function matchesFilter(event: SecurityEvent, filter: SecurityEventFilter): boolean {
  if (filter.sources && !filter.sources.includes(event.source)) return false;
  if (filter.categories && !filter.categories.includes(event.category)) return false;
  if (filter.minSeverity && severityRank(event.severity) < severityRank(filter.minSeverity)) return false;
  if (filter.cluster !== undefined && event.cluster !== filter.cluster) return false;
  if (filter.namespace !== undefined && event.resource?.namespace !== filter.namespace) return false;
  if (filter.resourceKind !== undefined && event.resource?.kind !== filter.resourceKind) return false;
  if (filter.resourceName !== undefined && event.resource?.name !== filter.resourceName) return false;
  if (filter.hostname !== undefined && event.hostname !== filter.hostname) return false;
  const lastSeen = Date.parse(event.lastSeen);
  if (filter.from && lastSeen < filter.from.getTime()) return false;
  if (filter.to && lastSeen > filter.to.getTime()) return false;
  return true;
}

/** Newest lastSeen first, then id descending: the one order both stores page in. */
export function compareNewestFirst(a: SecurityEvent, b: SecurityEvent): number {
  const byTime = Date.parse(b.lastSeen) - Date.parse(a.lastSeen);
  if (byTime !== 0) return byTime;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** A position in that order: events strictly after it come next. */
export interface CursorPosition {
  lastSeenMs: number;
  id: string;
}

export function encodeCursor(event: SecurityEvent): string {
  return Buffer.from(`v1:${Date.parse(event.lastSeen)}:${event.id}`).toString('base64url');
}

/** Throws BAD_USER_INPUT naming `after` for anything this API did not hand out. */
export function decodeCursor(cursor: string): CursorPosition {
  const match = /^v1:(\d{1,15}):([0-9a-f]{32})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match?.[1] || !match[2]) throw badInput('after: not a cursor returned by this API');
  return { lastSeenMs: Number(match[1]), id: match[2] };
}

export function isAfterCursor(event: SecurityEvent, cursor: CursorPosition): boolean {
  const lastSeen = Date.parse(event.lastSeen);
  return lastSeen < cursor.lastSeenMs || (lastSeen === cursor.lastSeenMs && event.id < cursor.id);
}

export function validatePage(page: PageRequest): CursorPosition | undefined {
  if (!Number.isInteger(page.first) || page.first < 0 || page.first > MAX_PAGE_SIZE) {
    throw badInput(`first: must be an integer from 0 to ${MAX_PAGE_SIZE}`);
  }
  return page.after === undefined ? undefined : decodeCursor(page.after);
}

export function validateLimit(name: string, limit: number): void {
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_PAGE_SIZE) {
    throw badInput(`${name}: must be an integer from 0 to ${MAX_PAGE_SIZE}`);
  }
}
