import { z } from 'zod';
import { ALWAYS_CHECK, httpPort, httpUrl } from '@vigil/lib/base-config';
import { defaultSubgraphUrl } from '@vigil/schema/subgraphs';
import { foldWindowSeconds } from '@vigil/lib/alerts/lifecycle-config';
import { requireKnownOutputs, routingShape } from './routing/routing-config.js';
import { correlationConfig } from './correlation/correlation-config.js';

/** The `alerts:` section of the Vigil config. */
export const alertsConfig = z
  .object({
    port: httpPort.default(4005),
    /** Approximate number of alerts kept in the log (Redis MAXLEN ~). @default 100000 */
    maxLength: z.coerce.number().int().min(100).default(100_000),
    /** A subscriber further behind than this many alerts is disconnected. @default 10000 */
    maxBufferedPerSubscriber: z.coerce.number().int().min(10).default(10_000),
    /** Repeats of a rule on a subject within this many seconds of the last fold into one alert; 0 = off. @default 0 */
    foldWindowSeconds,
    /** Routing: outputs by name, routes (filter → output), delivery retries (README, "Routing"). */
    ...routingShape,
    /** Correlation rules: two alerts of other sources about the same thing within a window raise one CORRELATION alert (README, "Correlation rules"). */
    correlation: correlationConfig.prefault({}),
    /** Timelines (Host/KubeObject/Node/Identity.timeline) read hosts, cluster and audit as the caller. */
    timeline: z
      .object({
        /** Where those subgraphs listen when alerts runs as its own process (the one-process stack knows). */
        subgraphs: z
          .object({ hosts: httpUrl.default(defaultSubgraphUrl('hosts')), cluster: httpUrl.default(defaultSubgraphUrl('cluster')), audit: httpUrl.default(defaultSubgraphUrl('audit')) })
          .strict()
          .prefault({}),
        /** How long one upstream page may take before the page lists that source as unavailable. @default 5000 */
        upstreamTimeoutMs: z.coerce.number().int().min(100).max(60_000).default(5000),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine(requireKnownOutputs, ALWAYS_CHECK);
export type AlertsConfig = z.infer<typeof alertsConfig>;
export const alertsDefaults: AlertsConfig = alertsConfig.parse({});
