import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryAlertLog } from '@vigil/lib/alerts/memory-alert-log';
import { AlertPublisher } from '@vigil/lib/alerts/publisher';
import type { Identity } from '@vigil/lib/identity';
import { createLogger } from '@vigil/lib/logger';
import { entitiesOf, executeSubgraph } from '../../../test/support/execute-subgraph.js';
import { complianceConfig } from '../src/config.js';
import type { EvidenceSnapshot } from '../src/evidence.js';
import type { EvidenceSource } from '../src/evidence-source.js';
import { createComplianceRuntime, type ComplianceRuntime } from '../src/runtime.js';
import { debianHost, kubeBenchEvents, snapshot } from './evidence-fixtures.js';

// The subgraph over the engine: results stored write-on-change, asOf, score history, regressions
// alerted, waivers, the matrix, entities, bad input. Evidence comes from a port double (the graph's
// answers built from the shared fixtures); the engine, stores and resolvers are the real ones.

const START = new Date('2026-03-01T12:00:00.000Z');
let now = START;
const clock = () => now;
const advance = (minutes: number) => (now = new Date(now.getTime() + minutes * 60_000));

class SnapshotEvidence implements EvidenceSource {
  gathers = 0;
  constructor(public build: (at: Date) => EvidenceSnapshot) {}
  async gather(at: Date): Promise<EvidenceSnapshot> {
    this.gathers++;
    return this.build(at);
  }
}

const ADMIN: Identity = { subject: 'alice@example.org', kind: 'user', roles: ['admin'], tenants: null, expiresAt: null };
const STAGING_ONLY: Identity = { subject: 'bob', kind: 'user', roles: ['viewer'], tenants: [{ name: 'staging', clusters: ['staging'], hostLabels: { env: 'staging' }, victoriaLogs: null }], expiresAt: null };

/** prod node-a fails CIS 4.2.1 unless `fixed`; staging node-b passes it (resolved). */
function evidenceFor(state: { fixed: boolean }) {
  return (at: Date) =>
    snapshot(at, {
      hosts: { ok: true, value: [debianHost(at, 'node-a', { env: 'prod' }), debianHost(at, 'node-b', { env: 'staging' })] },
      clusters: { ok: true, value: [{ name: 'prod', sources: [] }, { name: 'staging', sources: [] }] },
      events: {
        ok: true,
        value: [
          ...kubeBenchEvents(at, 'prod', 'node-a').map((e) => (state.fixed && e.eventType === '4.2.1' ? { ...e, resolvedAt: at.toISOString() } : e)),
          ...kubeBenchEvents(at, 'staging', 'node-b').map((e) => (e.eventType === '4.2.1' ? { ...e, resolvedAt: START.toISOString() } : e)),
        ],
      },
    });
}

let runtime: ComplianceRuntime;
let alerts: MemoryAlertLog;
let evidence: SnapshotEvidence;
const state = { fixed: true };

beforeEach(async () => {
  now = START;
  state.fixed = true;
  alerts = new MemoryAlertLog();
  const logger = createLogger('compliance-test', { level: 'silent' });
  evidence = new SnapshotEvidence(evidenceFor(state));
  runtime = createComplianceRuntime(complianceConfig.parse({}), { logger, publisher: new AlertPublisher(alerts, logger, clock), redisUrl: undefined, namespace: 'test', clock, metrics: undefined as never } as Parameters<typeof createComplianceRuntime>[1], 'http://unused.invalid/graphql', undefined, { evidence, autoStart: false });
  await runtime.engine.evaluate();
});

const run = (query: string, variables: Record<string, unknown> = {}, identity: Identity | null = ADMIN) => executeSubgraph(runtime.definition, query, variables, identity);

