import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { Kind, type DocumentNode } from 'graphql';
import { Counter, Histogram, Registry, collectDefaultMetrics, Gauge } from 'prom-client';

/**
 * Prometheus metrics for the gateway: process defaults, operations by type and outcome, and
 * upstream subgraph latency. Labels are closed sets (operation type, subgraph name, status
 * class): never operation names or variables, which clients control.
 */
export function createGatewayMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'vigil_gateway_' });
  const operations = new Counter({
    name: 'vigil_gateway_operations_total',
    help: 'GraphQL operations executed, by type and whether they returned errors.',
    labelNames: ['type', 'outcome'] as const,
    registers: [registry],
  });
  const upstream = new Histogram({
    name: 'vigil_gateway_subgraph_request_duration_seconds',
    help: 'Latency of requests from the gateway to each subgraph.',
    labelNames: ['subgraph', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const subscriptions = new Gauge({
    name: 'vigil_gateway_websocket_connections',
    help: 'Open graphql-ws client connections.',
    registers: [registry],
  });

  const plugin = (subgraphByUrl: (url: string) => string): GatewayPlugin => ({
    onExecute({ args }) {
      const type = operationType(args.document);
      return {
        onExecuteDone({ result }) {
          const failed = 'errors' in result && Array.isArray(result.errors) && result.errors.length > 0;
          operations.inc({ type, outcome: failed ? 'error' : 'ok' });
        },
      };
    },
    onSubscribe({ args }) {
      operations.inc({ type: 'subscription', outcome: args.document ? 'ok' : 'error' });
    },
    onFetch({ url }) {
      const end = upstream.startTimer({ subgraph: subgraphByUrl(url) });
      return ({ response }) => {
        end({ status: `${Math.floor(response.status / 100)}xx` });
      };
    },
  });

  return { registry, plugin, subscriptions };
}

function operationType(document: DocumentNode): string {
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) return definition.operation;
  }
  return 'unknown';
}
