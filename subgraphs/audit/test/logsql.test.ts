import { describe, expect, it } from 'vitest';
import { toAuditEvent } from '../src/sources/victorialogs/audit-fields.js';
import { readFieldsOf, VIGIL_LAYOUT } from '../src/sources/victorialogs/layout.js';
import { buildAuditBoundaryQuery, buildAuditQuery, buildAuditStatsQuery, escapeRegexp, MAX_FILTER_VALUE_LENGTH, MAX_FILTER_VALUES, quoteLogsQL } from '../src/sources/victorialogs/logsql.js';
import { parseRfc3339Nanos } from '../src/sources/victorialogs/timestamps.js';
import { parseLogsQL, tokenizeLogsQL, type Filter } from '../../../test/support/victorialogs-logsql.js';
import { HOSTILE_STRINGS } from './hostile-strings.js';

// Unit tests: the quoting and the query builder, checked against the VictoriaLogs double's LogsQL
// parser (a port of VictoriaLogs' own lexer and Go's strconv unquoting), no network. The same hostile
// values go through the real VictoriaLogs in victorialogs.int.test.ts ('quoting fuzz').

const NOW = 1_700_000_000_000_000_000n;

function andFilters(query: string): Filter[] {
  const { filter } = parseLogsQL(query, NOW);
  return filter.kind === 'and' ? filter.filters : [filter];
}

const JSON_STRING = String.raw`"(?:[^"\\]|\\.)*"`;

/** The regexp that must accompany the phrase filter for one array element (written out independently of logsql.ts). */
function wholeArrayPattern(value: string): string {
  return `^\\[(?:${JSON_STRING},)*${escapeRegexp(JSON.stringify(value))}(?:,${JSON_STRING})*\\]$`;
}

function badInput(message: RegExp) {
  return expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }), message: expect.stringMatching(message) });
}

describe('quoteLogsQL', () => {
  it.each([...HOSTILE_STRINGS, ''].map((value) => [JSON.stringify(value).slice(0, 40), value]))(
    'round-trips %s through the LogsQL lexer as one literal',
    (_label, value) => {
      const quoted = quoteLogsQL(value);
      const tokens = tokenizeLogsQL(quoted);
      expect(tokens).toHaveLength(1);
      expect(tokens[0]?.raw).toBe(quoted);
      expect(tokens[0]?.value).toBe(value);
    },
  );

  it.each(HOSTILE_STRINGS.map((value) => [JSON.stringify(value).slice(0, 40), value]))(
    'keeps %s a single exact filter value',
    (_label, value) => {
      const { filter, pipes } = parseLogsQL(`"user.username":=${quoteLogsQL(value)}`, NOW);
      expect(filter).toEqual({ kind: 'exact', field: 'user.username', value });
      expect(pipes).toEqual([]);
    },
  );

  it('refuses an unpaired surrogate, which no UTF-8 literal can carry', () => {
    expect(() => quoteLogsQL('a\ud800b')).toThrow(badInput(/surrogate/));
    expect(() => quoteLogsQL('\udfff')).toThrow(badInput(/surrogate/));
    expect(quoteLogsQL('🔑')).toBe('"🔑"');
  });
});

describe('the double unquotes like Go, not like JSON', () => {
  it('decodes Go-only escapes in double quotes', () => {
    expect(tokenizeLogsQL('"\\x41\\u00e9\\U0001F600\\101\\a\\v"')).toEqual([{ value: 'Aé😀A\u0007\u000b', raw: '"\\x41\\u00e9\\U0001F600\\101\\a\\v"' }]);
  });

  it('takes backquoted text raw, dropping carriage returns', () => {
    expect(tokenizeLogsQL('`a\\nb\r\nc`')).toEqual([{ value: 'a\\nb\nc', raw: '`a\\nb\r\nc`' }]);
  });

  it("decodes single quotes char by char, where \\' is valid and \\\" is not", () => {
    expect(tokenizeLogsQL("'it\\'s'")).toEqual([{ value: "it's", raw: "'it\\'s'" }]);
    expect(tokenizeLogsQL("'\\\"'")[0]).toEqual({ value: "'", raw: "'" });
  });

  it('rejects what Go rejects: a raw newline, an escaped single quote, a surrogate escape', () => {
    for (const bad of ['"a\nb"', '"\\\'"', '"\\ud800"', '"unterminated']) {
      expect(tokenizeLogsQL(bad)[0]).toEqual({ value: '"', raw: '"' });
      expect(() => parseLogsQL(`f:${bad}`, NOW)).toThrow();
    }
  });
});

