import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayRuntime, getGraphQLWSOptions } from '@graphql-hive/gateway-runtime';
import transportHttp from '@graphql-mesh/transport-http';
import transportWs from '@graphql-mesh/transport-ws';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Logger } from '@vigil/lib/logger';
import { SIGNATURE_HEADER } from '@vigil/lib/signing';
import { SUPERGRAPH_PATH, type SubgraphName } from '@vigil/schema/subgraphs';
import { createGatewayMetrics } from './plugins/use-metrics.js';
import { WS_SIGNATURE_CONTEXT_KEY, useSubgraphSigning } from './plugins/use-subgraph-signing.js';
import { checkSubgraphs } from './readiness.js';

export interface GatewayOptions {
  port: number;
  host?: string;
  subgraphUrls: Readonly<Record<SubgraphName, string>>;
  signingSecret: string;
  development: boolean;
  logger: Logger;
  /** The committed supergraph unless given (tests may compose on the fly). */
  supergraphSdl?: string;
}

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
  const urlToSubgraph = new Map(Object.entries(options.subgraphUrls).map(([name, url]) => [new URL(url).origin, name]));
  const subgraphByUrl = (url: string) => urlToSubgraph.get(new URL(url).origin) ?? 'unknown';

  const gateway = createGatewayRuntime({
    supergraph,
    logging: options.development ? 'info' : 'warn',
    maskedErrors: !options.development,
    graphiql: options.development,
    landingPage: false,
    healthCheckEndpoint: '/healthz',
    transports: { http: transportHttp, ws: transportWs },
    transportEntries: Object.fromEntries(
      Object.entries(options.subgraphUrls).map(([name, location]) => [
        name,
        {
          location,
          options: {
            // Subscriptions to subgraphs over graphql-ws: the SSE default is refused by Apollo
            // Server's CSRF prevention, and HTTP callbacks were measured slower and crash-prone.
            subscriptions: {
              kind: 'ws',
              location: '/graphql',
              options: { connectionParams: { [SIGNATURE_HEADER]: `{context.${WS_SIGNATURE_CONTEXT_KEY}}` } },
            },
          },
        },
      ]),
    ),
    plugins: () => [useSubgraphSigning({ secret: options.signingSecret }), metrics.plugin(subgraphByUrl)],
  });

  const handleHttp = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/readyz') {
      const state = await checkSubgraphs(options.subgraphUrls);
      res.writeHead(state.ready ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(state));
      return;
    }
    if (req.method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(await metrics.registry.metrics());
      return;
    }
    await gateway(req, res);
  };
  const httpServer = createServer((req, res) => {
    handleHttp(req, res).catch((error: unknown) => {
      logger.error({ err: error }, 'gateway request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: 'Unexpected error.' }] }));
    });
  });

  // An early subscription fails with "Expected null to be a GraphQL schema" unless the schema is loaded first.
  await gateway.getSchema();
  const wsServer = new WebSocketServer({ server: httpServer, path: gateway.graphqlEndpoint });
  const wsOptions = getGraphQLWSOptions<Record<string, unknown>, Extra>(gateway, (ctx) => ({ req: ctx.extra?.request, socket: ctx.extra?.socket }));
  const wsCleanup = useServer(
    {
      ...wsOptions,
      onConnect: async (ctx) => {
        metrics.subscriptions.inc();
        return wsOptions.onConnect ? wsOptions.onConnect(ctx) : true;
      },
      onClose: async (ctx, code, reason) => {
        metrics.subscriptions.dec();
        await wsOptions.onClose?.(ctx, code, reason);
      },
    },
    wsServer,
  );

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
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
