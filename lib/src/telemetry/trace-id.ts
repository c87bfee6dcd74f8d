import { context, trace } from '@opentelemetry/api';

/**
 * The trace id of the span active here, for log lines; undefined outside a trace or with tracing
 * off (no context manager is registered then, so this is one no-op lookup).
 */
export function currentTraceId(): string | undefined {
  return trace.getSpan(context.active())?.spanContext().traceId;
}
