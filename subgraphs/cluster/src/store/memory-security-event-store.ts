import { SEVERITIES, severityRank } from '@vigil/lib/alerts/alert';
import {
  DAY_MS,
  SECURITY_SOURCES,
  compareNewestFirst,
  encodeCursor,
  encodeVulnerabilityCursor,
  isAfterCursor,
  isAfterVulnerabilityCursor,
  matchesFilter,
  parseResolvedAt,
  resourceKey,
  securityEventId,
  validateLimit,
  validatePage,
  validateReportKeys,
  validateVulnerabilityPage,
  vulnerabilityIdOf,
  vulnerabilityMatches,
  type ForVulnerabilitiesOptions,
  type KubeObjectRef,
  type NormalisedSecurityEvent,
  type PageRequest,
  type RecordOptions,
  type RetentionWindow,
  type SecurityEvent,
  type SecurityEventFilter,
  type SecurityEventPage,
  type SecurityEventStore,
  type SecurityEventStoreOptions,
  type VulnerabilityIdFilter,
  type VulnerabilityIdPage,
} from './security-event-store.js';
import { kubernetesUserOf } from '../sources/identity.js';

/** Sweeping is O(n); once a minute is plenty for a retention measured in days. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * The embedded default: a Map in this process. Same semantics as Redis, including retention on
 * lastSeen; not shared between processes and lost on restart. Listing reads the smallest index the
 * filter allows (as Redis does) and sorts it on every call, which is fine at embedded scale. Record is atomic because it never awaits between reading and writing.
 */
export class MemorySecurityEventStore implements SecurityEventStore {
  private readonly events = new Map<string, SecurityEvent>();
  private readonly byResource = new Map<string, Set<string>>();
  private readonly byHost = new Map<string, Set<string>>();
  private readonly byIdentity = new Map<string, Set<string>>();
  private readonly byVulnerability = new Map<string, Set<string>>();
  /** For list(): the counterparts of Redis' per-source, per-severity and per-cluster indexes. */
  private readonly bySource = new Map<string, Set<string>>();
  private readonly bySeverity = new Map<string, Set<string>>();
  private readonly byCluster = new Map<string, Set<string>>();
  /** Report id → its open keys and when they expire (ms), like the Redis key's TTL. */
  private readonly reportKeys = new Map<string, { keys: string[]; expiresAt: number }>();
  private readonly now: () => Date;
  private readonly retentionMs: number;
  private lastSweep = 0;

  constructor(options: SecurityEventStoreOptions) {
    this.now = options.now ?? (() => new Date());
    this.retentionMs = options.retentionDays * DAY_MS;
  }

  async record(input: NormalisedSecurityEvent, options: RecordOptions = {}): Promise<{ event: SecurityEvent; isNew: boolean }> {
    this.sweepIfDue();
    const id = securityEventId(input.dedupKey);
    const existing = this.live(this.events.get(id));
    const { occurredAt, ...rest } = input;
    const at = Date.parse(occurredAt);
    let event: SecurityEvent;
    if (!existing) {
      event = { ...structuredClone(rest), id, firstSeen: occurredAt, lastSeen: occurredAt, count: 1, resolvedAt: null };
    } else {
      const newest = at >= Date.parse(existing.lastSeen);
      event = {
        ...(newest ? { ...structuredClone(rest), id } : existing),
        firstSeen: at < Date.parse(existing.firstSeen) ? occurredAt : existing.firstSeen,
        lastSeen: newest ? occurredAt : existing.lastSeen,
        count: existing.count + (options.restatement ? 0 : 1),
        // It came back: a new occurrence reopens a resolved event.
        resolvedAt: null,
      };
    }
    if (this.isExpired(event)) {
      // Already outside the retention window: acknowledged, but not kept (as Redis does with a TTL ≤ 0).
      this.remove(id);
    } else {
      this.remove(id);
      this.events.set(id, event);
      if (event.resource) addTo(this.byResource, resourceKey(event.resource), id);
      if (event.hostname !== null) addTo(this.byHost, event.hostname, id);
      const identity = kubernetesUserOf(event);
      if (identity !== null) addTo(this.byIdentity, identity, id);
      const vulnerabilityId = vulnerabilityIdOf(event);
      if (vulnerabilityId !== null) addTo(this.byVulnerability, vulnerabilityId, id);
      addTo(this.bySource, event.source, id);
      addTo(this.bySeverity, event.severity, id);
      addTo(this.byCluster, event.cluster, id);
    }
    return { event: structuredClone(event), isNew: !existing };
  }

