import type { Alert } from '@vigil/lib/alerts/alert';

/** Parent types of the timeline resolvers (codegen mappers) and what each source yields. */

export interface HostSubject {
  id: string;
}
export interface KubeObjectSubject {
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
}
export interface NodeSubject {
  cluster: string;
  name: string;
}

export const TIMELINE_SOURCES = ['ALERT', 'SECURITY_EVENT', 'AUDIT_EVENT', 'HOST_CHANGE'] as const;
export type TimelineSourceName = (typeof TIMELINE_SOURCES)[number];

export type Severity = Alert['severity'];

export interface TimelineEntryModel {
  /** Milliseconds since the epoch; `at` in the API. */
  atMs: number;
  source: TimelineSourceName;
  id: string;
  summary: string;
  severity: Severity | null;
  alert: Alert | null;
  securityEvent: { id: string } | null;
  auditEvent: {
    auditId: string;
    stage: string;
    username: string;
    verb: string;
    resource: string | null;
    namespace: string | null;
    name: string | null;
    responseCode: number | null;
  } | null;
  hostChange: { hostId: string; type: string; key: string; change: string } | null;
}

export interface TimelineConnectionModel {
  edges: { cursor: string; node: TimelineEntryModel }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  from: string;
  to: string;
  omitted: TimelineSourceName[];
  unavailable: { source: TimelineSourceName; message: string }[];
}

/** An empty entry of a source, to spread the source's own fields over. */
export function entry(source: TimelineSourceName, atMs: number, id: string, summary: string): TimelineEntryModel {
  return { atMs, source, id, summary, severity: null, alert: null, securityEvent: null, auditEvent: null, hostChange: null };
}
