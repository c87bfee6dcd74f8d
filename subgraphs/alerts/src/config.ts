import { z } from 'zod';
import { ALWAYS_CHECK, httpPort } from '@vigil/lib/base-config';
import { foldWindowSeconds } from '@vigil/lib/alerts/lifecycle-config';
import { requireKnownOutputs, routingShape } from './routing/routing-config.js';

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
  })
  .strict()
  .superRefine(requireKnownOutputs, ALWAYS_CHECK);
export type AlertsConfig = z.infer<typeof alertsConfig>;
export const alertsDefaults: AlertsConfig = alertsConfig.parse({});
