import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import ajvFormats from 'ajv-formats';
import { parse as parseCsv } from 'csv-parse/sync';
import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryAlertLog } from '@vigil/lib/alerts/memory-alert-log';
import { AlertPublisher } from '@vigil/lib/alerts/publisher';
import type { Identity } from '@vigil/lib/identity';
import { createLogger } from '@vigil/lib/logger';
import { executeSubgraph } from '../../../test/support/execute-subgraph.js';
import { complianceConfig } from '../src/config.js';
import { CSV_COLUMNS } from '../src/export/csv.js';
import type { EvidenceSnapshot } from '../src/evidence.js';
import type { EvidenceSource } from '../src/evidence-source.js';
import { FRAMEWORKS } from '../src/frameworks.js';
import { createComplianceRuntime, type ComplianceRuntime } from '../src/runtime.js';
import { debianHost, falcoEvent, kubeBenchEvents, kyvernoEvents, snapshot, trivyComplianceEvents } from './evidence-fixtures.js';

// complianceExport through the subgraph, over the real engine, stores and resolvers fed the shared
// fixtures: every OSCAL export is validated against NIST's OSCAL 1.0.6 Assessment Results JSON schema
// (test/fixtures/oscal/, see the README there), and the CSV is read back by a CSV parser.

const START = new Date('2026-03-01T12:00:00.000Z');
let now = START;
const clock = () => now;
const advance = (minutes: number) => (now = new Date(now.getTime() + minutes * 60_000));

const ADMIN: Identity = { subject: 'alice@example.org', kind: 'user', roles: ['admin'], tenants: null, expiresAt: null };
const STAGING_ONLY: Identity = { subject: 'bob', kind: 'user', roles: ['viewer'], tenants: [{ name: 'staging', clusters: ['staging'], hostLabels: { env: 'staging' }, victoriaLogs: null }], expiresAt: null };

/** A host id an attacker on the host (or a careless inventory) could choose: every CSV hazard at once. */
const HOSTILE_HOST = '=cmd|" /C calc"!A0,\nx';

const state = { fixed: true };
function evidence(at: Date): EvidenceSnapshot {
  return snapshot(at, {
    hosts: { ok: true, value: [debianHost(at, 'node-a', { env: 'prod' }), debianHost(at, 'node-b', { env: 'staging' }), debianHost(at, 'web-1', { env: 'prod' }, [{ name: 'toor', uid: 0 }]), debianHost(at, HOSTILE_HOST, { env: 'prod' }, [{ name: 'toor', uid: 0 }])] },
    clusters: { ok: true, value: [{ name: 'prod', sources: [] }, { name: 'staging', sources: [] }] },
    events: {
      ok: true,
      value: [
        ...kubeBenchEvents(at, 'prod', 'node-a').map((e) => (state.fixed && e.eventType === '4.2.1' ? { ...e, resolvedAt: at.toISOString() } : e)),
        ...kubeBenchEvents(at, 'staging', 'node-b').map((e) => (e.eventType === '4.2.1' ? { ...e, resolvedAt: START.toISOString() } : e)),
        ...trivyComplianceEvents(at, 'prod'),
        ...kyvernoEvents(at, 'prod', 'Best Practices, OWASP_LLM:LLM04'),
        falcoEvent(at, 'prod', 'node-a', 1, ['OWASP_LLM:LLM10']),
      ],
    },
    hostVulnerabilities: { ok: true, value: [{ vulnerabilityId: 'CVE-2099-1', severity: 'CRITICAL', hostId: 'web-1', packageName: 'openssl', installedVersion: '3.0.1', fixedVersion: '3.0.2', fixKnownSince: new Date(at.getTime() - 45 * 86_400_000).toISOString() }] },
  });
}

class FixtureEvidence implements EvidenceSource {
  async gather(at: Date): Promise<EvidenceSnapshot> {
    return evidence(at);
  }
}

