import type { Severity } from '@vigil/lib/alerts/alert';
import type { MovedStoreLayout } from '@vigil/lib/redis-layout-migration';
import { oneSlotPrefix } from '@vigil/lib/redis-slot';
import { escapeSegment, resourceKey, type KubeObjectRef, type SecuritySource } from './security-event-store.js';

/**
 * The first segment of every key of the security-event store. Every key below is built on one of
 * these, and the layout migration moves exactly these: a key on a segment not listed here would be
 * left behind by an upgrade (test/security-event-keys.test.ts builds each key to check).
 */
const FAMILY = { event: 'event:', events: 'events:', vulnerabilities: 'vulnerabilities:', reportKeys: 'report-keys:' } as const;

/** The store's keys moved under one hash tag (its record script spans an event and its indexes). */
export const SECURITY_EVENT_LAYOUT: MovedStoreLayout = { subgraph: 'cluster', store: 'events', families: Object.values(FAMILY) };

/** The keys of the security-event store under `prefix` (the cluster subgraph's); see RedisSecurityEventStore for what each holds. */
export interface SecurityEventKeys {
  event(id: string): string;
  timeIndex(): string;
  resource(ref: KubeObjectRef): string;
  host(hostname: string): string;
  vulnerability(vulnerabilityId: string): string;
  identity(username: string): string;
  source(source: SecuritySource): string;
  severity(severity: Severity): string;
  cluster(cluster: string): string;
  vulnerabilityIndex(): string;
  reportKeys(reportId: string): string;
}

export function securityEventKeys(prefix: string): SecurityEventKeys {
  const base = oneSlotPrefix(prefix, SECURITY_EVENT_LAYOUT.store);
  const events = `${base}${FAMILY.events}`;
  return {
    event: (id) => `${base}${FAMILY.event}${id}`,
    timeIndex: () => `${events}by-last-seen`,
    resource: (ref) => `${events}by-resource:${resourceKey(ref)}`,
    host: (hostname) => `${events}by-host:${escapeSegment(hostname)}`,
    vulnerability: (vulnerabilityId) => `${events}by-vulnerability:${escapeSegment(vulnerabilityId)}`,
    identity: (username) => `${events}by-identity:${escapeSegment(username)}`,
    source: (source) => `${events}by-source:${source}`,
    severity: (severity) => `${events}by-severity:${severity}`,
    cluster: (cluster) => `${events}by-cluster:${escapeSegment(cluster)}`,
    vulnerabilityIndex: () => `${base}${FAMILY.vulnerabilities}by-last-seen`,
    reportKeys: (reportId) => `${base}${FAMILY.reportKeys}${reportId}`,
  };
}
