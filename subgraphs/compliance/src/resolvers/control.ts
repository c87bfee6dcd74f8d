import { pageAfter, pageSize } from '@vigil/lib/cursor';
import type { ControlResolvers, ControlResultResolvers, ComplianceSubjectResolvers, EvidenceReferenceResolvers, EvidenceResolvers, HostResolvers, ControlWaiverResolvers } from '../__generated__/resolvers-types.js';
import { hostOf, keyOfSubject, subjectKey } from '../results.js';
import type { ControlRecord, ResultRecord } from '../models.js';
import { isActive } from '../store/waiver-store.js';
import { scoreOf, worstStatus, type ViewResult } from '../view.js';

const RANK = { FAIL: 4, ERROR: 3, WAIVED: 2, PASS: 1, NOT_APPLICABLE: 0 } as const;

/** A control's results, or the one whole-control result that says why it has none. */
export function resultsOf({ control, view }: ControlRecord): ViewResult[] {
  const results = view.results(control);
  if (results.length > 0) return results;
  const at = view.evaluatedAt ?? '1970-01-01T00:00:00.000Z';
  const summary = view.evaluatedAt === null ? 'Not evaluated yet: evaluation runs on a schedule after start (or evaluateCompliance).' : 'No result in the caller\u2019s scope: the evidence names no subject this control applies to.';
  return [{ framework: control.framework, controlId: control.id, controlTitle: control.title, subject: null, status: view.evaluatedAt === null ? 'ERROR' : 'NOT_APPLICABLE', viewStatus: view.evaluatedAt === null ? 'ERROR' : 'NOT_APPLICABLE', since: at, severity: 'INFO', waiverId: null, evidence: [{ source: 'compliance', summary, satisfied: view.evaluatedAt !== null, observed: null, expected: null, hostId: null, observedAt: null, reference: null }] }];
}

export const Control: ControlResolvers = {
  __resolveReference: async (ref, { view }) => {
    const v = await view();
    const control = v.control(ref.framework, ref.id);
    return control ? { control, view: v } : null;
  },
  framework: ({ control }) => control.framework,
  id: ({ control }) => control.id,
  title: ({ control }) => control.title,
  description: ({ control }) => control.description,
  status: (record) => worstStatus(resultsOf(record).map((r) => r.viewStatus)) ?? 'NOT_APPLICABLE',
  evaluatedAt: ({ view }) => view.evaluatedAt,
  evaluator: ({ control }) => control.evaluator,
  mapsTo: ({ control }) => control.mapsTo,
  results: (record, { status, first }) => {
    const limit = Math.min(Math.max(first ?? 200, 1), 1000);
    return resultsOf(record)
      .filter((r) => status == null || r.viewStatus === status)
      .sort((a, b) => RANK[b.viewStatus] - RANK[a.viewStatus] || keyOfSubject(a.subject).localeCompare(keyOfSubject(b.subject)))
      .slice(0, limit)
      .map((r) => ({ ...r, view: record.view }));
  },
  score: (record) => scoreOf(resultsOf(record)),
  evidence: (record) => resultsOf(record).flatMap((r) => r.evidence).slice(0, 200),
  failingHosts: (record, { first, after }) => {
    const size = pageSize(first, 100, 1000);
    const ids = new Set<string>();
    for (const r of resultsOf(record)) {
      const host = hostOf(r.subject);
      if (r.viewStatus === 'FAIL' && host !== null) ids.add(host);
    }
    const hosts = [...ids].sort().map((id) => ({ id }));
    return { ...pageAfter(hosts, (host) => host.id, size, after), totalCount: hosts.length };
  },
  relatedControls: ({ control }) => control.related,
};

export const ControlResult: ControlResultResolvers = {
  status: (r: ResultRecord) => r.viewStatus,
  waiver: (r, _args, { waiverById }) => (r.waiverId ? waiverById(r.waiverId) : null),
};

export const ComplianceSubject: ComplianceSubjectResolvers = {
  key: (s) => subjectKey(s),
  host: (s) => (s.kind === 'HOST' || s.kind === 'NODE' ? { id: s.name } : null),
};

export const Evidence: EvidenceResolvers = {
  host: (e) => (e.hostId ? { id: e.hostId } : null),
};

export const EvidenceReference: EvidenceReferenceResolvers = {
  securityEvent: (r) => (r.kind === 'SECURITY_EVENT' ? { id: r.securityEventId } : null),
  host: (r) => (r.kind === 'HOST_FACT' ? { id: r.hostId } : null),
  field: (r) => (r.kind === 'HOST_FACT' ? r.fact : r.kind === 'AUDIT_QUERY' ? r.query : r.kind === 'CLUSTER_SOURCE' ? r.source : null),
  key: (r) => (r.kind === 'HOST_FACT' ? r.key : null),
  cluster: (r) => (r.kind === 'CLUSTER_SOURCE' ? r.cluster : null),
  from: (r) => (r.kind === 'AUDIT_QUERY' ? r.from : null),
  to: (r) => (r.kind === 'AUDIT_QUERY' ? r.to : null),
};

export const ControlWaiver: ControlWaiverResolvers = {
  control: (w) => ({ framework: w.framework, id: w.controlId }),
  subject: (w) => w.subjectKey,
  active: (w, _args, { deps }) => isActive(w, deps.clock()),
};

export const Host: HostResolvers = {
  __resolveReference: (ref) => ({ id: ref.id }),
  failedControls: async (host, _args, { view }) => {
    const v = await view();
    return v.failedControlsOf(host.id).map((control) => ({ control, view: v }));
  },
};
