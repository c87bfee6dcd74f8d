import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '@vigil/lib/config';
import { serviceConfigShape } from '@vigil/lib/subgraph-main';
import { auditConfig, auditOverrides, layoutsOf, toLayout } from '../src/config.js';
import { toAuditEvent } from '../src/sources/victorialogs/audit-fields.js';
import { checkedLayout, VIGIL_LAYOUT, type AuditLayout } from '../src/sources/victorialogs/layout.js';
import { buildAuditFilter, buildAuditHistogramStatsQuery, buildAuditQuery, buildAuditStatsQuery, MATCH_NOTHING, microTime, quoteLogsQL } from '../src/sources/victorialogs/logsql.js';
import { HOSTILE_STRINGS } from './hostile-strings.js';

// The source layout of audit records in a VictoriaLogs tenant (audit.victoriaLogs.layout and
// tenantLayouts): what the config accepts and refuses, naming the key, and the LogsQL each layout
// gives. The real VictoriaLogs answers these queries in fluent-bit-layout.int.test.ts.

/** The Talos audit-logging policy's Fluent Bit pipeline, with the cluster added by a `modify` filter. */
const FLUENT_BIT: AuditLayout = toLayout(
  auditConfig.parse({ victoriaLogs: { layout: { streamFilter: { stream: 'audit.kube-apiserver' }, time: 'stageTimestamp', cluster: { field: 'cluster' } } } }).victoriaLogs.layout,
);
const ONE_CLUSTER: AuditLayout = { ...FLUENT_BIT, cluster: { value: 'talos-infra' } };

