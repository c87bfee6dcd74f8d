import type { GraphQLError } from 'graphql';
import type { Context } from 'graphql-ws';
import { graphql } from '../limits/graphql-realm.js';

/**
 * graphql-ws multiplexes operations over one connection; this caps how many may run at once, so
 * one client cannot hold thousands of subscriptions on a single socket. Returned from graphql-ws's
 * `onSubscribe`: the operation over the limit is refused with an `error` message naming the
 * setting, and the connection and its other operations carry on.
 */
export function connectionLimit(max: number, onRefused: () => void = () => undefined): (ctx: Pick<Context, 'subscriptions'>) => readonly GraphQLError[] | undefined {
  return (ctx) => {
    // graphql-ws registers the operation before onSubscribe runs: the count includes this one.
    const running = Object.keys(ctx.subscriptions).length;
    if (running <= max) return undefined;
    onRefused();
    return [
      new graphql.GraphQLError(
        `Too many operations on one connection: ${running - 1} running, the limit is ${max} (gateway.subscriptions.maxPerConnection). Complete some first, or open another connection.`,
        { extensions: { code: 'RATE_LIMITED', limit: 'maxPerConnection', max } },
      ),
    ];
  };
}
