import { z } from 'zod';
import { SEVERITIES, type Alert } from '@vigil/lib/alerts/alert';
import type { AlertLog } from '@vigil/lib/alerts/alert-log';
import type { Identity } from '@vigil/lib/identity';
import type { SignedSubgraphClient } from './signed-subgraph-client.js';
import { collectNewestFirst, compareTimeline, comesAfter, type TimelineReader } from './timeline.js';
import { entry, type TimelineEntryModel } from './timeline-model.js';
import { scanAlertLogNewestFirst } from '../alert-log-scan.js';

/** One reader per source; each returns its entries in timeline order, bounded by the page it is asked for. */

/**
 * The subject's alerts, from the log in this process. An alert's time is occurredAt (when its event
 * happened), which is not the log's order, so the matching alerts are collected and then sorted.
 */
export function alertReader(log: AlertLog, visible: (alert: Alert) => boolean, about: (alert: Alert) => boolean): TimelineReader {
  return {
    source: 'ALERT',
    async read(window, after, limit) {
      const found: TimelineEntryModel[] = [];
      // From the newest alert every time: the timeline's cursor is an occurredAt, not a position in the log.
      await scanAlertLogNewestFirst(log, {
        visit: (alert) => {
          if (!visible(alert) || !about(alert)) return;
          const atMs = Date.parse(alert.occurredAt);
          if (atMs < window.fromMs || atMs > window.toMs) return;
          const e: TimelineEntryModel = { ...entry('ALERT', atMs, alert.id, `${alert.severity} ${alert.source}: ${alert.title}`), severity: alert.severity, alert };
          if (comesAfter(e, after)) found.push(e);
        },
        // Alerts are raised after their event: one raised before the window started is about an earlier event.
        pastRange: (oldest) => Date.parse(oldest.raisedAt) < window.fromMs,
      });
      return found.sort(compareTimeline).slice(0, limit);
    },
  };
}

const pageInfo = z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() });
const securityEventPage = z.object({
  edges: z.array(z.object({ node: z.object({ id: z.string(), source: z.string(), severity: z.enum(SEVERITIES), title: z.string(), lastSeen: z.string() }) })),
  pageInfo,
});

export type SecurityEventOwner = { __typename: 'Host'; id: string } | { __typename: 'KubeObject'; cluster: string; namespace: string; kind: string; name: string } | { __typename: 'Node'; cluster: string; name: string };

const SECURITY_EVENTS = `
query TimelineSecurityEvents($representations: [_Any!]!, $filter: SecurityEventFilter, $first: Int, $after: String) {
  _entities(representations: $representations) {
    ... on Host { securityEvents(filter: $filter, first: $first, after: $after) { ...TimelinePage } }
    ... on KubeObject { securityEvents(filter: $filter, first: $first, after: $after) { ...TimelinePage } }
    ... on Node { securityEvents(filter: $filter, first: $first, after: $after) { ...TimelinePage } }
  }
}
fragment TimelinePage on SecurityEventConnection { edges { node { id source severity title lastSeen } } pageInfo { hasNextPage endCursor } }`;

/** The security events the cluster subgraph attributes to the subject (Host/KubeObject/Node.securityEvents), last seen in the window. */
export function securityEventReader(cluster: SignedSubgraphClient, identity: Identity, owner: SecurityEventOwner): TimelineReader {
  const shape = z.object({ _entities: z.array(z.object({ securityEvents: securityEventPage }).nullable()) });
  return {
    source: 'SECURITY_EVENT',
    read: (window, after, limit) =>
      collectNewestFirst<string>(
        async (cursor) => {
          // The cursor's time is an upper bound for every source: nothing newer can be on this page.
          const to = Math.min(window.toMs, after?.atMs ?? Number.POSITIVE_INFINITY);
          const data = await cluster.query(SECURITY_EVENTS, { representations: [owner], filter: { from: new Date(window.fromMs).toISOString(), to: new Date(to).toISOString() }, first: Math.min(100, limit), after: cursor }, identity, shape);
          const page = data._entities[0]?.securityEvents;
          if (!page) return { entries: [], next: null };
          return {
            entries: page.edges.map(({ node }) => ({ ...entry('SECURITY_EVENT', Date.parse(node.lastSeen), node.id, `${node.severity} ${node.source}: ${node.title}`), severity: node.severity, securityEvent: { id: node.id } })),
            next: page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null,
          };
        },
        window,
        after,
        limit,
      ),
  };
}

const HOST_CHANGES = `
query TimelineHostChanges($id: ID!, $since: DateTime, $first: Int, $after: String) {
  host(id: $id) { changes(since: $since, first: $first, after: $after) { edges { node { type key change at } } pageInfo { hasNextPage endCursor } } }
}`;