let runtime: ComplianceRuntime;
beforeEach(async () => {
  now = START;
  state.fixed = true;
  const logger = createLogger('compliance-export-test', { level: 'silent' });
  runtime = createComplianceRuntime(complianceConfig.parse({}), { logger, publisher: new AlertPublisher(new MemoryAlertLog(), logger, clock), redisUrl: undefined, namespace: 'test', clock, metrics: undefined as never } as Parameters<typeof createComplianceRuntime>[1], 'http://unused.invalid/graphql', undefined, { evidence: new FixtureEvidence(), autoStart: false });
  await runtime.engine.evaluate();
});

const run = (query: string, variables: Record<string, unknown> = {}, identity: Identity | null = ADMIN) => executeSubgraph(runtime.definition, query, variables, identity);

interface ExportAnswer {
  format: string;
  mediaType: string;
  filename: string;
  content: string;
  evaluatedAt: string;
  controls: number;
  results: number;
}

const EXPORT = `query ($framework: Framework!, $format: ExportFormat!, $scope: ComplianceScopeInput, $asOf: DateTime) {
  complianceExport(framework: $framework, format: $format, scope: $scope, asOf: $asOf) { format mediaType filename content evaluatedAt controls results }
}`;

async function exportOf(variables: Record<string, unknown>, identity: Identity | null = ADMIN): Promise<ExportAnswer> {
  const result = await run(EXPORT, variables, identity);
  expect(result.errors).toBeUndefined();
  return (result.data as { complianceExport: ExportAnswer }).complianceExport;
}

// The schema is draft-07, which Ajv's default class implements; it compiles in strict mode too, so
// strict stays on: a keyword Ajv does not know would fail the test instead of being ignored.
const ajv = new Ajv({ allErrors: true });
ajvFormats.default(ajv);
const validateOscal = ajv.compile(JSON.parse(readFileSync(new URL('./fixtures/oscal/oscal_assessment-results_schema_1.0.6.json', import.meta.url), 'utf8')) as object);
const explain = (errors: ErrorObject[] | null | undefined) => (errors ?? []).slice(0, 10).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('\n');

function expectValidOscal(document: unknown): void {
  const valid = validateOscal(document);
  expect(valid, explain(validateOscal.errors)).toBe(true);
}

interface Finding {
  uuid: string;
  props: { name: string; value: string }[];
  target: { 'target-id': string; status: { state: string; reason?: string } };
  'related-observations'?: { 'observation-uuid': string }[];
  'related-risks'?: { 'risk-uuid': string }[];
}
interface OscalDocument {
  'assessment-results': {
    uuid: string;
    metadata: { version: string; 'oscal-version': string; 'last-modified': string };
    'import-ap': { href: string };
    'back-matter': { resources: { uuid: string }[] };
    results: {
      start: string;
      end: string;
      'reviewed-controls': { 'control-selections': { 'include-controls'?: { 'control-id': string }[] }[] };
      observations?: { uuid: string; methods: string[]; subjects?: { 'subject-uuid': string }[]; 'relevant-evidence'?: { href: string }[] }[];
      findings?: Finding[];
      risks?: { uuid: string; status: string; deadline: string; description: string; props: { name: string; value: string }[] }[];
      'local-definitions': { 'inventory-items'?: { uuid: string; props: { name: string; value: string }[] }[] };
    }[];
  };
}

const prop = (f: { props: { name: string; value: string }[] }, name: string) => f.props.find((p) => p.name === name)?.value;
const findingOf = (doc: OscalDocument, controlId: string, subject: string) => doc['assessment-results'].results[0]!.findings?.find((f) => prop(f, 'control-id') === controlId && prop(f, 'subject') === subject);

