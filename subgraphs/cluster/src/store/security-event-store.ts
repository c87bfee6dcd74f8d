import { createHash } from 'node:crypto';
import { badInput } from '@vigil/lib/errors';
import { severityRank, type Severity } from '@vigil/lib/alerts/alert';
import type { FalcoDetails } from '../sources/falco/falco-event.js';
import { imageOf, normaliseRepository, rulesOf } from './event-facets.js';
import type { AuditDetails } from '../sources/k8s-audit/audit-event.js';
import type { CheckovDetails } from '../sources/checkov/checkov-report.js';
import type { KubeBenchDetails } from '../sources/kube-bench/kube-bench-report.js';
import type { KyvernoPolicyDetails } from '../sources/kyverno/policy-report.js';
import type { TrivyComplianceDetails, TrivyConfigAuditDetails, TrivyVulnerabilityDetails } from '../sources/trivy/trivy-report.js';

/**
 * The port every security-event source writes to and the cluster resolvers read from. Two
 * implementations (memory, Redis); test/security-event-store.contract.ts runs one suite against both.
 */

export const SECURITY_SOURCES = ['FALCO', 'K8S_AUDIT', 'TRIVY', 'KYVERNO', 'KUBE_BENCH', 'CHECKOV'] as const;
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
export type SecurityEventDetails =
  | FalcoDetails
  | AuditDetails
  | TrivyVulnerabilityDetails
  | TrivyConfigAuditDetails
  | TrivyComplianceDetails
  | KyvernoPolicyDetails
  | KubeBenchDetails
  | CheckovDetails;

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
  /**
   * When the finding left its report (see {@link SecurityEventStore.resolve}); null while open. A new
   * occurrence of a resolved event reopens it. Resolved events are kept, and expire, like open ones.
   */
  resolvedAt: string | null;
}

export interface SecurityEventFilter {
  sources?: SecuritySource[];
  minSeverity?: Severity;
  categories?: SecurityCategory[];
  cluster?: string;
  /** Any of these clusters (the caller's tenants); applied after the index the store reads. */
  clusters?: readonly string[];
  namespace?: string;
  resourceKind?: string;
  resourceName?: string;
  hostname?: string;
  /** Inclusive bounds on lastSeen. */
  from?: Date;
  to?: Date;
  /** true: only resolved events; false: only open ones; absent: both. */
  resolved?: boolean;
  /** The source's event type, exactly (eventType). */
  eventType?: string;
  /** The rule or check that fired (event-facets.ts rulesOf), exactly. */
  rule?: string;
  /** Trivy vulnerability findings of this CVE/GHSA id (an index in both stores). */
  vulnerabilityId?: string;
  /** Events about this image (`[registry/]repository`, compared normalised: event-facets.ts). */
  image?: string;
  /** Events about an image with this tag. */
  tag?: string;
  /** Events about the image with this manifest digest (sha256:…, lowercase). */
  imageDigest?: string;
}

export interface ForVulnerabilitiesOptions {
  /** Also return resolved events. @default false */
  includeResolved?: boolean;
}

export interface VulnerabilityIdFilter {
  minSeverity?: Severity;
  cluster?: string;
  /**
   * Within the events the other fields select: false lists a vulnerability that has at least one open
   * event, true one whose events are all resolved. The two partition the unfiltered listing.
   */
  resolved?: boolean;
}

