import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { SIGNATURE_HEADER, WS_CONNECT_PAYLOAD, sign } from '@vigil/lib/signing';

/** Context key read by the graphql-ws transport's connectionParams interpolation (see gateway.ts). */
export const WS_SIGNATURE_CONTEXT_KEY = 'vigilWsSignature';

/**
 * Signs every request the gateway sends to a subgraph (HMAC over the body, see lib/signing.ts),
 * so subgraphs can refuse anything that did not come through the gateway.
 *
 * graphql-ws connections have no body: their connection_init carries a signature of a fixed
 * payload. Its timestamp is rounded to the minute because the transport pools connections by
 * their params; a per-request timestamp would open a new upstream socket for every subscription.
 */
export function useSubgraphSigning(options: { secret: string }): GatewayPlugin {
  return {
    onContextBuilding({ extendContext }) {
      const minute = Math.floor(Date.now() / 60_000) * 60;
      extendContext({ [WS_SIGNATURE_CONTEXT_KEY]: sign(options.secret, WS_CONNECT_PAYLOAD, minute) });
    },
    onFetch({ options: init, setOptions }) {
      const body = typeof init.body === 'string' ? init.body : '';
      const headers = new Headers(init.headers as HeadersInit | undefined);
      headers.set(SIGNATURE_HEADER, sign(options.secret, body));
      setOptions({ ...init, headers: Object.fromEntries(headers.entries()) });
    },
  };
}