  retention(): RetentionWindow {
    return { days: this.retentionMs / DAY_MS, cutoff: new Date(this.now().getTime() - this.retentionMs) };
  }

  async list(filter: SecurityEventFilter, page: PageRequest): Promise<SecurityEventPage> {
    const after = validatePage(page);
    const matching = this.candidates(filter)
      .filter((e) => !this.isExpired(e) && matchesFilter(e, filter) && (after === undefined || isAfterCursor(e, after)))
      .sort(compareNewestFirst);
    const events = matching.slice(0, page.first).map((e) => structuredClone(e));
    const last = events.at(-1);
    return { events, hasNextPage: matching.length > page.first, endCursor: last ? encodeCursor(last) : null };
  }

  async count(filter: SecurityEventFilter): Promise<number> {
    return this.candidates(filter).filter((e) => !this.isExpired(e) && matchesFilter(e, filter)).length;
  }

  async get(ids: readonly string[]): Promise<(SecurityEvent | null)[]> {
    return ids.map((id) => {
      const event = this.live(this.events.get(id));
      return event ? structuredClone(event) : null;
    });
  }

  async forResources(refs: readonly KubeObjectRef[], limitPerResource: number): Promise<SecurityEvent[][]> {
    validateLimit('limitPerResource', limitPerResource);
    return refs.map((ref) => this.newest(this.byResource.get(resourceKey(ref)), limitPerResource));
  }

  async forHosts(hostnames: readonly string[], limitPerHost: number): Promise<SecurityEvent[][]> {
    validateLimit('limitPerHost', limitPerHost);
    return hostnames.map((hostname) => this.newest(this.byHost.get(hostname), limitPerHost));
  }

  async forIdentities(usernames: readonly string[], limitPerIdentity: number): Promise<SecurityEvent[][]> {
    validateLimit('limitPerIdentity', limitPerIdentity);
    return usernames.map((username) => this.newest(this.byIdentity.get(username), limitPerIdentity));
  }

  async resolve(dedupKeys: readonly string[], at: string): Promise<SecurityEvent[]> {
    const resolvedAt = new Date(parseResolvedAt(at)).toISOString();
    const changed: SecurityEvent[] = [];
    for (const key of new Set(dedupKeys)) {
      const event = this.live(this.events.get(securityEventId(key)));
      if (!event || event.resolvedAt !== null) continue;
      event.resolvedAt = resolvedAt;
      changed.push(structuredClone(event));
    }
    return changed;
  }

  async getReportKeys(reportId: string): Promise<string[] | null> {
    const stored = this.reportKeys.get(reportId);
    if (!stored) return null;
    if (stored.expiresAt <= this.now().getTime()) {
      this.reportKeys.delete(reportId);
      return null;
    }
    return [...stored.keys];
  }

  async setReportKeys(reportId: string, keys: readonly string[]): Promise<void> {
    validateReportKeys(keys);
    this.reportKeys.set(reportId, { keys: [...new Set(keys)].sort(), expiresAt: this.now().getTime() + this.retentionMs });
  }

  async deleteReportKeys(reportId: string): Promise<void> {
    this.reportKeys.delete(reportId);
  }

  async forVulnerabilities(vulnerabilityIds: readonly string[], options: ForVulnerabilitiesOptions = {}): Promise<SecurityEvent[][]> {
    return vulnerabilityIds.map((vulnerabilityId) =>
      this.liveIn(this.byVulnerability.get(vulnerabilityId))
        .filter((e) => options.includeResolved === true || e.resolvedAt === null)
        .sort(compareNewestFirst)
        .map((e) => structuredClone(e)),
    );
  }

  async vulnerabilityIds(filter: VulnerabilityIdFilter, page: PageRequest): Promise<VulnerabilityIdPage> {
    const after = validateVulnerabilityPage(page);
    const matching: { vulnerabilityId: string; lastSeenMs: number }[] = [];
    for (const [vulnerabilityId, ids] of this.byVulnerability) {
      const events = this.liveIn(ids);
      if (events.length === 0) continue;
      const lastSeenMs = Math.max(...events.map((e) => Date.parse(e.lastSeen)));
      if (after !== undefined && !isAfterVulnerabilityCursor(lastSeenMs, vulnerabilityId, after)) continue;
      if (vulnerabilityMatches(events, filter)) matching.push({ vulnerabilityId, lastSeenMs });
    }
    matching.sort((a, b) => b.lastSeenMs - a.lastSeenMs || (a.vulnerabilityId < b.vulnerabilityId ? 1 : a.vulnerabilityId > b.vulnerabilityId ? -1 : 0));
    const selected = matching.slice(0, page.first);
    const last = selected.at(-1);
    return {
      vulnerabilityIds: selected.map((v) => v.vulnerabilityId),
      hasNextPage: matching.length > page.first,
      endCursor: last ? encodeVulnerabilityCursor(last.lastSeenMs, last.vulnerabilityId) : null,
    };
  }

