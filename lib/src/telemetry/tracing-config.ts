import { z } from 'zod';
import type { EnvOverride } from '../config.js';

/**
 * `tracing:` OpenTelemetry traces over OTLP/HTTP (lib/src/telemetry/tracing.ts). Off unless an
 * endpoint is given (in the file or by the OTel environment variables below) or `enabled: true`;
 * `enabled: true` without an endpoint is refused naming `tracing.endpoint`.
 */
export const tracingConfig = z
  .object({
    /** Unset: on exactly when `endpoint` is set. `false` keeps tracing off even with an endpoint. */
    enabled: z.boolean().optional(),
    /** The collector's OTLP/HTTP traces URL, e.g. http://otel-collector:4318/v1/traces. */
    endpoint: z.url({ protocol: /^https?$/ }).optional(),
    /** `service.name` of this process's spans. @default vigil (one process) or vigil-<service> */
    serviceName: z.string().min(1).optional(),
    /** Share of new traces kept (0–1); a request arriving with a sampled `traceparent` is always kept. @default 1 */
    sampleRatio: z.coerce.number().min(0).max(1).default(1),
    /** Headers sent with every export (a collector's token); never logged. @default {} */
    headers: z.record(z.string(), z.string()).default({}),
  })
  .strict()
  .superRefine((tracing, ctx) => {
    if (tracing.enabled === true && tracing.endpoint === undefined) {
      ctx.addIssue({ code: 'custom', path: ['endpoint'], message: 'required when tracing.enabled is true (or env OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT)' });
    }
  });
export type TracingConfig = z.infer<typeof tracingConfig>;

/** Whether this config turns tracing on: an endpoint, unless `enabled: false`. */
export const tracingEnabled = (tracing: TracingConfig): tracing is TracingConfig & { endpoint: string } => tracing.enabled !== false && tracing.endpoint !== undefined;

/**
 * The OpenTelemetry SDK's standard variables, read here like every other override (nothing else reads
 * process.env). Later entries win: the traces-specific endpoint over the base one, to which the
 * OTLP/HTTP signal path is appended as the specification says.
 */
export const tracingOverrides: EnvOverride[] = [
  { env: 'OTEL_EXPORTER_OTLP_ENDPOINT', path: ['tracing', 'endpoint'], parse: (raw) => `${raw.replace(/\/+$/, '')}/v1/traces` },
  { env: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', path: ['tracing', 'endpoint'] },
  { env: 'OTEL_SERVICE_NAME', path: ['tracing', 'serviceName'] },
  { env: 'OTEL_TRACES_SAMPLER_ARG', path: ['tracing', 'sampleRatio'] },
  { env: 'OTEL_EXPORTER_OTLP_HEADERS', path: ['tracing', 'headers'], parse: parseOtlpHeaders },
];

/** `key1=value1,key2=value2` (values URL-encoded), the OTLP exporter's header list format. */
function parseOtlpHeaders(raw: string): unknown {
  const headers: Record<string, string> = {};
  for (const pair of raw.split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) return raw; // not a list of pairs: left for the schema to refuse (the value is not echoed)
    headers[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  return headers;
}
