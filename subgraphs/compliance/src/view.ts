import type { TenantFilter } from '@vigil/lib/tenancy';
import { controlKey, importedFrameworks, type Catalogue, type CatalogueControl } from './catalogue.js';
import type { FrameworkId } from './frameworks.js';
import { ResultIndex } from './result-index.js';
import { hostOf, keyOfSubject, type EvidenceItem, type StoredResult, type Subject } from './results.js';

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

/** No waiver is active: results are read without building their subject keys. */
export const NO_WAIVERS: WaiverLookup = () => null;

/**
 * The results one caller may see at one time. One per request over the index the engine built when it
 * wrote the results: a control's results are filtered by the caller's tenants and waivers when first
 * read (then kept for the request), so a query pays for the controls it reads, not for every result.
 */
export class ResultsView {
  private readonly index: ResultIndex;
  private readonly visibleByControl = new Map<string, ViewResult[]>();
  private readonly mapped = new Map<string, ViewResult[]>();
  private readonly failingHosts = new Map<string, ReadonlySet<string>>();
  private allControls: ViewControl[] | null = null;

  constructor(
    readonly catalogue: Catalogue,
    results: Iterable<StoredResult> | ResultIndex,
    private readonly tenants: TenantFilter,
    private readonly waiver: WaiverLookup,
    /** null: nothing was ever evaluated. */
    readonly evaluatedAt: string | null,
  ) {
    this.index = results instanceof ResultIndex ? results : new ResultIndex(results);
  }

  controls(framework: FrameworkId | null): ViewControl[] {
    if (framework === null && this.allControls) return this.allControls;
    const out: ViewControl[] = this.catalogue.controls.filter((c) => framework === null || c.framework === framework).map(fromCatalogue);
    const imported = importedFrameworks(this.catalogue);
    const listed = new Set(out.map((c) => controlKey(c.framework, c.id)));
    for (const key of this.index.controlKeys()) {
      const first = this.index.resultsOf(key)[0];
      if (!first || listed.has(key) || !imported.has(first.framework) || (framework !== null && first.framework !== framework)) continue;
      // An imported control exists for the caller only through results it may see.
      if (this.visible(key).length === 0) continue;
      listed.add(key);
      out.push({ framework: first.framework, id: first.controlId, title: first.controlTitle, description: `${first.controlTitle} (imported as the tool reports it).`, evaluator: this.catalogue.imports.find((i) => i.framework === first.framework)?.evaluator ?? null, mapsTo: [], related: [], imported: true });
    }
    if (framework === null) this.allControls = out;
    return out;
  }

  control(framework: FrameworkId, id: string): ViewControl | null {
    const listed = this.catalogue.controls.find((c) => c.framework === framework && c.id === id);
    if (listed) return fromCatalogue(listed);
    return this.controls(framework).find((c) => c.id === id) ?? null;
  }

  /**
   * Controls failing (FAIL after waivers) for a host, in `controls(null)` order: the index names the
   * evaluated controls with a stored FAIL for it; only those, and the mappings onto them, are read.
   */
  failedControlsOf(hostId: string): ViewControl[] {
    const candidates = this.index.failingControlsOf(hostId);
    if (candidates.size === 0) return [];
    return this.controls(null).filter((control) => {
      const key = controlKey(control.framework, control.id);
      const mayFail = control.mapsTo.length === 0 ? candidates.has(key) : control.mapsTo.some((t) => candidates.has(controlKey(t.framework, t.id)));
      return mayFail && this.hostsFailing(control).has(hostId);
    });
  }

  private hostsFailing(control: ViewControl): ReadonlySet<string> {
    const key = controlKey(control.framework, control.id);
    let hosts = this.failingHosts.get(key);
    if (!hosts) {
      const ids = new Set<string>();
      for (const r of this.results(control)) {
        const host = hostOf(r.subject);
        if (host !== null && r.viewStatus === 'FAIL') ids.add(host);
      }
      hosts = ids;
      this.failingHosts.set(key, hosts);
    }
    return hosts;
  }

  /**
   * The caller's results of an evaluated control (or an imported one), waivers applied. The index's
   * objects are shared when nothing hides or waives one of them (the common case: no per-request copy).
   */
  private visible(key: string): ViewResult[] {
    let list = this.visibleByControl.get(key);
    if (!list) {
      const source = this.index.resultsOf(key);
      if (this.tenants.unrestricted && this.waiver === NO_WAIVERS) {
        this.visibleByControl.set(key, source as ViewResult[]);
        return source as ViewResult[];
      }
      let out: ViewResult[] | null = null;
      source.forEach((r, i) => {
        const shown = visible(r.subject, this.tenants);
        const waiverId = shown && r.status === 'FAIL' && this.waiver !== NO_WAIVERS ? this.waiver(r.framework, r.controlId, keyOfSubject(r.subject)) : null;
        if (out === null && shown && waiverId === null) return;
        out ??= source.slice(0, i);
        if (!shown) return;
        out.push(waiverId === null ? r : { ...r, viewStatus: 'WAIVED', waiverId });
      });
      list = out ?? (source as ViewResult[]);
      this.visibleByControl.set(key, list);
    }
    return list;
  }

  /** A control's results; a mapping's are the worst of its targets' per subject, evidence joined. */
  results(control: Pick<ViewControl, 'framework' | 'id' | 'mapsTo'>): ViewResult[] {
    if (control.mapsTo.length === 0) return this.visible(controlKey(control.framework, control.id));
    const memoKey = controlKey(control.framework, control.id);
    const memo = this.mapped.get(memoKey);
    if (memo) return memo;
    const bySubject = new Map<string, ViewResult>();
    for (const target of control.mapsTo) {
      for (const r of this.visible(controlKey(target.framework, target.id))) {
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
    const out = merged.some((r) => r.subject !== null) ? merged.filter((r) => !(r.subject === null && r.viewStatus === 'NOT_APPLICABLE')) : merged;
    this.mapped.set(memoKey, out);
    return out;
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
export { hostOf };
export const namespaceOf = (s: Subject | null) => (s && s.cluster && s.namespace ? `${s.cluster}/${s.namespace}` : null);

/** Every result of a framework's controls (mappings resolved). */
export function frameworkResults(view: ResultsView, framework: FrameworkId): { control: ViewControl; results: ViewResult[] }[] {
  return view.controls(framework).map((control) => ({ control, results: view.results(control) }));
}
