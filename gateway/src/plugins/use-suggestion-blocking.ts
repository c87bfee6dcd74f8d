import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';

/**
 * graphql-js's hints in all their forms: `Did you mean "hosts"?`, `Did you mean "a", "b", or "c"?`,
 * `Did you mean the enum value "HIGH"?`, `Did you mean to use an inline fragment on "Host"?`.
 */
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

/**
 * Removes "Did you mean …?" from error messages, which otherwise let a client enumerate the schema
 * with introspection off. graphql-armor's plugin covers field, argument and type names; its pattern
 * misses the enum-value and inline-fragment forms, and variable values are only checked during
 * execution, so a second pass covers validation and execution errors with the broader pattern.
 */
export function useSuggestionBlocking(): GatewayPlugin {
  const strip = (errors: readonly Error[]) => {
    for (const error of errors) error.message = error.message.replace(SUGGESTION, '');
  };
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(blockFieldSuggestionsPlugin({ mask: '' }));
    },
    onValidate() {
      return ({ valid, result }) => {
        if (!valid) strip(result);
      };
    },
    onExecute() {
      return {
        onExecuteDone({ result }) {
          if ('errors' in result && result.errors) strip(result.errors);
        },
      };
    },
  };
}
