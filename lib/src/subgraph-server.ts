import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { listen } from './listen.js';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { isRecord } from './config.js';
import { maskError } from './errors.js';
import { IDENTITY_HEADER, decodeIdentity, type Identity } from './identity.js';
import type { Logger } from './logger.js';
import { answerMetrics } from './metrics.js';
import { REQUEST_ID_HEADER, requestIdFrom, withRequestId } from './request-id.js';
import { operationSpans, traceSubgraphRequests, withRequestSpan } from './telemetry/subgraph-spans.js';
import type { Registry } from 'prom-client';
import { DEFAULT_TOLERANCE_SECONDS, NonceCache, SIGNATURE_HEADER, WS_METHOD, verifyRequest, type VerifyResult } from './signing.js';

/** What a subgraph's `src/server.ts` builds: everything but the listening socket. */
export interface SubgraphDefinition<TContext extends BaseContext> {
  name: string;
  schema: GraphQLSchema;
  /**
   * Per request: DataLoaders and the caller. Must be cheap; long-lived clients are closed over.
   * `identity` is the caller the gateway verified, or null when it sent none (a request of the
   * gateway's own). For a subscription it is the one from the socket's connection_init.
   */
  context: (request: { headers: IncomingHttpHeaders; identity: Identity | null }) => Promise<TContext>;
  /** Unsigned HTTP routes (webhooks), mounted before /graphql. They authenticate on their own terms. */
  routes?: (app: Express) => void;
  /** Serve graphql-ws on /graphql for the Subscription root. */
  subscriptions?: boolean;
  /** Released after the HTTP server has drained (stores, clients, timers). */
  close?: () => Promise<void>;
}

export interface ServeOptions {
  port: number;
  /** Where `port` was configured, named when it cannot be bound. @default "<name>.port" */
  portSetting?: string;
  host?: string;
  signingSecret: string;
  development: boolean;
  logger: Logger;
  /** Largest GraphQL request body accepted, in bytes. @default 1_000_000 */
  maxBodyBytes?: number;
  /** How far a signature's timestamp may be from this server's clock, in seconds. @default 60 */
  signatureToleranceSeconds?: number;
  /** Milliseconds since the epoch, for signature timestamps and the nonce cache. @default Date.now */
  now?: () => number;
  /** What `GET /metrics` exposes (SharedServices.metrics). Unset: /metrics answers 404. */
  metrics?: Registry;
  /** Bearer token /metrics asks for, the gateway's (gateway.auth.metricsToken). Unset: open, like /healthz. */
  metricsToken?: string | undefined;
}

/** A header sent once; Node joins repeated unknown headers into one string already, this is for the type. */
function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

type Admission = { ok: true; identity: Identity | null } | { ok: false; reason: string };

/** The identity after its signature verified: malformed means a gateway bug, refused all the same. */
function admit(verified: VerifyResult, identityHeader: string | undefined): Admission {
  if (!verified.ok) return verified;
  if (!identityHeader) return { ok: true, identity: null };
  try {
    return { ok: true, identity: decodeIdentity(identityHeader) };
  } catch {
    return { ok: false, reason: `malformed ${IDENTITY_HEADER} header` };
  }
}

export interface RunningSubgraph {
  name: string;
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function serveSubgraph<TContext extends BaseContext>(
  definition: SubgraphDefinition<TContext>,
  options: ServeOptions,
): Promise<RunningSubgraph> {
  const { logger } = options;
  const toleranceSeconds = options.signatureToleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = options.now ?? Date.now;
  // One cache for HTTP and graphql-ws: a nonce is refused the second time whichever way it comes.
  const nonces = new NonceCache({ ttlMs: 2 * toleranceSeconds * 1000, now });
  const verifyOptions = { toleranceSeconds, now, nonces };
  const identities = new WeakMap<object, Identity | null>();
  const app = express();
  app.disable('x-powered-by');
  const httpServer: Server = createServer(app);

  const apollo = new ApolloServer<TContext>({
    schema: definition.schema,
    introspection: options.development,
    includeStacktraceInErrorResponses: false,
    // The process drains on SIGTERM itself (service-main.ts, stack-main.ts) and calls stop(). Apollo's
    // own handler would call stop() first, and a second stop() waits on a barrier Apollo (5.x) never
    // resolves after a clean stop: shutdown then hung until the 10 s force-exit whenever anything kept
    // the event loop alive.
    stopOnTerminationSignals: false,
    formatError: (formatted, error) => {
      const masked = maskError(formatted, options.development);
      if (masked.extensions?.['code'] === 'INTERNAL_SERVER_ERROR') {
        logger.error({ err: error, path: formatted.path }, 'resolver failed');
      }
      return masked;
    },
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Inline traces are for Apollo Studio, which Vigil does not use.
      ApolloServerPluginInlineTraceDisabled(),
      // OpenTelemetry (telemetry/subgraph-spans.ts): nothing unless this process exports traces.
      operationSpans<TContext>(),
      ...(options.development ? [] : [ApolloServerPluginLandingPageDisabled()]),
    ],
  });
  await apollo.start();

