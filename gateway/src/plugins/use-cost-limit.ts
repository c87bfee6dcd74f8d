import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { Kind, type ASTVisitor, type DocumentNode, type GraphQLError, type GraphQLSchema, type ValidationContext } from 'graphql';
import { graphql } from '../limits/graphql-realm.js';
import { refuseWith } from '../limits/limit-error.js';
import { withExplicitPageSizes } from '../limits/page-sizes.js';

export interface CostLimitOptions {
  /**
   * graphql-armor's estimate with its defaults (2 per object field, 1 per scalar, ×1.5 per level,
   * × the page size of every `first`/`last` list), page sizes taken from the request's variables and
   * the schema's defaults: roughly 15 per item returned, more the deeper it is nested. HostHistory
   * (500 changes, 1,000 packages) estimates about 69,000, ComplianceHostEvidence at compliance's page
   * of 500 about 84,000, and the README's cross-source question at 25 hosts a page about 70,000 (at
   * 100 a page, 281,000); 30 aliased copies of `hosts(first: 500)` with their packages run into billions.
   * @default 100000
   */
  maxCost: number;
}

/**
 * Refuses an operation whose estimated cost exceeds `maxCost`, before anything is sent to a
 * subgraph. Checked twice, with graphql-armor's cost rule on the document with its page sizes
 * written out (limits/page-sizes.ts):
 *
 * - during validation, with the schema's defaults for omitted page sizes: this also stops fragments
 *   that expand exponentially (each spreading the next twice) before the execution-time plugins
 *   that walk the expanded operation, such as generic-auth's, which took 2.3 s for 22 levels;
 * - when the operation is executed or subscribed, with the request's variables, which validation
 *   does not see: `first: $n` must count as n.
 */
export function useCostLimit(options: CostLimitOptions): GatewayPlugin {
  const rule = costLimitRule({
    maxCost: options.maxCost,
    // Inline fragments and spreads are not a level of the response.
    flattenFragments: true,
    ...refuseWith('maxCost', 'Estimated query cost', options.maxCost),
  });
  const refusal = (schema: GraphQLSchema, document: DocumentNode, variables?: Readonly<Record<string, unknown>>): GraphQLError | null => {
    try {
      graphql.validate(schema, withExplicitPageSizes(schema, document, variables), [rule]);
      return null;
    } catch (error) {
      if (error instanceof graphql.GraphQLError) return error;
      throw error;
    }
  };
  /** Only the operation that runs counts, with the fragments it may spread. */
  const selected = (document: DocumentNode, operationName: string | null | undefined): DocumentNode | null => {
    const operation = graphql.getOperationAST(document, operationName);
    if (!operation) return null; // graphql-js reports that itself
    return { ...document, definitions: [operation, ...document.definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION)] };
  };
  return {
    onValidate({ addValidationRule }) {
      // On leaving the document, so that the structural limits (depth, aliases…), which refuse at
      // the start of an operation, name themselves first.
      addValidationRule(function VigilCostLimit(context: ValidationContext): ASTVisitor {
        return {
          Document: {
            leave() {
              const error = refusal(context.getSchema(), context.getDocument());
              if (error) context.reportError(error);
            },
          },
        };
      });
    },
    onExecute({ args, setResultAndStopExecution }) {
      const document = selected(args.document, args.operationName);
      const error = document && refusal(args.schema, document, args.variableValues ?? {});
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const document = selected(args.document, args.operationName);
      const error = document && refusal(args.schema, document, args.variableValues ?? {});
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}