const VIGIL_FIELDS = '"_time", "auditID", "stage", "level", "verb", "requestReceivedTimestamp", "user.username", "user.groups", "impersonatedUser.username", "sourceIPs", "userAgent", "objectRef.resource", "objectRef.subresource", "objectRef.namespace", "objectRef.name", "objectRef.apiGroup", "objectRef.apiVersion", "responseStatus.code", "responseStatus.reason", "_msg", "requestURI", "cluster", "annotations."*';
/** A row as VictoriaLogs prints one of Vigil's records (flattened; arrays as JSON text). */
const fullRow = {
  _time: '2024-12-22T12:33:27.123456Z',
  _msg: '/api/v1/namespaces/wareville/secrets/pull-creds',
  auditID: 'c59d6a7c-1e07-43cb-8bf6-4d41a9c98ddb',
  stage: 'ResponseComplete',
  level: 'Metadata',
  verb: 'get',
  requestReceivedTimestamp: '2024-12-22T12:33:27.100000Z',
  'user.username': 'alice',
  'user.groups': '["system:authenticated"]',
  'impersonatedUser.username': 'bob',
  sourceIPs: '["192.168.49.1","10.0.0.1"]',
  userAgent: 'kubectl/v1.29.3',
  'objectRef.resource': 'secrets',
  'objectRef.subresource': 'status',
  'objectRef.namespace': 'wareville',
  'objectRef.name': 'pull-creds',
  'objectRef.apiGroup': 'example.io',
  'objectRef.apiVersion': 'v1',
  'responseStatus.code': '200',
  'responseStatus.reason': 'OK',
  'annotations.authorization.k8s.io/decision': 'allow',
  'annotations.authorization.k8s.io/reason': 'RBAC',
  cluster: 'prod',
};

