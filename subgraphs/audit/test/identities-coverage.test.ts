import { describe, expect, it } from 'vitest';
import { executeSubgraph } from '../../../test/support/execute-subgraph.js';
import { auditCoverageConfig, DEFAULT_COVERAGE_CONFIG } from '../src/coverage-config.js';
import { evaluateCoverage } from '../src/resolvers/coverage.js';
import { createAuditSubgraph } from '../src/server.js';
import type { AuditFilter, AuditLogSource, CoverageCount, CoverageGroupMatch, IdentitiesPage } from '../src/sources/victorialogs/audit-log-source.js';
import { buildCoverageQuery } from '../src/sources/victorialogs/coverage-queries.js';
import { buildIdentitiesQuery, buildIdentityResourceQuery, buildIdentitySummaryQuery, buildIdentityVerbQuery } from '../src/sources/victorialogs/identity-queries.js';
import { HOSTILE_STRINGS } from './hostile-strings.js';

// identities, Identity.activity and auditPolicyCoverage without a network: the LogsQL they send (the
// README quotes it), the ranges they default to relative to the injected clock, the coverage findings
// from counts, and the audit.coverage config. The same queries run against the real VictoriaLogs in
// identities-coverage.int.test.ts.

const NOW = new Date('2031-02-03T04:05:06.789Z');
const WEEK_AGO = new Date(NOW.getTime() - 7 * 86_400_000);

describe('the LogsQL', () => {
  it('identities: stats per user, totals before the page, ranked with ties by username', () => {
    expect(buildIdentitiesQuery({ resources: ['secrets'], from: WEEK_AGO, to: NOW }, { offset: 50, limit: 51 })).toBe(
      '"auditID":* AND "objectRef.resource":="secrets" AND _time:[2031-01-27T04:05:06.789Z, 2031-02-03T04:05:06.789Z) AND "user.username":* | ' +
        'stats by ("user.username") count() as count, min(_time) as first_seen, max(_time) as last_seen | ' +
        'total_stats sum(count) as total_events, count() as total_identities | sort by (count desc, "user.username") | offset 50 | limit 51',
    );
  });

  it('activity: one query per aspect for a batch of users', () => {
    const filter = { users: ['alice', 'system:serviceaccount:ci:deployer'], from: WEEK_AGO, to: NOW };
    const where = '"auditID":* AND "user.username":in("alice", "system:serviceaccount:ci:deployer") AND _time:[2031-01-27T04:05:06.789Z, 2031-02-03T04:05:06.789Z) AND "user.username":*';
    expect(buildIdentitySummaryQuery(filter)).toBe(`${where} | stats by ("user.username") count() as count, min(_time) as first_seen, max(_time) as last_seen`);
    expect(buildIdentityVerbQuery(filter)).toBe(`${where} | stats by ("user.username", "verb") count() as count | sort by (count desc, "verb")`);
    expect(buildIdentityResourceQuery(filter, 5)).toBe(
      `${where} | stats by ("user.username", "objectRef.apiGroup", "objectRef.resource", "objectRef.subresource") count() as count | ` +
        'sort by (count desc, "objectRef.apiGroup", "objectRef.resource", "objectRef.subresource") partition by ("user.username") limit 5',
    );
  });

  it('coverage: each record tagged with its first matching group, then counted per cluster, group and level', () => {
    const groups: CoverageGroupMatch[] = [
      { resources: [{ group: '', resources: ['secrets'] }] },
      { resources: [{ group: 'rbac.authorization.k8s.io', resources: ['roles', 'rolebindings'] }], verbs: ['create', 'delete'] },
      { resources: [{ group: '*', resources: ['*/scale', 'pods/*', '*'] }] },
    ];
    expect(buildCoverageQuery({ from: WEEK_AGO, to: NOW }, groups)).toBe(
      '"auditID":* AND _time:[2031-01-27T04:05:06.789Z, 2031-02-03T04:05:06.789Z) | ' +
        'fields "cluster", "level", "objectRef.apiGroup", "objectRef.resource", "objectRef.subresource", "verb" | ' +
        'format if (("objectRef.apiGroup":="" AND "objectRef.resource":="secrets" AND "objectRef.subresource":="") AND "vigil_coverage_group":="") "0" as "vigil_coverage_group" | ' +
        'format if (("objectRef.apiGroup":="rbac.authorization.k8s.io" AND (("objectRef.resource":="roles" AND "objectRef.subresource":="") OR ("objectRef.resource":="rolebindings" AND "objectRef.subresource":=""))) AND "verb":in("create", "delete") AND "vigil_coverage_group":="") "1" as "vigil_coverage_group" | ' +
        'format if ((("objectRef.resource":* AND "objectRef.subresource":="scale") OR ("objectRef.resource":="pods" AND "objectRef.subresource":*) OR ("objectRef.resource":*)) AND "vigil_coverage_group":="") "2" as "vigil_coverage_group" | ' +
        'stats by ("cluster", "vigil_coverage_group", "level") count() as count',
    );
  });

  it('a configured name is an API name, quoted, or refused: never pasted', () => {
    for (const value of HOSTILE_STRINGS.filter((v) => v !== '*')) {
      for (const group of [{ group: '', resources: [value] }, { group: value, resources: ['pods'] }]) {
        let query: string;
        try {
          query = buildCoverageQuery({}, [{ resources: [group] }]);
        } catch (error) {
          expect(error, JSON.stringify(value)).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
          continue;
        }
        // Lower-case words such as `or`, `and`, `now` are names: quoted, they are text.
        expect(query, JSON.stringify(value)).toContain(`:=${JSON.stringify(value)}`);
      }
    }
  });
});

