import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import type { ExecutionArgs, ExecutionResult, GraphQLError, GraphQLSchema } from 'graphql';
import type { Identity } from '@vigil/lib/identity';
import { graphql } from '../limits/graphql-realm.js';
import { IDENTITY_CONTEXT_KEY } from '../plugins/use-access-log.js';
import { SubscriptionGroup, type DeliveryLimits, type GroupObserver, type GroupSource, type SubscriberTransport } from './fan-out.js';
import { groupIdentity, resumesFromCursor, subscriptionKey } from './subscription-key.js';

/** The graphql-ws close code for a subscriber that fell behind (4xxx: an application code; graphql-ws clients retry it). */
export const SLOW_CONSUMER_CLOSE_CODE = 4413;

export interface SharedSubscriptionsOptions extends DeliveryLimits {
  /**
   * Subscribers with the same document, variables, operation name and authorisation scope share one
   * upstream subscription and one execution per event. Off: one of each per subscriber (what Hive
   * Gateway does), still executed event by event as below.
   */
  share: boolean;
  observer?: GroupObserver;
  /**
   * Who executes a group's events. 'schema' (Hive Gateway's JS planner, whose schema resolvers
   * delegate to the subgraphs): the group opens the root field's stream and executes each event
   * itself, in a context of its own (below). 'runtime' (a runtime that executes whole operations
   * with an executor of its own and a schema without resolvers: Hive Router's query planner,
   * query-planner.ts): the group runs the runtime's subscribe once, as the group's scope, and
   * delivers each result it yields. @default 'schema'
   */
  execution?: 'schema' | 'runtime';
}

type SubscribeFn = (args: ExecutionArgs) => ExecutionResult | AsyncIterableIterator<ExecutionResult> | Promise<ExecutionResult | AsyncIterableIterator<ExecutionResult>>;

/**
 * Subscriptions executed once for many subscribers.
 *
 * Every subscriber goes through the whole runtime as before — authentication, limits, authorisation,
 * the access log, identity expiry, metrics — up to the moment the subscription would be executed.
 * There, instead of executing it, the subscriber joins the group of subscribers of the same key
 * (subscription-key.ts). The first one opens the group: one upstream subscription (the root
 * field's resolver, i.e. the alerts subgraph over graphql-ws), run as the group's scope rather
 * than as any one member (groupIdentity). Each event is then executed once — entity fetches
 * included — and the same result object is delivered to every member, whose own plugins (access
 * log, identity expiry, error masking) see it as they would their own. The last member out closes
 * the upstream.
 *
 * Each event is executed in a context of its own, derived from the group's: Hive Gateway keys its
 * per-subgraph batching DataLoader (which memoises every request it loads) by the context, so a
 * subscription executed in one long-lived context kept every event's entity fetches until it closed
 * (~10 KB per delivery; bench/subscription-retention.ts). Per-event contexts leave nothing behind.
 *
 * Register it last: it replaces the subscribe function other plugins may have set.
 */
export function useSharedSubscriptions(options: SharedSubscriptionsOptions): GatewayPlugin {
  const limits: DeliveryLimits = { maxQueuedEvents: options.maxQueuedEvents, maxBufferedBytes: options.maxBufferedBytes };
  const groupsBySchema = new WeakMap<GraphQLSchema, Map<string, SubscriptionGroup>>();
  let unshared = 0;

  const subscribe = (args: ExecutionArgs, identity: Identity, transport: SubscriberTransport, runtimeSubscribe: SubscribeFn): Promise<ExecutionResult | AsyncIterableIterator<ExecutionResult>> => {
    let groups = groupsBySchema.get(args.schema);
    if (!groups) {
      groups = new Map();
      groupsBySchema.set(args.schema, groups);
    }
    const key = options.share ? subscriptionKey({ document: args.document, variables: args.variableValues, operationName: args.operationName, identity }) : `unshared:${(unshared += 1)}`;
    let group = groups.get(key);
    if (!group?.joinable) {
      const registry = groups;
      const context = groupContext(args.contextValue as Record<PropertyKey, unknown>, identity);
      const groupArgs: ExecutionArgs = { ...args, contextValue: context };
      const created = new SubscriptionGroup(
        options.execution === 'runtime' ? () => openExecuted(runtimeSubscribe, groupArgs) : () => openSource(groupArgs),
        options.execution === 'runtime'
          ? (result) => result as ExecutionResult
          : (payload) => graphql.execute({ ...groupArgs, rootValue: payload, contextValue: Object.create(context) as object }),
        {
          limits,
          resumable: resumesFromCursor(args.document, args.operationName, args.variableValues),
          ...(options.observer ? { observer: options.observer } : {}),
          onClose: (closed) => {
            if (registry.get(key) === closed) registry.delete(key);
          },
        },
      );
      groups.set(key, created);
      group = created;
    }
    return group.join(transport);
  };

  return {
    onSubscribe({ args, subscribeFn, setSubscribeFn }) {
      const context = args.contextValue as Record<PropertyKey, unknown>;
      const identity = context[IDENTITY_CONTEXT_KEY] as Identity | undefined;
      // Every caller the gateway lets through has an identity (development's local admin included).
      if (!identity) return;
      const transport = transportOf(context);
      let joined: AsyncIterableIterator<ExecutionResult> | null = null;
      setSubscribeFn(async (subscribeArgs) => {
        const result = await subscribe(subscribeArgs, identity, transport, subscribeFn);
        if (Symbol.asyncIterator in result) joined = result;
        return result;
      });
      return {
        onSubscribeResult({ result }) {
          // A plugin before this one answered with a single result instead of the stream (e.g.
          // generic-auth refusing a field of a subscription): leave the group we joined.
          if (joined && !(Symbol.asyncIterator in result)) void joined.return?.();
        },
      };
    },
  };
}

