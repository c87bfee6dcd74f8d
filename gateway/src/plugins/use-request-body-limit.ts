import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { limitExceeded } from '../limits/limit-error.js';

export interface RequestBodyLimitOptions {
  /**
   * Bytes of an HTTP request body, counted before anything parses it. The SDK's largest request is
   * under 2 KB; the 5 MB document that froze the stack is refused here. graphql-ws messages are
   * capped at the same size by the WebSocket server (gateway.ts).
   * @default 262144 (256 KiB)
   */
  maxBytes: number;
}

/**
 * Answers 413 with a JSON GraphQL error for a request body over `maxBytes`, and closes the
 * connection: at once when Content-Length says so (the body is never read), otherwise as soon as the
 * streamed body (chunked encoding) passes the limit. Yoga has the same check built in, but
 * Hive Gateway does not expose its size (a fixed 25 MB).
 */
export function useRequestBodyLimit(options: RequestBodyLimitOptions): GatewayPlugin {
  const { maxBytes } = options;
  // `connection: close`: the unread rest of the body would otherwise stay in the kept-alive socket,
  // where Node would take it for the start of the next request.
  const tooLarge = (found?: string) => {
    const error = limitExceeded('maxRequestBytes', 'Request body', maxBytes, found, 413);
    error.extensions['http'] = { status: 413, headers: { connection: 'close' } };
    return error;
  };
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const declared = request.headers.get('content-length');
      if (declared !== null && Number(declared) > maxBytes) throw tooLarge(`${declared} bytes`);
      if (!requestParser || !request.body) return;
      const parse = requestParser;
      setRequestParser((original) => {
        const body = original.body;
        if (!body) return parse(original);
        // Node's own streams and whatwg-node's ponyfill ones cannot be piped into each other.
        const Transform = body instanceof ReadableStream ? TransformStream : fetchAPI.TransformStream;
        let bytes = 0;
        const counted = body.pipeThrough(
          new Transform<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              bytes += chunk.byteLength;
              if (bytes > maxBytes) controller.error(tooLarge());
              else controller.enqueue(chunk);
            },
          }),
        );
        // `duplex` is required for a streamed body but missing from the DOM RequestInit type.
        const init: RequestInit & { duplex: 'half' } = { method: original.method, headers: original.headers, signal: original.signal, body: counted, duplex: 'half' };
        return parse(new fetchAPI.Request(original.url, init));
      });
    },
  };
}