describe('OSCAL Assessment Results export', () => {
  const scopes: [string, Record<string, string> | null][] = [
    ['every subject', null],
    ['cluster prod', { cluster: 'prod' }],
    ['namespace prod/kube-system', { cluster: 'prod', namespace: 'kube-system' }],
    ['host node-a', { host: 'node-a' }],
    ['host web-1', { host: 'web-1' }],
  ];
  let catalogueVersion = '';
  beforeEach(async () => {
    catalogueVersion = ((await run('{ complianceEvaluation { catalogueVersion } }')).data as { complianceEvaluation: { catalogueVersion: string } }).complianceEvaluation.catalogueVersion;
  });
  for (const framework of FRAMEWORKS) {
    it(`${framework}: every scope validates against the OSCAL 1.0.6 schema, one finding per result, reviewed controls listed`, async () => {
      for (const [, scope] of scopes) {
        const answer = await exportOf({ framework, format: 'OSCAL_JSON', scope });
        expect(answer).toMatchObject({ format: 'OSCAL_JSON', mediaType: 'application/json' });
        const doc = JSON.parse(answer.content) as OscalDocument;
        expectValidOscal(doc);
        const ar = doc['assessment-results'];
        expect(ar.metadata['oscal-version']).toBe('1.0.6');
        expect(ar.metadata.version).toBe(catalogueVersion);
        expect(ar['import-ap'].href).toBe(`#${ar['back-matter'].resources[0]!.uuid}`);
        const result = ar.results[0]!;
        expect(result.findings?.length ?? 0).toBe(answer.results);
        expect(result['reviewed-controls']['control-selections'][0]!['include-controls']?.length ?? 0).toBe(answer.controls);
        // Every observation a finding names is in the document, and every subject it names is defined.
        const observations = new Set((result.observations ?? []).map((o) => o.uuid));
        const items = new Set((result['local-definitions']['inventory-items'] ?? []).map((i) => i.uuid));
        for (const f of result.findings ?? []) for (const o of f['related-observations'] ?? []) expect(observations.has(o['observation-uuid'])).toBe(true);
        for (const o of result.observations ?? []) for (const s of o.subjects ?? []) expect(items.has(s['subject-uuid'])).toBe(true);
        if (scope === null) expect(answer.results).toBeGreaterThan(0);
      }
    });
  }

  it('CIS 4.2.1 failing on prod node-a: a not-satisfied finding with the kube-bench event as relevant evidence; scoped to the node, only its results', async () => {
    state.fixed = false;
    advance(10);
    await runtime.engine.evaluate();
    const doc = JSON.parse((await exportOf({ framework: 'CIS_KUBERNETES', format: 'OSCAL_JSON', scope: { host: 'node-a' } })).content) as OscalDocument;
    expectValidOscal(doc);
    const finding = findingOf(doc, '4.2.1', 'node:prod/node-a');
    expect(finding?.target).toMatchObject({ 'target-id': 'cis-4.2.1_obj', status: { state: 'not-satisfied', reason: 'fail' } });
    const result = doc['assessment-results'].results[0]!;
    const observation = result.observations?.find((o) => o.uuid === finding?.['related-observations']?.[0]?.['observation-uuid']);
    expect(observation).toMatchObject({ methods: ['TEST'], 'relevant-evidence': [{ href: 'urn:vigil:security-event:kb-prod-node-a-4.2.1' }] });
    expect(result.findings?.every((f) => prop(f, 'subject')?.endsWith('node-a'))).toBe(true);
    expect(result['reviewed-controls']['control-selections'][0]!['include-controls']).toContainEqual({ 'control-id': 'cis-4.2.1' });
    // NIST ids take the form of NIST's own OSCAL catalogue.
    const nist = JSON.parse((await exportOf({ framework: 'NIST_800_53', format: 'OSCAL_JSON' })).content) as OscalDocument;
    expect(findingOf(nist, 'AC-6', 'host:web-1')?.target).toMatchObject({ 'target-id': 'ac-6_obj', status: { state: 'not-satisfied' } });
  });

  it('a waived failure is a not-satisfied finding with a deviation-approved risk carrying reason, owner and expiry', async () => {
    state.fixed = false;
    await runtime.engine.evaluate();
    const expiresAt = new Date(now.getTime() + 3_600_000).toISOString();
    const waived = await run(`mutation ($input: WaiveControlInput!) { waiveControl(input: $input) { id } }`, { input: { framework: 'CIS_KUBERNETES', controlId: '4.2.1', subject: 'node:prod/node-a', reason: 'kubelet replaced\nnext sprint', owner: 'platform', expiresAt } });
    expect(waived.errors).toBeUndefined();
    const doc = JSON.parse((await exportOf({ framework: 'CIS_KUBERNETES', format: 'OSCAL_JSON', scope: { cluster: 'prod' } })).content) as OscalDocument;
    expectValidOscal(doc);
    const finding = findingOf(doc, '4.2.1', 'node:prod/node-a')!;
    expect(finding.target.status.state).toBe('not-satisfied');
    expect([prop(finding, 'result-status'), prop(finding, 'waived'), prop(finding, 'waiver-owner'), prop(finding, 'waiver-reason'), prop(finding, 'waiver-expires-at')]).toEqual(['WAIVED', 'true', 'platform', 'kubelet replaced next sprint', expiresAt]);
    const risk = doc['assessment-results'].results[0]!.risks?.find((r) => r.uuid === finding['related-risks']?.[0]?.['risk-uuid']);
    expect(risk).toMatchObject({ status: 'deviation-approved', deadline: expiresAt, description: 'kubelet replaced\nnext sprint' });
    // Once the waiver expires (by the injected clock) the same finding is a plain failure with no risk.
    advance(61);
    const later = JSON.parse((await exportOf({ framework: 'CIS_KUBERNETES', format: 'OSCAL_JSON', scope: { cluster: 'prod' } })).content) as OscalDocument;
    const after = findingOf(later, '4.2.1', 'node:prod/node-a')!;
    expect([after.uuid, prop(after, 'result-status'), after['related-risks']]).toEqual([finding.uuid, 'FAIL', undefined]);
  });

  it('UUIDs are derived, not random: the same results export to the same bytes, and a finding keeps its UUID across evaluations', async () => {
    const variables = { framework: 'NIST_800_53', format: 'OSCAL_JSON', scope: { cluster: 'prod' } };
    const first = await exportOf(variables);
    expect((await exportOf(variables)).content).toBe(first.content);
    advance(30);
    await runtime.engine.evaluate();
    const second = JSON.parse((await exportOf(variables)).content) as OscalDocument;
    const uuids = (d: OscalDocument) => (d['assessment-results'].results[0]!.findings ?? []).map((f) => f.uuid).sort();
    expect(uuids(second)).toEqual(uuids(JSON.parse(first.content) as OscalDocument));
    expect(uuids(second).length).toBeGreaterThan(0);
  });

  it('asOf exports the results as they were then', async () => {
    const before = now.toISOString();
    state.fixed = false;
    advance(10);
    await runtime.engine.evaluate();
    const at = (asOf: string | null) => exportOf({ framework: 'CIS_KUBERNETES', format: 'OSCAL_JSON', scope: { host: 'node-a' }, asOf });
    const then = JSON.parse((await at(before)).content) as OscalDocument;
    const current = JSON.parse((await at(null)).content) as OscalDocument;
    expectValidOscal(then);
    expect(then['assessment-results'].metadata['last-modified']).toBe(before);
    expect(prop(findingOf(then, '4.2.1', 'node:prod/node-a')!, 'result-status')).toBe('PASS');
    expect(prop(findingOf(current, '4.2.1', 'node:prod/node-a')!, 'result-status')).toBe('FAIL');
  });

  it('before the first evaluation every control is exported as ERROR (not evaluated yet); an asOf before the history is refused', async () => {
    const logger = createLogger('compliance-export-test', { level: 'silent' });
    const fresh = createComplianceRuntime(complianceConfig.parse({}), { logger, publisher: new AlertPublisher(new MemoryAlertLog(), logger, clock), redisUrl: undefined, namespace: 'test', clock, metrics: undefined as never } as Parameters<typeof createComplianceRuntime>[1], 'http://unused.invalid/graphql', undefined, { evidence: new FixtureEvidence(), autoStart: false });
    const answer = await executeSubgraph(fresh.definition, EXPORT, { framework: 'NIST_800_53', format: 'OSCAL_JSON' }, ADMIN);
    await fresh.definition.close?.();
    expect(answer.errors).toBeUndefined();
    const { evaluatedAt, content } = (answer.data as { complianceExport: ExportAnswer }).complianceExport;
    expect(evaluatedAt).toBeNull();
    const doc = JSON.parse(content) as OscalDocument;
    expectValidOscal(doc);
    expect(doc['assessment-results'].results[0]!.start).toBe(now.toISOString());
    expect(new Set(doc['assessment-results'].results[0]!.findings?.map((f) => prop(f, 'result-status')))).toEqual(new Set(['ERROR']));
    const early = await run(EXPORT, { framework: 'NIST_800_53', format: 'CSV', asOf: new Date(START.getTime() - 86_400_000).toISOString() });
    expect(early.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'asOf' } });
  });

  it('the validation can fail: a document broken in the ways an exporter could break it is refused', async () => {
    const doc = JSON.parse((await exportOf({ framework: 'CIS_KUBERNETES', format: 'OSCAL_JSON' })).content) as OscalDocument;
    expectValidOscal(doc);
    const broken: [string, (d: OscalDocument) => void, string][] = [
      ['no oscal-version', (d) => delete (d['assessment-results'].metadata as Partial<OscalDocument['assessment-results']['metadata']>)['oscal-version'], "must have required property 'oscal-version'"],
      ['a status OSCAL does not know', (d) => (d['assessment-results'].results[0]!.findings![0]!.target.status.state = 'passed'), 'must be equal to one of the allowed values'],
      ['a control id that is not a token', (d) => (d['assessment-results'].results[0]!['reviewed-controls']['control-selections'][0]!['include-controls']![0]!['control-id'] = '4.2.1'), 'must match pattern'],
      ['a random-looking but invalid UUID', (d) => (d['assessment-results'].uuid = 'not-a-uuid'), 'must match pattern'],
      ['a prop value with a line break', (d) => (d['assessment-results'].results[0]!.findings![0]!.props[0]!.value = 'two\nlines'), 'must match pattern'],
    ];
    for (const [what, breakIt, message] of broken) {
      const copy = structuredClone(doc);
      breakIt(copy);
      expect(validateOscal(copy), what).toBe(false);
      expect(explain(validateOscal.errors), what).toContain(message);
    }
  });
});

