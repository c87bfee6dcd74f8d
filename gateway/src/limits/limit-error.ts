import type { GraphQLError, ValidationContext } from 'graphql';
import { graphql } from './graphql-realm.js';

/** graphql-armor's reject callback (its types package is not a dependency of ours). */
type ArmorRejectCallback = (context: ValidationContext | null, error: GraphQLError) => void;

/** The `gateway.limits` setting each refusal names, so an operator can find the knob. */
export type LimitSetting = 'maxTokens' | 'maxDepth' | 'maxAliases' | 'maxDirectives' | 'maxCost' | 'maxRequestBytes';

/**
 * A refusal for exceeding one limit: BAD_USER_INPUT (from the closed set in lib/src/errors.ts), a
 * message naming the limit and its value, and the HTTP status Yoga answers with. `spec: true` keeps
 * the GraphQL-over-HTTP rule: 400 for `application/graphql-response+json`, 200 for legacy
 * `application/json`. Yoga strips `extensions.http` from what the client sees.
 */
export function limitExceeded(setting: LimitSetting, what: string, limit: number, found?: string, status = 400): GraphQLError {
  const measured = found === undefined ? '' : ` (found ${found})`;
  return new graphql.GraphQLError(`${what} exceeds the limit of ${String(limit)}${measured}: gateway.limits.${setting}.`, {
    extensions: { code: 'BAD_USER_INPUT', limit: setting, max: limit, http: status === 400 ? { status, spec: true } : { status } },
  });
}

/**
 * graphql-armor's `onReject` hook, replacing its own error (a "Syntax Error: …" without a code).
 * Throwing here, with `propagateOnRejection: false`, stops parsing or validation at the first
 * excess, exactly where armor would have thrown its own error.
 */
export function refuseWith(setting: LimitSetting, what: string, limit: number): { onReject: ArmorRejectCallback[]; propagateOnRejection: false } {
  return {
    propagateOnRejection: false,
    onReject: [
      (_context, error) => {
        // Armor's messages end in "found N." for the rules that measure (the cost estimate has
        // decimals); the token counter stops at the first token over, so it reports no count.
        const found = /found (\d+(?:\.\d+)?)\.?$/.exec(error.message)?.[1];
        throw limitExceeded(setting, what, limit, found === undefined ? undefined : String(Math.round(Number(found))));
      },
    ],
  };
}