export interface VulnerabilityIdPage {
  vulnerabilityIds: string[];
  hasNextPage: boolean;
  endCursor: string | null;
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

export interface RecordOptions {
  /** Not a new occurrence: count is not incremented (an absent event still starts at 1). @default false */
  restatement?: boolean;
}

export interface SecurityEventStore {
  /**
   * Stores one occurrence. A repeat of a stored key increments count, moves lastSeen forward and
   * firstSeen back as needed (occurrences may arrive out of order) and keeps the details of the
   * newest occurrence. Atomic: concurrent writers, in one process or several, never lose a count.
   * Durable in the backing store when the promise resolves.
   *
   * `restatement: true`: the tool re-stated a finding it had already reported (a report re-read after
   * a relist or a restart, or re-written with the same finding): the doc and lastSeen move as for an
   * occurrence, but count does not, so count stays the number of times the finding was seen anew.
   */
  record(event: NormalisedSecurityEvent, options?: RecordOptions): Promise<{ event: SecurityEvent; isNew: boolean }>;
  /**
   * The retention window now: record() keeps nothing of an occurrence at or before `cutoff` that is
   * not counted on a live event, so the webhook intakes refuse such events rather than acknowledge them.
   */
  retention(): RetentionWindow;
  /** Newest lastSeen first (ties: id descending); `after` is an endCursor from a previous page. */
  list(filter: SecurityEventFilter, page: PageRequest): Promise<SecurityEventPage>;
  /**
   * How many live events the filter selects (what list() would return over all pages). Redis answers
   * from index cardinalities (ZCOUNT) when one index holds exactly the filter's events, and otherwise
   * walks the smallest index the filter allows, as list() does.
   */
  count(filter: SecurityEventFilter): Promise<number>;
  get(ids: readonly string[]): Promise<(SecurityEvent | null)[]>;
  /** For KubeObject.securityEvents: one batch for N objects, newest first per object. */
  forResources(refs: readonly KubeObjectRef[], limitPerResource: number): Promise<SecurityEvent[][]>;
  /** For Host.securityEvents: one batch for N hosts, newest first per host. */
  forHosts(hostnames: readonly string[], limitPerHost: number): Promise<SecurityEvent[][]>;
  /**
   * For Identity.securityEvents: one batch for N Kubernetes usernames, newest first per identity: the
   * events `kubernetesUserOf` (sources/identity.ts) attributes to each. That identity is part of both
   * attributed sources' dedup keys (an audit request's auditID, Falco's `ka.user.name`), so it never
   * changes for an event.
   */
  forIdentities(usernames: readonly string[], limitPerIdentity: number): Promise<SecurityEvent[][]>;

  /**
   * Marks the events of these dedup keys resolved at `at` (ISO-8601): a finding that left its report
   * is resolved with a time, never deleted. Only events that exist (within retention) and are open
   * change; returns those, as they are now, in the order of `dedupKeys`. Atomic per event with respect
   * to record(): a concurrent occurrence either reopens the event after, or is overridden by, it.
   */
  resolve(dedupKeys: readonly string[], at: string): Promise<SecurityEvent[]>;

  /**
   * The open dedup keys stored for a report object (`<cluster>/<source>/<uid>`) by the last
   * setReportKeys, sorted; null if none were stored or they expired (retentionDays after the last set).
   */
  getReportKeys(reportId: string): Promise<string[] | null>;
  /** Replaces a report's open keys (an empty list is stored as such, not as absent). */
  setReportKeys(reportId: string, keys: readonly string[]): Promise<void>;
  deleteReportKeys(reportId: string): Promise<void>;

  /**
   * For Vulnerability.events: one batch for N vulnerability ids (CVE-..., GHSA-...), every event whose
   * details are a Trivy vulnerability with that id, newest first; open ones only unless asked.
   */
  forVulnerabilities(vulnerabilityIds: readonly string[], options?: ForVulnerabilitiesOptions): Promise<SecurityEvent[][]>;

