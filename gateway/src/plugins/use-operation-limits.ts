import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { refuseWith } from '../limits/limit-error.js';

export interface OperationLimitsOptions {
  /**
   * Lexical tokens per document. Counted while parsing, so an oversized document is refused before
   * graphql-js validation, whose overlapping-fields rule is quadratic in repeated fields (20,000
   * `__typename` took 3.3 s). The SDK's largest operations file has under 300.
   * @default 2000
   */
  maxTokens: number;
  /** Selection depth; fragments do not add a level. The SDK's deepest operation has 7. @default 12 */
  maxDepth: number;
  /** Aliased fields per operation (aliases of `__typename` are free). The SDK uses none. @default 30 */
  maxAliases: number;
  /** Directives per operation. @default 20 */
  maxDirectives: number;
}

/**
 * The structural limits of an operation (tokens, depth, aliases, directives), from graphql-armor.
 * They run in the envelop pipeline, so they hold for queries over HTTP and for subscriptions over
 * graphql-ws and SSE alike. Each refusal is a BAD_USER_INPUT error naming its limit.
 */
export function useOperationLimits(options: OperationLimitsOptions): GatewayPlugin {
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(maxTokensPlugin({ n: options.maxTokens, ...refuseWith('maxTokens', 'Token count', options.maxTokens) }));
      addPlugin(
        maxDepthPlugin({
          n: options.maxDepth,
          // Inline fragments and spreads are not a level of the response.
          flattenFragments: true,
          ...refuseWith('maxDepth', 'Query depth', options.maxDepth),
        }),
      );
      addPlugin(maxAliasesPlugin({ n: options.maxAliases, ...refuseWith('maxAliases', 'Alias count', options.maxAliases) }));
      addPlugin(maxDirectivesPlugin({ n: options.maxDirectives, ...refuseWith('maxDirectives', 'Directive count', options.maxDirectives) }));
    },
  };
}
