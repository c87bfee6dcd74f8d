import DataLoader from 'dataloader';
import type { Identity } from '@vigil/lib/identity';
import { tenantFilter, type TenantFilter } from '@vigil/lib/tenancy';
import { describeError } from '@vigil/lib/errors';
import type { Logger } from '@vigil/lib/logger';
import type { Catalogue, CatalogueControl, EvaluatorName } from './catalogue.js';
import { evaluateInventoryProbed, type Evaluation } from './evaluators/inventory-probed.js';
import type { EvidenceSource } from './evidence-source.js';
import type { ControlRecord } from './models.js';

export interface ComplianceDeps {
  catalogue: Catalogue;
  evidence: EvidenceSource;
  maxProbeAgeHours: number;
  logger: Logger;
  now?: () => Date;
}

export interface ComplianceContext {
  catalogue: Catalogue;
  /** Evaluates each evaluator at most once per request, however many controls and hosts ask. */
  evaluations: DataLoader<EvaluatorName, Evaluation>;
  record(control: CatalogueControl): Promise<ControlRecord>;
}

export function createComplianceContextFactory(deps: ComplianceDeps) {
  const now = deps.now ?? (() => new Date());
  const evaluate = async (name: EvaluatorName, tenants: TenantFilter): Promise<Evaluation> => {
    switch (name) {
      case 'inventory-probed-within-24h':
        try {
          // Scored over the hosts the caller's tenants cover: another tenant's hosts neither fail nor show here.
          return evaluateInventoryProbed((await deps.evidence.hostProbeEvidence()).filter((host) => tenants.hostLabels(host.labels)), now(), deps.maxProbeAgeHours);
        } catch (error) {
          deps.logger.warn({ err: describeError(error) }, 'could not gather host evidence');
          return {
            status: 'ERROR',
            evaluatedAt: now().toISOString(),
            failingHostIds: [],
            evidence: [{ source: 'hosts', summary: `Host evidence could not be fetched through the gateway: ${describeError(error)}`, satisfied: false, hostId: null, observedAt: null }],
          };
        }
    }
  };
  return async (request: { identity: Identity | null }): Promise<ComplianceContext> => {
    const tenants = tenantFilter(request.identity);
    const evaluations = new DataLoader<EvaluatorName, Evaluation>((names) => Promise.all(names.map((name) => evaluate(name, tenants))));
    return {
      catalogue: deps.catalogue,
      evaluations,
      record: async (control) => ({ control, evaluation: control.evaluator ? await evaluations.load(control.evaluator) : null }),
    };
  };
}