describe('config: audit.victoriaLogs.layout and tenantLayouts', () => {
  it("defaults to Vigil's own layout, for the default tenant and every other", () => {
    const { victoriaLogs } = auditConfig.parse({});
    expect(toLayout(victoriaLogs.layout)).toEqual(VIGIL_LAYOUT);
    expect(layoutsOf(victoriaLogs)({ accountId: 7, projectId: 1 })).toEqual(VIGIL_LAYOUT);
  });

  it('reads a Fluent Bit layout: stream filter, stageTimestamp with a day of skew, the cluster from a field or a value', () => {
    expect(FLUENT_BIT).toEqual({ streamFilter: { stream: 'audit.kube-apiserver' }, time: 'stageTimestamp', timeSkewMs: 86_400_000, cluster: { field: 'cluster' } });
    const parsed = auditConfig.parse({
      victoriaLogs: {
        accountId: '0',
        tenantLayouts: [{ accountId: '3', layout: { streamFilter: { stream: 'audit.kube-apiserver' }, time: 'stageTimestamp', timeSkewMinutes: '90', cluster: { value: 'talos-infra' } } }],
      },
    });
    const layoutOf = layoutsOf(parsed.victoriaLogs);
    expect(layoutOf({ accountId: 3, projectId: 0 })).toEqual({ ...ONE_CLUSTER, timeSkewMs: 90 * 60_000 });
    expect(layoutOf({ accountId: 0, projectId: 0 })).toEqual(VIGIL_LAYOUT);
    expect(layoutOf({ accountId: 3, projectId: 1 })).toEqual(VIGIL_LAYOUT);
  });

  describe('a bad value is refused at start, with the key named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-layout-config-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const schema = z.object({ ...serviceConfigShape, audit: auditConfig.prefault({}) }).strict();
    /** The problems loading `yaml` as the audit service's config reports, one line each. */
    const problems = (yaml: string): string[] => {
      const file = join(dir, `${String(Math.random()).slice(2)}.yaml`);
      writeFileSync(file, yaml);
      try {
        loadConfig({ schema, env: { VIGIL_CONFIG: file }, overrides: auditOverrides });
        return [];
      } catch (error) {
        return (error as { problems?: string[] }).problems ?? [String(error)];
      }
    };

    it.each([
      ['an empty label value, which would select streams without the label', 'layout: { streamFilter: { stream: "" } }', 'audit.victoriaLogs.layout.streamFilter.stream: value must be 1 to 256 characters'],
      ["one of VictoriaLogs' own fields as a label", 'layout: { streamFilter: { _stream: x } }', "audit.victoriaLogs.layout.streamFilter._stream: label name: VictoriaLogs' own fields (starting with _) are not stream labels"],
      ['a control character', 'layout: { streamFilter: { stream: "a\\nb" } }', 'audit.victoriaLogs.layout.streamFilter.stream: value must not contain control characters'],
      ["Fluent Bit's date as the event's time (it is _time once it is the _time_field)", 'layout: { time: date }', 'audit.victoriaLogs.layout.time: Invalid option: expected one of "_time"|"stageTimestamp"'],
      ['a negative skew', 'layout: { time: stageTimestamp, timeSkewMinutes: -5 }', 'audit.victoriaLogs.layout.timeSkewMinutes: Too small: expected number to be >=0'],
      ['both a cluster field and a value', 'layout: { cluster: { field: cluster, value: prod } }', 'audit.victoriaLogs.layout.cluster: give exactly one of field (a field every record holds) or value (one name for every record)'],
      ['_msg as the cluster field', 'layout: { cluster: { field: _msg } }', "audit.victoriaLogs.layout.cluster.field: must be a field of the record, not one of VictoriaLogs' own (starting with _)"],
      ['an empty cluster name', 'layout: { cluster: { value: "" } }', 'audit.victoriaLogs.layout.cluster.value: must be 1 to 256 characters'],
      ['an unknown key', 'layout: { streams: { stream: x } }', 'audit.victoriaLogs.layout.streams: unknown key'],
      ['a tenant listed twice', 'tenantLayouts: [{ accountId: 3, layout: {} }, { accountId: 3, projectId: 0, layout: {} }]', 'audit.victoriaLogs.tenantLayouts.1.accountId: 3/0 is listed twice'],
      ['the default tenant in tenantLayouts', 'tenantLayouts: [{ accountId: 0, layout: {} }]', 'audit.victoriaLogs.tenantLayouts.0.accountId: 0/0 is the default tenant (accountId/projectId above): set its layout with layout'],
      ['a bad layout of another tenant', 'tenantLayouts: [{ accountId: 4, layout: { cluster: { value: "\\u0000" } } }]', 'audit.victoriaLogs.tenantLayouts.0.layout.cluster.value: must not contain control characters'],
    ])('%s', (_name, victoriaLogs, problem) => {
      expect(problems(`audit:\n  victoriaLogs:\n    ${victoriaLogs}\n`)).toEqual([problem]);
    });

    it('every problem at once', () => {
      expect(problems('audit:\n  victoriaLogs:\n    layout: { streamFilter: { stream: "" }, time: date, cluster: {} }\n')).toHaveLength(3);
    });
  });

  it('refuses a layout built in code that the config would refuse', () => {
    expect(() => checkedLayout({ ...FLUENT_BIT, streamFilter: { stream: '' } })).toThrow(/streamFilter\.stream: value must be 1 to 256/);
    expect(() => checkedLayout({ ...FLUENT_BIT, timeSkewMs: -1 })).toThrow(/timeSkewMinutes/);
  });
});

