import { configurationSettings, leastPrivilege, listeningPortsAllowListed } from './host-configuration.js';
import { inventoryProbed } from './inventory-probed.js';
import { kubeBenchCheck, kubeBenchChecks } from './kube-bench.js';
import { auditEventsFromEveryCluster, auditPolicyCoverage, falcoFromEveryNode } from './monitoring.js';
import { organisationMapping } from './organisation-mapping.js';
import { kyvernoPolicies, trivyCompliance } from './policy-imports.js';
import type { ControlEvaluator, Evaluator, ImportEvaluator } from './types.js';
import { vulnerabilityRemediation } from './vulnerability-remediation.js';

/** Every evaluator that exists. A catalogue naming any other is rejected at start, naming the entry. */
export const EVALUATORS: ReadonlyMap<string, Evaluator> = new Map(
  (
    [
      inventoryProbed,
      kubeBenchCheck,
      configurationSettings,
      listeningPortsAllowListed,
      leastPrivilege,
      vulnerabilityRemediation,
      falcoFromEveryNode,
      auditEventsFromEveryCluster,
      auditPolicyCoverage,
      organisationMapping,
      kubeBenchChecks,
      kyvernoPolicies,
      trivyCompliance,
    ] as Evaluator[]
  ).map((e) => [e.name, e]),
);

export function controlEvaluator(name: string): ControlEvaluator<unknown> | undefined {
  const e = EVALUATORS.get(name);
  return e?.kind === 'control' ? e : undefined;
}

export function importEvaluator(name: string): ImportEvaluator | undefined {
  const e = EVALUATORS.get(name);
  return e?.kind === 'import' ? e : undefined;
}
