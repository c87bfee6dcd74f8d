import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { Kind, type DocumentNode } from 'graphql';
import { Counter, Histogram, Registry, collectDefaultMetrics, Gauge } from 'prom-client';
import type { GroupObserver } from '../subscriptions/fan-out.js';

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

  const upstreamSubscriptions = new Counter({
    name: 'vigil_gateway_subgraph_subscriptions_total',
    help: 'Subscriptions the gateway opened to each subgraph (one per shared group of subscribers).',
    labelNames: ['subgraph'] as const,
    registers: [registry],
  });
  const subscriptionEvents = new Counter({
    name: 'vigil_gateway_subscription_events_total',
    help: 'Subscription events executed (once per group of subscribers sharing an upstream subscription).',
    registers: [registry],
  });
  const subscriptionDeliveries = new Counter({
    name: 'vigil_gateway_subscription_deliveries_total',
    help: 'Subscription results handed to subscribers (events x subscribers).',
    registers: [registry],
  });
  const slowSubscribers = new Counter({
    name: 'vigil_gateway_subscription_slow_subscribers_total',
    help: 'Subscribers ended because they fell behind (gateway.subscriptions.maxQueuedEvents / maxBufferedBytes), by transport.',
    labelNames: ['transport'] as const,
    registers: [registry],
  });
  const refusedSubscriptions = new Counter({
    name: 'vigil_gateway_subscriptions_refused_total',
    help: 'graphql-ws operations refused by a per-connection limit, by the setting.',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const subscriptionGroups = new Gauge({
    name: 'vigil_gateway_subscription_groups',
    help: 'Open shared subscriptions: groups of subscribers with one upstream subscription and one execution per event.',
    registers: [registry],
  });
  const subscriptionObserver: GroupObserver = {
    opened() {
      subscriptionGroups.inc();
    },
    closed() {
      subscriptionGroups.dec();
    },
    executed(members) {
      subscriptionEvents.inc();
      subscriptionDeliveries.inc(members);
    },
    slow(transport) {
      slowSubscribers.inc({ transport });
    },
  };

  const plugin = (subgraphByUrl: (url: string) => string): GatewayPlugin => ({
    onSubgraphExecute({ subgraphName, executionRequest }) {
      if (executionRequest.operationType === 'subscription') upstreamSubscriptions.inc({ subgraph: subgraphName });
    },
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

  return { registry, plugin, subscriptions, subscriptionObserver, refusedSubscriptions };
}

function operationType(document: DocumentNode): string {
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) return definition.operation;
  }
  return 'unknown';
}
