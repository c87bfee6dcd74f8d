import { z } from 'zod';

/**
 * The caller's identity as the gateway verified it, forwarded to subgraphs in one header.
 *
 * The gateway authenticates; subgraphs never see the caller's credentials, only this. They can
 * trust it because it travels inside the gateway's request signature (lib/signing.ts covers the
 * header value), so it cannot be added, removed or altered on the way.
 */

/** Ordered from least to most privileged: each role includes the ones before it. */
export const ROLES = ['viewer', 'analyst', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The scope a tenant grants, resolved from config by the gateway. */
export interface TenantScope {
  name: string;
  /** Cluster names whose data this tenant sees. */
  clusters: string[];
  /** Hosts whose labels include every pair; null = no hosts. */
  hostLabels: Record<string, string> | null;
  /** The VictoriaLogs tenant of its audit events; null = no audit events. */
  victoriaLogs: { accountId: number; projectId: number } | null;
}

export interface Identity {
  subject: string;
  kind: 'user' | 'apiKey' | 'service';
  roles: Role[];
  /** null = every tenant (no tenant restriction) */
  tenants: TenantScope[] | null;
  /** unix seconds, or null */
  expiresAt: number | null;
}

export const IDENTITY_HEADER = 'x-vigil-identity';

/**
 * Far below Node's 16 KiB limit for all headers together, so an identity with many tenants fails
 * here with a clear message rather than as an opaque 431 from the subgraph.
 */
export const MAX_IDENTITY_HEADER_LENGTH = 8192;

const nonEmpty = z.string().min(1);
const tenantScopeSchema = z.strictObject({
  name: nonEmpty,
  clusters: z.array(nonEmpty),
  hostLabels: z.record(z.string(), z.string()).nullable(),
  victoriaLogs: z.strictObject({ accountId: z.int().nonnegative(), projectId: z.int().nonnegative() }).nullable(),
});
const identitySchema = z.strictObject({
  subject: nonEmpty,
  kind: z.enum(['user', 'apiKey', 'service']),
  roles: z.array(z.enum(ROLES)),
  tenants: z.array(tenantScopeSchema).nullable(),
  expiresAt: z.int().nonnegative().nullable(),
});

/** Names only the failing paths: the value may hold tenant names that do not belong in a client's error. */
function describe(error: z.ZodError): string {
  return [...new Set(error.issues.map((issue) => issue.path.join('.') || 'shape'))].join(', ');
}

function parse(value: unknown): Identity {
  const result = identitySchema.safeParse(value);
  if (!result.success) throw new Error(`malformed ${IDENTITY_HEADER}: wrong ${describe(result.error)}`);
  return result.data;
}

/** base64url of the JSON object: header-safe without escaping, and never contains the signature's separators. */
export function encodeIdentity(id: Identity): string {
  // Validated on the way out too: a gateway bug should fail here, not as a 401 from every subgraph.
  const encoded = Buffer.from(JSON.stringify(parse(id)), 'utf8').toString('base64url');
  if (encoded.length > MAX_IDENTITY_HEADER_LENGTH) throw new Error(`${IDENTITY_HEADER} would be ${encoded.length} characters, over ${MAX_IDENTITY_HEADER_LENGTH}`);
  return encoded;
}

/** The inverse of encodeIdentity; throws on anything that is not exactly an Identity. */
export function decodeIdentity(value: string): Identity {
  if (value.length === 0 || value.length > MAX_IDENTITY_HEADER_LENGTH || !/^[A-Za-z0-9_-]+$/.test(value)) {
    throw new Error(`malformed ${IDENTITY_HEADER}: not base64url of at most ${MAX_IDENTITY_HEADER_LENGTH} characters`);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw new Error(`malformed ${IDENTITY_HEADER}: not JSON`);
  }
  return parse(json);
}

/**
 * Every role the given roles imply, in ROLES order: admin ⊇ analyst ⊇ viewer, so ['analyst'] gives
 * ['viewer', 'analyst']. Resolvers check for the one scope they need instead of the hierarchy.
 */
export function scopesOf(roles: readonly Role[]): Role[] {
  const highest = Math.max(-1, ...roles.map((role) => ROLES.indexOf(role)));
  return ROLES.slice(0, highest + 1);
}
