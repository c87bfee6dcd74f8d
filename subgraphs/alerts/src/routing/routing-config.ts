import { z } from 'zod';
import { httpUrl } from '@vigil/lib/base-config';
import { ALERT_SOURCES, SEVERITIES } from '@vigil/lib/alerts/alert';
import { defaultConsumerName } from '@vigil/lib/alerts/consumer-name';
import { isRecord } from '@vigil/lib/is-record';

/** Output names become consumer-group names, Redis keys and the `output` metric label: a short, closed form. */
const outputName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes, at most 63');

const alertmanagerOutput = z
  .object({
    type: z.literal('alertmanager'),
    /** Alertmanager's base URL; Vigil POSTs to `<url>/api/v2/alerts`. */
    url: httpUrl,
    /**
     * Vigil alerts are events, not re-evaluated states, so Vigil does not re-send them: a firing alert
     * is sent with endsAt this far after it was raised (or the resolution time, when resolved). @default 86400
     */
    firingHoldSeconds: z.coerce.number().int().min(60).default(86_400),
  })
  .strict();

const slackOutput = z
  .object({
    type: z.literal('slack'),
    /** The incoming-webhook URL (a secret: it is never logged or shown in errors). */
    webhookUrl: httpUrl,
  })
  .strict();

const webhookOutput = z
  .object({
    type: z.literal('webhook'),
    url: httpUrl,
    /** The HMAC-SHA256 key of the X-Vigil-Signature header (see README, "Routing"). */
    secret: z.string().min(32, 'must be at least 32 characters'),
  })
  .strict();

export const outputConfig = z.discriminatedUnion('type', [alertmanagerOutput, slackOutput, webhookOutput]);
export type OutputConfig = z.infer<typeof outputConfig>;

/** Which log entries a route sends: every given condition must hold. */
export const routeFilter = z
  .object({
    minSeverity: z.enum(SEVERITIES).optional(),
    sources: z.array(z.enum(ALERT_SOURCES)).optional(),
    rules: z.array(z.string().min(1)).optional(),
    labels: z.record(z.string(), z.string()).optional(),
  })
  .strict();
export type RouteFilter = z.infer<typeof routeFilter>;

export const routeConfig = z.object({ output: outputName, filter: routeFilter.prefault({}) }).strict();

export const deliveryConfig = z
  .object({
    /** Tries of one entry before it goes to the output's dead-letter list. @default 10 */
    maxAttempts: z.coerce.number().int().min(1).max(1000).default(10),
    /** First retry delay, doubled each try up to maxBackoffMs (with jitter). @default 1000 */
    initialBackoffMs: z.coerce.number().int().min(1).default(1000),
    /** @default 60000 */
    maxBackoffMs: z.coerce.number().int().min(1).default(60_000),
    /** One delivery attempt's time limit. @default 10000 */
    timeoutMs: z.coerce.number().int().min(100).default(10_000),
    /** This process's name in each output's consumer group: unique per replica. @default <host name>-<pid> */
    consumer: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).default(() => defaultConsumerName()),
    /** Entries another consumer read and left pending this long are taken over. @default 300000 */
    claimIdleMs: z.coerce.number().int().min(1000).default(300_000),
    /** Entries kept per output dead-letter list (oldest dropped). @default 1000 */
    deadLetterMax: z.coerce.number().int().min(10).default(1000),
  })
  .strict();
export type DeliveryConfig = z.infer<typeof deliveryConfig>;

export const routingShape = {
  /** Vigil's public base URL, for the links (generatorURL) sent to outputs. @default http://localhost:4000 */
  publicUrl: httpUrl.default('http://localhost:4000'),
  outputs: z.record(outputName, outputConfig).default({}),
  routes: z.array(routeConfig).default([]),
  delivery: deliveryConfig.prefault({}),
};

/** Cross-field check of the alerts section: every route names a configured output. */
export function requireKnownOutputs(section: unknown, ctx: z.RefinementCtx): void {
  if (!isRecord(section) || !Array.isArray(section['routes'])) return;
  const outputs = isRecord(section['outputs']) ? Object.keys(section['outputs']) : [];
  section['routes'].forEach((route: unknown, index) => {
    if (!isRecord(route) || typeof route['output'] !== 'string') return;
    if (!outputs.includes(route['output'])) {
      ctx.addIssue({
        code: 'custom',
        path: ['routes', index, 'output'],
        message: `unknown output ${JSON.stringify(route['output'])} (configured: ${outputs.length > 0 ? outputs.join(', ') : 'none'})`,
      });
    }
  });
}
