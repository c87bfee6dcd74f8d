import { describe, expect, it } from 'vitest';
import { executeSubgraph } from '../../../test/support/execute-subgraph.js';
import { createAuditSubgraph } from '../src/server.js';
import type { AuditFilter, AuditGroupKey, AuditHistogramResult, AuditLogSource, AuditPage, AuditStatsResult } from '../src/sources/victorialogs/audit-log-source.js';

// auditStats and auditHistogram on the schema, over a port double (no network): arguments reach the
// source checked and mapped, answers come back typed, bad input is refused naming the argument before
// any query. The LogsQL they become runs against the real VictoriaLogs in aggregations.int.test.ts.

class RecordingSource implements AuditLogSource {
  readonly calls: { method: string; filter: AuditFilter; options: unknown }[] = [];
  constructor(private readonly answers: { stats?: AuditStatsResult; histogram?: AuditHistogramResult } = {}) {}
  async search(filter: AuditFilter, page: { first: number }): Promise<AuditPage> {
    this.calls.push({ method: 'search', filter, options: page });
    return { events: [], cursors: [], hasNextPage: false, endCursor: null };
  }
  async stats(filter: AuditFilter, options: { groupBy: readonly AuditGroupKey[]; top: number }): Promise<AuditStatsResult> {
    this.calls.push({ method: 'stats', filter, options });
    return this.answers.stats ?? { groups: [], total: 0 };
  }
  async histogram(filter: AuditFilter & { from: Date; to: Date }, options: { stepSeconds: number }): Promise<AuditHistogramResult> {
    this.calls.push({ method: 'histogram', filter, options });
    return this.answers.histogram ?? { buckets: [], total: 0 };
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

const NOW = new Date('2031-02-03T04:05:06.789Z');
const subgraph = (source: AuditLogSource | null) => createAuditSubgraph({ source, clusterName: 'prod', clock: () => NOW });

describe('auditStats', () => {
  it('groups by the fields asked, mapping values to their GraphQL types', async () => {
    const source = new RecordingSource({
      stats: {
        total: 12,
        groups: [
          { values: { user: 'alice', responseCode: '403', level: 'Metadata', sourceIp: '10.0.0.1' }, count: 7 },
          { values: { user: null, responseCode: null, level: 'Unknown', sourceIp: null }, count: 5 },
        ],
      },
    });
    const result = await executeSubgraph(
      subgraph(source),
      `{ auditStats(filter: { resources: ["secrets"], verbs: "get" }, groupBy: [USER, RESPONSE_CODE, LEVEL, SOURCE_IP, USER], top: 20) {
          groupBy total groups { count user { username isServiceAccount } responseCode level sourceIp verb } } }`,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      auditStats: {
        groupBy: ['USER', 'RESPONSE_CODE', 'LEVEL', 'SOURCE_IP'],
        total: 12,
        groups: [
          { count: 7, user: { username: 'alice', isServiceAccount: false }, responseCode: 403, level: 'METADATA', sourceIp: '10.0.0.1', verb: null },
          { count: 5, user: null, responseCode: null, level: null, sourceIp: null, verb: null },
        ],
      },
    });
    // A single value where a list is expected is a list of one (GraphQL input coercion).
    expect(source.calls).toEqual([
      { method: 'stats', filter: { resources: ['secrets'], verbs: ['get'] }, options: { groupBy: ['user', 'responseCode', 'level', 'sourceIp'], top: 20 } },
    ]);
  });

  it.each([
    ['top: 0', 'groupBy: [USER], top: 0', /^top:/],
    ['top: 1001', 'groupBy: [USER], top: 1001', /^top:/],
    ['a bad namespace', 'groupBy: [USER], filter: { namespaces: ["Not A Label"] }', /^filter\.namespaces\[0\]:/],
    ['from after to', 'groupBy: [], filter: { from: "2024-01-02T00:00:00Z", to: "2024-01-01T00:00:00Z" }', /^filter\.from:/],
  ])('refuses %s with BAD_USER_INPUT before querying', async (_name, args, message) => {
    const source = new RecordingSource();
    const result = await executeSubgraph(subgraph(source), `{ auditStats(${args}) { total } }`);
    expect(result.errors?.map((e) => [e.extensions?.['code'], e.message])).toEqual([['BAD_USER_INPUT', expect.stringMatching(message)]]);
    expect(source.calls).toEqual([]);
  });

  it('is UPSTREAM_UNAVAILABLE without VictoriaLogs', async () => {
    for (const query of ['{ auditStats(groupBy: [USER]) { total } }', '{ auditHistogram(step: "1m") { total } }']) {
      const result = await executeSubgraph(subgraph(null), query);
      expect(result.errors?.map((e) => e.extensions?.['code'])).toEqual(['UPSTREAM_UNAVAILABLE']);
    }
  });
});

describe('auditHistogram', () => {
  it('without a range, covers the 24 hours before the injected clock', async () => {
    const source = new RecordingSource({ histogram: { buckets: [{ start: '2031-02-03T04:00:00.000Z', count: 3 }], total: 3 } });
    const result = await executeSubgraph(subgraph(source), '{ auditHistogram(filter: { responseCodes: [403] }, step: "1h") { from to stepSeconds total buckets { start count } } }');
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      auditHistogram: {
        from: '2031-02-02T04:05:06.789Z',
        to: '2031-02-03T04:05:06.789Z',
        stepSeconds: 3600,
        total: 3,
        buckets: [{ start: '2031-02-03T04:00:00.000Z', count: 3 }],
      },
    });
    expect(source.calls).toEqual([
      { method: 'histogram', filter: { responseCodes: [403], from: new Date('2031-02-02T04:05:06.789Z'), to: NOW }, options: { stepSeconds: 3600 } },
    ]);
  });

  it('ends now when only from is given, and starts a day before to when only to is', async () => {
    const source = new RecordingSource();
    await executeSubgraph(subgraph(source), '{ a: auditHistogram(filter: { from: "2031-02-03T00:00:00Z" }, step: "5m") { total } b: auditHistogram(filter: { to: "2030-01-02T00:00:00Z" }, step: "1d") { total } }');
    expect(source.calls.map((call) => [call.filter.from?.toISOString(), call.filter.to?.toISOString()])).toEqual([
      ['2031-02-03T00:00:00.000Z', NOW.toISOString()],
      ['2030-01-01T00:00:00.000Z', '2030-01-02T00:00:00.000Z'],
    ]);
  });

  it.each([
    ['a step that is no duration', 'step: "1 minute"', /^step: "1 minute" is not a step/],
    ['too many buckets', 'step: "1s", filter: { from: "2031-02-01T00:00:00Z" }', /^step: 1s gives \d+ buckets/],
    ['from after now', 'step: "1m", filter: { from: "2031-02-04T00:00:00Z" }', /^filter\.from: must not be after filter\.to \(now/],
    ['an address that is no IP', 'step: "1m", filter: { sourceIps: ["10.0.0.1; drop"] }', /^filter\.sourceIps\[0\]:/],
  ])('refuses %s with BAD_USER_INPUT naming the argument', async (_name, args, message) => {
    const source = new RecordingSource();
    const result = await executeSubgraph(subgraph(source), `{ auditHistogram(${args}) { total } }`);
    expect(result.errors?.map((e) => [e.extensions?.['code'], e.message])).toEqual([['BAD_USER_INPUT', expect.stringMatching(message)]]);
    expect(source.calls).toEqual([]);
  });
});
