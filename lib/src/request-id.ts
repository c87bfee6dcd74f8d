import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * The id that labels every log line of one request, in the gateway and in each subgraph it calls.
 * It travels gateway → subgraph in this header, outside the request signature (lib/src/signing.ts):
 * it only labels logs, it grants nothing, so a forged one can mislabel lines at worst.
 */
export const REQUEST_ID_HEADER = 'x-request-id';

/** What a caller's x-request-id may be: short, and nothing that could break a log line or a header. */
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** W3C Trace Context: version-traceid-parentid-flags; an all-zero trace id is invalid. */
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The caller's x-request-id if acceptable, else its traceparent's trace id, else a new UUID. */
export function requestIdFrom(headers: IncomingHttpHeaders): string {
  const given = headers[REQUEST_ID_HEADER];
  const id = Array.isArray(given) ? given[0] : given;
  if (id !== undefined && ACCEPTABLE_ID.test(id)) return id;
  const traceparent = headers['traceparent'];
  const trace = typeof traceparent === 'string' ? TRACEPARENT.exec(traceparent.trim())?.[1] : undefined;
  if (trace !== undefined && !/^0+$/.test(trace)) return trace;
  return randomUUID();
}

const scope = new AsyncLocalStorage<{ requestId: string }>();

/**
 * Runs `fn` as part of request `requestId`: every log line written from it, and from whatever it
 * awaits, carries `requestId` (createLogger's mixin reads it), including lines of loggers created
 * long before (stores, publishers). Event-emitter callbacks started elsewhere (a stream's 'end')
 * do not inherit it, so call this after the request body has been read.
 */
export function withRequestId<T>(requestId: string, fn: () => T): T {
  return scope.run({ requestId }, fn);
}

/** The id of the request being served, or undefined outside one (timers, probes, informers). */
export function currentRequestId(): string | undefined {
  return scope.getStore()?.requestId;
}
