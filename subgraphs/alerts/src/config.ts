import { z } from 'zod';
import { httpPort } from '@vigil/lib/base-config';

/** The `alerts:` section of the Vigil config. */
export const alertsConfig = z
  .object({
    port: httpPort.default(4005),
    /** Approximate number of alerts kept in the log (Redis MAXLEN ~). @default 100000 */
    maxLength: z.coerce.number().int().min(100).default(100_000),
    /** A subscriber further behind than this many alerts is disconnected. @default 10000 */
    maxBufferedPerSubscriber: z.coerce.number().int().min(10).default(10_000),
  })
  .strict();
export type AlertsConfig = z.infer<typeof alertsConfig>;
export const alertsDefaults: AlertsConfig = { port: 4005, maxLength: 100_000, maxBufferedPerSubscriber: 10_000 };