describe('audit.coverage config', () => {
  it('defaults: secrets and configmaps at Metadata exactly, RBAC writes at Request or more, exec and the rest at Metadata or more', () => {
    expect(DEFAULT_COVERAGE_CONFIG.groups.map((g) => [g.name, g.minimumLevel, g.maximumLevel ?? null, g.expectEvents])).toEqual([
      ['secrets', 'Metadata', 'Metadata', true],
      ['rbac-writes', 'Request', null, false],
      ['pods-exec', 'Metadata', null, false],
      ['configmaps', 'Metadata', 'Metadata', true],
    ]);
    expect(DEFAULT_COVERAGE_CONFIG).toMatchObject({ windowHours: 24, other: { minimumLevel: 'Metadata', expectEvents: true } });
    expect(DEFAULT_COVERAGE_CONFIG.expectedClusters).toBeUndefined();
  });

  it('reports every error at once, with its path', () => {
    const result = auditCoverageConfig.safeParse({
      groups: [
        { name: 'other', resources: [{ group: '', resources: ['secrets'] }] },
        { name: 'Bad Name', resources: [{ group: 'Not A Group', resources: ['pods/exec/x'] }], minimumLevel: 'RequestResponse', maximumLevel: 'Metadata' },
        { name: 'dup', resources: [{ group: '', resources: ['pods'] }], verbs: ['GET'] },
        { name: 'dup', resources: [{ group: '', resources: ['pods'] }] },
      ],
    });
    expect(result.error?.issues.map((issue) => issue.path.join('.')).sort()).toEqual(
      ['groups.0.name', 'groups.1.maximumLevel', 'groups.1.name', 'groups.1.resources.0.group', 'groups.1.resources.0.resources.0', 'groups.2.verbs.0', 'groups.3.name'].sort(),
    );
  });
});

describe('evaluateCoverage', () => {
  const evaluate = (counts: CoverageCount[], expectedClusters: string[]) =>
    evaluateCoverage({ counts, config: DEFAULT_COVERAGE_CONFIG, expectedClusters, ownCluster: 'prod', from: WEEK_AGO, to: NOW });

  it('a cluster that meets every expectation is satisfied; records without a cluster are the own cluster’s', () => {
    const coverage = evaluate(
      [
        { cluster: null, group: 0, level: 'Metadata', count: 10 },
        { cluster: 'prod', group: 1, level: 'RequestResponse', count: 2 },
        { cluster: 'prod', group: 3, level: 'Metadata', count: 4 },
        { cluster: 'prod', group: null, level: 'Metadata', count: 100 },
        { cluster: 'prod', group: null, level: null, count: 1 },
      ],
      ['prod'],
    );
    expect(coverage.satisfied).toBe(true);
    expect(coverage.clusters).toHaveLength(1);
    expect(coverage.clusters[0]?.groups.map((g) => [g.group, g.total, g.levels])).toEqual([
      ['secrets', 10, [{ level: 'METADATA', count: 10 }]],
      ['rbac-writes', 2, [{ level: 'REQUEST_RESPONSE', count: 2 }]],
      ['pods-exec', 0, []],
      ['configmaps', 4, [{ level: 'METADATA', count: 4 }]],
      ['other', 101, [{ level: 'METADATA', count: 100 }, { level: null, count: 1 }]],
    ]);
  });

  it('an unexpected cluster that sent records is listed, an expected silent one is a finding, and nothing else is said about it', () => {
    const coverage = evaluate([{ cluster: 'lab', group: null, level: 'Metadata', count: 3 }], ['prod']);
    expect(coverage.clusters.map((c) => [c.cluster, c.expected, c.total])).toEqual([
      ['lab', false, 3],
      ['prod', true, 0],
    ]);
    expect(coverage.findings.map((f) => [f.cluster, f.group, f.kind])).toEqual([
      ['lab', 'secrets', 'GROUP_NOT_RECORDED'],
      ['lab', 'configmaps', 'GROUP_NOT_RECORDED'],
      ['prod', null, 'NO_EVENTS'],
    ]);
    expect(coverage.findings[2]?.message).toBe(`No audit record from cluster prod between ${WEEK_AGO.toISOString()} and ${NOW.toISOString()}: its API server does not audit, or its records do not reach VictoriaLogs.`);
  });

  it('counts the records outside the levels: below the minimum and above the maximum', () => {
    const coverage = evaluate(
      [
        { cluster: 'prod', group: 0, level: 'Metadata', count: 5 },
        { cluster: 'prod', group: 0, level: 'Request', count: 2 },
        { cluster: 'prod', group: 0, level: 'RequestResponse', count: 1 },
        { cluster: 'prod', group: 1, level: 'Metadata', count: 7 },
        { cluster: 'prod', group: 1, level: 'Request', count: 1 },
        { cluster: 'prod', group: 3, level: 'Metadata', count: 1 },
        { cluster: 'prod', group: null, level: 'Metadata', count: 1 },
      ],
      ['prod'],
    );
    expect(coverage.findings.map((f) => [f.group, f.kind, f.count, f.message])).toEqual([
      ['secrets', 'LEVEL_ABOVE_MAXIMUM', 3, '3 of 8 secrets records in cluster prod are above Metadata (2 at Request, 1 at RequestResponse): their request or response bodies, secret values included, reach the audit trail.'],
      ['rbac-writes', 'LEVEL_BELOW_MINIMUM', 7, '7 of 8 rbac-writes records in cluster prod are below Request (7 at Metadata): the audit trail lacks their request bodies.'],
    ]);
  });
});

