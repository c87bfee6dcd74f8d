import { silenceFor } from '@vigil/lib/alerts/silence-match';
import { isAlertId } from '@vigil/lib/alerts/alert';
import type { AlertState } from '@vigil/lib/alerts/alert-state';
import type { AlertResolvers, AlertSubjectRefResolvers } from '../__generated__/resolvers-types.js';
import type { AlertsContext } from '../context.js';
import type { Alert as AlertModel } from '../models.js';
import { FIRST_PART_LABEL, SECOND_PART_LABEL } from '../correlation/correlation-engine.js';

/** The parent's state when it carries a fresh one, else this request's (batched) read. */
const stateOf = (alert: AlertModel, context: AlertsContext): Promise<AlertState> => (alert.state ? Promise.resolve(alert.state) : context.stateById.load(alert.id));

export const Alert: AlertResolvers = {
  __resolveReference: (ref, { alertById }) => alertById.load(ref.id),
  description: (alert) => alert.description ?? null,
  rule: (alert) => alert.rule ?? null,
  correlatedAlerts: async (alert, _args, { alertById }) => {
    if (alert.source !== 'CORRELATION') return [];
    const ids = [alert.labels?.[FIRST_PART_LABEL], alert.labels?.[SECOND_PART_LABEL]].filter((id): id is string => id !== undefined && isAlertId(id));
    // Through the visibility-filtered loader: a part of another tenant is left out, not shown.
    return (await alertById.loadMany(ids)).filter((a): a is AlertModel => a !== null && !(a instanceof Error));
  },
  subjectRef: (alert) => alert.subject ?? null,
  subject: (alert) => {
    const subject = alert.subject;
    if (!subject) return null;
    switch (subject.type) {
      case 'Host':
        return { __typename: 'Host', id: subject.hostId };
      case 'KubeObject':
        return { __typename: 'KubeObject', cluster: subject.cluster, namespace: subject.namespace, kind: subject.kind, name: subject.name };
    }
  },
  labels: (alert) => Object.entries(alert.labels ?? {}).map(([key, value]) => ({ key, value })),
  status: async (alert, _args, context) => {
    const state = await stateOf(alert, context);
    return state.resolved ? 'RESOLVED' : state.acknowledged ? 'ACKNOWLEDGED' : 'OPEN';
  },
  count: async (alert, _args, context) => (await stateOf(alert, context)).count,
  lastSeen: async (alert, _args, context) => (await stateOf(alert, context)).lastSeen ?? alert.raisedAt,
  acknowledged: async (alert, _args, context) => (await stateOf(alert, context)).acknowledged,
  resolved: async (alert, _args, context) => (await stateOf(alert, context)).resolved,
  silenced: async (alert, _args, context) => silenceFor(await context.silences(), alert, context.deps.clock()) !== null,
};

export const AlertSubjectRef: AlertSubjectRefResolvers = {
  type: (subject) => (subject.type === 'Host' ? 'HOST' : 'KUBE_OBJECT'),
  // A KubeObject subject carries the host too when its node was matched to one (node-level findings).
  hostId: (subject) => subject.hostId ?? null,
  cluster: (subject) => (subject.type === 'KubeObject' ? subject.cluster : null),
  namespace: (subject) => (subject.type === 'KubeObject' ? subject.namespace : null),
  kind: (subject) => (subject.type === 'KubeObject' ? subject.kind : null),
  name: (subject) => (subject.type === 'KubeObject' ? subject.name : null),
};