  /**
   * Distinct vulnerability ids with at least one event the filter selects, ordered by the newest
   * lastSeen of any of the vulnerability's events (ties: id descending). The order does not depend on
   * the filter, which only decides membership. Limitation: a filter that matches few vulnerabilities
   * may read every vulnerability's events (Redis walks the vulnerability index and loads events in
   * batches); fine for thousands of vulnerabilities, not for millions.
   */
  vulnerabilityIds(filter: VulnerabilityIdFilter, page: PageRequest): Promise<VulnerabilityIdPage>;
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

export interface RetentionWindow {
  days: number;
  /** now - days: events last seen at or before it are gone. */
  cutoff: Date;
}

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
  if (filter.clusters !== undefined && !filter.clusters.includes(event.cluster)) return false;
  if (filter.namespace !== undefined && event.resource?.namespace !== filter.namespace) return false;
  if (filter.resourceKind !== undefined && event.resource?.kind !== filter.resourceKind) return false;
  if (filter.resourceName !== undefined && event.resource?.name !== filter.resourceName) return false;
  if (filter.hostname !== undefined && event.hostname !== filter.hostname) return false;
  if (filter.resolved !== undefined && (event.resolvedAt !== null) !== filter.resolved) return false;
  if (filter.eventType !== undefined && event.eventType !== filter.eventType) return false;
  if (filter.rule !== undefined && !rulesOf(event).includes(filter.rule)) return false;
  if (filter.vulnerabilityId !== undefined && vulnerabilityIdOf(event) !== filter.vulnerabilityId) return false;
  if (filter.image !== undefined || filter.tag !== undefined || filter.imageDigest !== undefined) {
    const image = imageOf(event);
    if (!image) return false;
    if (filter.image !== undefined && image.repository !== normaliseRepository(filter.image)) return false;
    if (filter.tag !== undefined && image.tag !== filter.tag) return false;
    if (filter.imageDigest !== undefined && image.digest !== filter.imageDigest) return false;
  }
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

/** The vulnerability id of an event that is a Trivy vulnerability finding; null for anything else. */
export function vulnerabilityIdOf(event: { details: SecurityEventDetails }): string | null {
  const { details } = event;
  return 'kind' in details && details.kind === 'TRIVY_VULNERABILITY' ? details.vulnerabilityId : null;
}

/**
 * Whether a vulnerability, given all its live events, belongs in a vulnerabilityIds listing: some of
 * its events match cluster and severity, and (if asked) any of those is open / all are resolved.
 */
export function vulnerabilityMatches(events: readonly SecurityEvent[], filter: VulnerabilityIdFilter): boolean {
  const selected = events.filter(
    (e) =>
      (filter.cluster === undefined || e.cluster === filter.cluster) &&
      (filter.minSeverity === undefined || severityRank(e.severity) >= severityRank(filter.minSeverity)),
  );
  if (selected.length === 0) return false;
  if (filter.resolved === undefined) return true;
  const anyOpen = selected.some((e) => e.resolvedAt === null);
  return filter.resolved ? !anyOpen : anyOpen;
}

/** A position in a vulnerabilityIds listing: the newest lastSeen of the vulnerability, then its id. */
export interface VulnerabilityCursor {
  lastSeenMs: number;
  vulnerabilityId: string;
}

export function encodeVulnerabilityCursor(lastSeenMs: number, vulnerabilityId: string): string {
  return Buffer.from(`vuln1:${lastSeenMs}:${vulnerabilityId}`).toString('base64url');
}

export function validateVulnerabilityPage(page: PageRequest): VulnerabilityCursor | undefined {
  validateLimit('first', page.first);
  if (page.after === undefined) return undefined;
  const match = /^vuln1:(\d{1,15}):(.+)$/s.exec(Buffer.from(page.after, 'base64url').toString('utf8'));
  if (!match?.[1] || !match[2]) throw badInput('after: not a cursor returned by this API');
  return { lastSeenMs: Number(match[1]), vulnerabilityId: match[2] };
}

export function isAfterVulnerabilityCursor(lastSeenMs: number, vulnerabilityId: string, cursor: VulnerabilityCursor): boolean {
  return lastSeenMs < cursor.lastSeenMs || (lastSeenMs === cursor.lastSeenMs && vulnerabilityId < cursor.vulnerabilityId);
}

/** Parses resolve()'s `at`; throws BAD_USER_INPUT for anything but a date. */
export function parseResolvedAt(at: string): number {
  const ms = Date.parse(at);
  if (Number.isNaN(ms)) throw badInput('at: not an ISO-8601 date-time');
  return ms;
}

/** The empty string is reserved (Redis stores an empty key list as a set holding only it). */
export function validateReportKeys(keys: readonly string[]): void {
  if (keys.includes('')) throw badInput('keys: a dedup key cannot be empty');
}
