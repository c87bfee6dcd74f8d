import { z } from 'zod';
import { ALWAYS_CHECK, configValueAt, isSetString, requireSecretInProduction } from '@vigil/lib/base-config';
import { runSubgraphService, serviceConfigShape } from '@vigil/lib/subgraph-main';
import { complianceConfig, complianceOverrides } from './config.js';
import { createComplianceRuntime } from './runtime.js';

const schema = z
  .object({ ...serviceConfigShape, compliance: complianceConfig.prefault({}) })
  .strict()
  .superRefine(requireSecretInProduction, ALWAYS_CHECK)
  .superRefine((config: unknown, ctx) => {
    // Its evidence comes through the gateway, which refuses unauthenticated callers in production.
    if (configValueAt(config, 'env') === 'production' && !isSetString(configValueAt(config, 'compliance', 'gatewayApiKey'))) {
      ctx.addIssue({ code: 'custom', path: ['compliance', 'gatewayApiKey'], message: 'required when env is production (the gateway answers 401 without it)' });
    }
  }, ALWAYS_CHECK);

await runSubgraphService('compliance', schema, complianceOverrides, (config) => config.compliance, (config, shared) => createComplianceRuntime(config, shared));
