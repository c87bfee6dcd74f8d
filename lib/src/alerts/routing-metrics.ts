import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { counter, gauge, histogram } from '../metrics.js';

/**
 * The alert lifecycle's and the router's metrics. The names are referenced by the Grafana dashboards
 * and Prometheus rules in deploy/: change them there too. `output` is a configured output name (a
 * bounded set from config), `outcome` one of delivered | failed | dead_lettered.
 */
export interface RoutingMetrics {
  deliveries: Counter<'output' | 'outcome'>;
  deadLetters: Gauge<'output'>;
  deliveryLag: Histogram<'output'>;
  silenced: Counter;
  folded: Counter;
}

export function registerRoutingMetrics(registry: Registry): RoutingMetrics {
  return {
    deliveries: counter(registry, {
      name: 'vigil_alert_route_deliveries_total',
      help: 'Delivery attempts of alert log entries to an output, by output and outcome (delivered, failed: will be retried, dead_lettered).',
      labelNames: ['output', 'outcome'] as const,
    }),
    deadLetters: gauge(registry, {
      name: 'vigil_alert_route_dead_letters',
      help: "Current length of each output's dead-letter list.",
      labelNames: ['output'] as const,
    }),
    deliveryLag: histogram(registry, {
      name: 'vigil_alert_route_delivery_lag_seconds',
      help: 'From the alert log entry (raise or change) to its delivery to an output.',
      labelNames: ['output'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    }),
    silenced: counter(registry, { name: 'vigil_alerts_silenced_total', help: 'Alerts raised while an active silence covered them (kept in the log, not routed).' }),
    folded: counter(registry, { name: 'vigil_alerts_folded_total', help: 'Repeats folded into an existing alert (count and lastSeen) instead of raising a new one.' }),
  };
}
