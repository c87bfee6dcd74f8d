import { readFileSync } from 'node:fs';
import { Kind, parse, type ConstDirectiveNode, type FieldDefinitionNode, type ObjectTypeDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ROLES } from '@vigil/lib/identity';

// Deny by default is enforced at run time (gateway/src/auth/authorization.ts refuses a field that
// declares no role); this test makes the omission fail before it ships: every field of the composed
// supergraph, which is what the gateway enforces, says who may read it, with roles Vigil knows.
const supergraph = parse(readFileSync(new URL('../schema/supergraph.graphql', import.meta.url), 'utf8'));

const objectTypes = supergraph.definitions.filter((d): d is ObjectTypeDefinitionNode => d.kind === Kind.OBJECT_TYPE_DEFINITION);

function scopesOf(directives: readonly ConstDirectiveNode[] | undefined): string[][] | null {
  const directive = directives?.find((d) => d.name.value === 'requiresScopes');
  if (!directive) return null;
  const argument = directive.arguments?.find((a) => a.name.value === 'scopes');
  if (argument?.value.kind !== Kind.LIST) throw new Error('@requiresScopes without a scopes list');
  return argument.value.values.map((set) => (set.kind === Kind.LIST ? set.values.map((v) => (v.kind === Kind.STRING ? v.value : '?')) : ['?']));
}

const fields = objectTypes.flatMap((type) => (type.fields ?? []).map((field): [string, ObjectTypeDefinitionNode, FieldDefinitionNode] => [`${type.name.value}.${field.name.value}`, type, field]));

describe('every field of the supergraph declares who may read it', () => {
  it('the supergraph has the types and fields this test walks', () => {
    expect(objectTypes.map((t) => t.name.value)).toEqual(expect.arrayContaining(['Query', 'Mutation', 'Subscription', 'Host', 'SecurityEvent', 'AuditEvent', 'Control', 'Alert']));
    expect(fields.length).toBeGreaterThan(200);
  });

  it('each field, or its type, carries @requiresScopes with known roles', () => {
    const undeclared: string[] = [];
    const unknownRoles: string[] = [];
    for (const [name, type, field] of fields) {
      const declared = [scopesOf(type.directives), scopesOf(field.directives)].filter((s): s is string[][] => s !== null);
      if (declared.length === 0) undeclared.push(name);
      for (const scope of declared.flat(2)) if (!(ROLES as readonly string[]).includes(scope)) unknownRoles.push(`${name}: ${scope}`);
    }
    expect(undeclared).toEqual([]);
    expect(unknownRoles).toEqual([]);
  });

  it('mutations need admin; audit events, identities and raw records need analyst', () => {
    const scopes = (name: string) => {
      const entry = fields.find(([n]) => n === name);
      if (!entry) throw new Error(`${name} is not in the supergraph`);
      return [scopesOf(entry[1].directives), scopesOf(entry[2].directives)].filter((s) => s !== null);
    };
    expect(scopes('Mutation.refreshHost')).toContainEqual([['admin']]);
    for (const name of ['Query.auditEvents', 'SecurityEvent.raw', 'AuditEvent.verb']) expect(scopes(name)).toContainEqual([['analyst']]);
    // Who did what, from every source that names an identity.
    for (const name of ['Query.identities', 'Query.identity', 'Identity.activity', 'Identity.securityEvents', 'Identity.alerts', 'IdentityEdge.count']) {
      expect(scopes(name), name).toContainEqual([['analyst']]);
    }
  });
});
