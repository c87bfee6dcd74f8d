import { createHash, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { systemClock, type Clock } from '@vigil/lib/clock';
import { ROLES, type Identity, type Role, type TenantScope } from '@vigil/lib/identity';
import { authConfigured, type AuthConfig, type TenantsConfig } from './auth-config.js';

/** What a caller presented: the Authorization header (or graphql-ws param) and an API key. */
export interface Credentials {
  authorization?: string | undefined;
  apiKey?: string | undefined;
}

export type AuthResult = { ok: true; identity: Identity } | { ok: false; reason: string };

export interface Authenticator {
  /** False when nothing is configured: development then treats every caller as a local admin. */
  readonly configured: boolean;
  authenticate(credentials: Credentials): Promise<AuthResult>;
}

/** The identity of every caller in development when no authentication is configured. */
export const DEVELOPMENT_IDENTITY: Identity = { subject: 'development (no auth configured)', kind: 'user', roles: ['admin'], tenants: null, expiresAt: null };

/**
 * Verifies a caller. JWTs go through jose (the library Hive Gateway's own JWT plugin builds on):
 * signature, algorithm, issuer, audience, exp/nbf with the configured skew. Reasons name the check
 * that failed and never echo the token.
 */
export interface ServiceKey {
  name: string;
  key: string;
  roles: Role[];
}

export function createAuthenticator(
  config: AuthConfig,
  tenants: TenantsConfig,
  options: { development: boolean; clock?: Clock; /** Keys made at start for Vigil's own callers (the one-process stack's compliance subgraph). */ serviceKeys?: readonly ServiceKey[] },
): Authenticator {
  const clock = options.clock ?? systemClock;
  const configured = authConfigured(config);
  const scopes = resolveTenantScopes(tenants);
  const jwt = config.jwt;
  const hsKey = jwt.secret ? new TextEncoder().encode(jwt.secret) : null;
  const jwks: JWTVerifyGetKey | null = jwt.jwksUrl
    ? createRemoteJWKSet(new URL(jwt.jwksUrl), { cacheMaxAge: jwt.jwksCacheSeconds * 1000, cooldownDuration: 30_000, timeoutDuration: 5000 })
    : null;
  const apiKeys = [
    ...config.apiKeys.map((key) => ({ ...key, kind: 'apiKey' as const, digest: Buffer.from(key.sha256, 'hex') })),
    ...[...(config.serviceApiKey ? [{ name: 'vigil-services', key: config.serviceApiKey, roles: ['viewer' as const] }] : []), ...(options.serviceKeys ?? [])].map((key) => ({ name: key.name, roles: key.roles, tenants: undefined, kind: 'service' as const, digest: createHash('sha256').update(key.key, 'utf8').digest() })),
  ];

  const withTenants = (names: readonly string[] | undefined): { ok: true; tenants: TenantScope[] | null } | { ok: false; reason: string } => {
    if (names === undefined) return { ok: true, tenants: null };
    const out: TenantScope[] = [];
    for (const name of names) {
      const scope = scopes.get(name);
      if (!scope) return { ok: false, reason: `unknown tenant "${name.slice(0, 64)}"` };
      out.push(scope);
    }
    return { ok: true, tenants: out };
  };

  const verifyApiKey = (key: string): AuthResult => {
    const digest = createHash('sha256').update(key, 'utf8').digest();
    // Compare against every key, so timing does not tell which prefix of the list matched.
    let match: (typeof apiKeys)[number] | undefined;
    for (const candidate of apiKeys) if (timingSafeEqual(candidate.digest, digest) && !match) match = candidate;
    if (!match) return { ok: false, reason: 'API key not recognised' };
    const tenantResult = withTenants(match.tenants);
    if (!tenantResult.ok) return tenantResult;
    return { ok: true, identity: { subject: `${match.kind === 'service' ? 'service' : 'apikey'}:${match.name}`, kind: match.kind, roles: [...match.roles], tenants: tenantResult.tenants, expiresAt: null } };
  };

  const verifyJwt = async (token: string): Promise<AuthResult> => {
    if (!hsKey && !jwks) return { ok: false, reason: 'bearer tokens are not accepted here (no JWT secret or JWKS configured)' };
    let payload: JWTPayload;
    try {
      const verifyOptions = {
        ...(jwt.issuer ? { issuer: jwt.issuer } : {}),
        ...(jwt.audience ? { audience: jwt.audience } : {}),
        clockTolerance: jwt.clockSkewSeconds,
        currentDate: clock(),
        requiredClaims: ['exp'],
      };
      // A JWKS only ever verifies asymmetric algorithms; the HS256 secret only HS256. Neither
      // accepts `none`, and a token cannot pick the other kind of key by its header.
      payload =
        hsKey && (!jwks || headerAlg(token) === 'HS256')
          ? (await jwtVerify(token, hsKey, { ...verifyOptions, algorithms: ['HS256'] })).payload
          : (await jwtVerify(token, jwks as JWTVerifyGetKey, { ...verifyOptions, algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] })).payload;
    } catch (error) {
      return { ok: false, reason: describeJwtFailure(error) };
    }
    const subject = claimAt(payload, jwt.subjectClaim);
    if (typeof subject !== 'string' || subject === '') return { ok: false, reason: `token has no "${jwt.subjectClaim}" claim` };
    const rolesValue = claimAt(payload, jwt.rolesClaim);
    const roles = (Array.isArray(rolesValue) ? rolesValue : typeof rolesValue === 'string' ? rolesValue.split(/[\s,]+/) : []).filter(
      (role): role is Role => typeof role === 'string' && (ROLES as readonly string[]).includes(role),
    );
    const tenantsValue = claimAt(payload, jwt.tenantsClaim);
    if (tenantsValue !== undefined && !(Array.isArray(tenantsValue) && tenantsValue.every((t) => typeof t === 'string'))) {
      return { ok: false, reason: `"${jwt.tenantsClaim}" claim must be an array of tenant names` };
    }
    const tenantResult = withTenants(tenantsValue as string[] | undefined);
    if (!tenantResult.ok) return tenantResult;
    return { ok: true, identity: { subject, kind: 'user', roles: [...new Set(roles)], tenants: tenantResult.tenants, expiresAt: typeof payload.exp === 'number' ? payload.exp : null } };
  };

  return {
    configured,
    async authenticate(credentials) {
      if (!configured) {
        return options.development ? { ok: true, identity: DEVELOPMENT_IDENTITY } : { ok: false, reason: 'no authentication is configured' };
      }
      if (credentials.apiKey) return verifyApiKey(credentials.apiKey);
      const authorization = credentials.authorization?.trim();
      if (!authorization) return { ok: false, reason: 'no credentials: send "Authorization: Bearer <token>" or "x-api-key: <key>"' };
      const match = /^Bearer\s+(\S+)$/i.exec(authorization);
      if (!match?.[1]) return { ok: false, reason: 'Authorization header is not "Bearer <token>"' };
      return verifyJwt(match[1]);
    },
  };
}

