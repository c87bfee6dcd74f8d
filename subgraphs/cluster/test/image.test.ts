import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Identity } from '@vigil/lib/identity';
import { entitiesOf, executeSubgraph } from '../../../test/support/execute-subgraph.js';
import { canonicalReference, parseImageReference } from '../src/images/image-reference.js';
import { createClusterSubgraph } from '../src/server.js';
import { normaliseTrivyReport } from '../src/sources/trivy/normalise.js';
import { MemorySecurityEventStore } from '../src/store/memory-security-event-store.js';

// The Image entity over real Trivy VulnerabilityReports (fixtures/kube/README.md: the trivy-operator
// envtest report, coredns from k8s.gcr.io, one HIGH CVE), read as two clusters would report it.

const NOW = Date.parse('2031-02-01T09:00:00.000Z');
const report = JSON.parse(readFileSync(new URL('./fixtures/kube/vulnerabilityreport_envtest_fixture.json', import.meta.url), 'utf8')) as Record<string, unknown>;

describe('parseImageReference', () => {
  it('reads [registry/]repository[:tag][@digest], Docker Hub spellings as one', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseImageReference('nginx')).toEqual({ name: 'nginx', tag: null, digest: null });
    expect(parseImageReference('docker.io/library/nginx:1.25')).toEqual({ name: 'nginx', tag: '1.25', digest: null });
    expect(parseImageReference(`ghcr.io/org/app@${digest}`)).toEqual({ name: 'ghcr.io/org/app', tag: null, digest });
    expect(parseImageReference(`localhost:5000/app:v1@${digest}`)).toEqual({ name: 'localhost:5000/app', tag: 'v1', digest });
    expect(canonicalReference({ name: 'ghcr.io/org/app', tag: 'v1', digest })).toBe(`ghcr.io/org/app@${digest}`);
    expect(canonicalReference({ name: 'nginx', tag: '1.25', digest: null })).toBe('nginx:1.25');
  });

  it('refuses what is not a reference', () => {
    for (const bad of ['', 'Nginx', 'nginx:', 'nginx@sha256:xyz', 'ngin x', 'nginx:-tag', '/nginx', 'a//b', `nginx@${'b'.repeat(64)}`]) {
      expect(parseImageReference(bad), bad).toBeNull();
    }
  });
});

describe('Image', () => {
  let definition: ReturnType<typeof createClusterSubgraph>;

  beforeEach(async () => {
    const store = new MemorySecurityEventStore({ retentionDays: 30, now: () => new Date(NOW) });
    definition = createClusterSubgraph({ store, clusterNames: ['prod', 'staging'], sourceStates: () => [] });
    for (const [cluster, minutesAgo] of [['prod', 5], ['staging', 10]] as const) {
      // Re-timed relative to the injected clock (the fixture's updateTimestamp is from 2022).
      const at = new Date(NOW - minutesAgo * 60_000);
      const retimed = { ...report, report: { ...(report['report'] as Record<string, unknown>), updateTimestamp: at.toISOString() } };
      const result = normaliseTrivyReport(retimed, { cluster, observedAt: at });
      if (!result.ok) throw new Error(result.reason);
      for (const event of result.events) await store.record(event);
    }
  });

  const run = async <T>(source: string, identity?: Identity) => {
    const result = await executeSubgraph(definition, source, {}, identity);
    if (result.errors?.length) throw new Error(result.errors.map((e) => e.message).join('; '));
    return result.data as T;
  };

  it('answers "which clusters run an image with CVE-X" in one query, and resolves by reference', async () => {
    const data = await run<{ vulnerability: { images: { image: { reference: string; clusters: { name: string }[] } }[] }; image: Record<string, unknown> }>(`{
      vulnerability(id: "CVE-2021-3121") { images { image { reference clusters { name } } } }
      image(reference: "k8s.gcr.io/coredns/coredns:v1.8.0") {
        reference registry repository digest tags
        vulnerabilities { id severity }
        workloads { totalCount edges { node { cluster namespace kind name } } }
        clusters { name }
      }
    }`);
    expect(data.vulnerability.images).toEqual([{ image: { reference: 'k8s.gcr.io/coredns/coredns:v1.8.0', clusters: [{ name: 'prod' }, { name: 'staging' }] } }]);
    expect(data.image).toEqual({
      reference: 'k8s.gcr.io/coredns/coredns:v1.8.0',
      registry: 'k8s.gcr.io',
      repository: 'coredns/coredns',
      digest: null,
      tags: ['v1.8.0'],
      vulnerabilities: [{ id: 'CVE-2021-3121', severity: 'HIGH' }],
      workloads: {
        totalCount: 2,
        edges: [
          { node: { cluster: 'prod', namespace: 'kube-system', kind: 'ReplicaSet', name: 'coredns-558bd4d5db' } },
          { node: { cluster: 'staging', namespace: 'kube-system', kind: 'ReplicaSet', name: 'coredns-558bd4d5db' } },
        ],
      },
      clusters: [{ name: 'prod' }, { name: 'staging' }],
    });
  });

  it('the name alone is every tag; an unknown image is null; a tenant sees its clusters only', async () => {
    const tenant: Identity = { subject: 't', kind: 'user', roles: ['viewer'], tenants: [{ name: 't', clusters: ['staging'], hostLabels: null, victoriaLogs: null }], expiresAt: null };
    expect(await run('{ image(reference: "k8s.gcr.io/coredns/coredns") { tags } other: image(reference: "k8s.gcr.io/coredns/coredns:v9") { tags } }')).toEqual({
      image: { tags: ['v1.8.0'] },
      other: null,
    });
    expect(await run('{ image(reference: "k8s.gcr.io/coredns/coredns:v1.8.0") { clusters { name } } }', tenant)).toEqual({ image: { clusters: [{ name: 'staging' }] } });
  });

  it('resolves Image references through _entities', async () => {
    const result = await executeSubgraph(definition, 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Image { reference clusters { name } } } }', {
      r: [
        { __typename: 'Image', reference: 'k8s.gcr.io/coredns/coredns:v1.8.0' },
        { __typename: 'Image', reference: 'NOT A REFERENCE' },
      ],
    });
    expect(entitiesOf(result)).toEqual([{ reference: 'k8s.gcr.io/coredns/coredns:v1.8.0', clusters: [{ name: 'prod' }, { name: 'staging' }] }, null]);
  });

  it('a malformed reference is BAD_USER_INPUT naming the argument', async () => {
    const result = await executeSubgraph(definition, '{ image(reference: "coredns:v1.8.0@nope") { reference } }');
    expect(result.errors?.[0]?.message).toMatch(/^reference: "coredns:v1.8.0@nope" is not an image reference/);
    expect(result.errors?.[0]?.extensions['code']).toBe('BAD_USER_INPUT');
  });
});
