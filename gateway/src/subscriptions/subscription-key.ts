import { createHash } from 'node:crypto';
import type { DocumentNode, OperationDefinitionNode } from 'graphql';
import type { Identity, TenantScope } from '@vigil/lib/identity';
import { graphql } from '../limits/graphql-realm.js';

/**
 * When two subscribers may share one upstream subscription and one execution per event: the same
 * document (as it will execute, i.e. after authorisation removed any refused field), the same
 * variables, the same operation name and the same authorisation scope. The scope is what every
 * subgraph filters by — the roles and the resolved tenant scopes of the verified identity — never
 * the token, the subject or the expiry, which differ between callers who see exactly the same.
 */
export interface ShareableSubscription {
  document: DocumentNode;
  variables: Readonly<Record<string, unknown>> | null | undefined;
  operationName: string | null | undefined;
  identity: Identity;
}

/** A stable text for any JSON value: object keys sorted, `undefined` members dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item: unknown) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, member]) => member !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(',')}}`;
}

/** Roles (as a set) and tenants (as a set of their full resolved scopes; null = every tenant). */
export function authorisationScope(identity: Identity): string {
  const roles = [...new Set(identity.roles)].sort();
  const tenants = identity.tenants === null ? null : [...identity.tenants].map(tenantScope).sort();
  return canonicalJson({ roles, tenants });
}

function tenantScope(tenant: TenantScope): string {
  return canonicalJson(tenant);
}

const printed = new WeakMap<DocumentNode, string>();
function printOnce(document: DocumentNode): string {
  let text = printed.get(document);
  if (text === undefined) {
    text = graphql.print(document);
    printed.set(document, text);
  }
  return text;
}

/** The sharing key: a SHA-256 over document, operation name, variables and scope (keys stay small whatever the document's size). */
export function subscriptionKey(subscription: ShareableSubscription): string {
  return createHash('sha256')
    .update(printOnce(subscription.document))
    .update('\0')
    .update(subscription.operationName ?? '')
    .update('\0')
    .update(canonicalJson(subscription.variables ?? {}))
    .update('\0')
    .update(authorisationScope(subscription.identity))
    .digest('base64url');
}

/**
 * The identity a shared upstream subscription runs as: the scope the group shares and nothing of
 * any one member (subject, kind, expiry). Each member's own token expiry still ends that member
 * at the gateway (auth/use-identity-expiry.ts); the upstream lives while the group has members.
 */
export function groupIdentity(identity: Identity): Identity {
  return {
    subject: 'gateway:subscription-group',
    kind: 'service',
    roles: [...new Set(identity.roles)].sort(),
    tenants: identity.tenants === null ? null : identity.tenants.map((tenant) => ({ ...tenant })),
    expiresAt: null,
  };
}

/**
 * Whether the operation asks to resume from a cursor: its subscription root field has a non-null
 * `after` argument (Vigil's resume convention, `alertRaised(after:)`). Such a stream replays from
 * the cursor, so a second subscriber may join it only before its first event went out; after
 * that the newcomer gets an execution of its own (it would otherwise miss the replayed events).
 */
export function resumesFromCursor(document: DocumentNode, operationName: string | null | undefined, variables: Readonly<Record<string, unknown>> | null | undefined): boolean {
  const operation = graphql.getOperationAST(document, operationName ?? undefined);
  if (!operation || operation.operation !== 'subscription') return false;
  return rootArguments(operation).some((argument) => {
    if (argument.name.value !== 'after') return false;
    const value = argument.value;
    if (value.kind === graphql.Kind.NULL) return false;
    if (value.kind !== graphql.Kind.VARIABLE) return true;
    const name = value.name.value;
    if (variables && name in variables) return variables[name] != null;
    const fallback = operation.variableDefinitions?.find((definition) => definition.variable.name.value === name)?.defaultValue;
    return fallback !== undefined && fallback.kind !== graphql.Kind.NULL;
  });
}

function rootArguments(operation: OperationDefinitionNode) {
  return operation.selectionSet.selections.flatMap((selection) => (selection.kind === graphql.Kind.FIELD ? (selection.arguments ?? []) : []));
}
