import { z } from 'zod';
import { ALWAYS_CHECK, requireSecretInProduction } from '@vigil/lib/base-config';
import { runSubgraphService, serviceConfigShape } from '@vigil/lib/subgraph-main';
import { complianceConfig, complianceOverrides } from './config.js';
import { createComplianceRuntime } from './runtime.js';

const schema = z
  .object({ ...serviceConfigShape, compliance: complianceConfig.prefault({}) })
  .strict()
  .superRefine(requireSecretInProduction, ALWAYS_CHECK);

await runSubgraphService('compliance', schema, complianceOverrides, (config) => config.compliance, (config, shared) => createComplianceRuntime(config, shared));
