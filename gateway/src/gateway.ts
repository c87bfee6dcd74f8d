import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen } from '@vigil/lib/listen';
import { answerMetrics } from '@vigil/lib/metrics';
import { REQUEST_ID_HEADER, requestIdFrom, withRequestId } from '@vigil/lib/request-id';
import type { Registry } from 'prom-client';
import { createGatewayRuntime, getGraphQLWSOptions } from '@graphql-hive/gateway-runtime';
import transportHttp from '@graphql-mesh/transport-http';
import transportWs from '@graphql-mesh/transport-ws';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { systemClock, type Clock } from '@vigil/lib/clock';
import type { Identity } from '@vigil/lib/identity';
import type { Logger } from '@vigil/lib/logger';
import { IDENTITY_HEADER } from '@vigil/lib/identity';
import { SIGNATURE_HEADER } from '@vigil/lib/signing';
import { SUPERGRAPH_PATH, type SubgraphName } from '@vigil/schema/subgraphs';
import { type Authenticator, type Credentials } from './auth/authenticator.js';
import { genericAuthOptions } from './auth/authorization.js';
import { TOKEN_EXPIRED_MESSAGE, msUntilExpiry, useIdentityExpiry } from './auth/use-identity-expiry.js';
import { IDENTITY_CONTEXT_KEY, useAccessLog } from './plugins/use-access-log.js';
import { createGatewayMetrics } from './plugins/use-metrics.js';
import { REQUEST_ID_CONTEXT_KEY, useRequestId } from './plugins/use-request-id.js';
import { WS_IDENTITY_CONTEXT_KEY, useSubgraphSigning, wsSignatureContextKey } from './plugins/use-subgraph-signing.js';
import { checkSubgraphs } from './readiness.js';
import { subscriptionsConfig, type ProtectionConfig, type SubscriptionsConfig } from './config.js';
import { protection } from './plugins/protection.js';
import { connectionLimit } from './subscriptions/connection-limit.js';
import { useSharedSubscriptions } from './subscriptions/use-shared-subscriptions.js';
import { unifiedGraphHandlerFor, useEmptyOperationAnswer, type QueryPlanner } from './query-planner.js';

export interface GatewayOptions {
  port: number;
  host?: string;
  subgraphUrls: Readonly<Record<SubgraphName, string>>;
  signingSecret: string;
  development: boolean;
  logger: Logger;
  /** The committed supergraph unless given (tests may compose on the fly). */
  supergraphSdl?: string;
  /** Who may call: JWT / API keys (auth/authenticator.ts). */
  authenticator: Authenticator;
  /** Bearer token /metrics asks for; unset: /metrics is open. */
  metricsToken?: string | undefined;
  /**
   * More registries /metrics exposes beside the gateway's own: in the one-process stack, the
   * subgraphs' shared registry, so one scrape of the gateway sees all of Vigil.
   */
  metricsRegistries?: Registry[];
  /** The clock token expiry is measured against. @default systemClock */
  clock?: Clock;
  /** Operation limits, CORS, trusted documents (plugins/protection.ts). @default gateway config defaults */
  protection?: ProtectionConfig;
  /** Sharing and delivery limits of subscriptions (subscriptions/*). @default gateway config defaults */
  subscriptions?: SubscriptionsConfig;
  /**
   * Who executes subscriptions: Vigil's fan-out (subscriptions/use-shared-subscriptions.ts), or,
   * for benchmarks of what it replaces, Hive Gateway's own execution (one upstream subscription and
   * execution per subscriber, no delivery limits, and the retention bench/subscription-retention.ts
   * shows). @default 'fan-out'
   */
  subscriptionExecution?: 'fan-out' | 'runtime';
  /** Federation query planner (query-planner.ts; `gateway.queryPlanner`). @default 'js' */
  queryPlanner?: QueryPlanner;
  /**
   * This process exports traces (lib/src/telemetry/tracing.ts started): Hive Gateway's OpenTelemetry
   * plugin adds its spans (HTTP, parse, validate, execute, each subgraph fetch with `traceparent`).
   * @default false
   */
  tracing?: boolean;
}

/** Where every subgraph serves graphql-ws, relative to its URL. */
const SUBGRAPH_WS_LOCATION = '/graphql';

export interface RunningGateway {
  url: string;
  wsUrl: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Hive Gateway over the committed supergraph: queries over HTTP, subscriptions over graphql-ws and
 * SSE at /graphql; /healthz, /readyz (every subgraph reachable) and /metrics beside it.
 */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const { logger } = options;
  const supergraph = options.supergraphSdl ?? readFileSync(SUPERGRAPH_PATH, 'utf8');
  const metrics = createGatewayMetrics();
  const clock = options.clock ?? systemClock;
  const { authenticator } = options;
  if (!authenticator.configured) {
    if (options.development) logger.warn('no gateway authentication configured: every caller acts as a local admin (development only; set gateway.auth)');
    else throw new Error('gateway.auth: no authentication configured (refusing to serve production without it)');
  }
  const urlToSubgraph = new Map(Object.entries(options.subgraphUrls).map(([name, url]) => [new URL(url).origin, name]));
  const subgraphByUrl = (url: string) => urlToSubgraph.get(new URL(url).origin) ?? 'unknown';
  const shield = protection(options.protection, options.development);
  const subscriptions = options.subscriptions ?? subscriptionsConfig.parse({});
  // Loaded only with tracing on: a gateway without it never loads the plugin or the SDK behind it.
  const openTelemetry = options.tracing ? await import('@graphql-hive/plugin-opentelemetry') : null;

