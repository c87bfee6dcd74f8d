import { badInput, VigilError } from '@vigil/lib/errors';
import type { MutationResolvers, QueryResolvers } from '../__generated__/resolvers-types.js';
import type { FrameworkId } from '../frameworks.js';
import type { FrameworkScoresRecord, MatrixRowRecord } from '../models.js';
import { keyOfSubject } from '../results.js';
import { isActive } from '../store/waiver-store.js';
import { clusterOf, frameworkResults, hostOf, namespaceOf, scoreOf, worstStatus, type ResultsView, type ViewResult } from '../view.js';
import { asOfArg } from './as-of.js';
import { resultsOf } from './control.js';

function notFound(framework: string, id: string): VigilError {
  return new VigilError('NOT_FOUND', `control ${id} not found in framework ${framework}`, { details: { argument: 'id', framework, id } });
}

function grouped(results: ViewResult[], scopeOf: (r: ViewResult) => string | null): { scope: string; score: ReturnType<typeof scoreOf> }[] {
  const groups = new Map<string, ViewResult[]>();
  for (const r of results) {
    const scope = scopeOf(r);
    if (scope !== null) groups.set(scope, [...(groups.get(scope) ?? []), r]);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([scope, rs]) => ({ scope, score: scoreOf(rs) }));
}

function scores(view: ResultsView, framework: FrameworkId): FrameworkScoresRecord {
  const results = frameworkResults(view, framework).flatMap(({ control }) => resultsOf({ control, view }));
  return {
    framework,
    evaluatedAt: view.evaluatedAt,
    overall: scoreOf(results),
    clusters: grouped(results, (r) => clusterOf(r.subject)),
    hosts: grouped(results, (r) => hostOf(r.subject)),
    namespaces: grouped(results, (r) => namespaceOf(r.subject)),
  };
}

export const Query: QueryResolvers = {
  controls: async (_parent, { framework, asOf }, { view, deps }) => {
    const v = await view(asOfArg(asOf, deps.clock()));
    return v.controls(framework ?? null).map((control) => ({ control, view: v }));
  },
  control: async (_parent, { framework, id, asOf }, { view, deps }) => {
    const v = await view(asOfArg(asOf, deps.clock()));
    const control = v.control(framework, id);
    if (!control) throw notFound(framework, id);
    return { control, view: v };
  },
  complianceScores: async (_parent, { framework, asOf }, { view, deps }) => scores(await view(asOfArg(asOf, deps.clock())), framework),
  complianceScoreHistory: async (_parent, { framework, from, to }, { deps }) => {
    const end = to ?? deps.clock().toISOString();
    const start = from ?? new Date(Date.parse(end) - 30 * 86_400_000).toISOString();
    if (Number.isNaN(Date.parse(start)) || Number.isNaN(Date.parse(end))) throw badInput('from/to must be date-times', { argument: Number.isNaN(Date.parse(start)) ? 'from' : 'to' });
    if (start > end) throw badInput('from must not be after to', { argument: 'from' });
    return deps.store.scores(framework, start, end);
  },
  complianceMatrix: async (_parent, { framework, hostGroupLabel, asOf }, { view, deps }) => {
    const v = await view(asOfArg(asOf, deps.clock()));
    const label = hostGroupLabel ?? null;
    if (label !== null && (label.length === 0 || label.length > 253)) throw badInput('hostGroupLabel must be 1 to 253 characters', { argument: 'hostGroupLabel' });
    const controls = frameworkResults(v, framework);
    const columnOf = (r: ViewResult): string | null => {
      const s = r.subject;
      if (s === null) return null;
      if (s.kind === 'HOST') return label !== null && s.labels[label] !== undefined ? `HOST_GROUP ${label}=${s.labels[label]}` : null;
      return s.cluster ? `CLUSTER ${s.cluster}` : null;
    };
    // One pass over each control's results: its worst status per column (the matrix is read by
    // dashboards over thousands of results, so no pass per column).
    const columns = new Set<string>();
    const worstByControl = controls.map(({ control }) => {
      const worst = new Map<string, ViewResult['viewStatus']>();
      for (const r of resultsOf({ control, view: v })) {
        const c = columnOf(r);
        if (c === null) continue;
        columns.add(c);
        const prior = worst.get(c);
        worst.set(c, prior === undefined ? r.viewStatus : (worstStatus([prior, r.viewStatus]) ?? prior));
      }
      return worst;
    });
    const ordered = [...columns].sort((a, b) => (a.startsWith('CLUSTER') === b.startsWith('CLUSTER') ? a.localeCompare(b) : a.startsWith('CLUSTER') ? -1 : 1));
    const rows: MatrixRowRecord[] = controls.map(({ control }, i) => {
      const cells = ordered.map((column) => worstByControl[i]?.get(column) ?? null);
      return { control: { control, view: v }, cells, divergent: cells.includes('PASS') && cells.includes('FAIL') };
    });
    return { framework, columns: ordered.map((c) => ({ kind: c.split(' ')[0]!, name: c.slice(c.indexOf(' ') + 1) })), rows };
  },
  complianceWaivers: async (_parent, { activeOnly }, { deps, waivers }) => {
    const now = deps.clock();
    return (await waivers()).filter((w) => !activeOnly || isActive(w, now)).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  },
  complianceWaiverLog: (_parent, _args, { deps }) => deps.waivers.log(),
  complianceEvaluation: (_parent, _args, { deps }) => ({ catalogueVersion: deps.catalogue.version, ...deps.engine.status }),
};

