import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditIngestParams } from '@vigil/lib/audit-log-format';
import { entitiesOf, executeSubgraph } from '../../../test/support/execute-subgraph.js';
import { startVictoriaLogs, type VictoriaLogsServer } from '../../../test/support/victorialogs.js';
import { createAuditSubgraph } from '../src/server.js';
import { VictoriaLogsAuditLogSource } from '../src/sources/victorialogs/audit-log-source.js';
import { VictoriaLogsClient } from '../src/sources/victorialogs/client.js';

// The audit subgraph's KubeObject.auditTrail through the real source and client into a real
// VictoriaLogs holding the minikube audit fixture twice, once per cluster (as two forwarders stamp
// them), and once more without any cluster: the kind is mapped to the resource the API server records
// (Pod → pods), and the trail is the object's own cluster's.

const fixture = readFileSync(new URL('./fixtures/audit-log_minikube_k8s-1.29.jsonl', import.meta.url), 'utf8');

const TRAIL = `
  query ($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on KubeObject { cluster kind name auditTrail(first: 10) { edges { node { auditId verb subresource resource namespace name cluster user { username } object { cluster kind name } } } } }
    }
  }
`;

type Node = { auditId: string; verb: string; subresource: string | null; resource: string; namespace: string; name: string; cluster: string | null; user: { username: string }; object: { cluster: string; kind: string; name: string } | null };
type Trail = { cluster: string; kind: string; name: string; auditTrail: { edges: { node: Node }[] } };

let victoriaLogs: VictoriaLogsServer;
let definition: ReturnType<typeof createAuditSubgraph>;
const queries: string[] = [];

beforeAll(async () => {
  victoriaLogs = await startVictoriaLogs();
  const recording: typeof fetch = (input, init) => {
    if (init?.body instanceof URLSearchParams) queries.push(init.body.get('query') ?? '');
    return fetch(input, init);
  };
  const client = new VictoriaLogsClient({ baseUrl: victoriaLogs.url, timeoutMs: 5000, fetch: recording });
  const lines = fixture.trim().split('\n').map((line) => JSON.parse(line) as { auditID: string });
  await client.ingest(lines, auditIngestParams({ cluster: 'default' }));
  await client.ingest(lines.map((line) => ({ ...line, auditID: `east-${line.auditID}` })), auditIngestParams({ cluster: 'east' }));
  // Written before clusters were stamped: no cluster field at all.
  await client.ingest(lines.map((line) => ({ ...line, auditID: `old-${line.auditID}` })), auditIngestParams());
  await victoriaLogs.flush();
  queries.length = 0;
  definition = createAuditSubgraph({ source: new VictoriaLogsAuditLogSource(client), clusterName: 'default' });
});

afterAll(async () => {
  await victoriaLogs?.stop();
});

describe('audit _entities through VictoriaLogs', () => {
  it('KubeObject(kind: Pod).auditTrail finds the pod’s events in its own cluster only', async () => {
    const result = await executeSubgraph(definition, TRAIL, {
      representations: [
        { __typename: 'KubeObject', cluster: 'east', namespace: 'wareville', kind: 'Pod', name: 'morality-checker' },
        { __typename: 'KubeObject', cluster: 'east', namespace: 'wareville', kind: 'Secret', name: 'pull-creds' },
        { __typename: 'KubeObject', cluster: 'east', namespace: 'elsewhere', kind: 'Pod', name: 'morality-checker' },
        { __typename: 'KubeObject', cluster: 'west', namespace: 'wareville', kind: 'Pod', name: 'morality-checker' },
      ],
    });
    const [pod, secret, otherNamespace, otherCluster] = entitiesOf<Trail>(result);

    // The fixture: a get and two exec stages on the pod, one get on the secret.
    expect(pod?.auditTrail.edges.map((e) => [e.node.verb, e.node.subresource])).toEqual([
      ['create', 'exec'],
      ['create', 'exec'],
      ['get', null],
    ]);
    for (const { node } of pod?.auditTrail.edges ?? []) {
      expect(node.auditId).toMatch(/^east-/);
      expect(node).toMatchObject({
        resource: 'pods',
        namespace: 'wareville',
        name: 'morality-checker',
        cluster: 'east',
        user: { username: 'mayor-malware' },
        // Round trip: the event's object is the object whose trail it is in.
        object: { cluster: 'east', kind: 'Pod', name: 'morality-checker' },
      });
    }
    expect(secret?.auditTrail.edges.map((e) => [e.node.resource, e.node.name, e.node.verb, e.node.cluster])).toEqual([['secrets', 'pull-creds', 'get', 'east']]);
    expect(otherNamespace?.auditTrail.edges).toEqual([]);
    expect(otherCluster?.auditTrail.edges).toEqual([]);

    const podQuery = queries.find((q) => q.includes('"morality-checker"') && q.includes('"wareville"') && q.includes('"east"'));
    expect(podQuery).toContain('"objectRef.resource":="pods"');
    expect(podQuery).toContain('"objectRef.namespace":="wareville"');
    expect(podQuery).toContain('"objectRef.name":="morality-checker"');
    expect(podQuery).toContain('"cluster":="east"');
    // The kind itself never reaches the query: audit records name resources.
    expect(queries.join('\n')).not.toContain('Pod');
  });

  it("in the subgraph's own cluster, the trail also holds the events recorded without a cluster (AuditEvent.object puts them there)", async () => {
    const result = await executeSubgraph(definition, TRAIL, {
      representations: [{ __typename: 'KubeObject', cluster: 'default', namespace: 'wareville', kind: 'Secret', name: 'pull-creds' }],
    });
    const [secret] = entitiesOf<Trail>(result);
    const nodes = secret?.auditTrail.edges.map((e) => e.node) ?? [];
    expect(nodes.map((n) => [n.auditId.startsWith('old-') ? 'old' : 'default', n.cluster, n.object?.cluster])).toEqual(
      expect.arrayContaining([
        ['old', null, 'default'],
        ['default', 'default', 'default'],
      ]),
    );
    expect(nodes).toHaveLength(2);
  });
});
