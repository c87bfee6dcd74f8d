import type { Clock } from '@vigil/lib/clock';
import type { Identity } from '@vigil/lib/identity';
import type { Logger } from '@vigil/lib/logger';
import { tenantFilter, type TenantFilter } from '@vigil/lib/tenancy';
import type { Catalogue } from './catalogue.js';
import type { ComplianceEngine } from './engine.js';
import type { ResultStore } from './store/result-store.js';
import type { MemoryWaiverStore } from './store/waiver-store.js';
import { ResultsView } from './view.js';

export interface ComplianceDeps {
  catalogue: Catalogue;
  engine: ComplianceEngine;
  store: ResultStore;
  waivers: MemoryWaiverStore;
  logger: Logger;
  clock: Clock;
}

export interface ComplianceContext {
  deps: ComplianceDeps;
  identity: Identity | null;
  tenants: TenantFilter;
  /** The caller's view of the results now, or at `asOf` (read from the history); one per time per request. */
  view(asOf?: string | null): Promise<ResultsView>;
}

export function createComplianceContextFactory(deps: ComplianceDeps) {
  return async (request: { identity: Identity | null }): Promise<ComplianceContext> => {
    const tenants = tenantFilter(request.identity);
    const views = new Map<string, Promise<ResultsView>>();
    const view = (asOf?: string | null): Promise<ResultsView> => {
      const key = asOf ?? 'now';
      let pending = views.get(key);
      if (!pending) {
        pending = (async () => {
          const at = asOf ? new Date(asOf) : deps.clock();
          const waiver = (framework: Parameters<MemoryWaiverStore['active']>[0], controlId: string, subjectKey: string) => deps.waivers.active(framework, controlId, subjectKey, at)?.id ?? null;
          if (!asOf) return new ResultsView(deps.catalogue, deps.engine.results(), tenants, waiver, deps.engine.status.lastRunAt);
          const past = await deps.store.resultsAt(asOf);
          return new ResultsView(deps.catalogue, past.values(), tenants, waiver, past.size > 0 ? asOf : null);
        })();
        views.set(key, pending);
      }
      return pending;
    };
    return { deps, identity: request.identity, tenants, view };
  };
}
