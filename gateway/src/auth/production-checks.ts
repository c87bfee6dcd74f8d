import type { z } from 'zod';
import { configValueAt, isSetString } from '@vigil/lib/base-config';
import { isRecord } from '@vigil/lib/config';


/**
 * Fail closed: a production config must say who may call the gateway and who may post to the
 * webhooks; every missing key is named (with its env variable). Runs on partly invalid input (see
 * ALWAYS_CHECK), so it only looks.
 */
export function requireAuthInProduction(config: unknown, ctx: z.RefinementCtx): void {
  if (configValueAt(config, 'env') !== 'production') return;
  const jwt = configValueAt(config, 'gateway', 'auth', 'jwt');
  const apiKeys = configValueAt(config, 'gateway', 'auth', 'apiKeys');
  const hasJwt = isSetString(configValueAt(jwt, 'secret')) || isSetString(configValueAt(jwt, 'jwksUrl'));
  if (!hasJwt && !(Array.isArray(apiKeys) && apiKeys.length > 0)) {
    ctx.addIssue({
      code: 'custom',
      path: ['gateway', 'auth'],
      message: 'required when env is production: jwt.secret (env VIGIL_JWT_SECRET), jwt.jwksUrl (env VIGIL_JWKS_URL) or apiKeys',
    });
  }
  if (isSetString(configValueAt(jwt, 'jwksUrl'))) {
    // An OIDC provider signs tokens for every application it serves: without both checks any of them would do.
    if (!isSetString(configValueAt(jwt, 'issuer'))) ctx.addIssue({ code: 'custom', path: ['gateway', 'auth', 'jwt', 'issuer'], message: 'required with a JWKS when env is production' });
    if (!isSetString(configValueAt(jwt, 'audience'))) ctx.addIssue({ code: 'custom', path: ['gateway', 'auth', 'jwt', 'audience'], message: 'required with a JWKS when env is production' });
  }
}

/** API keys may only name tenants that exist (checked in every environment). */
export function requireKnownTenants(config: unknown, ctx: z.RefinementCtx): void {
  const tenants = configValueAt(config, 'tenants');
  const known = new Set(isRecord(tenants) ? Object.keys(tenants) : []);
  const apiKeys = configValueAt(config, 'gateway', 'auth', 'apiKeys');
  if (!Array.isArray(apiKeys)) return;
  apiKeys.forEach((key: unknown, index) => {
    const names = configValueAt(key, 'tenants');
    if (!Array.isArray(names)) return;
    names.forEach((name: unknown, at) => {
      if (typeof name === 'string' && !known.has(name)) {
        ctx.addIssue({ code: 'custom', path: ['gateway', 'auth', 'apiKeys', String(index), 'tenants', String(at)], message: `unknown tenant "${name}" (define it under tenants:)` });
      }
    });
  });
}
