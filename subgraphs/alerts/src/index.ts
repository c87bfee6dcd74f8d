import { z } from 'zod';
import { ALWAYS_CHECK, requireSecretInProduction } from '@vigil/lib/base-config';
import { runSubgraphService, serviceConfigShape } from '@vigil/lib/subgraph-main';
import { alertsConfig } from './config.js';
import { createAlertsRuntime } from './runtime.js';

// The alerts subgraph reads the same log every publisher writes to (the Redis Stream).

const schema = z
  .object({ ...serviceConfigShape, alerts: alertsConfig.prefault({}) })
  .strict()
  .superRefine(requireSecretInProduction, ALWAYS_CHECK);

await runSubgraphService('alerts', schema, [], (config) => config.alerts, (config, _shared, alertLog) => createAlertsRuntime(config, alertLog));
