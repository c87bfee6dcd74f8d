import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
import type { Logger } from './logger.js';
import { SIGNATURE_HEADER, WS_CONNECT_PAYLOAD, verify } from './signing.js';

/** What a subgraph's `src/server.ts` builds: everything but the listening socket. */
export interface SubgraphDefinition<TContext extends BaseContext> {
  name: string;
  schema: GraphQLSchema;
  /** Per request: DataLoaders and the caller. Must be cheap; long-lived clients are closed over. */
  context: (request: { headers: IncomingHttpHeaders }) => Promise<TContext>;
  /** Unsigned HTTP routes (webhooks), mounted before /graphql. They authenticate on their own terms. */
  routes?: (app: Express) => void;
  /** Serve graphql-ws on /graphql for the Subscription root. */
  subscriptions?: boolean;
  /** Released after the HTTP server has drained (stores, clients, timers). */
  close?: () => Promise<void>;
}

export interface ServeOptions {
  port: number;
  host?: string;
  signingSecret: string;
  development: boolean;
  logger: Logger;
  /** Largest GraphQL request body accepted, in bytes. @default 1_000_000 */
  maxBodyBytes?: number;
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
  const app = express();
  app.disable('x-powered-by');
  const httpServer: Server = createServer(app);

  const apollo = new ApolloServer<TContext>({
    schema: definition.schema,
    introspection: options.development,
    includeStacktraceInErrorResponses: false,
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
      ...(options.development ? [] : [ApolloServerPluginLandingPageDisabled()]),
    ],
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', subgraph: definition.name });
  });
  definition.routes?.(app);

  app.use(
    '/graphql',
    express.raw({ type: () => true, limit: options.maxBodyBytes ?? 1_000_000 }),
    (req, res, next) => {
      const raw: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const header = req.headers[SIGNATURE_HEADER];
      const result = verify(options.signingSecret, Array.isArray(header) ? header[0] : header, raw);
      if (!result.ok) {
        logger.warn({ reason: result.reason, ip: req.ip }, 'refused unsigned subgraph request');
        res.status(401).json({ errors: [{ message: `Unauthorized: ${result.reason}`, extensions: { code: 'UNAUTHENTICATED' } }] });
        return;
      }
      if (raw.length === 0) {
        req.body = undefined;
        return next();
      }
      try {
        req.body = JSON.parse(raw.toString('utf8'));
      } catch {
        res.status(400).json({ errors: [{ message: 'Request body is not valid JSON.', extensions: { code: 'BAD_REQUEST' } }] });
        return;
      }
      next();
    },
    expressMiddleware(apollo, { context: ({ req }) => definition.context({ headers: req.headers }) }),
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
  let wsServer: WebSocketServer | null = null;
  if (definition.subscriptions) {
    wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
    wsCleanup = useServer(
      {
        schema: definition.schema,
        onConnect: (ctx) => {
          const signature = ctx.connectionParams?.[SIGNATURE_HEADER];
          const result = verify(options.signingSecret, typeof signature === 'string' ? signature : undefined, WS_CONNECT_PAYLOAD);
          if (!result.ok) logger.warn({ reason: result.reason }, 'refused unsigned subscription connection');
          return result.ok;
        },
        context: (ctx) => definition.context({ headers: ctx.extra.request.headers }),
        onError: (_ctx, _id, _payload, errors) => {
          logger.warn({ errors: errors.map((e) => e.message) }, 'subscription error');
        },
      },
      wsServer,
    );
  }

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
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
