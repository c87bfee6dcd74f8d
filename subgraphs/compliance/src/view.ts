import type { TenantFilter } from '@vigil/lib/tenancy';
import { controlKey, importedFrameworks, type Catalogue, type CatalogueControl } from './catalogue.js';
import type { FrameworkId } from './frameworks.js';
import { keyOfSubject, type EvidenceItem, type StoredResult, type Subject } from './results.js';

/** A result as a caller sees it: WAIVED when an active waiver covers a FAIL. */
export type ViewStatus = StoredResult['status'] | 'WAIVED';
export interface ViewResult extends StoredResult {
  viewStatus: ViewStatus;
  waiverId: string | null;
}

/** A control as listed for one framework: from the catalogue, or imported from what a tool reported. */
export interface ViewControl {
  framework: FrameworkId;
  id: string;
  title: string;
  description: string;
  evaluator: string | null;
  mapsTo: { framework: FrameworkId; id: string }[];
  related: { framework: FrameworkId; id: string }[];
  imported: boolean;
}

/** Whether an active waiver covers this control and subject (applied when read, measured by the clock). */
export type WaiverLookup = (framework: FrameworkId, controlId: string, subjectKey: string) => string | null;

/** The results one caller may see at one time, indexed by control. Built once per request. */
export class ResultsView {
  private readonly byControl = new Map<string, ViewResult[]>();

  constructor(
    readonly catalogue: Catalogue,
    results: Iterable<StoredResult>,
    tenants: TenantFilter,
    waiver: WaiverLookup,
    /** null: nothing was ever evaluated. */
    readonly evaluatedAt: string | null,
  ) {
    for (const r of results) {
      if (!visible(r.subject, tenants)) continue;
      const key = controlKey(r.framework, r.controlId);
      const waiverId = r.status === 'FAIL' ? waiver(r.framework, r.controlId, keyOfSubject(r.subject)) : null;
      const list = this.byControl.get(key) ?? [];
      list.push({ ...r, viewStatus: waiverId ? 'WAIVED' : r.status, waiverId });
      this.byControl.set(key, list);
    }
  }

  controls(framework: FrameworkId | null): ViewControl[] {
    const out: ViewControl[] = this.catalogue.controls.filter((c) => framework === null || c.framework === framework).map(fromCatalogue);
    const imported = importedFrameworks(this.catalogue);
    const listed = new Set(out.map((c) => controlKey(c.framework, c.id)));
    for (const [key, results] of this.byControl) {
      const first = results[0];
      if (!first || listed.has(key) || !imported.has(first.framework) || (framework !== null && first.framework !== framework)) continue;
      listed.add(key);
      out.push({ framework: first.framework, id: first.controlId, title: first.controlTitle, description: `${first.controlTitle} (imported as the tool reports it).`, evaluator: this.catalogue.imports.find((i) => i.framework === first.framework)?.evaluator ?? null, mapsTo: [], related: [], imported: true });
    }
    return out;
  }

  control(framework: FrameworkId, id: string): ViewControl | null {
    const listed = this.catalogue.controls.find((c) => c.framework === framework && c.id === id);
    if (listed) return fromCatalogue(listed);
    return this.controls(framework).find((c) => c.id === id) ?? null;
  }

  /** A control's results; a mapping's are the worst of its targets' per subject, evidence joined. */
  results(control: Pick<ViewControl, 'framework' | 'id' | 'mapsTo'>): ViewResult[] {
    if (control.mapsTo.length === 0) return this.byControl.get(controlKey(control.framework, control.id)) ?? [];
    const bySubject = new Map<string, ViewResult>();
    for (const target of control.mapsTo) {
      for (const r of this.byControl.get(controlKey(target.framework, target.id)) ?? []) {
        const key = keyOfSubject(r.subject);
        const evidence: EvidenceItem[] = r.evidence.map((e) => ({ ...e, source: `${target.framework} ${target.id}: ${e.source}` }));
        const prior = bySubject.get(key);
        if (!prior) bySubject.set(key, { ...r, framework: control.framework, controlId: control.id, evidence });
        else {
          const worse = RANK[r.viewStatus] > RANK[prior.viewStatus];
          bySubject.set(key, { ...(worse ? r : prior), framework: control.framework, controlId: control.id, evidence: [...prior.evidence, ...evidence], since: worse ? r.since : prior.since });
        }
      }
    }
    const merged = [...bySubject.values()];
    // A whole-control NOT_APPLICABLE of one target does not hide another target's subjects.
    return merged.some((r) => r.subject !== null) ? merged.filter((r) => !(r.subject === null && r.viewStatus === 'NOT_APPLICABLE')) : merged;
  }
}

/** FAIL over ERROR over WAIVED over PASS over NOT_APPLICABLE: a control is as good as its worst subject. */
const RANK: Record<ViewStatus, number> = { FAIL: 4, ERROR: 3, WAIVED: 2, PASS: 1, NOT_APPLICABLE: 0 };

export function worstStatus(statuses: Iterable<ViewStatus>): ViewStatus | null {
  let worst: ViewStatus | null = null;
  for (const s of statuses) if (worst === null || RANK[s] > RANK[worst]) worst = s;
  return worst;
}

function fromCatalogue(c: CatalogueControl): ViewControl {
  return { framework: c.framework, id: c.id, title: c.title, description: c.description, evaluator: c.evaluator, mapsTo: c.mapsTo ?? [], related: c.related, imported: false };
}

function visible(subject: Subject | null, tenants: TenantFilter): boolean {
  if (tenants.unrestricted || subject === null) return true;
  if (subject.kind === 'HOST') return tenants.hostLabels(subject.labels);
  return subject.cluster !== null && tenants.cluster(subject.cluster);
}

/** Pass/fail counts and the score (passed / (passed + failed)); waived and not-applicable results count in neither. */
export interface Score {
  passed: number;
  failed: number;
  waived: number;
  errors: number;
  notApplicable: number;
  score: number | null;
}

export function scoreOf(results: Iterable<{ viewStatus: ViewStatus }>): Score {
  const s: Score = { passed: 0, failed: 0, waived: 0, errors: 0, notApplicable: 0, score: null };
  for (const r of results) {
    if (r.viewStatus === 'PASS') s.passed++;
    else if (r.viewStatus === 'FAIL') s.failed++;
    else if (r.viewStatus === 'WAIVED') s.waived++;
    else if (r.viewStatus === 'ERROR') s.errors++;
    else s.notApplicable++;
  }
  s.score = s.passed + s.failed === 0 ? null : s.passed / (s.passed + s.failed);
  return s;
}

/** The scope a subject belongs to, for scores per cluster / host / namespace. */
export const clusterOf = (s: Subject | null) => s?.cluster ?? null;
export const hostOf = (s: Subject | null) => (s?.kind === 'HOST' ? s.name : s?.kind === 'NODE' ? s.name : null);
export const namespaceOf = (s: Subject | null) => (s && s.cluster && s.namespace ? `${s.cluster}/${s.namespace}` : null);

/** Every result of a framework's controls (mappings resolved). */
export function frameworkResults(view: ResultsView, framework: FrameworkId): { control: ViewControl; results: ViewResult[] }[] {
  return view.controls(framework).map((control) => ({ control, results: view.results(control) }));
}
