import type { GenericAuthPluginOptions, ValidateUserFnParams } from '@envelop/generic-auth';
import { scopesOf, type Identity } from '@vigil/lib/identity';
import { VigilError } from '@vigil/lib/errors';
import { IDENTITY_CONTEXT_KEY } from '../plugins/use-access-log.js';

/**
 * Authorisation from the schema: every object type or field in the subgraphs' SDL carries
 * Federation's `@requiresScopes` (the scopes are the roles: viewer ⊂ analyst ⊂ admin), the
 * supergraph keeps them, and Hive Gateway's generic-auth plugin checks them against the caller's
 * roles before anything is sent to a subgraph — for queries, mutations and subscriptions alike.
 *
 * Deny by default: a field whose type and definition declare no scope is refused, so a field added
 * without declaring who may read it is visible to nobody (and test/schema-scopes.test.ts fails).
 * Refused fields are left out of the operation and answered with a FORBIDDEN error naming the
 * field and the role it needs; the rest of the operation still runs.
 */
export function validateScopes(params: ValidateUserFnParams<Caller>): VigilError | undefined {
  const where = `${params.parentType.name}.${params.field.name}`;
  const required = [...(params.typeScopes ?? []), ...(params.fieldScopes ?? [])];
  if (required.length === 0) return forbidden(params, `${where} declares no role that may read it`);
  if (params.user === null) return new VigilError('UNAUTHENTICATED', `${where} needs an authenticated caller`, { details: { path: params.path } });
  // Each directive is a list of alternatives (OR) of scope sets (AND); type and field both apply.
  for (const alternatives of [params.typeScopes, params.fieldScopes]) {
    if (!alternatives?.length) continue;
    const ok = alternatives.some((set) => set.every((scope) => params.userScopes.includes(scope)));
    if (!ok) return forbidden(params, `${where} needs the ${[...new Set(alternatives.map((set) => set.join(' + ')))].join(' or ')} role`);
  }
  return undefined;
}

function forbidden(params: ValidateUserFnParams<Caller>, message: string): VigilError {
  return new VigilError('FORBIDDEN', message, { details: { path: params.path } });
}

/** generic-auth's user type; always a Vigil Identity here (see resolveUserFn). */
type Caller = Record<string, unknown> | null;

function isIdentity(value: unknown): value is Identity {
  return typeof value === 'object' && value !== null && 'roles' in value && Array.isArray(value.roles) && 'subject' in value;
}

export function genericAuthOptions(): GenericAuthPluginOptions<Record<string, unknown>, Record<string, unknown>> {
  return {
    mode: 'protect-granular',
    resolveUserFn: (context) => {
      const identity = context[IDENTITY_CONTEXT_KEY];
      return isIdentity(identity) ? { ...identity } : null;
    },
    extractScopes: (user) => (isIdentity(user) ? scopesOf(user.roles) : []),
    validateUser: validateScopes,
    // Refuse the fields, not the operation: the caller gets what it may see plus FORBIDDEN errors.
    rejectUnauthenticated: false,
  };
}