describe('through the schema, over a port double', () => {
  class RecordingSource implements Pick<AuditLogSource, 'identities' | 'coverage'> {
    readonly identityCalls: { filter: AuditFilter; page: { first: number; offset: number } }[] = [];
    readonly coverageCalls: { from: Date; to: Date }[] = [];
    async identities(filter: AuditFilter, page: { first: number; offset: number }): Promise<IdentitiesPage> {
      this.identityCalls.push({ filter, page });
      return { identities: [{ username: 'alice', count: 3, firstSeen: '2031-02-01T00:00:00Z', lastSeen: '2031-02-02T00:00:00.123456789Z' }], totalIdentities: 9, totalEvents: 40, hasNextPage: true };
    }
    async coverage(range: { from: Date; to: Date }): Promise<CoverageCount[]> {
      this.coverageCalls.push(range);
      return [];
    }
  }
  const unused = () => Promise.reject(new Error('not used here'));
  const subgraph = (recording: RecordingSource) =>
    createAuditSubgraph({
      source: {
        search: unused,
        stats: unused,
        histogram: unused,
        identitySummaries: unused,
        identityVerbs: unused,
        identityResources: unused,
        identities: (filter, page) => recording.identities(filter, page),
        coverage: (range) => recording.coverage(range),
      },
      clusterName: 'prod',
      clock: () => NOW,
    });

  it('identities: the week before now by default, cursors are positions in the ranking', async () => {
    const recording = new RecordingSource();
    const definition = subgraph(recording);
    const query = 'query ($after: String) { identities(filter: { resources: ["secrets"] }, first: 1, after: $after) { from to totalCount totalEvents edges { cursor count firstSeen lastSeen node { username } } pageInfo { hasNextPage endCursor } } }';
    const first = await executeSubgraph(definition, query);
    expect(first.errors).toBeUndefined();
    expect(first.data).toMatchObject({
      identities: {
        from: WEEK_AGO.toISOString(),
        to: NOW.toISOString(),
        totalCount: 9,
        totalEvents: 40,
        edges: [{ count: 3, firstSeen: '2031-02-01T00:00:00Z', lastSeen: '2031-02-02T00:00:00.123456789Z', node: { username: 'alice' } }],
        pageInfo: { hasNextPage: true },
      },
    });
    expect(recording.identityCalls[0]).toEqual({ filter: { resources: ['secrets'], from: WEEK_AGO, to: NOW }, page: { first: 1, offset: 0 } });
    const endCursor = (first.data as { identities: { pageInfo: { endCursor: string } } }).identities.pageInfo.endCursor;
    await executeSubgraph(definition, query, { after: endCursor });
    expect(recording.identityCalls[1]?.page).toEqual({ first: 1, offset: 1 });
  });

  it('auditPolicyCoverage: the configured window before now by default; nothing recorded and the own cluster expected', async () => {
    const recording = new RecordingSource();
    const result = await executeSubgraph(subgraph(recording), '{ auditPolicyCoverage { from to satisfied findings { kind cluster } } }');
    expect(result.data).toEqual({
      auditPolicyCoverage: { from: new Date(NOW.getTime() - 24 * 3_600_000).toISOString(), to: NOW.toISOString(), satisfied: false, findings: [{ kind: 'NO_EVENTS', cluster: 'prod' }] },
    });
    expect(recording.coverageCalls).toEqual([{ from: new Date(NOW.getTime() - 24 * 3_600_000), to: NOW }]);
  });
});
