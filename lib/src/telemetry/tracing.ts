import { createRequire } from 'node:module';
import { context, diag, DiagLogLevel, propagation, trace } from '@opentelemetry/api';
import { Redis } from 'ioredis';
import { redactUrl, type Logger } from '../logger.js';
import { tracingEnabled, type TracingConfig } from './tracing-config.js';

/**
 * One OpenTelemetry tracer provider per process, whatever runs in it (the one-process stack serves
 * the gateway and five subgraphs; a service process serves one). It is the global provider, so the
 * Hive Gateway plugin, the instrumentations and Vigil's own spans (subgraph-spans.ts, the hosts probe's) all
 * export through it, with W3C `traceparent` propagation and an AsyncLocalStorage context.
 *
 * Instrumentations are applied by hand, not through Node's module hooks: Vigil is ESM run by tsx or
 * bundled by esbuild (build.ts), where require hooks never see `import 'ioredis'`, and the ESM
 * loader hook would need `--import` on every command line. Patching ioredis's prototype works for
 * clients created before or after; undici's instrumentation listens on diagnostics_channel, which
 * sees global fetch (VictoriaLogs) and the Kubernetes client's undici alike.
 *
 * The SDK is imported only when tracing is on: a process without it never loads those modules.
 */
export interface Tracing {
  readonly on: boolean;
  /** Exports what is pending and, for the last user in the process, removes the provider. */
  stop(): Promise<void>;
}

const OFF: Tracing = { on: false, stop: async () => {} };

interface Active {
  endpoint: string;
  users: number;
  /** Resolves to the provider's teardown once the SDK is loaded and registered. */
  ready: Promise<() => Promise<void>>;
}
let active: Active | null = null;

/**
 * Starts tracing if the config turns it on (`tracing.endpoint`, unless `enabled: false`); otherwise
 * creates nothing. A second start in the same process (tests running several stacks) shares the
 * first provider when it exports to the same endpoint.
 */
export async function startTracing(tracing: TracingConfig, options: { serviceName: string; logger: Logger }): Promise<Tracing> {
  if (!tracingEnabled(tracing)) return OFF;
  if (active === null) {
    active = { endpoint: tracing.endpoint, users: 0, ready: registerProvider(tracing, options) };
    options.logger.info({ endpoint: redactUrl(tracing.endpoint), serviceName: tracing.serviceName ?? options.serviceName, sampleRatio: tracing.sampleRatio }, 'exporting traces over OTLP/HTTP');
  } else if (active.endpoint !== tracing.endpoint) {
    throw new Error('tracing.endpoint: this process already exports traces elsewhere');
  }
  const current = active;
  current.users += 1;
  try {
    await current.ready;
  } catch (error) {
    current.users -= 1;
    if (active === current) active = null;
    throw error;
  }
  let stopped = false;
  return {
    on: true,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      current.users -= 1;
      if (current.users > 0) return;
      if (active === current) active = null;
      await (await current.ready)();
    },
  };
}

async function registerProvider(tracing: TracingConfig & { endpoint: string }, options: { serviceName: string; logger: Logger }): Promise<() => Promise<void>> {
  const { logger } = options;
  const [{ OTLPTraceExporter }, { IORedisInstrumentation }, { UndiciInstrumentation }, { resourceFromAttributes }, { BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler }, { NodeTracerProvider }, { ATTR_SERVICE_NAME }] =
    await Promise.all([
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/instrumentation-ioredis'),
      import('@opentelemetry/instrumentation-undici'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/sdk-trace-node'),
      import('@opentelemetry/semantic-conventions'),
    ]);
  // The SDK reports export failures through diag; without a logger they vanish.
  diag.setLogger(
    {
      error: (message) => logger.warn({ channel: 'otel' }, message),
      warn: (message) => logger.warn({ channel: 'otel' }, message),
      info: () => {},
      debug: () => {},
      verbose: () => {},
    },
    DiagLogLevel.WARN,
  );
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: tracing.serviceName ?? options.serviceName }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(tracing.sampleRatio) }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: tracing.endpoint, headers: { ...tracing.headers } }))],
  });
  // Global context manager (AsyncLocalStorage) and W3C trace-context + baggage propagators.
  provider.register();

  const redis = new IORedisInstrumentation({
    enabled: false,
    // Only commands issued inside a trace: background polling (XREAD BLOCK) would be a trace each.
    requireParentSpan: true,
    // The command alone: keys and values may carry host names, user names or alert text.
    dbStatementSerializer: (command) => command,
  });
  redis.setTracerProvider(provider);
  const ioredisVersion = (createRequire(import.meta.url)('ioredis/package.json') as { version: string }).version;
  const redisPatches = redis.getModuleDefinitions();
  for (const definition of redisPatches) definition.patch?.(Redis, ioredisVersion);

  // Records method, URL (no body: LogsQL queries travel in POST bodies) and status; no headers.
  // (Constructed enabled: it subscribes to the channels; it has no module to patch.)
  const undici = new UndiciInstrumentation();
  undici.setTracerProvider(provider);

  return async () => {
    undici.disable();
    for (const definition of redisPatches) definition.unpatch?.(Redis, ioredisVersion);
    try {
      await provider.shutdown();
    } finally {
      trace.disable();
      context.disable();
      propagation.disable();
      diag.disable();
    }
  };
}

/** Whether this process exports traces: code making its own spans skips the work when not. */
export function tracingActive(): boolean {
  return active !== null;
}