function resolveTenantScopes(tenants: TenantsConfig): Map<string, TenantScope> {
  return new Map(
    Object.entries(tenants).map(([name, t]) => [
      name,
      { name, clusters: t.clusters ?? [], hostLabels: t.hostLabels ?? null, victoriaLogs: t.victoriaLogs ?? null },
    ]),
  );
}

function headerAlg(token: string): string | undefined {
  try {
    const header: unknown = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null && 'alg' in header && typeof header.alg === 'string' ? header.alg : undefined;
  } catch {
    return undefined;
  }
}

/** Reads a claim by a dotted path (realm_access.roles). */
function claimAt(payload: JWTPayload, path: string): unknown {
  let node: unknown = payload;
  for (const key of path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function describeJwtFailure(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'token expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'iss':
        return 'token issuer does not match';
      case 'aud':
        return 'token audience does not match';
      case 'nbf':
        return 'token is not valid yet (nbf)';
      case 'iat':
        return 'token issued-at (iat) is in the future';
      case 'exp':
        return 'token has no expiry (exp)';
      default:
        return `token claim "${error.claim}" is invalid`;
    }
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'token signature does not verify';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'token algorithm is not allowed';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'no key in the JWKS matches the token';
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) return 'the JWKS could not be fetched';
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid || error instanceof joseErrors.JOSENotSupported) return 'token is malformed';
  return 'token could not be verified';
}