describe('buildAuditQuery', () => {
  it('selects audit records only, newest first, with the limit as a number', () => {
    expect(buildAuditQuery({}, { limit: 10 })).toBe(`"auditID":* | fields ${VIGIL_FIELDS} | sort by (_time desc, auditID desc, stage desc) | limit 10`);
  });

  it('asks only for the fields an event is read from: the same event as from the whole row', () => {
    const row = { ...fullRow, _stream: '{cluster="prod"}', _stream_id: '0000', 'requestObject.kind': 'Secret', unrelated: 'x' };
    const kept = Object.fromEntries(Object.entries(row).filter(([field]) => readFieldsOf(VIGIL_LAYOUT).includes(field) || field.startsWith('annotations.')));
    expect(Object.keys(kept).length).toBeLessThan(Object.keys(row).length);
    expect(toAuditEvent(kept)).toEqual(toAuditEvent(row));
    const fluent = { ...row, stageTimestamp: '2024-12-22T12:33:27.123456Z', _msg: 'missing _msg field; see https://docs.victoriametrics.com/victorialogs/keyconcepts/#message-field', requestURI: row._msg };
    const layout = { ...VIGIL_LAYOUT, time: 'stageTimestamp' as const, cluster: { value: 'prod' } };
    const keptFluent = Object.fromEntries(Object.entries(fluent).filter(([field]) => readFieldsOf(layout).includes(field) || field.startsWith('annotations.')));
    expect(toAuditEvent(keptFluent, layout)).toEqual(toAuditEvent(fluent, layout));
  });

  it('turns every string filter into an exact match on its stored field', () => {
    const query = buildAuditQuery(
      {
        users: ['alice'],
        impersonatedUsers: ['bob'],
        verbs: ['get'],
        apiGroups: ['apps'],
        resources: ['secrets'],
        subresources: ['exec'],
        namespaces: ['prod'],
        names: ['db'],
        clusters: ['eu-1'],
      },
      { limit: 5 },
    );
    expect(andFilters(query)).toEqual([
      { kind: 'prefix', field: 'auditID', prefix: '', anyCase: false },
      { kind: 'exact', field: 'user.username', value: 'alice' },
      { kind: 'exact', field: 'impersonatedUser.username', value: 'bob' },
      { kind: 'exact', field: 'verb', value: 'get' },
      { kind: 'exact', field: 'objectRef.apiGroup', value: 'apps' },
      { kind: 'exact', field: 'objectRef.resource', value: 'secrets' },
      { kind: 'exact', field: 'objectRef.subresource', value: 'exec' },
      { kind: 'exact', field: 'objectRef.namespace', value: 'prod' },
      { kind: 'exact', field: 'objectRef.name', value: 'db' },
      { kind: 'exact', field: 'cluster', value: 'eu-1' },
    ]);
    expect(parseLogsQL(query, NOW).pipes).toEqual([
      { kind: 'fields', fields: [...readFieldsOf(VIGIL_LAYOUT), 'annotations.*'] },
      { kind: 'sort', by: [{ field: '_time', desc: true }, { field: 'auditID', desc: true }, { field: 'stage', desc: true }], desc: false, offset: 0, limit: 0 },
      { kind: 'limit', limit: 5 },
    ]);
  });

  it('matches one element of an array field by its quoted JSON text, within a parse of the whole array', () => {
    const filters = andFilters(buildAuditQuery({ userGroups: ['system:masters'], sourceIps: ['10.0.0.1'] }, { limit: 1 }));
    expect(filters.slice(1)).toEqual([
      { kind: 'phrase', field: 'user.groups', phrase: '"system:masters"', anyCase: false },
      { kind: 'regexp', field: 'user.groups', pattern: String.raw`^\[(?:"(?:[^"\\]|\\.)*",)*"system:masters"(?:,"(?:[^"\\]|\\.)*")*\]$` },
      { kind: 'phrase', field: 'sourceIPs', phrase: '"10.0.0.1"', anyCase: false },
      { kind: 'regexp', field: 'sourceIPs', pattern: String.raw`^\[(?:"(?:[^"\\]|\\.)*",)*"10\.0\.0\.1"(?:,"(?:[^"\\]|\\.)*")*\]$` },
    ]);
  });

  it.each(HOSTILE_STRINGS.map((value) => [JSON.stringify(value).slice(0, 40), value]))(
    'finds %s as a whole array element only, never from a quote escaped inside another',
    (_label, value) => {
      const regexp = andFilters(buildAuditQuery({ userGroups: [value] }, { limit: 1 })).find((filter) => filter.kind === 'regexp');
      if (regexp?.kind !== 'regexp') throw new Error('no regexp filter');
      // The pattern uses only syntax on which RE2 and JavaScript agree; the real server runs it in the int test.
      const wholeArray = new RegExp(regexp.pattern, 'u');
      const arrays = [
        [value],
        ['a', value, 'b'],
        [`"${value}`],
        [`${value}"`],
        [`\\${value}`],
        [`${value}\\`],
        [`x${value}`, `${value}x`],
        [`${value},`, 'b'],
        ['a,', `,${value}`],
        [`a","${value}`],
        [`${value}","b`],
      ];
      for (const array of arrays) {
        expect(wholeArray.test(JSON.stringify(array)), JSON.stringify(array)).toBe(array.includes(value));
      }
    },
  );

  it.each(HOSTILE_STRINGS.map((value) => [JSON.stringify(value).slice(0, 40), value]))(
    'cannot be restructured by %s',
    (_label, value) => {
      const query = buildAuditQuery({ users: [value], namespaces: [value], userGroups: [value] }, { limit: 3 });
      expect(andFilters(query)).toEqual([
        { kind: 'prefix', field: 'auditID', prefix: '', anyCase: false },
        { kind: 'exact', field: 'user.username', value },
        { kind: 'exact', field: 'objectRef.namespace', value },
        { kind: 'phrase', field: 'user.groups', phrase: JSON.stringify(value), anyCase: false },
        { kind: 'regexp', field: 'user.groups', pattern: wholeArrayPattern(value) },
      ]);
      expect(parseLogsQL(query, NOW).pipes.at(-1)).toEqual({ kind: 'limit', limit: 3 });
    },
  );

  it('prints the response code from the number', () => {
    expect(buildAuditQuery({ responseCodes: [403] }, { limit: 1 })).toContain(' AND "responseStatus.code":=403 |');
    expect(buildAuditQuery({ responseCodes: [401, 403] }, { limit: 1 })).toContain(' AND "responseStatus.code":in(401, 403) |');
    for (const responseCode of [403.5, 99, 600, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => buildAuditQuery({ responseCodes: [responseCode] }, { limit: 1 })).toThrow(badInput(/^responseCodes:/));
    }
  });

  it('makes [from, to) exact to the millisecond', () => {
    const from = new Date('2024-10-29T12:20:30.666Z');
    const to = new Date('2024-10-29T12:21:44.214Z');
    const time = andFilters(buildAuditQuery({ from, to }, { limit: 1 })).find((filter) => filter.kind === 'time');
    expect(time).toEqual({ kind: 'time', min: BigInt(from.getTime()) * 1_000_000n, max: BigInt(to.getTime()) * 1_000_000n - 1n });
    const onlyFrom = andFilters(buildAuditQuery({ from }, { limit: 1 })).find((filter) => filter.kind === 'time');
    expect(onlyFrom).toMatchObject({ min: BigInt(from.getTime()) * 1_000_000n });
    const onlyTo = andFilters(buildAuditQuery({ to }, { limit: 1 })).find((filter) => filter.kind === 'time');
    expect(onlyTo).toMatchObject({ max: BigInt(to.getTime()) * 1_000_000n - 1n });
  });

  it('refuses a time range that ends before it starts, naming both fields', () => {
    const from = new Date('2024-10-29T12:00:00Z');
    const to = new Date('2024-10-29T11:00:00Z');
    expect(() => buildAuditQuery({ from, to }, { limit: 1 })).toThrow(badInput(/from.*to/));
    expect(() => buildAuditQuery({ from: to, to: from }, { limit: 1 })).not.toThrow();
    expect(() => buildAuditQuery({ from: new Date('nope') }, { limit: 1 })).toThrow(badInput(/^from:/));
    expect(() => buildAuditQuery({ to: new Date(Date.UTC(10_000, 0, 1)) }, { limit: 1 })).toThrow(badInput(/^to:/));
  });

  it('bounds the limit', () => {
    for (const limit of [0, -1, 1.5, 10_001, Number.NaN]) {
      expect(() => buildAuditQuery({}, { limit })).toThrow(badInput(/^limit:/));
    }
    expect(buildAuditQuery({}, { limit: 10_000 })).toMatch(/\| limit 10000$/);
  });

  it('refuses empty, overlong and ill-formed values, naming the field', () => {
    expect(() => buildAuditQuery({ users: [''] }, { limit: 1 })).toThrow(badInput(/^users:/));
    expect(() => buildAuditQuery({ namespaces: ['x'.repeat(MAX_FILTER_VALUE_LENGTH + 1)] }, { limit: 1 })).toThrow(badInput(/^namespaces:/));
    expect(() => buildAuditQuery({ sourceIps: ['\ud800'] }, { limit: 1 })).toThrow(badInput(/^sourceIps:/));
    expect(() => buildAuditQuery({ verbs: [] }, { limit: 1 })).toThrow(badInput(/^verbs: must hold 1 to 100/));
    expect(() => buildAuditQuery({ clusters: Array.from({ length: MAX_FILTER_VALUES + 1 }, (_, i) => `c${String(i)}`) }, { limit: 1 })).toThrow(badInput(/^clusters:/));
  });

  it('resumes at or before the cursor time, exactly, skipping what was returned at that time', () => {
    // Second precision: a `<=` filter would widen this to the whole second, `<` + 1ns cannot.
    const query = buildAuditQuery({}, { limit: 4, before: { time: '2024-10-29T12:20:30Z', skip: 2 } });
    const cursorNanos = parseRfc3339Nanos('2024-10-29T12:20:30Z') ?? 0n;
    expect(andFilters(query)[1]).toEqual({ kind: 'time', min: -(2n ** 63n), max: cursorNanos });
    expect(parseLogsQL(query, NOW).pipes.slice(2)).toEqual([
      { kind: 'offset', offset: 2 },
      { kind: 'limit', limit: 4 },
    ]);
    const precise = buildAuditQuery({}, { limit: 4, before: { time: '2024-10-29T12:20:30.664633Z', skip: 1 } });
    expect(andFilters(precise)[1]).toMatchObject({ max: parseRfc3339Nanos('2024-10-29T12:20:30.664633Z') });
  });

  it('reads a page from a lower time bound (the oldest time of the boundary query), exactly', () => {
    const query = buildAuditQuery({}, { limit: 4, notBefore: '2024-10-29T12:20:30.664633Z' });
    expect(andFilters(query)[1]).toEqual({ kind: 'time', min: parseRfc3339Nanos('2024-10-29T12:20:30.664633Z'), max: 2n ** 63n - 1n });
    expect(() => buildAuditQuery({}, { limit: 1, notBefore: 'yesterday' })).toThrow(badInput(/^notBefore:/));
  });

  it('builds the boundary query in the shape VictoriaLogs answers with its last-N search', () => {
    const before = { time: '2024-10-29T12:20:30Z', skip: 2 };
    const boundary = buildAuditBoundaryQuery({ users: ['a'] }, { limit: 4, before });
    // The same filter as the page's, only _time read, and enough rows to reach past the skipped ones.
    expect(boundary).toBe(`${buildAuditQuery({ users: ['a'] }, { limit: 4, before }).split(' | ')[0]} | fields _time | sort by (_time desc) | limit 6`);
  });

  it('refuses a malformed resume position', () => {
    expect(() => buildAuditQuery({}, { limit: 1, before: { time: 'yesterday', skip: 1 } })).toThrow(badInput(/^before\.time:/));
    expect(() => buildAuditQuery({}, { limit: 1, before: { time: '2024-10-29T12:20:30Z', skip: -1 } })).toThrow(badInput(/^before\.skip:/));
  });
});

