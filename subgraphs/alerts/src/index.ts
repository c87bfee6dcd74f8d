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

// The subgraphs a timeline reads, by the same variables the gateway reads their URLs from.
const upstreamOverrides = (['hosts', 'cluster', 'audit'] as const).map((name) => ({ env: `VIGIL_${name.toUpperCase()}_URL`, path: ['alerts', 'timeline', 'subgraphs', name] }));

await runSubgraphService('alerts', schema, upstreamOverrides, (config) => config.alerts, (config, shared, alertLog, service) => {
  if (!shared.publisher.lifecycle) throw new Error('the alert publisher has no lifecycle');
  const urls = config.timeline.subgraphs;
  const runtime = createAlertsRuntime(config, alertLog, shared.publisher.lifecycle, { ...shared, metrics: registerRoutingMetrics(shared.metrics), upstream: { urls: () => urls, signingSecret: service.signingSecret } });
  return { definition: runtime.definition, start: runtime.start, stop: runtime.stop };
});
