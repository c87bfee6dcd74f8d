import { IDENTITY_HEADER, encodeIdentity, type Identity } from '@vigil/lib/identity';
import { SIGNATURE_HEADER, signRequest } from '@vigil/lib/signing';

/** What the gateway forwards for an unrestricted admin: "direct" requests must see what the gateway's caller sees. */
const BENCH_IDENTITY: Identity = { subject: 'bench', kind: 'service', roles: ['admin'], tenants: null, expiresAt: null };
const encoded = encodeIdentity(BENCH_IDENTITY);

/**
 * Headers of a request sent straight to a subgraph as the gateway would send it: signed for that
 * subgraph (audience), method, path and body, with a fresh nonce, carrying the caller's identity.
 */
export function directHeaders(secret: string, url: string, audience: string, body: string): Record<string, string> {
  return {
    [IDENTITY_HEADER]: encoded,
    [SIGNATURE_HEADER]: signRequest(secret, { method: 'POST', path: new URL(url).pathname, audience, body, identity: encoded }),
  };
}
