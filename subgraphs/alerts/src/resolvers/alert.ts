import type { AlertResolvers, AlertSubjectRefResolvers } from '../__generated__/resolvers-types.js';

export const Alert: AlertResolvers = {
  __resolveReference: (ref, { alertById }) => alertById.load(ref.id),
  description: (alert) => alert.description ?? null,
  rule: (alert) => alert.rule ?? null,
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
};

export const AlertSubjectRef: AlertSubjectRefResolvers = {
  type: (subject) => (subject.type === 'Host' ? 'HOST' : 'KUBE_OBJECT'),
  hostId: (subject) => (subject.type === 'Host' ? subject.hostId : null),
  cluster: (subject) => (subject.type === 'KubeObject' ? subject.cluster : null),
  namespace: (subject) => (subject.type === 'KubeObject' ? subject.namespace : null),
  kind: (subject) => (subject.type === 'KubeObject' ? subject.kind : null),
  name: (subject) => (subject.type === 'KubeObject' ? subject.name : null),
};
