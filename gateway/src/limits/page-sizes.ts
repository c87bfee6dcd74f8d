import { Kind, type ArgumentNode, type DocumentNode, type GraphQLSchema, type ValueNode } from 'graphql';
import { graphql } from './graphql-realm.js';

/** The arguments graphql-armor's cost rule multiplies a list field's cost by. */
const PAGE_ARGUMENTS = new Set(['first', 'last']);

/**
 * The document with every `first`/`last` page size written out as an integer literal: an omitted
 * argument becomes the schema's default, a variable its value (or else the operation's default for
 * it, or else the schema's). Without `variables` (during validation, before they are known) variables
 * are left as they are, so that the estimate stays a lower bound.
 *
 * graphql-armor's cost rule multiplies only by integer literals, so without this `first: $n` counts
 * as one item whatever n is, and `packages { … }` as one although the schema pages 100 by default:
 * exactly how an aliased query of a few kilobytes returned 139 MB.
 */
export function withExplicitPageSizes(schema: GraphQLSchema, document: DocumentNode, variables?: Readonly<Record<string, unknown>>): DocumentNode {
  const variableDefaults = new Map<string, ValueNode>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const variable of definition.variableDefinitions ?? []) {
      if (variable.defaultValue) variableDefaults.set(variable.variable.name.value, variable.defaultValue);
    }
  }
  // The runtime's graphql: TypeInfo checks the schema's types with instanceof.
  const typeInfo = new graphql.TypeInfo(schema);
  return graphql.visit(
    document,
    graphql.visitWithTypeInfo(typeInfo, {
      Field(node) {
        const field = typeInfo.getFieldDef();
        if (!field) return undefined;
        const args: ArgumentNode[] = [...(node.arguments ?? [])];
        let changed = false;
        for (const definition of field.args) {
          if (!PAGE_ARGUMENTS.has(definition.name)) continue;
          const index = args.findIndex((arg) => arg.name.value === definition.name);
          const size = pageSize(args[index]?.value, definition.defaultValue, variables, variableDefaults);
          if (size === undefined) continue;
          const literal: ArgumentNode = {
            kind: Kind.ARGUMENT,
            name: { kind: Kind.NAME, value: definition.name },
            value: { kind: Kind.INT, value: String(size) },
          };
          if (index >= 0) args[index] = literal;
          else args.push(literal);
          changed = true;
        }
        return changed ? { ...node, arguments: args } : undefined;
      },
    }),
  );
}

/** The page size to write out, or undefined to leave the argument as it is. */
function pageSize(
  value: ValueNode | undefined,
  schemaDefault: unknown,
  variables: Readonly<Record<string, unknown>> | undefined,
  variableDefaults: ReadonlyMap<string, ValueNode>,
): number | undefined {
  if (value === undefined) return integer(schemaDefault);
  if (value.kind !== Kind.VARIABLE || variables === undefined) return undefined;
  const name = value.name.value;
  const given = variables[name];
  if (given !== undefined && given !== null) return integer(given);
  const fallback = variableDefaults.get(name);
  if (fallback?.kind === Kind.INT) return integer(Number(fallback.value));
  return integer(schemaDefault);
}

function integer(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}