describe('buildAuditFilter: lists and the forensic filters', () => {
  it('matches any of several values with one in() filter, each value quoted', () => {
    const filters = andFilters(buildAuditQuery({ verbs: ['create', 'update', 'patch', 'delete'], users: ['a', '" or *'] }, { limit: 1 }));
    expect(filters.slice(1)).toEqual([
      { kind: 'in', field: 'user.username', values: ['a', '" or *'] },
      { kind: 'in', field: 'verb', values: ['create', 'update', 'patch', 'delete'] },
    ]);
  });

  it('drops repeated values', () => {
    expect(andFilters(buildAuditQuery({ verbs: ['get', 'get'] }, { limit: 1 }))[1]).toEqual({ kind: 'exact', field: 'verb', value: 'get' });
  });

  it('ORs array-element matches, each a phrase within a whole-array parse', () => {
    const [, groups] = andFilters(buildAuditQuery({ userGroups: ['a', 'b'] }, { limit: 1 }));
    expect(groups).toEqual({
      kind: 'or',
      filters: ['a', 'b'].map((value) => ({
        kind: 'and',
        filters: [
          { kind: 'phrase', field: 'user.groups', phrase: JSON.stringify(value), anyCase: false },
          { kind: 'regexp', field: 'user.groups', pattern: wholeArrayPattern(value) },
        ],
      })),
    });
  });

  it('leaves service accounts out by the exact prefix of their usernames', () => {
    expect(andFilters(buildAuditQuery({ excludeServiceAccounts: true }, { limit: 1 }))[1]).toEqual({
      kind: 'not',
      filter: { kind: 'exactPrefix', field: 'user.username', prefix: 'system:serviceaccount:' },
    });
    expect(andFilters(buildAuditQuery({ excludeServiceAccounts: false }, { limit: 1 }))).toHaveLength(1);
  });

  it('matches user agents by their beginning, any of several', () => {
    expect(andFilters(buildAuditQuery({ userAgentPrefixes: ['kubectl/', '" or *'] }, { limit: 1 }))[1]).toEqual({
      kind: 'or',
      filters: [
        { kind: 'exactPrefix', field: 'userAgent', prefix: 'kubectl/' },
        { kind: 'exactPrefix', field: 'userAgent', prefix: '" or *' },
      ],
    });
  });

  it('matches levels and stages by their stored names, refusing any other', () => {
    const filters = andFilters(buildAuditQuery({ levels: ['Metadata'], stages: ['ResponseComplete', 'Panic'] }, { limit: 1 }));
    expect(filters.slice(1)).toEqual([
      { kind: 'exact', field: 'level', value: 'Metadata' },
      { kind: 'in', field: 'stage', values: ['ResponseComplete', 'Panic'] },
    ]);
    // @ts-expect-error: not a level
    expect(() => buildAuditQuery({ levels: ['None'] }, { limit: 1 })).toThrow(badInput(/^levels:/));
  });

  it('takes records without a cluster into a cluster filter only when asked', () => {
    expect(andFilters(buildAuditQuery({ clusters: ['a'], orNoCluster: true }, { limit: 1 }))[1]).toEqual({
      kind: 'or',
      filters: [
        { kind: 'exact', field: 'cluster', value: 'a' },
        { kind: 'exact', field: 'cluster', value: '' },
      ],
    });
  });

  it('matches code classes as numeric ranges, ORed with the codes given', () => {
    // The double's parser has no range filter: the real server runs these in victorialogs.int.test.ts.
    expect(buildAuditQuery({ responseCodeClasses: [4, 5] }, { limit: 1 })).toContain(
      ' AND ("responseStatus.code":range[400, 500) OR "responseStatus.code":range[500, 600)) |',
    );
    expect(buildAuditQuery({ responseCodes: [101], responseCodeClasses: [5] }, { limit: 1 })).toContain(
      ' AND ("responseStatus.code":=101 OR "responseStatus.code":range[500, 600)) |',
    );
    // @ts-expect-error: not a class
    expect(() => buildAuditQuery({ responseCodeClasses: [6] }, { limit: 1 })).toThrow(badInput(/^responseCodeClasses:/));
  });
});