  const gateway = createGatewayRuntime({
    ...shield.runtime,
    ...(await unifiedGraphHandlerFor(options.queryPlanner ?? 'js')),
    supergraph,
    logging: options.development ? 'info' : 'warn',
    maskedErrors: !options.development,
    graphiql: options.development ? { title: 'Vigil GraphiQL', subscriptionsProtocol: 'WS' } : false,
    // GraphiQL with its scripts and styles inline: security tools often run where no CDN is reachable.
    // Loaded on the first page view only: the module is a 10 MB string literal, about 30 MB of heap
    // that production (no GraphiQL) and an idle stack never need.
    renderGraphiQL: async (graphiqlOptions) => (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(graphiqlOptions),
    landingPage: false,
    // Hive's own request id takes any x-request-id as given; Vigil's (lib/src/request-id.ts,
    // plugins/use-request-id.ts) checks it, falls back to traceparent, and labels every log line.
    requestId: false,
    healthCheckEndpoint: '/healthz',
    transports: { http: transportHttp, ws: transportWs },
    transportEntries: Object.fromEntries(
      Object.entries(options.subgraphUrls).map(([name, location]) => [
        name,
        {
          location,
          options: {
            // The HTTP executor merges identical in-flight queries by URL and body, before our plugins
            // add the caller's identity and signature: two tenants asking the same thing at once would
            // share one answer. Every caller's request goes upstream on its own.
            deduplicateInflightRequests: false,
            // Subscriptions to subgraphs over graphql-ws: the SSE default is refused by Apollo
            // Server's CSRF prevention, and HTTP callbacks were measured slower and crash-prone.
            // connection_init carries what headers carry over HTTP, signed for this subgraph only.
            subscriptions: {
              kind: 'ws',
              location: SUBGRAPH_WS_LOCATION,
              options: {
                connectionParams: {
                  [SIGNATURE_HEADER]: `{context.${wsSignatureContextKey(name)}}`,
                  [IDENTITY_HEADER]: `{context.${WS_IDENTITY_CONTEXT_KEY}}`,
                },
              },
            },
          },
        },
      ]),
    ),
    genericAuth: genericAuthOptions(),
    plugins: (context) => [
      // First, so its HTTP span holds every other plugin's work. It uses the provider, context
      // manager and propagator registered by lib/src/telemetry/tracing.ts.
      // Liveness probes would be most of the traces and tell nothing (subgraphs skip theirs too).
      ...(openTelemetry
        ? [openTelemetry.useOpenTelemetry({ ...context, useContextManager: true, traces: { spans: { http: ({ request }) => new URL(request.url).pathname !== '/healthz', schema: false, initialization: false } } })]
        : []),
      ...shield.plugins,
      useSubgraphSigning({ secret: options.signingSecret, subgraphUrls: options.subgraphUrls, wsLocation: SUBGRAPH_WS_LOCATION }),
      useIdentityExpiry({ clock }),
      useRequestId(),
      useAccessLog({ logger: logger.child({ channel: 'access' }) }),
      ...(options.queryPlanner === 'rust' ? [useEmptyOperationAnswer()] : []),
      metrics.plugin(subgraphByUrl),
      // Last: it takes over executing subscriptions once every plugin above has seen the subscriber.
      ...(options.subscriptionExecution === 'runtime' ? [] : [useSharedSubscriptions({ ...subscriptions, observer: metrics.subscriptionObserver, execution: options.queryPlanner === 'rust' ? 'runtime' : 'schema' })]),
    ],
  });

  const handleHttp = async (req: IncomingMessage, res: ServerResponse, requestId: string) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/readyz') {
      const state = await checkSubgraphs(options.subgraphUrls);
      res.writeHead(state.ready ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(state));
      return;
    }
    if (req.method === 'GET' && path === '/metrics') {
      const answer = await answerMetrics([metrics.registry, ...(options.metricsRegistries ?? [])], req.headers, options.metricsToken);
      res.writeHead(answer.status, { 'content-type': answer.contentType, ...(answer.status === 401 ? { 'www-authenticate': answer.challenge } : {}) });
      res.end(answer.body);
      return;
    }
    // A CORS preflight never carries credentials (browsers strip them), so it is answered by the CORS
    // policy alone; it runs nothing, and the request that follows is authenticated as usual.
    if (path === gateway.graphqlEndpoint && req.method !== 'OPTIONS' && !(options.development && isGraphiqlPage(req))) {
      const result = await authenticator.authenticate(credentialsFromHeaders(req.headers));
      if (!result.ok) {
        res.writeHead(401, {
          'content-type': 'application/json',
          'www-authenticate': `Bearer realm="vigil", error="invalid_token", error_description="${result.reason.replace(/"/g, "'")}"`,
        });
        res.end(JSON.stringify({ errors: [{ message: `Unauthenticated: ${result.reason}`, extensions: { code: 'UNAUTHENTICATED' } }] }));
        return;
      }
      await gateway(req, res, { [IDENTITY_CONTEXT_KEY]: result.identity, [REQUEST_ID_CONTEXT_KEY]: requestId });
      return;
    }
    await gateway(req, res, { [REQUEST_ID_CONTEXT_KEY]: requestId });
  };
  const httpServer = createServer((req, res) => {
    // The caller's x-request-id (or traceparent trace id, or a new one): echoed, on every log line of
    // this request here, and sent on to the subgraphs (plugins/use-request-id.ts).
    const requestId = requestIdFrom(req.headers);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    withRequestId(requestId, () => handleHttp(req, res, requestId)).catch((error: unknown) => {
      logger.error({ err: error }, 'gateway request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: 'Unexpected error.' }] }));
    });
  });

  // An early subscription fails with "Expected null to be a GraphQL schema" unless the schema is loaded first.
  await gateway.getSchema();
  // Bound before the WebSocket server attaches: ws re-emits a listen error, which graphql-ws would
  // print with a stack trace instead of the one line naming the setting.
  const port = await listen(httpServer, options.port, options.host ?? '0.0.0.0', 'gateway.port (or env VIGIL_GATEWAY_PORT)');
  // maxPayload: the HTTP body limit for graphql-ws messages; a bigger one closes the socket (1009).
  const wsServer = new WebSocketServer({ server: httpServer, path: gateway.graphqlEndpoint, maxPayload: shield.maxWsMessageBytes });
  // graphql-ws authenticates once, at connection_init (its payload carries the credentials), and
  // every operation on the socket runs as that identity, through the same plugins as HTTP.
  const socketIdentity = new WeakMap<object, Identity>();
  const expiryTimers = new WeakMap<object, NodeJS.Timeout>();
  const wsOptions = getGraphQLWSOptions<Record<string, unknown>, Extra>(gateway, (ctx) => ({
    req: ctx.extra?.request,
    socket: ctx.extra?.socket,
    [IDENTITY_CONTEXT_KEY]: ctx.extra ? socketIdentity.get(ctx.extra.socket) : undefined,
  }));
  const perConnection = connectionLimit(subscriptions.maxPerConnection, () => metrics.refusedSubscriptions.inc({ reason: 'maxPerConnection' }));
  const wsCleanup = useServer(
    {
      ...wsOptions,
      onSubscribe: (ctx, id, payload) => perConnection(ctx) ?? wsOptions.onSubscribe?.(ctx, id, payload),
      onConnect: async (ctx) => {
        const result = await authenticator.authenticate(credentialsFromParams(ctx.connectionParams));
        if (!result.ok) {
          ctx.extra.socket.close(4403, `Forbidden: ${result.reason}`.slice(0, 120));
          return false;
        }
        socketIdentity.set(ctx.extra.socket, result.identity);
        const remaining = msUntilExpiry(result.identity, clock);
        if (remaining !== null) {
          const timer = setTimeout(() => ctx.extra.socket.close(4403, TOKEN_EXPIRED_MESSAGE.slice(0, 120)), Math.max(0, remaining));
          timer.unref();
          expiryTimers.set(ctx.extra.socket, timer);
        }
        metrics.subscriptions.inc();
        return wsOptions.onConnect ? wsOptions.onConnect(ctx) : true;
      },
      onClose: async (ctx, code, reason) => {
        clearTimeout(expiryTimers.get(ctx.extra.socket));
        if (!socketIdentity.has(ctx.extra.socket)) return;
        metrics.subscriptions.dec();
        await wsOptions.onClose?.(ctx, code, reason);
      },
    },
    wsServer,
  );

  logger.info({ port }, 'gateway listening');

  let stopping: Promise<void> | null = null;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    port,
    stop: () => {
      stopping ??= (async () => {
        await wsCleanup.dispose();
        wsServer.close();
        httpServer.closeIdleConnections();
        await new Promise<void>((resolve) => httpServer.close(() => resolve()));
        await gateway.dispose();
      })();
      return stopping;
    },
  };
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function credentialsFromHeaders(headers: IncomingMessage['headers']): Credentials {
  return { authorization: header(headers.authorization), apiKey: header(headers['x-api-key']) };
}

/** graphql-ws clients put their credentials in the connection_init payload (browsers cannot set WebSocket headers). */
function credentialsFromParams(params: Readonly<Record<string, unknown>> | undefined): Credentials {
  const pick = (...keys: string[]) => {
    for (const key of keys) {
      const value = params?.[key];
      if (typeof value === 'string') return value;
    }
    return undefined;
  };
  return { authorization: pick('authorization', 'Authorization'), apiKey: pick('x-api-key', 'X-Api-Key', 'apiKey') };
}

/** GraphiQL's HTML page (development only) carries no data; the queries it sends are authenticated. */
function isGraphiqlPage(req: IncomingMessage): boolean {
  return req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');
}

