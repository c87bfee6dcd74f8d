import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { REQUEST_ID_HEADER } from '@vigil/lib/request-id';

/** Where gateway.ts puts the request's id in the server context. */
export const REQUEST_ID_CONTEXT_KEY = 'vigilRequestId';

/**
 * Sends the request's id (lib/src/request-id.ts) to every subgraph the request reaches, so their
 * log lines carry the same id as the gateway's. A plain header beside the signature: it labels
 * logs only, so it needs no signing, and the signature is unaffected.
 */
export function useRequestId(): GatewayPlugin {
  return {
    onFetch({ options: init, setOptions, context }) {
      const requestId = (context as Record<string, unknown> | undefined)?.[REQUEST_ID_CONTEXT_KEY];
      if (typeof requestId !== 'string') return;
      setOptions({ ...init, headers: { ...(init.headers as Record<string, string> | undefined), [REQUEST_ID_HEADER]: requestId } });
    },
  };
}