describe('buildAuditStatsQuery', () => {
  it('counts per group, adds the total up before the cut, and sorts ties by the grouped values', () => {
    expect(buildAuditStatsQuery({ resources: ['secrets'] }, ['user', 'verb'], 20)).toBe(
      '"auditID":* AND "objectRef.resource":="secrets" | stats by ("user.username", "verb") count() as count | total_stats sum(count) as total | sort by (count desc, "user.username", "verb") | limit 20',
    );
  });

  it('unrolls the source IP array so each address is a group', () => {
    expect(buildAuditStatsQuery({}, ['sourceIp'], 5)).toBe(
      '"auditID":* | unroll by ("sourceIPs") | stats by ("sourceIPs") count() as count | total_stats sum(count) as total | sort by (count desc, "sourceIPs") | limit 5',
    );
  });

  it('counts everything in one group without groupBy', () => {
    expect(buildAuditStatsQuery({}, [], 1)).toBe('"auditID":* | stats count() as count | total_stats sum(count) as total | sort by (count desc) | limit 1');
  });

  it('bounds top and refuses an unknown field', () => {
    for (const top of [0, 1001, 1.5]) expect(() => buildAuditStatsQuery({}, ['user'], top)).toThrow(badInput(/^top:/));
    // @ts-expect-error: not a group field
    expect(() => buildAuditStatsQuery({}, ['password'], 1)).toThrow(badInput(/^groupBy:/));
  });
});
