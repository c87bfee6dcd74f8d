import { z } from 'zod';
import { ALWAYS_CHECK, requireSecretInProduction } from '@vigil/lib/base-config';
import { runSubgraphService, serviceConfigShape } from '@vigil/lib/subgraph-main';
import { clusterConfig, clusterOverrides, requireWebhookAuthInProduction } from './config.js';
import { createClusterRuntime } from './runtime.js';
import { SECURITY_EVENT_LAYOUT } from './store/security-event-keys.js';

const schema = z
  .object({ ...serviceConfigShape, cluster: clusterConfig.prefault({}) })
  .strict()
  .superRefine(requireSecretInProduction, ALWAYS_CHECK)
  .superRefine(requireWebhookAuthInProduction, ALWAYS_CHECK);

await runSubgraphService('cluster', schema, clusterOverrides, (config) => config.cluster, (config, shared) => createClusterRuntime(config, shared), [SECURITY_EVENT_LAYOUT]);