  // The gateway's request id (or the caller's, or a new one), echoed and bound to the log lines.
  app.use((req, res, next) => {
    const requestId = requestIdFrom(req.headers);
    res.locals['requestId'] = requestId;
    res.setHeader(REQUEST_ID_HEADER, requestId);
    withRequestId(requestId, next);
  });
  app.use(traceSubgraphRequests(definition.name));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', subgraph: definition.name });
  });
  const registry = options.metrics;
  if (registry) {
    app.get('/metrics', async (req, res) => {
      const answer = await answerMetrics([registry], req.headers, options.metricsToken);
      if (answer.status === 401) res.setHeader('www-authenticate', answer.challenge);
      res.status(answer.status).type(answer.contentType).send(answer.body);
    });
  }
  definition.routes?.(app);

  app.use(
    '/graphql',
    express.raw({ type: () => true, limit: options.maxBodyBytes ?? 1_000_000 }),
    // Again once the body is read: its stream's callbacks ran outside the request's async context.
    (_req, res, next) => withRequestSpan(res, '/graphql', () => withRequestId(res.locals['requestId'] as string, next)),
    (req, res, next) => {
      const raw: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const identityHeader = single(req.headers[IDENTITY_HEADER]);
      // The method and target as received, so a GET or another route cannot borrow a POST's signature.
      const signed = { method: req.method, path: req.originalUrl, audience: definition.name, body: raw, identity: identityHeader };
      const result = admit(verifyRequest(options.signingSecret, single(req.headers[SIGNATURE_HEADER]), signed, verifyOptions), identityHeader);
      if (!result.ok) {
        logger.warn({ reason: result.reason, method: req.method, ip: req.ip }, 'refused unsigned subgraph request');
        res.status(401).json({ errors: [{ message: `Unauthorized: ${result.reason}`, extensions: { code: 'UNAUTHENTICATED' } }] });
        return;
      }
      identities.set(req, result.identity);
      if (raw.length === 0) {
        req.body = undefined;
      } else {
        try {
          req.body = JSON.parse(raw.toString('utf8'));
        } catch {
          res.status(400).json({ errors: [{ message: 'Request body is not valid JSON.', extensions: { code: 'BAD_REQUEST' } }] });
          return;
        }
      }
      logger.debug({ subject: result.identity?.subject ?? null }, 'subgraph request');
      next();
    },
    expressMiddleware(apollo, { context: ({ req }) => definition.context({ headers: req.headers, identity: identities.get(req) ?? null }) }),
  );

  // Body-parser failures (too large, bad encoding) would otherwise reach Express's default
  // handler, which answers an HTML page with a stack trace unless NODE_ENV is production.
  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const status = isRecord(error) && typeof error['status'] === 'number' && error['status'] >= 400 && error['status'] < 500 ? error['status'] : 500;
    const message =
      status === 413
        ? `Request body larger than ${options.maxBodyBytes ?? 1_000_000} bytes.`
        : status === 500
          ? 'Unexpected error.'
          : 'Malformed request.';
    if (status === 500) logger.error({ err: error }, 'request failed');
    res.status(status).json({ errors: [{ message, extensions: { code: status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST' } }] });
  });

  let wsCleanup: { dispose: () => Promise<void> | void } | null = null;
  // Bound before the WebSocket server attaches: ws re-emits a listen error, which graphql-ws would
  // print with a stack trace instead of the one line naming the setting.
  const port = await listen(httpServer, options.port, options.host ?? '0.0.0.0', options.portSetting ?? `${definition.name}.port`);
  let wsServer: WebSocketServer | null = null;
  if (definition.subscriptions) {
    wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
    wsCleanup = useServer(
      {
        schema: definition.schema,
        // connection_init carries what headers carry over HTTP; refusing closes the socket with 4403.
        // A subscribe before connection_init never gets here: graphql-ws closes that with 4401.
        onConnect: (ctx) => {
          const signature = ctx.connectionParams?.[SIGNATURE_HEADER];
          const identity = ctx.connectionParams?.[IDENTITY_HEADER];
          const path = ctx.extra.request.url ?? '';
          const result: Admission =
            identity !== undefined && typeof identity !== 'string'
              ? { ok: false, reason: `malformed ${IDENTITY_HEADER} header` }
              : admit(verifyRequest(options.signingSecret, typeof signature === 'string' ? signature : undefined, { method: WS_METHOD, path, audience: definition.name, body: '', identity }, verifyOptions), identity);
          if (!result.ok) {
            logger.warn({ reason: result.reason }, 'refused unsigned subscription connection');
            return false;
          }
          // Keyed by the socket's context: every operation on this socket runs as this identity.
          identities.set(ctx, result.identity);
          return true;
        },
        context: (ctx) => definition.context({ headers: ctx.extra.request.headers, identity: identities.get(ctx) ?? null }),
        onError: (_ctx, _id, _payload, errors) => {
          logger.warn({ errors: errors.map((e) => e.message) }, 'subscription error');
        },
      },
      wsServer,
    );
  }

  const url = `http://127.0.0.1:${port}/graphql`;
  logger.info({ port }, `${definition.name} subgraph listening`);

  let stopping: Promise<void> | null = null;
  return {
    name: definition.name,
    url,
    port,
    stop: () => {
      stopping ??= (async () => {
        await wsCleanup?.dispose();
        wsServer?.close();
        await apollo.stop();
        await definition.close?.();
      })();
      return stopping;
    },
  };
}