/** Opens the upstream stream (the root field's subscribe resolver), or the errors it was refused with. */
async function openSource(args: ExecutionArgs): Promise<GroupSource | ExecutionResult> {
  const stream = await graphql.createSourceEventStream(args);
  if (!(Symbol.asyncIterator in stream)) return withRequestErrorCodes(stream);
  return (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]() as GroupSource;
}

/** The runtime's own subscribe, run once for the group: a stream of executed results, or the errors it was refused with. */
async function openExecuted(runtimeSubscribe: SubscribeFn, args: ExecutionArgs): Promise<GroupSource | ExecutionResult> {
  const result = await runtimeSubscribe(args);
  if (!(Symbol.asyncIterator in result)) return withRequestErrorCodes(result);
  return result[Symbol.asyncIterator]() as GroupSource;
}

/**
 * graphql-js returns variable coercion errors without a code; Hive's executor marks them
 * BAD_USER_INPUT (as the runtime answers the same errors for queries), so these are too.
 */
function withRequestErrorCodes(result: ExecutionResult): ExecutionResult {
  if (!result.errors) return result;
  return {
    ...result,
    errors: result.errors.map((error: GraphQLError) =>
      error.extensions['code'] !== undefined || error.originalError ? error : new graphql.GraphQLError(error.message, { nodes: error.nodes ?? null, extensions: { ...error.extensions, code: 'BAD_USER_INPUT' } }),
    ),
  };
}

/**
 * Context keys that belong to the subscriber who happened to open the group, not to the group:
 * its HTTP request and response, its socket, its credentials (graphql-ws connectionParams; the
 * runtime copies them into `headers`), its request parameters and the user generic-auth resolved.
 */
const SUBSCRIBER_KEYS = new Set<PropertyKey>(['req', 'res', 'request', 'socket', 'connectionParams', 'headers', 'params', 'currentUser']);

/** The context the group executes in: the runtime's (subgraph SDKs, fetch, logger, cache), the group's identity, nobody's request. */
function groupContext(subscriberContext: Record<PropertyKey, unknown>, identity: Identity): Record<PropertyKey, unknown> {
  const context: Record<PropertyKey, unknown> = {};
  for (const key of Reflect.ownKeys(subscriberContext)) {
    if (!SUBSCRIBER_KEYS.has(key)) context[key] = subscriberContext[key];
  }
  context[IDENTITY_CONTEXT_KEY] = groupIdentity(identity);
  return context;
}

interface WebSocketLike {
  bufferedAmount: number;
  readyState: number;
  close(code: number, reason: string): void;
}

interface ResponseLike {
  writableLength: number;
  destroy(): void;
  once(event: 'close', listener: () => void): unknown;
}

/** As ws's closeTimeout: how long a subscriber that fell behind has to read the end of its stream. */
const FELL_BEHIND_GRACE_MS = 30_000;

/** How to measure and end one subscriber: graphql-ws puts its socket in the context, SSE its Node response. */
function transportOf(context: Record<PropertyKey, unknown>): SubscriberTransport {
  const socket = context['socket'] as Partial<WebSocketLike> | undefined;
  if (socket && typeof socket.bufferedAmount === 'number' && typeof socket.close === 'function') {
    const ws = socket as WebSocketLike;
    return {
      kind: 'graphql-ws',
      bufferedBytes: () => ws.bufferedAmount,
      fellBehind: (_result, reason) => {
        // Every subscription of the socket shares its buffers: the whole connection is behind.
        // ws gives a client that does not read the close frame 30 s (closeTimeout), then destroys the socket.
        ws.close(SLOW_CONSUMER_CLOSE_CODE, `Too slow: ${reason}`.slice(0, 120));
      },
    };
  }
  const response = context['res'] as Partial<ResponseLike> | undefined;
  if (response && typeof response.writableLength === 'number' && typeof response.destroy === 'function' && typeof response.once === 'function') {
    const res = response as ResponseLike;
    return {
      kind: 'sse',
      bufferedBytes: () => res.writableLength,
      // The stream's last event is the error naming the limit (fan-out.ts), then it ends; a client
      // that does not read even that keeps no socket beyond the grace period.
      fellBehind: () => {
        const timer = setTimeout(() => res.destroy(), FELL_BEHIND_GRACE_MS);
        timer.unref();
        res.once('close', () => clearTimeout(timer));
      },
    };
  }
  return { kind: 'other', bufferedBytes: () => 0, fellBehind: () => undefined };
}
