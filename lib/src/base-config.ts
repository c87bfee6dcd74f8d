import { z } from 'zod';
import { isRecord, type EnvOverride } from './config.js';
import { tracingConfig, tracingOverrides } from './telemetry/tracing-config.js';

/** Settings every Vigil process shares. Subgraph sections are added by each subgraph's config.ts. */
export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export const baseConfigShape = {
  /** development: detailed errors, introspection on. production: errors masked, signing secret required. */
  env: z.enum(['development', 'production']).default('development'),
  log: z
    .object({
      level: logLevel.default('info'),
      /** auto: readable lines on a terminal in development, JSON otherwise (files, pipes, production). */
      format: z.enum(['auto', 'json', 'pretty']).default('auto'),
    })
    .strict()
    .prefault({}),
  redis: z
    .object({
      /** Unset: in-memory stores (only meaningful when every service runs in one process). */
      url: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
      /** First segment of every key, so several deployments can share one Redis. */
      namespace: z.string().regex(/^[a-z0-9-]+$/, 'lowercase letters, digits and dashes only').default('vigil'),
    })
    .strict()
    .prefault({}),
  signing: z
    .object({
      /** Shared by the gateway and every subgraph; unset in development means a random secret per process. */
      secret: z.string().min(32, 'must be at least 32 characters').optional(),
    })
    .strict()
    .prefault({}),
  /** OpenTelemetry traces (telemetry/tracing-config.ts): off unless an OTLP endpoint is configured. */
  tracing: tracingConfig.prefault({}),
};

export const baseOverrides: EnvOverride[] = [
  { env: 'VIGIL_ENV', path: ['env'] },
  { env: 'VIGIL_LOG_LEVEL', path: ['log', 'level'] },
  { env: 'VIGIL_LOG_FORMAT', path: ['log', 'format'] },
  { env: 'REDIS_URL', path: ['redis', 'url'] },
  { env: 'VIGIL_SIGNING_SECRET', path: ['signing', 'secret'] },
  ...tracingOverrides,
];

export const baseConfig = z.object(baseConfigShape).strict();
export type BaseConfig = z.infer<typeof baseConfig>;

/**
 * Options for cross-field checks: run them even when some other value failed its own check.
 * Zod skips refinements after any type error by default, which would hide these problems until
 * the next start, breaking "every problem reported at once". Such checks must therefore accept
 * partly invalid input: they take `unknown` and look before they touch.
 */
export const ALWAYS_CHECK = { when: () => true } as const;

/** A production deployment with no shared secret would sign with a random key nobody else knows. */
export function requireSecretInProduction(config: unknown, ctx: z.RefinementCtx): void {
  if (!isRecord(config) || config['env'] !== 'production') return;
  const signing = config['signing'];
  if (isRecord(signing) && typeof signing['secret'] === 'string' && signing['secret'] !== '') return;
  ctx.addIssue({ code: 'custom', path: ['signing', 'secret'], message: 'required when env is production (or env VIGIL_SIGNING_SECRET)' });
}

export { httpPort, httpUrl, port } from './http-ports.js';

/** A value by path in a config that may be partly invalid (for cross-field checks). */
export const configValueAt = (value: unknown, ...path: string[]): unknown => path.reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), value);
export const isSetString = (value: unknown): boolean => typeof value === 'string' && value !== '';
