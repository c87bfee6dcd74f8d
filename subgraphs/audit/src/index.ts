import { z } from 'zod';
import { ALWAYS_CHECK, requireSecretInProduction } from '@vigil/lib/base-config';
import { runSubgraphService, serviceConfigShape } from '@vigil/lib/subgraph-main';
import { auditConfig, auditOverrides } from './config.js';
import { createAuditRuntime } from './runtime.js';

const schema = z
  .object({ ...serviceConfigShape, audit: auditConfig.prefault({}) })
  .strict()
  .superRefine(requireSecretInProduction, ALWAYS_CHECK);

await runSubgraphService('audit', schema, auditOverrides, (config) => config.audit, (config, shared) => createAuditRuntime(config, shared));
