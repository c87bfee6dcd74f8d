import { beforeEach, describe, expect, it } from 'vitest';
import type { Alert, AlertChange, NewAlert } from '@vigil/lib/alerts/alert';
import type { AlertLog } from '@vigil/lib/alerts/alert-log';
import { MemoryAlertLog } from '@vigil/lib/alerts/memory-alert-log';
import { entitiesOf, executeSubgraph } from '../../../test/support/execute-subgraph.js';
import { createAlertsSubgraph } from '../src/server.js';
import { alertsDeps } from './lifecycle-deps.js';

// CONVENTIONS §11: Alert references through `_entities` on the alerts schema; N ids, one log read.

/** Counts reads of the log; the log is a dependency, not the unit under test. */
class CountingLog implements AlertLog {
  readonly getCalls: string[][] = [];
  constructor(private readonly inner: AlertLog) {}
  append(alert: NewAlert) {
    return this.inner.append(alert);
  }
  listNewestFirst(options: { before?: string; limit: number }) {
    return this.inner.listNewestFirst(options);
  }
  get(ids: readonly string[]): Promise<(Alert | null)[]> {
    this.getCalls.push([...ids]);
    return this.inner.get(ids);
  }
  lastId() {
    return this.inner.lastId();
  }
  tail(after: string | null, options: { signal: AbortSignal; maxBuffered?: number }) {
    return this.inner.tail(after, options);
  }
  appendChange(change: AlertChange) {
    return this.inner.appendChange(change);
  }
  tailEvents(after: string | null, options: { signal: AbortSignal; maxBuffered?: number }) {
    return this.inner.tailEvents(after, options);
  }
  get groups() {
    return this.inner.groups;
  }
  close() {
    return this.inner.close();
  }
}

const ENTITIES = `
  query ($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on Alert {
        id
        title
        severity
        source
        rule
        labels { key value }
        subjectRef { type hostId kind name }
        subject {
          __typename
          ... on Host { id }
          ... on KubeObject { cluster namespace kind name }
        }
      }
    }
  }
`;

type AlertEntity = {
  id: string;
  title: string;
  severity: string;
  source: string;
  rule: string | null;
  labels: { key: string; value: string }[];
  subjectRef: { type: string; hostId: string | null; kind: string | null; name: string | null } | null;
  subject: Record<string, string> | null;
} | null;

let log: CountingLog;
let definition: ReturnType<typeof createAlertsSubgraph>;
let raised: Alert[];

beforeEach(async () => {
  log = new CountingLog(new MemoryAlertLog({ maxLength: 1000 }));
  definition = createAlertsSubgraph(alertsDeps(log));
  raised = [
    await log.append({ source: 'HOSTS', severity: 'HIGH', title: 'probe failed', subject: { type: 'Host', hostId: 'db-1', displayName: 'db-1' } }),
    await log.append({
      source: 'CLUSTER',
      severity: 'CRITICAL',
      title: 'Terminal shell in container',
      rule: 'Terminal shell in container',
      labels: { namespace: 'shop' },
      subject: { type: 'KubeObject', cluster: 'prod', namespace: 'shop', kind: 'Pod', name: 'web-1', displayName: 'shop/web-1' },
    }),
    await log.append({ source: 'COMPLIANCE', severity: 'LOW', title: 'no subject' }),
  ];
});

describe('alerts _entities', () => {
  it('resolves N alerts with one log.get; unknown ids are null', async () => {
    const ids = [raised[2]?.id, '1-0', raised[0]?.id, raised[1]?.id];
    const result = await executeSubgraph(definition, ENTITIES, { representations: ids.map((id) => ({ __typename: 'Alert', id })) });
    const alerts = entitiesOf<AlertEntity>(result);

    expect(alerts.map((a) => a?.id ?? null)).toEqual([raised[2]?.id, null, raised[0]?.id, raised[1]?.id]);
    expect(alerts[0]).toMatchObject({ title: 'no subject', source: 'COMPLIANCE', rule: null, labels: [], subjectRef: null, subject: null });
    expect(alerts[2]).toMatchObject({
      title: 'probe failed',
      subjectRef: { type: 'HOST', hostId: 'db-1', kind: null, name: null },
      subject: { __typename: 'Host', id: 'db-1' },
    });
    expect(alerts[3]).toMatchObject({
      severity: 'CRITICAL',
      labels: [{ key: 'namespace', value: 'shop' }],
      subjectRef: { type: 'KUBE_OBJECT', hostId: null, kind: 'Pod', name: 'web-1' },
      subject: { __typename: 'KubeObject', cluster: 'prod', namespace: 'shop', kind: 'Pod', name: 'web-1' },
    });
    expect(log.getCalls).toEqual([ids]);
  });

  it('the same id twice is read once, and each request reads afresh', async () => {
    const id = raised[0]?.id;
    const representations = [{ __typename: 'Alert', id }, { __typename: 'Alert', id }];
    await executeSubgraph(definition, ENTITIES, { representations });
    await executeSubgraph(definition, ENTITIES, { representations });
    expect(log.getCalls).toEqual([[id], [id]]);
  });
});
