import { z } from 'zod';
import { httpUrl } from '@vigil/lib/http-ports';
import type { EnvOverride } from '@vigil/lib/config';
import { ROLES } from '@vigil/lib/identity';

const roles = z.array(z.enum(ROLES)).min(1, 'at least one role (viewer, analyst or admin)');
const tenantName = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'a DNS label such as team-a');

/**
 * `gateway.auth:`: who may call the gateway. JWT bearer tokens (an OIDC provider's JWKS, or an
 * HS256 shared secret for small installs) for people, API keys for machines. With nothing
 * configured, development treats every caller as a local admin (warned at start) and production
 * refuses to start.
 */
export const authConfig = z
  .object({
    jwt: z
      .object({
        /** HS256 shared secret (env VIGIL_JWT_SECRET). At least 32 characters. */
        secret: z.string().min(32, 'must be at least 32 characters').optional(),
        /** The OIDC provider's JWKS URL (env VIGIL_JWKS_URL), e.g. https://keycloak/realms/x/protocol/openid-connect/certs. */
        jwksUrl: httpUrl.optional(),
        /** Required `iss` (env VIGIL_JWT_ISSUER). Required in production with a JWKS. */
        issuer: z.string().min(1).optional(),
        /** Required `aud` (env VIGIL_JWT_AUDIENCE). Required in production with a JWKS. */
        audience: z.string().min(1).optional(),
        /** Leeway for exp/nbf/iat against the gateway's clock. @default 30 */
        clockSkewSeconds: z.coerce.number().int().min(0).max(600).default(30),
        /** Claim holding the roles, dotted for nested claims (Keycloak: realm_access.roles). @default roles */
        rolesClaim: z.string().min(1).default('roles'),
        /** Claim holding the tenant names; absent in a token = every tenant. @default tenants */
        tenantsClaim: z.string().min(1).default('tenants'),
        /** Claim naming the caller in the access log. @default sub */
        subjectClaim: z.string().min(1).default('sub'),
        /** How long fetched JWKS keys are reused before the provider is asked again. @default 600 */
        jwksCacheSeconds: z.coerce.number().int().min(10).max(86_400).default(600),
      })
      .strict()
      .prefault({}),
    /** Machine callers: `x-api-key: <key>`. Only the SHA-256 of each key is stored (`printf %s "$KEY" | sha256sum`). */
    apiKeys: z
      .array(
        z
          .object({
            /** Who this key is, in the access log. */
            name: z.string().min(1),
            /** Hex SHA-256 of the key. */
            sha256: z.string().regex(/^[0-9a-f]{64}$/, 'the hex SHA-256 of the key (64 lowercase hex digits)'),
            roles,
            /** Tenant names; absent = every tenant. */
            tenants: z.array(tenantName).min(1).optional(),
          })
          .strict(),
      )
      .default([]),
    /**
     * Key Vigil's own services present to the gateway (the compliance subgraph reads its evidence
     * through it; env VIGIL_SERVICE_API_KEY, the same variable compliance reads). Role viewer, every
     * tenant. The one-process stack makes one per start when unset.
     */
    serviceApiKey: z.string().min(32, 'must be at least 32 characters').optional(),
    /** Bearer token /metrics asks for (env VIGIL_METRICS_TOKEN). Unset: /metrics is open, like /healthz. */
    metricsToken: z.string().min(16, 'must be at least 16 characters').optional(),
  })
  .strict();
export type AuthConfig = z.infer<typeof authConfig>;

/**
 * `tenants:`: named scopes. A caller restricted to tenants sees only hosts matching one of their
 * label selectors, cluster data of their clusters, and audit events of their VictoriaLogs tenant.
 */
export const tenantsConfig = z.record(
  tenantName,
  z
    .object({
      /** Cluster names (as recorded on events: `cluster.name` or the kubeconfig context's name). */
      clusters: z.array(z.string().min(1)).min(1).optional(),
      /** Hosts whose inventory labels include every pair. */
      hostLabels: z
        .record(z.string().min(1), z.string())
        .refine((labels) => Object.keys(labels).length > 0, 'at least one label (an empty selector would match every host)')
        .optional(),
      /** The VictoriaLogs tenant holding this tenant's audit events. */
      victoriaLogs: z
        .object({
          accountId: z.coerce.number().int().min(0).max(0xffff_ffff),
          projectId: z.coerce.number().int().min(0).max(0xffff_ffff).default(0),
        })
        .strict()
        .optional(),
    })
    .strict()
    .refine((t) => t.clusters !== undefined || t.hostLabels !== undefined || t.victoriaLogs !== undefined, 'a tenant needs a scope: clusters, hostLabels or victoriaLogs'),
);
export type TenantsConfig = z.infer<typeof tenantsConfig>;

export const authOverrides: EnvOverride[] = [
  { env: 'VIGIL_JWT_SECRET', path: ['gateway', 'auth', 'jwt', 'secret'] },
  { env: 'VIGIL_JWKS_URL', path: ['gateway', 'auth', 'jwt', 'jwksUrl'] },
  { env: 'VIGIL_JWT_ISSUER', path: ['gateway', 'auth', 'jwt', 'issuer'] },
  { env: 'VIGIL_JWT_AUDIENCE', path: ['gateway', 'auth', 'jwt', 'audience'] },
  { env: 'VIGIL_METRICS_TOKEN', path: ['gateway', 'auth', 'metricsToken'] },
  { env: 'VIGIL_SERVICE_API_KEY', path: ['gateway', 'auth', 'serviceApiKey'] },
];

export function authConfigured(auth: AuthConfig): boolean {
  return auth.jwt.secret !== undefined || auth.jwt.jwksUrl !== undefined || auth.apiKeys.length > 0;
}
