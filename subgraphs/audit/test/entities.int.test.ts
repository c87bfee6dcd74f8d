import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { entitiesOf, executeSubgraph } from '../../../test/support/execute-subgraph.js';
import { startVictoriaLogsDouble, type VictoriaLogsDouble } from '../../../test/support/victorialogs-double.js';
import { createAuditSubgraph } from '../src/server.js';
import { auditIngestParams } from '@vigil/lib/audit-log-format';
import { VictoriaLogsAuditLogSource } from '../src/sources/victorialogs/audit-log-source.js';
import { VictoriaLogsClient } from '../src/sources/victorialogs/client.js';

// The audit subgraph's KubeObject.auditTrail through the real source and client into the
// VictoriaLogs double holding the minikube audit fixture: the kind is mapped to the resource the
// API server records (Pod → pods), quoted, and the trail found.

const fixture = readFileSync(new URL('./fixtures/audit-log_minikube_k8s-1.29.jsonl', import.meta.url), 'utf8');

const TRAIL = `
  query ($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on KubeObject { kind name auditTrail(first: 10) { edges { node { verb subresource resource namespace name user { username } object { kind name } } } } }
    }
  }
`;

type Trail = { kind: string; name: string; auditTrail: { edges: { node: { verb: string; subresource: string | null; resource: string; namespace: string; name: string; user: { username: string }; object: { kind: string; name: string } | null } }[] } };

let double: VictoriaLogsDouble;
let definition: ReturnType<typeof createAuditSubgraph>;

beforeAll(async () => {
  double = await startVictoriaLogsDouble();
  const client = new VictoriaLogsClient({ baseUrl: double.url, timeoutMs: 5000 });
  const lines = fixture.trim().split('\n').map((line) => JSON.parse(line) as object);
  await client.ingest(lines, auditIngestParams({ cluster: 'default' }));
  definition = createAuditSubgraph({ source: new VictoriaLogsAuditLogSource(client), clusterName: 'default' });
});

afterAll(async () => {
  await double?.stop();
});

beforeEach(() => {
  double.queries.length = 0;
});

describe('audit _entities through VictoriaLogs', () => {
  it('KubeObject(kind: Pod).auditTrail queries objectRef.resource "pods" and finds the pod’s events', async () => {
    const result = await executeSubgraph(definition, TRAIL, {
      representations: [
        { __typename: 'KubeObject', cluster: 'default', namespace: 'wareville', kind: 'Pod', name: 'morality-checker' },
        { __typename: 'KubeObject', cluster: 'default', namespace: 'wareville', kind: 'Secret', name: 'pull-creds' },
        { __typename: 'KubeObject', cluster: 'default', namespace: 'elsewhere', kind: 'Pod', name: 'morality-checker' },
      ],
    });
    const [pod, secret, otherNamespace] = entitiesOf<Trail>(result);

    // The fixture: a get and two exec stages on the pod, one get on the secret.
    expect(pod?.auditTrail.edges.map((e) => [e.node.verb, e.node.subresource])).toEqual([
      ['create', 'exec'],
      ['create', 'exec'],
      ['get', null],
    ]);
    for (const { node } of pod?.auditTrail.edges ?? []) {
      expect(node).toMatchObject({ resource: 'pods', namespace: 'wareville', name: 'morality-checker', user: { username: 'mayor-malware' }, object: { kind: 'Pod', name: 'morality-checker' } });
    }
    expect(secret?.auditTrail.edges.map((e) => [e.node.resource, e.node.name, e.node.verb])).toEqual([['secrets', 'pull-creds', 'get']]);
    expect(otherNamespace?.auditTrail.edges).toEqual([]);

    expect(double.queries).toHaveLength(3);
    const podQuery = double.queries.find((q) => q.includes('"morality-checker"') && q.includes('"wareville"'));
    expect(podQuery).toContain('"objectRef.resource":="pods"');
    expect(podQuery).toContain('"objectRef.namespace":="wareville"');
    expect(podQuery).toContain('"objectRef.name":="morality-checker"');
    expect(double.queries.some((q) => q.includes('"objectRef.resource":="secrets"'))).toBe(true);
    // The kind itself never reaches the query: audit records name resources.
    expect(double.queries.join('\n')).not.toContain('Pod');
  });
});
