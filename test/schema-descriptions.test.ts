import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { parse, print, type DocumentNode } from 'graphql';
import { describe, expect, it } from 'vitest';

// Clients read the schema through GraphiQL, the SDK's types and their own codegen: an element without a
// description is a question nobody can answer without reading the code. Each subgraph's SDL is checked
// (it is what its owners edit) and so is the composed client schema (what users see; composition keeps
// one description per element, so a gap in every subgraph shows up there).

/** Every type, field, argument, input field and enum value of a document that has no description. */
function undescribed(document: DocumentNode): string[] {
  const missing: string[] = [];
  for (const definition of document.definitions) {
    if (!('name' in definition) || !definition.name) continue;
    const type = definition.name.value;
    // Extensions (`extend type …`) add to a type described where it is defined; directive definitions are federation's.
    const isExtension = definition.kind.endsWith('Extension');
    if (!isExtension && definition.kind !== 'DirectiveDefinition' && !('description' in definition && definition.description)) missing.push(type);
    if (definition.kind === 'DirectiveDefinition') continue;
    for (const field of 'fields' in definition ? (definition.fields ?? []) : []) {
      if (!field.description) missing.push(`${type}.${field.name.value}`);
      for (const argument of 'arguments' in field ? (field.arguments ?? []) : []) {
        if (!argument.description) missing.push(`${type}.${field.name.value}(${argument.name.value}: ${print(argument.type)})`);
      }
    }
    for (const value of 'values' in definition ? (definition.values ?? []) : []) if (!value.description) missing.push(`${type}.${value.name.value}`);
  }
  return missing;
}

const SUBGRAPHS_DIR = new URL('../subgraphs/', import.meta.url);
const subgraphs = readdirSync(SUBGRAPHS_DIR, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .filter((name) => existsSync(new URL(`${name}/schema.graphql`, SUBGRAPHS_DIR)));

describe('every type, field, argument and enum value is described', () => {
  it('finds the five subgraphs', () => {
    expect(subgraphs.sort()).toEqual(['alerts', 'audit', 'cluster', 'compliance', 'hosts']);
  });

  it.each(subgraphs)('subgraphs/%s/schema.graphql', (name) => {
    const document = parse(readFileSync(new URL(`${name}/schema.graphql`, SUBGRAPHS_DIR), 'utf8'));
    expect(undescribed(document)).toEqual([]);
  });

  it('the composed client schema (schema/schema.graphql)', () => {
    const document = parse(readFileSync(new URL('../schema/schema.graphql', import.meta.url), 'utf8'));
    expect(undescribed(document)).toEqual([]);
  });

  it('the check finds what is missing', () => {
    const document = parse(`
      "A described type."
      type T {
        "described" a(x: Int, "described" y: Int): Int
        b: Int
      }
      enum E { "described" ONE TWO }
      input I { "described" p: Int q: Int }
      extend type T { "described" c: Int }
    `);
    expect(undescribed(document)).toEqual(['T.a(x: Int)', 'T.b', 'E', 'E.TWO', 'I', 'I.q']);
  });
});