describe('CSV export', () => {
  it('one row per control × subject, RFC 4180 quoting that a parser reads back, formula-like cells neutralised', async () => {
    state.fixed = false;
    await runtime.engine.evaluate();
    const reason = 'accepted, "for now"\r\nsee =HYPERLINK("http://x")';
    const owner = '@platform';
    const expiresAt = new Date(now.getTime() + 3_600_000).toISOString();
    const waive = `mutation ($input: WaiveControlInput!) { waiveControl(input: $input) { id } }`;
    expect((await run(waive, { input: { framework: 'CIS_KUBERNETES', controlId: '4.2.1', subject: 'node:prod/node-a', reason, owner, expiresAt } })).errors).toBeUndefined();
    expect((await run(waive, { input: { framework: 'NIST_800_53', controlId: 'AC-6', subject: `host:${HOSTILE_HOST}`, reason: '-1+1', owner: '+ops', expiresAt } })).errors).toBeUndefined();

    const cis = await exportOf({ framework: 'CIS_KUBERNETES', format: 'CSV' });
    expect(cis).toMatchObject({ format: 'CSV', mediaType: 'text/csv; charset=utf-8; header=present' });
    expect(cis.filename).toMatch(/^vigil-cis_kubernetes-all-\d{8}T\d{6}Z\.csv$/);
    expect(cis.content.split('\r\n')[0]).toBe(CSV_COLUMNS.join(','));
    // Any line break outside quotes ends a record here, as it does in a spreadsheet: an unquoted
    // multi-line cell would give a short record, which the parser refuses.
    const strict = { columns: true as const, record_delimiter: ['\r\n', '\n', '\r'] };
    const rows = parseCsv(cis.content, strict) as Record<string, string>[];
    expect(rows.length).toBe(cis.results);
    const row = rows.find((r) => r['control_id'] === '4.2.1' && r['subject_key'] === 'node:prod/node-a');
    expect(row).toMatchObject({ framework: 'CIS_KUBERNETES', subject_kind: 'NODE', subject_id: 'node-a', cluster: 'prod', status: 'WAIVED', waived: 'true', waiver_reason: reason, waiver_owner: `'${owner}`, waiver_expires_at: expiresAt, evidence_reference: 'urn:vigil:security-event:kb-prod-node-a-4.2.1' });
    expect(row?.['expected']).toBeTruthy();

    const nist = await exportOf({ framework: 'NIST_800_53', format: 'CSV' });
    const nistRows = parseCsv(nist.content, strict) as Record<string, string>[];
    expect(nistRows.some((r) => r['evidence_summary']?.includes('\n'))).toBe(true);
    const hostile = nistRows.find((r) => r['control_id'] === 'AC-6' && r['subject_key'] === `host:${HOSTILE_HOST}`);
    // The host id comes back whole (comma, quotes, line break), behind the quote that stops a spreadsheet evaluating it.
    expect(hostile).toMatchObject({ subject_id: `'${HOSTILE_HOST}`, status: 'WAIVED', waiver_reason: "'-1+1", waiver_owner: "'+ops" });
    expect(nistRows.filter((r) => Object.values(r).some((v) => /^[=+\-@\t\r]/.test(v)))).toEqual([]);
  });

  it('a scope and a tenant narrow the rows; unknown scopes are BAD_USER_INPUT naming the argument', async () => {
    const prod = parseCsv((await exportOf({ framework: 'CIS_KUBERNETES', format: 'CSV', scope: { cluster: 'prod' } })).content, { columns: true }) as Record<string, string>[];
    expect(prod.length).toBeGreaterThan(0);
    expect(new Set(prod.map((r) => r['cluster']))).toEqual(new Set(['prod']));
    const staging = parseCsv((await exportOf({ framework: 'CIS_KUBERNETES', format: 'CSV' }, STAGING_ONLY)).content, { columns: true }) as Record<string, string>[];
    expect(new Set(staging.filter((r) => r['subject_kind'] !== 'CONTROL').map((r) => r['cluster']))).toEqual(new Set(['staging']));
    const refused = async (scope: Record<string, string>, identity: Identity = ADMIN) => (await run(EXPORT, { framework: 'CIS_KUBERNETES', format: 'CSV', scope }, identity)).errors?.[0];
    expect(await refused({ cluster: 'nowhere' })).toMatchObject({ message: expect.stringContaining('scope.cluster'), extensions: { code: 'BAD_USER_INPUT', argument: 'scope.cluster' } });
    expect(await refused({ host: 'ghost' })).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'scope.host' } });
    expect(await refused({ namespace: 'shop' })).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'scope.namespace' } });
    expect(await refused({ cluster: 'prod', host: 'node-a' })).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'scope' } });
    // A cluster outside the caller's tenants is as unknown as one that does not exist.
    expect(await refused({ cluster: 'prod' }, STAGING_ONLY)).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'scope.cluster' } });
  });
});
