import { createRequire } from 'node:module';
import type * as GraphQLModule from 'graphql';
import { createGatewayRuntime, type GatewayPlugin } from '@graphql-hive/gateway-runtime';
import transportHttp from '@graphql-mesh/transport-http';
import transportWs from '@graphql-mesh/transport-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY_HEADER, type Identity } from '@vigil/lib/identity';
import { createLogger } from '@vigil/lib/logger';
import { SIGNATURE_HEADER } from '@vigil/lib/signing';
import { serveSubgraph, type RunningSubgraph } from '@vigil/lib/subgraph-server';
import { WS_IDENTITY_CONTEXT_KEY, useSubgraphSigning, wsSignatureContextKey, type IdentityContext } from '../src/plugins/use-subgraph-signing.js';

// useSubgraphSigning through the real Hive runtime (proxy mode: one upstream, named "upstream")
// against a real subgraph server that verifies for itself: the identity in the gateway's context
// reaches the subgraph's context over HTTP and over graphql-ws, and each upstream subscription
// gets a connection_init of its own. The five-subgraph wiring of gateway.ts is covered by
// stack.e2e.test.ts.

// The CJS graphql-js, as Apollo Server loads it (see test/support/execute-subgraph.ts).
const { GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString, getOperationAST } = createRequire(import.meta.url)('graphql') as typeof GraphQLModule;

const SECRET = 'gateway-signing-test-secret-0123456789abcdef';
const ALICE: Identity = {
  subject: 'alice@example.com',
  kind: 'user',
  roles: ['viewer'],
  tenants: [{ name: 'payments', clusters: ['prod-eu'], hostLabels: {}, victoriaLogs: { accountId: 3, projectId: 0 } }],
  expiresAt: null,
};

interface UpstreamContext {
  identity: Identity | null;
  signed: boolean;
}

const describeCaller = (context: UpstreamContext) => (context.identity ? `${context.identity.subject} [${context.identity.tenants?.map((t) => t.name).join(',') ?? '*'}]` : 'nobody');

const schema = new GraphQLSchema({
  query: new GraphQLObjectType<unknown, UpstreamContext>({
    name: 'Query',
    fields: { whoami: { type: new GraphQLNonNull(GraphQLString), resolve: (_source, _args, context) => describeCaller(context) } },
  }),
  subscription: new GraphQLObjectType<unknown, UpstreamContext>({
    name: 'Subscription',
    fields: {
      whoami: {
        type: new GraphQLNonNull(GraphQLString),
        subscribe: async function* (_source, _args, context: UpstreamContext) {
          yield describeCaller(context);
        },
        resolve: (value: unknown) => value,
      },
    },
  }),
});

const logLines: string[] = [];
let upstream: RunningSubgraph;

beforeAll(async () => {
  upstream = await serveSubgraph<UpstreamContext>(
    // Headers are what reached the subgraph: they show the identity travelled as a header, signed.
    { name: 'upstream', schema, context: async ({ headers, identity }) => ({ identity, signed: typeof headers[SIGNATURE_HEADER] === 'string' }), subscriptions: true },
    // Development: the proxy introspects its upstream.
    { port: 0, host: '127.0.0.1', signingSecret: SECRET, development: true, logger: createLogger('upstream', { level: 'info' }, { write: (line: string) => void logLines.push(line) }) },
  );
});

afterAll(async () => {
  await upstream?.stop();
});

/**
 * Proxy mode leaves operationType unset, so its transport would never pick graphql-ws (nor would
 * the plugin sign for it); the federation planner of gateway.ts sets it. Set here as it would.
 */
const setOperationType: GatewayPlugin = {
  onSubgraphExecute({ executionRequest }) {
    executionRequest.operationType ??= getOperationAST(executionRequest.document, executionRequest.operationName)?.operation;
  },
};

function gatewayFor(subgraphUrls: Record<string, string>) {
  return createGatewayRuntime<IdentityContext>({
    proxy: { endpoint: upstream.url },
    logging: false,
    transports: { http: transportHttp, ws: transportWs },
    transportEntries: {
      upstream: {
        options: {
          subscriptions: {
            kind: 'ws',
            location: '/graphql',
            options: { connectionParams: { [SIGNATURE_HEADER]: `{context.${wsSignatureContextKey('upstream')}}`, [IDENTITY_HEADER]: `{context.${WS_IDENTITY_CONTEXT_KEY}}` } },
          },
        },
      },
    },
    plugins: () => [setOperationType, useSubgraphSigning({ secret: SECRET, subgraphUrls })],
  });
}

async function run(gateway: ReturnType<typeof gatewayFor>, query: string, identity?: Identity, accept = 'application/json'): Promise<string> {
  const response = await gateway.fetch(
    'http://gateway.test/graphql',
    { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify({ query }) },
    identity ? { vigilIdentity: identity } : {},
  );
  return response.text();
}

describe('useSubgraphSigning', () => {
  let gateway: ReturnType<typeof gatewayFor>;
  beforeAll(() => {
    gateway = gatewayFor({ upstream: upstream.url });
  });
  afterAll(async () => {
    await gateway.dispose();
  });

  it('forwards the identity in the context over HTTP, signed; none without one', async () => {
    expect(JSON.parse(await run(gateway, '{ whoami }', ALICE))).toEqual({ data: { whoami: 'alice@example.com [payments]' } });
    expect(JSON.parse(await run(gateway, '{ whoami }', { ...ALICE, subject: 'ops', tenants: null }))).toEqual({ data: { whoami: 'ops [*]' } });
    expect(JSON.parse(await run(gateway, '{ whoami }'))).toEqual({ data: { whoami: 'nobody' } });
  });

  it('forwards it over graphql-ws, with a fresh connection_init for every upstream subscription', async () => {
    // Twice in a row: a reused connection_init would be refused as a replay the second time.
    for (const subject of ['alice@example.com', 'bob@example.com']) {
      const events = await run(gateway, 'subscription { whoami }', { ...ALICE, subject }, 'text/event-stream');
      expect(events).toContain(`"whoami":"${subject} [payments]"`);
    }
    const anonymous = await run(gateway, 'subscription { whoami }', undefined, 'text/event-stream');
    expect(anonymous).toContain('"whoami":"nobody"');
    expect(logLines.filter((line) => line.includes('refused'))).toEqual([]);
  });

  it('signs only requests to the subgraphs it was given: a signature never leaves for another URL', async () => {
    const elsewhere = gatewayFor({ upstream: 'http://127.0.0.1:1/graphql' });
    try {
      logLines.length = 0;
      await run(elsewhere, '{ whoami }', ALICE);
      const refusals = logLines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((l) => l['msg'] === 'refused unsigned subgraph request');
      expect(refusals.length).toBeGreaterThan(0);
      expect(refusals.every((l) => l['reason'] === `missing ${SIGNATURE_HEADER} header`)).toBe(true);
    } finally {
      await elsewhere.dispose();
    }
  });
});