  /** The events of the smallest index the filter allows (see RedisSecurityEventStore.list). */
  private candidates(filter: SecurityEventFilter): SecurityEvent[] {
    const sets: (Set<string> | undefined)[][] = [];
    if (filter.hostname !== undefined) sets.push([this.byHost.get(filter.hostname)]);
    if (filter.vulnerabilityId !== undefined) sets.push([this.byVulnerability.get(filter.vulnerabilityId)]);
    const { cluster, namespace, resourceKind: kind, resourceName: name } = filter;
    if (cluster !== undefined && namespace !== undefined && kind !== undefined && name !== undefined) {
      sets.push([this.byResource.get(resourceKey({ cluster, namespace, kind, name }))]);
    }
    if (filter.sources !== undefined) {
      const sources = [...new Set(filter.sources)];
      if (sources.length < SECURITY_SOURCES.length) sets.push(sources.map((s) => this.bySource.get(s)));
    }
    const { minSeverity } = filter;
    if (minSeverity !== undefined) {
      const severities = SEVERITIES.filter((s) => severityRank(s) >= severityRank(minSeverity));
      if (severities.length < SEVERITIES.length) sets.push(severities.map((s) => this.bySeverity.get(s)));
    }
    if (cluster !== undefined) sets.push([this.byCluster.get(cluster)]);
    if (sets.length === 0) return [...this.events.values()];
    const size = (union: (Set<string> | undefined)[]) => union.reduce((sum, ids) => sum + (ids?.size ?? 0), 0);
    const smallest = sets.reduce((best, union) => (size(union) < size(best) ? union : best));
    return this.liveIn(new Set(smallest.flatMap((ids) => [...(ids ?? [])])));
  }

  private liveIn(ids: Set<string> | undefined): SecurityEvent[] {
    const events: SecurityEvent[] = [];
    for (const id of ids ?? []) {
      const event = this.live(this.events.get(id));
      if (event) events.push(event);
    }
    return events;
  }

  private newest(ids: Set<string> | undefined, limit: number): SecurityEvent[] {
    return this.liveIn(ids)
      .sort(compareNewestFirst)
      .slice(0, limit)
      .map((e) => structuredClone(e));
  }

  private live(event: SecurityEvent | undefined): SecurityEvent | undefined {
    return event && !this.isExpired(event) ? event : undefined;
  }

  private isExpired(event: SecurityEvent): boolean {
    return Date.parse(event.lastSeen) <= this.now().getTime() - this.retentionMs;
  }

  private remove(id: string): void {
    const event = this.events.get(id);
    if (!event) return;
    this.events.delete(id);
    if (event.resource) removeFrom(this.byResource, resourceKey(event.resource), id);
    if (event.hostname !== null) removeFrom(this.byHost, event.hostname, id);
    const identity = kubernetesUserOf(event);
    if (identity !== null) removeFrom(this.byIdentity, identity, id);
    const vulnerabilityId = vulnerabilityIdOf(event);
    if (vulnerabilityId !== null) removeFrom(this.byVulnerability, vulnerabilityId, id);
    removeFrom(this.bySource, event.source, id);
    removeFrom(this.bySeverity, event.severity, id);
    removeFrom(this.byCluster, event.cluster, id);
  }

  private sweepIfDue(): void {
    const now = this.now().getTime();
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    for (const event of [...this.events.values()]) if (this.isExpired(event)) this.remove(event.id);
    for (const [reportId, stored] of [...this.reportKeys]) if (stored.expiresAt <= now) this.reportKeys.delete(reportId);
  }
}

function addTo(index: Map<string, Set<string>>, key: string, id: string): void {
  const ids = index.get(key) ?? new Set<string>();
  ids.add(id);
  index.set(key, ids);
}

function removeFrom(index: Map<string, Set<string>>, key: string, id: string): void {
  const ids = index.get(key);
  if (!ids) return;
  ids.delete(id);
  if (ids.size === 0) index.delete(key);
}
