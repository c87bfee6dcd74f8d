import { describe, expect, it } from 'vitest';
import type { NewAlert } from '@vigil/lib/alerts/alert';
import type { Identity as Caller } from '@vigil/lib/identity';
import { MemoryAlertLog } from '@vigil/lib/alerts/memory-alert-log';
import { entitiesOf, executeSubgraph } from '../../../test/support/execute-subgraph.js';
import { createAlertsSubgraph } from '../src/server.js';
import { alertsDeps } from './lifecycle-deps.js';

// Identity.alerts through `_entities`: the alerts whose `user` label names the identity, on the sources
// where that label is a Kubernetes username (the audit rules, Falco's Kubernetes audit source), for N
// identities in one walk of the log, per the caller's tenants.

/** The memory log, counting the pages read from it. */
class CountingLog extends MemoryAlertLog {
  reads = 0;
  override listNewestFirst(options: { before?: string; limit: number }) {
    this.reads += 1;
    return super.listNewestFirst(options);
  }
}

const pod = (cluster: string, name: string) => ({ type: 'KubeObject' as const, cluster, namespace: 'shop', kind: 'Pod', name, displayName: `shop/${name}` });

/** As the audit rules (k8s-audit/rule-alerts.ts) and Falco's intake (falco-ingest.ts) raise them. */
const ALERTS: NewAlert[] = [
  { source: 'AUDIT', severity: 'HIGH', title: 'secret read by alice', rule: 'k8s-audit: secret read by a person', subject: pod('prod', 'web-1'), labels: { cluster: 'prod', user: 'alice', auditRule: 'secretReadByPerson' } },
  { source: 'CLUSTER', severity: 'MEDIUM', title: 'Falco: Attach/Exec Pod in shop/web-2', rule: 'Attach/Exec Pod', subject: pod('staging', 'web-2'), labels: { cluster: 'staging', user: 'alice', falcoPriority: 'Notice' } },
  // A Unix account called alice on a host: not the Kubernetes identity.
  { source: 'HOSTS', severity: 'CRITICAL', title: 'new user with uid 0: alice', subject: { type: 'Host', hostId: 'db-1', displayName: 'db-1', hostLabels: { env: 'prod' } }, labels: { user: 'alice' } },
  { source: 'AUDIT', severity: 'HIGH', title: 'RBAC change by bob', subject: pod('prod', 'web-3'), labels: { cluster: 'prod', user: 'bob' } },
  { source: 'CLUSTER', severity: 'CRITICAL', title: 'Falco: Terminal shell in container', subject: pod('prod', 'web-1'), labels: { cluster: 'prod', falcoPriority: 'Critical' } },
  { source: 'AUDIT', severity: 'HIGH', title: 'secret read by alice again', subject: pod('prod', 'web-1'), labels: { cluster: 'prod', user: 'alice' } },
];

const QUERY = `query ($representations: [_Any!]!, $first: Int, $after: String) {
  _entities(representations: $representations) { ... on Identity { username alerts(first: $first, after: $after) { edges { cursor node { title source } } pageInfo { hasNextPage endCursor } } } }
}`;
type Page = { username: string; alerts: { edges: { cursor: string; node: { title: string; source: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };

async function subgraph() {
  const log = new CountingLog({ maxLength: 1000 });
  for (const alert of ALERTS) await log.append(alert);
  return { log, definition: createAlertsSubgraph(alertsDeps(log)) };
}
const identities = (...names: string[]) => names.map((username) => ({ __typename: 'Identity', username }));

describe('Identity.alerts', () => {
  it('N identities in one walk of the log, newest first; a HOSTS alert’s Unix user never matches', async () => {
    const { log, definition } = await subgraph();
    const result = await executeSubgraph(definition, QUERY, { representations: identities('alice', 'bob', 'carol'), first: 10 });
    const pages = entitiesOf<Page>(result);
    expect(pages.map((p) => [p.username, p.alerts.edges.map((e) => e.node.title), p.alerts.pageInfo.hasNextPage])).toEqual([
      ['alice', ['secret read by alice again', 'Falco: Attach/Exec Pod in shop/web-2', 'secret read by alice'], false],
      ['bob', ['RBAC change by bob'], false],
      ['carol', [], false],
    ]);
    expect(log.reads).toBe(1);
  });

  it('pages with first and after', async () => {
    const { definition } = await subgraph();
    const first = entitiesOf<Page>(await executeSubgraph(definition, QUERY, { representations: identities('alice'), first: 2 }))[0];
    expect(first?.alerts.edges.map((e) => e.node.title)).toEqual(['secret read by alice again', 'Falco: Attach/Exec Pod in shop/web-2']);
    expect(first?.alerts.pageInfo.hasNextPage).toBe(true);
    const next = entitiesOf<Page>(await executeSubgraph(definition, QUERY, { representations: identities('alice'), first: 2, after: first?.alerts.pageInfo.endCursor }))[0];
    expect(next?.alerts.edges.map((e) => e.node.title)).toEqual(['secret read by alice']);
    expect(next?.alerts.pageInfo).toEqual({ hasNextPage: false, endCursor: next?.alerts.edges[0]?.cursor });
  });

  it('a tenant sees only alerts about its clusters', async () => {
    const { definition } = await subgraph();
    const staging: Caller = { subject: 't', kind: 'user', roles: ['analyst'], tenants: [{ name: 'staging', clusters: ['staging'], hostLabels: { env: 'prod' }, victoriaLogs: null }], expiresAt: null };
    const pages = entitiesOf<Page>(await executeSubgraph(definition, QUERY, { representations: identities('alice') }, staging));
    expect(pages[0]?.alerts.edges.map((e) => e.node.source)).toEqual(['CLUSTER']);
  });

  it.each([
    ['first', { first: 0 }],
    ['after', { after: 'not-an-id' }],
  ])('bad %s: BAD_USER_INPUT, nothing read', async (_name, variables) => {
    const { log, definition } = await subgraph();
    const result = await executeSubgraph(definition, QUERY, { representations: identities('alice'), ...variables });
    expect(result.errors?.map((e) => e.extensions?.['code'])).toEqual(['BAD_USER_INPUT']);
    expect(log.reads).toBe(0);
  });
});
