import { z } from 'zod';
import { ALWAYS_CHECK, requireSecretInProduction } from '@vigil/lib/base-config';
import { runSubgraphService, serviceConfigShape } from '@vigil/lib/subgraph-main';
import { alertsConfig } from './config.js';
import { createAlertsRuntime } from './runtime.js';
import { registerRoutingMetrics } from '@vigil/lib/alerts/routing-metrics';

// The alerts subgraph reads the same log every publisher writes to (the Redis Stream).

const schema = z
  .object({ ...serviceConfigShape, alerts: alertsConfig.prefault({}) })
  .strict()
  .superRefine(requireSecretInProduction, ALWAYS_CHECK);

await runSubgraphService('alerts', schema, [], (config) => config.alerts, (config, shared, alertLog) => {
  if (!shared.publisher.lifecycle) throw new Error('the alert publisher has no lifecycle');
  const runtime = createAlertsRuntime(config, alertLog, shared.publisher.lifecycle, { ...shared, metrics: registerRoutingMetrics(shared.metrics) });
  return { definition: runtime.definition, start: runtime.start, stop: runtime.stop };
});
