import type { GatewayConfigBase } from '@graphql-hive/gateway-runtime';

type CorsOption = GatewayConfigBase<Record<string, never>>['cors'];

export interface CorsPolicyOptions {
  /**
   * Browser origins (`https://console.example.org`) that may call the gateway with credentials.
   * `'*'` lets every other origin call it too, never with credentials.
   * @default [] in production (same origin only); ['*'] in development
   */
  origins: readonly string[];
}

/** How long a browser may cache a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE = 600;

/**
 * The runtime's `cors` option as a per-request decision. Without it the runtime reflects any Origin
 * with `Access-Control-Allow-Credentials: true`, so every web page could read the API as the user.
 * A listed origin is answered with its own name and credentials; `'*'` with the caller's origin but
 * no credentials; anything else with no CORS headers at all, so the browser withholds the response.
 * Same-origin requests need no CORS headers.
 */
export function corsPolicy(options: CorsPolicyOptions): CorsOption {
  const listed = [...new Set(options.origins.filter((origin) => origin !== '*'))];
  const anyOrigin = options.origins.includes('*');
  return (request: Request) => {
    const origin = request.headers.get('origin');
    if (origin !== null && listed.includes(origin)) {
      // Handing the runtime the whole list makes it answer with the caller's origin (and `Vary:
      // Origin` when the list has several), never with another listed one or the string "null".
      return { origin: listed, credentials: true, methods: ['GET', 'POST'], maxAge: PREFLIGHT_MAX_AGE };
    }
    if (origin !== null && anyOrigin) return { origin: '*', credentials: false, methods: ['GET', 'POST'], maxAge: PREFLIGHT_MAX_AGE };
    return false;
  };
}