describe('LogsQL in a Fluent Bit layout', () => {
  const STREAM = '{"stream"="audit.kube-apiserver"}';
  /** The `fields` pipe of a page: what an event is read from (layout.ts readFieldsOf). */
  const fields = (time: string, cluster: string) =>
    `fields "_time", ${time}"auditID", "stage", "level", "verb", "requestReceivedTimestamp", "user.username", "user.groups", "impersonatedUser.username", "sourceIPs", "userAgent", "objectRef.resource", "objectRef.subresource", "objectRef.namespace", "objectRef.name", "objectRef.apiGroup", "objectRef.apiVersion", "responseStatus.code", "responseStatus.reason", "_msg", "requestURI", ${cluster}"annotations."*`;

  it("starts every query with the layout's stream filter and sorts by the event's own time", () => {
    expect(buildAuditQuery({}, { limit: 10 }, FLUENT_BIT)).toBe(`${STREAM} AND "auditID":* | ${fields('"stageTimestamp", ', '"cluster", ')} | sort by ("stageTimestamp" desc, auditID desc, stage desc) | limit 10`);
    // Vigil's layout is unchanged but for its time field; a layout naming its cluster reads no cluster field.
    expect(buildAuditQuery({}, { limit: 10 })).toBe(`"auditID":* | ${fields('', '"cluster", ')} | sort by (_time desc, auditID desc, stage desc) | limit 10`);
    expect(buildAuditQuery({}, { limit: 10 }, { ...FLUENT_BIT, cluster: { value: 'prod' } })).toContain(`| ${fields('"stageTimestamp", ', '')} |`);
  });

  it('quotes every label name and value; several labels in name order', () => {
    for (const value of HOSTILE_STRINGS.filter((v) => checkedLayoutOk({ ...FLUENT_BIT, streamFilter: { stream: v } }))) {
      expect(buildAuditFilter({}, { ...FLUENT_BIT, streamFilter: { stream: value } })).toBe(`{"stream"=${quoteLogsQL(value)}} AND "auditID":*`);
    }
    expect(buildAuditFilter({}, { ...FLUENT_BIT, streamFilter: { 'pod"': 'x', namespace: 'kube-system' } })).toBe('{"namespace"="kube-system","pod\\""="x"} AND "auditID":*');
  });

  it('narrows time ranges exactly on stageTimestamp (as the API server writes it), and by _time only within the skew', () => {
    const from = new Date('2025-10-08T01:00:00.123Z');
    const to = new Date('2025-10-09T01:00:00Z');
    expect(buildAuditFilter({ from, to }, FLUENT_BIT)).toBe(
      `${STREAM} AND "auditID":* AND "stageTimestamp":string_range("2025-10-08T01:00:00.123000Z", "2025-10-09T01:00:00.000000Z") AND _time:[2025-10-07T01:00:00.123000000Z, 2025-10-10T01:00:00.000000000Z)`,
    );
    expect(buildAuditFilter({ from }, { ...FLUENT_BIT, timeSkewMs: 0 })).toBe(`${STREAM} AND "auditID":* AND "stageTimestamp":>="2025-10-08T01:00:00.123000Z" AND _time:>=2025-10-08T01:00:00.123000000Z`);
    expect(buildAuditFilter({ to }, FLUENT_BIT)).toBe(`${STREAM} AND "auditID":* AND "stageTimestamp":<"2025-10-09T01:00:00.000000Z" AND _time:<2025-10-10T01:00:00.000000000Z`);
    // Out of the years LogsQL can write, the _time side is left out; the exact filter stays.
    expect(buildAuditFilter({ from: new Date('0000-01-01T00:00:00Z') }, FLUENT_BIT)).toBe(`${STREAM} AND "auditID":* AND "stageTimestamp":>="0000-01-01T00:00:00.000000Z"`);
    expect(microTime(new Date('2025-10-09T00:59:23.12Z'))).toBe('2025-10-09T00:59:23.120000Z');
  });

  it('resumes a page at or before a microsecond time, whatever precision the cursor carries', () => {
    const page = (time: string) => buildAuditQuery({}, { limit: 5, before: { time, skip: 2 } }, FLUENT_BIT);
    expect(page('2025-10-09T00:59:23.120001Z')).toBe(
      `${STREAM} AND "auditID":* AND "stageTimestamp":<"2025-10-09T00:59:23.120002Z" AND _time:<2025-10-10T00:59:23.120001001Z | ${fields('"stageTimestamp", ', '"cluster", ')} | sort by ("stageTimestamp" desc, auditID desc, stage desc) | offset 2 | limit 5`,
    );
    expect(page('2025-10-09T00:59:23.120001999Z')).toContain('"stageTimestamp":<"2025-10-09T00:59:23.120002Z"');
    expect(page('2025-10-09T00:59:23Z')).toContain('"stageTimestamp":<"2025-10-09T00:59:23.000001Z"');
  });

  it('counts per bucket of stageTimestamp for the histogram', () => {
    expect(buildAuditHistogramStatsQuery({ from: new Date('2025-10-09T00:00:00Z'), to: new Date('2025-10-09T01:00:00Z'), responseCodes: [403] }, 300, { ...FLUENT_BIT, timeSkewMs: 0 })).toBe(
      `${STREAM} AND "auditID":* AND "responseStatus.code":=403 AND "stageTimestamp":string_range("2025-10-09T00:00:00.000000Z", "2025-10-09T01:00:00.000000Z") AND _time:[2025-10-09T00:00:00.000000000Z, 2025-10-09T01:00:00.000000000Z) | stats by ("stageTimestamp":300s) count() as count`,
    );
  });

  it('reads the cluster from its field, with the hostile-value quoting of any filter', () => {
    const layout: AuditLayout = { ...FLUENT_BIT, cluster: { field: 'kubernetes.cluster "name"' } };
    expect(buildAuditFilter({ clusters: ['a', 'b'] }, layout)).toBe(`${STREAM} AND "auditID":* AND "kubernetes.cluster \\"name\\"":in("a", "b")`);
    expect(buildAuditStatsQuery({}, ['cluster', 'user'], 5, layout)).toContain('stats by ("kubernetes.cluster \\"name\\"", "user.username") count() as count');
  });

  it('a layout naming its one cluster: a cluster filter holds for every record or for none; nothing to group by', () => {
    expect(buildAuditFilter({ clusters: ['talos-infra', 'other'] }, ONE_CLUSTER)).toBe(`${STREAM} AND "auditID":*`);
    expect(buildAuditFilter({ clusters: ['other'], orNoCluster: true }, ONE_CLUSTER)).toBe(`${STREAM} AND "auditID":* AND ${MATCH_NOTHING}`);
    expect(buildAuditStatsQuery({}, ['cluster'], 5, ONE_CLUSTER)).toBe(`${STREAM} AND "auditID":* | stats count() as count | total_stats sum(count) as total | sort by (count desc) | limit 5`);
    expect(buildAuditStatsQuery({}, ['cluster', 'verb'], 5, ONE_CLUSTER)).toContain('| stats by ("verb") count() as count |');
  });

  it('maps a row: the time from stageTimestamp, the cluster from the layout, requestURI kept as a field (no _msg_field)', () => {
    const row = {
      _time: '2025-10-09T00:59:24.5Z',
      _msg: 'missing _msg field; see https://docs.victoriametrics.com/victorialogs/keyconcepts/#message-field',
      _stream: '{stream="audit.kube-apiserver"}',
      stream: 'audit.kube-apiserver',
      auditID: 'x',
      stage: 'ResponseComplete',
      verb: 'get',
      requestURI: '/api/v1/namespaces/a/secrets/s',
      stageTimestamp: '2025-10-09T00:59:23.120001Z',
      'user.username': 'alice',
    };
    expect(toAuditEvent(row, ONE_CLUSTER)).toMatchObject({ time: '2025-10-09T00:59:23.120001Z', cluster: 'talos-infra', requestUri: '/api/v1/namespaces/a/secrets/s' });
    expect(toAuditEvent({ ...row, cluster: 'c1' }, FLUENT_BIT)).toMatchObject({ time: '2025-10-09T00:59:23.120001Z', cluster: 'c1' });
    expect(toAuditEvent(row, VIGIL_LAYOUT)).toMatchObject({ time: '2025-10-09T00:59:24.5Z', cluster: null });
    expect(() => toAuditEvent({ ...row, stageTimestamp: '' }, FLUENT_BIT)).toThrow(/no "stageTimestamp"/);
  });
});

function checkedLayoutOk(layout: AuditLayout): boolean {
  try {
    checkedLayout(layout);
    return true;
  } catch {
    return false;
  }
}
