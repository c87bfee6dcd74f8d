import { describe, expect, it } from 'vitest';
import { entitiesOf, executeSubgraph } from '../../../test/support/execute-subgraph.js';
import { createAuditSubgraph } from '../src/server.js';
import type { AuditFilter, AuditHistogramResult, AuditLogSource, AuditPage, AuditStatsResult } from '../src/sources/victorialogs/audit-log-source.js';

// CONVENTIONS §11 for the audit subgraph, without a network: Identity and KubeObject references
// resolve on the schema itself, and the filters they hand the source port. The LogsQL those filters
// become, through the VictoriaLogs double, is checked in entities.int.test.ts.

/** A port double recording every search; answers an empty page. */
class RecordingSource implements AuditLogSource {
  readonly searches: { filter: AuditFilter; first: number; after?: string }[] = [];
  async search(filter: AuditFilter, page: { first: number; after?: string }): Promise<AuditPage> {
    this.searches.push({ filter, ...page });
    return { events: [], cursors: [], hasNextPage: false, endCursor: null };
  }
  async stats(): Promise<AuditStatsResult> {
    throw new Error('not used here');
  }
  async histogram(): Promise<AuditHistogramResult> {
    throw new Error('not used here');
  }
  async identities(): Promise<never> {
    throw new Error('not used here');
  }
  async identitySummaries(): Promise<never> {
    throw new Error('not used here');
  }
  async identityVerbs(): Promise<never> {
    throw new Error('not used here');
  }
  async identityResources(): Promise<never> {
    throw new Error('not used here');
  }
  async coverage(): Promise<never> {
    throw new Error('not used here');
  }
}

const IDENTITY = `
  query ($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on Identity { username isServiceAccount }
    }
  }
`;

const TRAIL = `
  query ($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on KubeObject { cluster namespace kind name auditTrail(first: 7) { edges { cursor } pageInfo { hasNextPage } } }
    }
  }
`;

describe('audit _entities', () => {
  it('Identity references resolve without a backend call', async () => {
    const source = new RecordingSource();
    const result = await executeSubgraph(createAuditSubgraph({ source, clusterName: 'prod' }), IDENTITY, {
      representations: [
        { __typename: 'Identity', username: 'kubernetes-admin' },
        { __typename: 'Identity', username: 'system:serviceaccount:kube-system:coredns' },
        { __typename: 'Identity', username: 'system:serviceaccounts' },
      ],
    });
    expect(entitiesOf(result)).toEqual([
      { username: 'kubernetes-admin', isServiceAccount: false },
      { username: 'system:serviceaccount:kube-system:coredns', isServiceAccount: true },
      // A group-like name is not a service account.
      { username: 'system:serviceaccounts', isServiceAccount: false },
    ]);
    expect(source.searches).toHaveLength(0);
  });

  it('KubeObject.auditTrail searches its own cluster by resource (kind mapped: Pod → pods), namespace and name', async () => {
    const source = new RecordingSource();
    const result = await executeSubgraph(createAuditSubgraph({ source, clusterName: 'prod' }), TRAIL, {
      representations: [
        { __typename: 'KubeObject', cluster: 'prod', namespace: 'shop', kind: 'Pod', name: 'web-1' },
        { __typename: 'KubeObject', cluster: 'prod', namespace: '', kind: 'ClusterRoleBinding', name: 'cluster-admin' },
        { __typename: 'KubeObject', cluster: 'prod', namespace: 'shop', kind: 'Ingress', name: 'front' },
        { __typename: 'KubeObject', cluster: 'prod', namespace: 'shop', kind: 'Widget', name: 'w' },
        { __typename: 'KubeObject', cluster: 'staging', namespace: 'shop', kind: 'Pod', name: 'web-1' },
      ],
    });
    expect(entitiesOf<{ kind: string; auditTrail: unknown }>(result).map((o) => [o.kind, o.auditTrail])).toEqual([
      ['Pod', { edges: [], pageInfo: { hasNextPage: false } }],
      ['ClusterRoleBinding', { edges: [], pageInfo: { hasNextPage: false } }],
      ['Ingress', { edges: [], pageInfo: { hasNextPage: false } }],
      ['Widget', { edges: [], pageInfo: { hasNextPage: false } }],
      ['Pod', { edges: [], pageInfo: { hasNextPage: false } }],
    ]);
    // This subgraph's own cluster (prod) also takes records that carry no cluster, as AuditEvent.object places them there.
    const prod = { clusters: ['prod'], orNoCluster: true };
    expect(source.searches).toEqual([
      { filter: { resources: ['pods'], namespaces: ['shop'], names: ['web-1'], ...prod }, first: 7 },
      // Cluster-scoped: no namespace condition at all (an empty one would match nothing).
      { filter: { resources: ['clusterrolebindings'], names: ['cluster-admin'], ...prod }, first: 7 },
      // Irregular plural from the table, not kind + "s".
      { filter: { resources: ['ingresses'], namespaces: ['shop'], names: ['front'], ...prod }, first: 7 },
      // Unknown kinds fall back to the API server's default plural.
      { filter: { resources: ['widgets'], namespaces: ['shop'], names: ['w'], ...prod }, first: 7 },
      { filter: { resources: ['pods'], namespaces: ['shop'], names: ['web-1'], clusters: ['staging'] }, first: 7 },
    ]);
  });

  it('without VictoriaLogs, auditTrail is UPSTREAM_UNAVAILABLE while the reference itself still resolves', async () => {
    const result = await executeSubgraph(createAuditSubgraph({ source: null, clusterName: 'prod' }), TRAIL, {
      representations: [{ __typename: 'KubeObject', cluster: 'prod', namespace: 'shop', kind: 'Pod', name: 'web-1' }],
    });
    expect(result.errors?.map((e) => e.extensions?.['code'])).toEqual(['UPSTREAM_UNAVAILABLE']);
    expect(result.errors?.[0]?.path).toEqual(['_entities', 0, 'auditTrail']);
  });
});
