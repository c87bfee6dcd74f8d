import type { AlertLog } from '@vigil/lib/alerts/alert-log';
import type { SubgraphDefinition } from '@vigil/lib/subgraph-server';
import type { AlertsConfig } from './config.js';
import type { AlertsContext } from './context.js';
import { createAlertsSubgraph } from './server.js';

/** The alerts subgraph over an alert log owned by the caller (shared with the publishers in one process). */
export function createAlertsRuntime(config: AlertsConfig, log: AlertLog): { definition: SubgraphDefinition<AlertsContext> } {
  return { definition: createAlertsSubgraph({ log, maxBufferedPerSubscriber: config.maxBufferedPerSubscriber }) };
}
