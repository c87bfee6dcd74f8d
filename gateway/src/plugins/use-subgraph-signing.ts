import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { IDENTITY_HEADER, encodeIdentity, type Identity } from '@vigil/lib/identity';
import { SIGNATURE_HEADER, WS_METHOD, signRequest } from '@vigil/lib/signing';

/** What the gateway's authentication puts in the context: the caller, once verified. */
export interface IdentityContext {
  vigilIdentity: Identity;
}

/**
 * Context keys read by each subgraph's graphql-ws connectionParams (see gateway.ts). One signature
 * key per subgraph, because a signature is bound to the subgraph it is sent to.
 */
export const wsSignatureContextKey = (subgraph: string): string => `vigilWsSignature_${subgraph}`;
export const WS_IDENTITY_CONTEXT_KEY = 'vigilWsIdentity';

export interface SubgraphSigningOptions {
  secret: string;
  /**
   * Every subgraph by name, as in the transport entries. Only requests to these URLs are signed
   * (a signature never leaves for anywhere else), and each is signed for the subgraph it goes to.
   */
  subgraphUrls: Readonly<Record<string, string>>;
  /** The graphql-ws location of every subgraph, resolved against its URL like the transport does. @default '/graphql' */
  wsLocation?: string;
  /** Milliseconds since the epoch. @default Date.now */
  now?: () => number;
}

/**
 * Signs every request the gateway sends to a subgraph (lib/signing.ts: method, path, audience,
 * timestamp, nonce, body and the forwarded identity), and forwards the caller's verified identity
 * in x-vigil-identity, so subgraphs refuse anything that did not come through the gateway and know
 * whom it came for.
 *
 * graphql-ws connections have no per-request headers: their connection_init carries signature and
 * identity, interpolated by the ws transport from context keys set here. They are set when a
 * subscription is sent to a subgraph (the one hook that knows which subgraph, and runs after
 * authentication whatever the plugin order), with a fresh nonce each time. The ws transport pools
 * sockets by their connectionParams, so each upstream subscription gets a socket of its own; that
 * is the price of a connection_init that cannot be replayed. A socket that drops is not resumed
 * upstream (its reconnect would replay the nonce and be refused): the subscription errors and the
 * client resubscribes, as it would after a gateway restart.
 */
export function useSubgraphSigning(options: SubgraphSigningOptions): GatewayPlugin<IdentityContext> {
  const now = options.now ?? Date.now;
  const wsLocation = options.wsLocation ?? '/graphql';
  const subgraphByEndpoint = new Map(Object.entries(options.subgraphUrls).map(([name, url]) => [endpoint(url), name]));
  const wsPathOf = new Map(Object.entries(options.subgraphUrls).map(([name, url]) => [name, target(new URL(wsLocation, url))]));
  // A query fans out to several subgraphs with one identity: encode (and validate) it once.
  const encoded = new WeakMap<Identity, string>();
  const identityHeader = (identity: Identity | undefined): string | undefined => {
    if (!identity) return undefined;
    let value = encoded.get(identity);
    if (value === undefined) {
      value = encodeIdentity(identity);
      encoded.set(identity, value);
    }
    return value;
  };

  return {
    onSubgraphExecute({ subgraphName, executionRequest }) {
      // The same test the http transport makes to hand an operation to its graphql-ws executor.
      const path = wsPathOf.get(subgraphName);
      const context = executionRequest.context;
      if (executionRequest.operationType !== 'subscription' || path === undefined || !context) return;
      const identity = identityHeader(context.vigilIdentity);
      Object.assign(context, {
        [wsSignatureContextKey(subgraphName)]: signRequest(options.secret, { method: WS_METHOD, path, audience: subgraphName, body: '', identity }, { now }),
        // Interpolated as absent when empty, which is what an empty identity is signed as.
        [WS_IDENTITY_CONTEXT_KEY]: identity ?? '',
      });
    },
    onFetch({ url, options: init, setOptions, context }) {
      const audience = subgraphByEndpoint.get(endpoint(url));
      if (audience === undefined) return;
      const identity = identityHeader('vigilIdentity' in context ? context.vigilIdentity : undefined);
      const headers: Record<string, string> = {};
      // Whatever is already there for these two names is not ours to forward.
      for (const [name, value] of Object.entries(init.headers ?? {})) {
        const lower = name.toLowerCase();
        if (lower !== SIGNATURE_HEADER && lower !== IDENTITY_HEADER) headers[name] = value;
      }
      if (identity !== undefined) headers[IDENTITY_HEADER] = identity;
      const request = { method: init.method ?? 'GET', path: target(new URL(url)), audience, body: bodyOf(init.body), identity };
      headers[SIGNATURE_HEADER] = signRequest(options.secret, request, { now });
      setOptions({ ...init, headers });
    },
  };
}

/** Origin and path: two subgraphs may share a host, never a URL. */
function endpoint(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

/** The request target as it goes on the wire, which is what the subgraph verifies. */
function target(url: URL): string {
  return `${url.pathname}${url.search}`;
}

/** The bytes that will be sent. A stream or form cannot be hashed before sending: refuse it rather than sign the wrong thing. */
function bodyOf(body: RequestInit['body']): string | Uint8Array {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  throw new Error('cannot sign a subgraph request whose body is not a string or bytes');
}
