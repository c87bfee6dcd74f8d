import { KUBERNETES_USER_LABEL, KUBERNETES_USER_SOURCES, type Alert } from '@vigil/lib/alerts/alert';
import { describeError } from '@vigil/lib/errors';
import { scopesOf } from '@vigil/lib/identity';
import { resourceOfKind } from '@vigil/lib/kube-kinds';
import type { HostResolvers, KubeObjectResolvers, NodeResolvers, TimelineEntryResolvers } from '../__generated__/resolvers-types.js';
import type { AlertsContext } from '../context.js';
import { alertReader, auditReader, hostChangeReader, matchedHostOf, securityEventReader } from '../timeline/readers.js';
import { readTimeline, type TimelineArgs, type TimelineReader } from '../timeline/timeline.js';
import type { TimelineConnectionModel, TimelineSourceName } from '../timeline/timeline-model.js';

/**
 * Host/KubeObject/Node/Identity.timeline. Which sources a subject has, and the checks the gateway
 * would have made had the caller asked each source itself: no identity, no upstream reads; audit
 * events only for analysts (AuditEvent is analyst-only), otherwise listed as omitted.
 */
type Plan = { readers: TimelineReader[]; omitted: TimelineSourceName[] };
type Upstream = NonNullable<AlertsContext['deps']['timeline']>;

function plan(context: AlertsContext, about: (alert: Alert) => boolean, upstreamReaders: (up: Upstream, identity: NonNullable<AlertsContext['identity']>, analyst: boolean) => Plan): Plan {
  const readers: TimelineReader[] = [alertReader(context.deps.log, context.visible, about)];
  const identity = context.identity;
  const upstream = context.deps.timeline;
  if (identity === null || upstream === undefined) return { readers, omitted: [] };
  const more = upstreamReaders(upstream, identity, scopesOf(identity.roles).includes('analyst'));
  return { readers: [...readers, ...more.readers], omitted: more.omitted };
}

function run(context: AlertsContext, planned: Plan, args: TimelineArgs): Promise<TimelineConnectionModel> {
  return readTimeline(planned.readers, planned.omitted, args, { clock: context.deps.clock, logger: context.deps.timeline?.logger });
}

export const Host: HostResolvers = {
  timeline: (host, args, context) =>
    run(
      context,
      plan(
        context,
        (alert) => alert.subject?.hostId === host.id,
        (up, identity) => ({
          readers: [securityEventReader(up.cluster, identity, { __typename: 'Host', id: host.id }), hostChangeReader(up.hosts, identity, host.id)],
          omitted: [],
        }),
      ),
      args,
    ),
};

export const KubeObject: KubeObjectResolvers = {
  timeline: (object, args, context) =>
    run(
      context,
      plan(
        context,
        (alert) => alert.subject?.type === 'KubeObject' && alert.subject.cluster === object.cluster && alert.subject.namespace === object.namespace && alert.subject.kind === object.kind && alert.subject.name === object.name,
        (up, identity, analyst) => ({
          readers: [
            securityEventReader(up.cluster, identity, { __typename: 'KubeObject', ...object }),
            ...(analyst ? [auditReader(up.audit, identity, { resources: [resourceOfKind(object.kind)], names: [object.name], clusters: [object.cluster], ...(object.namespace ? { namespaces: [object.namespace] } : {}) })] : []),
          ],
          omitted: analyst ? [] : ['AUDIT_EVENT'],
        }),
      ),
      args,
    ),
};

export const Node: NodeResolvers = {
  async timeline(node, args, context) {
    const up = context.deps.timeline;
    const identity = context.identity;
    // The node's alerts: about the Node object, or about the host it is (a node-level finding names the
    // matched host, or the node name when unmatched, as its host id).
    let matched: string | null = null;
    if (up && identity) {
      try {
        matched = await matchedHostOf(up.cluster, identity, node);
      } catch (error) {
        up.logger.warn({ err: describeError(error) }, "timeline: the node's host could not be read");
      }
    }
    const about = (alert: Alert) => {
      const s = alert.subject;
      if (!s) return false;
      if (s.type === 'KubeObject' && s.kind === 'Node') return s.cluster === node.cluster && s.name === node.name;
      if (s.type === 'Host') return (matched !== null && s.hostId === matched) || (s.hostId === node.name && (s.cluster === undefined || s.cluster === node.cluster));
      return matched !== null && s.hostId === matched;
    };
    return run(
      context,
      plan(context, about, (upstream, caller) => ({
        readers: [securityEventReader(upstream.cluster, caller, { __typename: 'Node', ...node }), hostChangeReader(upstream.hosts, caller, matched)],
        omitted: [],
      })),
      args,
    );
  },
};

/** Identity.timeline (merged into the Identity resolvers): its audit events and the alerts attributed to it. */
export function identityTimeline(username: string, args: TimelineArgs, context: AlertsContext): Promise<TimelineConnectionModel> {
  const about = (alert: Alert) => KUBERNETES_USER_SOURCES.includes(alert.source) && alert.labels?.[KUBERNETES_USER_LABEL] === username;
  return run(
    context,
    plan(context, about, (up, identity, analyst) => ({ readers: analyst ? [auditReader(up.audit, identity, { users: [username] })] : [], omitted: analyst ? [] : ['AUDIT_EVENT'] })),
    args,
  );
}

export const TimelineEntry: TimelineEntryResolvers = {
  at: (e) => new Date(e.atMs).toISOString(),
};