export const Mutation: MutationResolvers = {
  waiveControl: async (_parent, { input }, { view, deps, identity }) => {
    const now = deps.clock();
    const v = await view();
    const control = v.control(input.framework, input.controlId);
    if (!control) throw notFound(input.framework, input.controlId);
    const reason = input.reason.trim();
    const owner = input.owner.trim();
    if (reason.length === 0 || reason.length > 2000) throw badInput('input.reason must be 1 to 2000 characters', { argument: 'input.reason' });
    if (owner.length === 0 || owner.length > 200) throw badInput('input.owner must be 1 to 200 characters', { argument: 'input.owner' });
    const expires = Date.parse(input.expiresAt);
    if (Number.isNaN(expires) || expires <= now.getTime()) throw badInput(`input.expiresAt must be a date-time in the future, got ${JSON.stringify(input.expiresAt)}`, { argument: 'input.expiresAt' });
    const result = resultsOf({ control, view: v }).find((r) => keyOfSubject(r.subject) === input.subject);
    if (!result || result.subject === null) {
      throw badInput(`input.subject: ${control.framework} ${control.id} does not apply to ${input.subject}: it has no result for that subject${result?.subject === null ? ' (the control has no subjects)' : ''}`, { argument: 'input.subject' });
    }
    if (result.status === 'NOT_APPLICABLE') throw badInput(`input.subject: ${control.framework} ${control.id} does not apply to ${input.subject}: ${result.evidence[0]?.summary ?? 'not applicable'}`, { argument: 'input.subject' });
    return deps.waivers.grant({ framework: control.framework, controlId: control.id, subjectKey: input.subject, reason, owner, expiresAt: new Date(expires).toISOString(), createdBy: identity?.subject ?? 'unknown', createdAt: now.toISOString() });
  },
  revokeWaiver: async (_parent, { id }, { deps, identity }) => {
    const waiver = await deps.waivers.revoke(id, identity?.subject ?? 'unknown', deps.clock().toISOString());
    if (!waiver) throw new VigilError('NOT_FOUND', `waiver ${id} not found`, { details: { argument: 'id' } });
    return waiver;
  },
  evaluateCompliance: async (_parent, _args, { deps }) => {
    await deps.engine.evaluate();
    return { catalogueVersion: deps.catalogue.version, ...deps.engine.status };
  },
};
