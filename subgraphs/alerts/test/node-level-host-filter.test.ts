import { describe, expect, it } from 'vitest';
import type { Alert } from '@vigil/lib/alerts/alert';
import { matchesAlertFilter } from '../src/alert-filter.js';

// alerts(filter: { hostId }) and the subscription filter include node-level findings whose Node was
// matched to the host (the cluster subgraph puts hostId on their KubeObject subject).

const base = { source: 'CLUSTER', severity: 'CRITICAL', title: 't', raisedAt: '2026-01-01T00:00:00.000Z', occurredAt: '2026-01-01T00:00:00.000Z' } as const;
const podOnWeb1: Alert = { ...base, id: '1-0', subject: { type: 'KubeObject', cluster: 'prod', namespace: 'default', kind: 'Pod', name: 'kubecon', displayName: 'default/kubecon', hostId: 'web-1' } };
const podUnmatched: Alert = { ...base, id: '2-0', subject: { type: 'KubeObject', cluster: 'prod', namespace: 'default', kind: 'Pod', name: 'other', displayName: 'default/other' } };
const hostAlert: Alert = { ...base, id: '3-0', source: 'HOSTS', subject: { type: 'Host', hostId: 'web-1', displayName: 'web-1' } };

describe('alert filter by host', () => {
  it('keeps the host’s own alerts and node-level alerts about objects on its Node', () => {
    const all = [podOnWeb1, podUnmatched, hostAlert];
    expect(all.filter((a) => matchesAlertFilter(a, { hostId: 'web-1' })).map((a) => a.id)).toEqual(['1-0', '3-0']);
    expect(all.filter((a) => matchesAlertFilter(a, { hostId: 'web-2' }))).toEqual([]);
  });

  it('still narrows by subject type', () => {
    expect(matchesAlertFilter(podOnWeb1, { hostId: 'web-1', subjectType: 'HOST' })).toBe(false);
    expect(matchesAlertFilter(podOnWeb1, { hostId: 'web-1', subjectType: 'KUBE_OBJECT' })).toBe(true);
  });
});
