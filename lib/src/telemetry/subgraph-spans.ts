import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { NextFunction, Request, Response } from 'express';
import { tracingActive } from './tracing.js';

/**
 * A subgraph's spans: one SERVER span per HTTP request, continuing the caller's W3C `traceparent`
 * (the gateway's subgraph fetch, or a webhook sender's), and one span per GraphQL operation under it.
 * Written against the OpenTelemetry API rather than @opentelemetry/instrumentation-http: that one
 * patches node:http for the whole process, and in the one-process stack it would also wrap the
 * gateway's server and client, where Hive Gateway's plugin already makes those spans.
 */
const tracer = () => trace.getTracer('vigil-subgraph');

/** Where the request's span context waits while the body is read (stream callbacks lose it). */
const CONTEXT_KEY = 'otelContext';

/** Express middleware: the request's SERVER span, active for everything after it. */
export function traceSubgraphRequests(subgraph: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    // Probes of liveness and scrapes would be most of the traces and tell nothing.
    if (!tracingActive() || req.path === '/healthz' || req.path === '/metrics') return next();
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracer().startSpan(
      req.method,
      {
        kind: SpanKind.SERVER,
        // vigil.request_id: the x-request-id of this request's log lines (lib/src/request-id.ts).
        attributes: { 'http.request.method': req.method, 'url.path': req.path, 'vigil.subgraph': subgraph, 'vigil.request_id': String(res.locals['requestId'] ?? '') },
      },
      parent,
    );
    res.once('close', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    const active = trace.setSpan(parent, span);
    res.locals[CONTEXT_KEY] = active;
    context.with(active, next);
  };
}

/** Runs `fn` in the request's span context again, after the body was read; names the span's route. */
export function withRequestSpan<T>(res: Response, route: string, fn: () => T): T {
  const active = res.locals[CONTEXT_KEY] as Context | undefined;
  if (active === undefined) return fn();
  trace.getSpan(active)?.updateName(`${String(res.req.method)} ${route}`).setAttribute('http.route', route);
  return context.with(active, fn);
}

/**
 * Apollo Server plugin: a span per operation (`query HostsPage`), with its type, name and error
 * count. The document and variables are not recorded: literals and variables may carry user input.
 */
export function operationSpans<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      if (!tracingActive()) return;
      const span: Span = tracer().startSpan('graphql.operation', { kind: SpanKind.INTERNAL });
      return {
        async didResolveOperation({ operation, operationName }) {
          const type = operation?.operation ?? 'unknown';
          span.updateName(operationName ? `${type} ${operationName}` : type);
          span.setAttribute('graphql.operation.type', type);
          if (operationName) span.setAttribute('graphql.operation.name', operationName);
        },
        async didEncounterErrors({ errors }) {
          span.setAttribute('vigil.graphql.error_count', errors.length);
          span.setStatus({ code: SpanStatusCode.ERROR });
        },
        async willSendResponse() {
          span.end();
        },
      };
    },
  };
}