/** The host's fact changes (Host.changes, baselines left out as there), newest first. `id` null: no host, no changes. */
export function hostChangeReader(hosts: SignedSubgraphClient, identity: Identity, id: string | null): TimelineReader {
  const shape = z.object({
    host: z.object({ changes: z.object({ edges: z.array(z.object({ node: z.object({ type: z.string(), key: z.string(), change: z.string(), at: z.string() }) })), pageInfo }) }).nullable(),
  });
  return {
    source: 'HOST_CHANGE',
    async read(window, after, limit) {
      if (id === null) return [];
      return collectNewestFirst<string>(
        async (cursor) => {
          const data = await hosts.query(HOST_CHANGES, { id, since: new Date(window.fromMs).toISOString(), first: Math.min(1000, Math.max(limit, 100)), after: cursor }, identity, shape);
          if (!data.host) return { entries: [], next: null };
          return {
            entries: data.host.changes.edges.map(({ node }) => {
              const atMs = Date.parse(node.at);
              return { ...entry('HOST_CHANGE', atMs, JSON.stringify([id, node.type, node.key, atMs]), `${node.type} ${node.change.toLowerCase()}: ${node.key}`), hostChange: { hostId: id, type: node.type, key: node.key, change: node.change } };
            }),
            next: data.host.changes.pageInfo.hasNextPage ? data.host.changes.pageInfo.endCursor : null,
          };
        },
        window,
        after,
        limit,
      );
    },
  };
}

const AUDIT_EVENTS = `
query TimelineAuditEvents($filter: AuditEventFilter, $first: Int, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) {
    edges { node { auditId stage time verb user { username } resource namespace name responseCode } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** Audit events matching `filter` (users, or an object's resource, name, namespace, cluster) in the window, newest first. */
export function auditReader(audit: SignedSubgraphClient, identity: Identity, filter: Record<string, unknown>): TimelineReader {
  const shape = z.object({
    auditEvents: z.object({
      edges: z.array(
        z.object({
          node: z.object({
            auditId: z.string(),
            stage: z.string(),
            time: z.string(),
            verb: z.string(),
            user: z.object({ username: z.string() }),
            resource: z.string().nullable(),
            namespace: z.string().nullable(),
            name: z.string().nullable(),
            responseCode: z.number().int().nullable(),
          }),
        }),
      ),
      pageInfo,
    }),
  });
  return {
    source: 'AUDIT_EVENT',
    read: (window, after, limit) =>
      collectNewestFirst<string>(
        async (cursor) => {
          const to = Math.min(window.toMs, after?.atMs ?? Number.POSITIVE_INFINITY);
          // The audit filter's `to` is exclusive; the window's is inclusive.
          const data = await audit.query(AUDIT_EVENTS, { filter: { ...filter, from: new Date(window.fromMs).toISOString(), to: new Date(to + 1).toISOString() }, first: Math.min(1000, Math.max(limit, 50)), after: cursor }, identity, shape);
          return {
            entries: data.auditEvents.edges.map(({ node }) => {
              const object = [node.resource, node.namespace, node.name].filter((p) => p).join('/');
              const summary = `${node.user.username} ${node.verb} ${object || '(no object)'}${node.responseCode === null ? '' : ` → ${node.responseCode}`}`;
              return {
                ...entry('AUDIT_EVENT', Date.parse(node.time), `${node.auditId}/${node.stage}`, summary),
                auditEvent: { auditId: node.auditId, stage: node.stage, username: node.user.username, verb: node.verb, resource: node.resource, namespace: node.namespace, name: node.name, responseCode: node.responseCode },
              };
            }),
            next: data.auditEvents.pageInfo.hasNextPage ? data.auditEvents.pageInfo.endCursor : null,
          };
        },
        window,
        after,
        limit,
      ),
  };
}

const NODE_HOST = `query TimelineNodeHost($cluster: String!, $name: String!) { node(cluster: $cluster, name: $name) { host { host { id } } } }`;

const nodeHostShape = z.object({ node: z.object({ host: z.object({ host: z.object({ id: z.string() }) }).nullable() }).nullable() });

/** The inventory host a Node was matched to, as the cluster subgraph says to this caller. */
export async function matchedHostOf(cluster: SignedSubgraphClient, identity: Identity, node: { cluster: string; name: string }): Promise<string | null> {
  const data = await cluster.query(NODE_HOST, node, identity, nodeHostShape);
  return data.node?.host?.host.id ?? null;
}