describe('compliance results through the subgraph', () => {
  it('CIS 4.2.1 fails on the node once kube-bench reports it, the host lists it, and a PASS → FAIL raises an alert of the finding severity', async () => {
    state.fixed = false;
    advance(10);
    await runtime.engine.evaluate();
    const result = await run(`{ control(framework: CIS_KUBERNETES, id: "4.2.1") { status results { subject { key host { id } } status since evidence { observed expected reference { kind securityEvent { id } } } } } }`);
    expect(result.errors).toBeUndefined();
    const control = (result.data as { control: { status: string; results: { subject: { key: string }; status: string; since: string; evidence: { reference: { kind: string; securityEvent: { id: string } | null } }[] }[] } }).control;
    expect(control.status).toBe('FAIL');
    expect(control.results[0]).toMatchObject({ subject: { key: 'node:prod/node-a' }, status: 'FAIL', since: now.toISOString(), evidence: [{ reference: { kind: 'SECURITY_EVENT', securityEvent: { id: 'kb-prod-node-a-4.2.1' } } }] });
    const hosts = await run(`query ($r: [_Any!]!) { _entities(representations: $r) { ... on Host { id failedControls { framework id } } } }`, { r: [{ __typename: 'Host', id: 'node-a' }, { __typename: 'Host', id: 'node-b' }] });
    const [a, b] = entitiesOf<{ id: string; failedControls: { framework: string; id: string }[] }>(hosts);
    expect(a?.failedControls).toContainEqual({ framework: 'CIS_KUBERNETES', id: '4.2.1' });
    expect(b?.failedControls).not.toContainEqual({ framework: 'CIS_KUBERNETES', id: '4.2.1' });
    const raised = (await alerts.listNewestFirst({ limit: 50 })).filter((x) => x.rule === 'compliance-regression');
    expect(raised.map((x) => [x.title.split(' ').slice(0, 2).join(' '), x.severity])).toContainEqual(['CIS_KUBERNETES 4.2.1', 'HIGH']);
  });

  it('asOf answers from the history written on change; unchanged evaluations write nothing', async () => {
    const before = now.toISOString();
    advance(10);
    await runtime.engine.evaluate();
    expect(runtime.engine.status.changed).toBe(0);
    state.fixed = false;
    advance(10);
    await runtime.engine.evaluate();
    const q = `query ($t: DateTime) { control(framework: CIS_KUBERNETES, id: "4.2.1", asOf: $t) { status evaluatedAt } }`;
    expect(((await run(q, { t: before })).data as { control: { status: string } }).control.status).toBe('PASS');
    expect(((await run(q, { t: null })).data as { control: { status: string } }).control.status).toBe('FAIL');
    const history = await run(`{ complianceScoreHistory(framework: CIS_KUBERNETES) { at score passed failed } }`);
    const points = (history.data as { complianceScoreHistory: { score: number }[] }).complianceScoreHistory;
    expect(points.length).toBe(2);
    expect(points[1]!.score).toBeLessThan(points[0]!.score);
  });

  it('a waiver turns a FAIL into WAIVED until it expires (by the injected clock), records who granted it, and is refused where the control does not apply', async () => {
    state.fixed = false;
    await runtime.engine.evaluate();
    const expiresAt = new Date(now.getTime() + 60 * 60_000).toISOString();
    const waive = `mutation ($input: WaiveControlInput!) { waiveControl(input: $input) { id createdBy active } }`;
    const granted = await run(waive, { input: { framework: 'CIS_KUBERNETES', controlId: '4.2.1', subject: 'node:prod/node-a', reason: 'kubelet replaced next sprint', owner: 'platform', expiresAt } });
    expect(granted.errors).toBeUndefined();
    expect((granted.data as { waiveControl: { createdBy: string; active: boolean } }).waiveControl).toMatchObject({ createdBy: 'alice@example.org', active: true });
    const status = `{ control(framework: CIS_KUBERNETES, id: "4.2.1") { status score { failed waived } } }`;
    expect((await run(status)).data).toEqual({ control: { status: 'WAIVED', score: { failed: 0, waived: 1 } } });
    advance(61);
    expect((await run(status)).data).toEqual({ control: { status: 'FAIL', score: { failed: 1, waived: 0 } } });
    const refused = await run(waive, { input: { framework: 'NIST_800_53', controlId: 'CM-8', subject: 'cluster:prod', reason: 'x', owner: 'y', expiresAt: new Date(now.getTime() + 60_000).toISOString() } });
    expect(refused.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(refused.errors?.[0]?.message).toContain('does not apply to cluster:prod');
    const log = await run(`{ complianceWaiverLog { action by } }`);
    expect(log.data).toEqual({ complianceWaiverLog: [{ action: 'GRANTED', by: 'alice@example.org' }] });
  });

  it('complianceMatrix: control × cluster and × host group, divergent rows flagged', async () => {
    state.fixed = false;
    await runtime.engine.evaluate();
    const result = await run(`{ complianceMatrix(framework: CIS_KUBERNETES) { columns { kind name } rows { control { id } cells divergent } } }`);
    expect(result.errors).toBeUndefined();
    const matrix = (result.data as { complianceMatrix: { columns: { kind: string; name: string }[]; rows: { control: { id: string }; cells: (string | null)[]; divergent: boolean }[] } }).complianceMatrix;
    expect(matrix.columns).toEqual([{ kind: 'CLUSTER', name: 'prod' }, { kind: 'CLUSTER', name: 'staging' }]);
    expect(matrix.rows.find((r) => r.control.id === '4.2.1')).toEqual({ control: { id: '4.2.1' }, cells: ['FAIL', 'PASS'], divergent: true });
  });

  it('scores per framework, cluster, host and namespace; a tenant sees only its scope', async () => {
    state.fixed = false;
    await runtime.engine.evaluate();
    const q = `{ complianceScores(framework: CIS_KUBERNETES) { overall { passed failed } clusters { scope score { score } } } }`;
    const all = (await run(q)).data as { complianceScores: { clusters: { scope: string }[] } };
    expect(all.complianceScores.clusters.map((c) => c.scope)).toEqual(['prod', 'staging']);
    const staging = (await run(q, {}, STAGING_ONLY)).data as { complianceScores: { clusters: { scope: string }[] } };
    expect(staging.complianceScores.clusters.map((c) => c.scope)).toEqual(['staging']);
  });

  it('bad input names the argument: an unknown control is NOT_FOUND, an asOf in the future BAD_USER_INPUT', async () => {
    const missing = await run(`{ control(framework: NIST_800_53, id: "XX-99") { id } }`);
    expect(missing.errors?.[0]).toMatchObject({ message: 'control XX-99 not found in framework NIST_800_53', extensions: { code: 'NOT_FOUND' } });
    const future = await run(`{ controls(asOf: "2999-01-01T00:00:00Z") { id } }`);
    expect(future.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(future.errors?.[0]?.message).toContain('asOf');
    const unknownFramework = await run(`{ controls(framework: NOT_A_FRAMEWORK) { id } }`);
    expect(unknownFramework.errors?.[0]?.message).toContain('NOT_A_FRAMEWORK');
  });

  it('queries never gather evidence: only evaluations do', async () => {
    const gathers = evidence.gathers;
    await run(`{ controls { id status } }`);
    await run(`{ complianceScores(framework: NIST_800_53) { overall { score } } }`);
    expect(evidence.gathers).toBe(gathers);
  });
});
