import { encodeIdentity, IDENTITY_HEADER, type Identity } from '@vigil/lib/identity';
import { signRequest, SIGNATURE_HEADER } from '@vigil/lib/signing';
import type { z } from 'zod';

export type UpstreamName = 'hosts' | 'cluster' | 'audit';

/**
 * Queries another subgraph as the caller: the request carries the caller's verified identity,
 * signed the way the gateway signs (lib/signing.ts, audience = that subgraph), so the subgraph that
 * owns the data applies its own tenant filters to exactly this caller — a viewer of tenant A gets
 * from the timeline only what it would get from Host.changes or securityEvents itself.
 *
 * Why not through the gateway with a service key, as compliance reads its evidence: a service key
 * is one identity (every tenant), so the timeline would have to re-implement every subgraph's tenant
 * rules on what came back. Signing needs the secret every subgraph already holds to verify the
 * gateway; it grants nothing a subgraph could not already do. What the gateway would have checked
 * (`@requiresScopes`) is checked by the timeline before it asks (audit events only for analysts).
 */
export class SignedSubgraphClient {
  constructor(
    private readonly options: {
      name: UpstreamName;
      /** A provider: in the one-process stack the subgraphs' ports are known only once they listen. */
      url: () => string;
      signingSecret: string;
      timeoutMs: number;
    },
  ) {}

  async query<T>(document: string, variables: Record<string, unknown>, identity: Identity, shape: z.ZodType<T>): Promise<T> {
    const url = new URL(this.options.url());
    const body = JSON.stringify({ query: document, variables });
    const encoded = encodeIdentity(identity);
    const signature = signRequest(this.options.signingSecret, { method: 'POST', path: `${url.pathname}${url.search}`, audience: this.options.name, body, identity: encoded });
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', [IDENTITY_HEADER]: encoded, [SIGNATURE_HEADER]: signature },
      body,
      signal: AbortSignal.timeout(this.options.timeoutMs),
    });
    if (!response.ok) throw new Error(`${this.options.name} answered HTTP ${response.status}`);
    const json = (await response.json()) as { data?: unknown; errors?: { message?: string }[] };
    if (json.errors && json.errors.length > 0) throw new Error(`${this.options.name}: ${json.errors.map((e) => e.message ?? 'error').join('; ')}`);
    return shape.parse(json.data);
  }
}
