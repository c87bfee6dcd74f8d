import type { Clock } from '@vigil/lib/clock';
import type { Identity } from '@vigil/lib/identity';
import type { Logger } from '@vigil/lib/logger';
import { tenantFilter, type TenantFilter } from '@vigil/lib/tenancy';
import type { Catalogue } from './catalogue.js';
import type { ComplianceEngine } from './engine.js';
import type { ResultStore } from './store/result-store.js';
import { ActiveWaivers, type Waiver, type WaiverStore } from './store/waiver-store.js';
import { ResultIndex } from './result-index.js';
import { NO_WAIVERS, ResultsView } from './view.js';

export interface ComplianceDeps {
  catalogue: Catalogue;
  engine: ComplianceEngine;
  store: ResultStore;
  waivers: WaiverStore;
  logger: Logger;
  clock: Clock;
}

export interface ComplianceContext {
  deps: ComplianceDeps;
  identity: Identity | null;
  tenants: TenantFilter;
  /** The caller's view of the results now, or at `asOf` (read from the history); one per time per request. */
  view(asOf?: string | null): Promise<ResultsView>;
  /** Every waiver, read once per request. */
  waivers(): Promise<Waiver[]>;
  /** A waiver by id (null: none), from one map per request: a page of results looks each up without scanning. */
  waiverById(id: string): Promise<Waiver | null>;
}

export function createComplianceContextFactory(deps: ComplianceDeps) {
  return async (request: { identity: Identity | null }): Promise<ComplianceContext> => {
    const tenants = tenantFilter(request.identity);
    const views = new Map<string, Promise<ResultsView>>();
    let waiverList: Promise<Waiver[]> | null = null;
    const waivers = () => (waiverList ??= deps.waivers.list());
    let waiverMap: Promise<Map<string, Waiver>> | null = null;
    const waiverById = async (id: string): Promise<Waiver | null> => (await (waiverMap ??= waivers().then((list) => new Map(list.map((w) => [w.id, w]))))).get(id) ?? null;
    const view = (asOf?: string | null): Promise<ResultsView> => {
      const key = asOf ?? 'now';
      let pending = views.get(key);
      if (!pending) {
        pending = (async () => {
          const at = asOf ? new Date(asOf) : deps.clock();
          const active = new ActiveWaivers(await waivers(), at);
          const waiver = active.size === 0 ? NO_WAIVERS : (framework: Waiver['framework'], controlId: string, subjectKey: string) => active.covering(framework, controlId, subjectKey)?.id ?? null;
          if (!asOf) return new ResultsView(deps.catalogue, deps.engine.index(), tenants, waiver, deps.engine.status.lastRunAt);
          const index = deps.engine.index();
          const past = await deps.store.resultsAt(asOf, deps.engine.currentResults());
          return new ResultsView(deps.catalogue, new ResultIndex(past.values(), index), tenants, waiver, past.size > 0 ? asOf : null);
        })();
        views.set(key, pending);
      }
      return pending;
    };
    return { deps, identity: request.identity, tenants, view, waivers, waiverById };
  };
}
