import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VigilError } from '../src/errors.js';
import { createLogger } from '../src/logger.js';
import { SIGNATURE_HEADER, WS_CONNECT_PAYLOAD, sign } from '../src/signing.js';
import { serveSubgraph, type RunningSubgraph } from '../src/subgraph-server.js';

// The trust boundary (CONVENTIONS §13) and error masking (§9) of every subgraph, on a tiny schema
// served for real on port 0 in production mode.

const SECRET = 'subgraph-server-test-secret-0123456789abcdef';
const INTERNAL_DETAIL = 'disk quota exceeded on /var/lib/vigil/hosts';

const typeDefs = parse(`
  type Query {
    hello(name: String!): String!
    missing: String
    broken: String
  }
  type Subscription {
    ticks(count: Int!): Int!
  }
`);

const schema = buildSubgraphSchema([
  {
    typeDefs,
    resolvers: {
      Query: {
        hello: (_parent: unknown, args: { name: string }) => `hello ${args.name}`,
        missing: () => {
          throw new VigilError('NOT_FOUND', 'No such thing.');
        },
        broken: () => {
          throw new Error(INTERNAL_DETAIL);
        },
      },
      Subscription: {
        ticks: {
          subscribe: async function* (_parent: unknown, args: { count: number }) {
            for (let i = 1; i <= args.count; i++) yield { ticks: i };
          },
        },
      },
    },
  },
]);

const logLines: string[] = [];
let server: RunningSubgraph;
const wsClients = new Set<Client>();

beforeAll(async () => {
  server = await serveSubgraph(
    { name: 'tiny', schema, context: async () => ({}), subscriptions: true },
    { port: 0, host: '127.0.0.1', signingSecret: SECRET, development: false, logger: createLogger('tiny', { level: 'info' }, { write: (line: string) => void logLines.push(line) }), maxBodyBytes: 4096 },
  );
});

afterEach(async () => {
  for (const client of wsClients) await client.dispose();
  wsClients.clear();
});

afterAll(async () => {
  await server?.stop();
});

function post(body: string, headers: Record<string, string> = {}) {
  return fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

function signedPost(body: string, secret = SECRET) {
  return post(body, { [SIGNATURE_HEADER]: sign(secret, body) });
}

const logged = () => logLines.map((line) => JSON.parse(line) as Record<string, unknown>);

describe('serveSubgraph over HTTP', () => {
  it('refuses an unsigned POST with 401 JSON and UNAUTHENTICATED, and logs why', async () => {
    const response = await post('{"query":"{ hello(name: \\"x\\") }"}');
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ errors: [{ message: `Unauthorized: missing ${SIGNATURE_HEADER} header`, extensions: { code: 'UNAUTHENTICATED' } }] });
    expect(logged().some((l) => l['msg'] === 'refused unsigned subgraph request' && l['reason'] === `missing ${SIGNATURE_HEADER} header`)).toBe(true);
  });

  it('refuses a request signed with another secret, or whose body changed after signing', async () => {
    const body = '{"query":"{ hello(name: \\"x\\") }"}';
    const wrongSecret = await signedPost(body, 'some-other-secret-0123456789abcdef0123');
    expect(wrongSecret.status).toBe(401);
    expect(await wrongSecret.json()).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });

    const tampered = await post(body.replace('x', 'y'), { [SIGNATURE_HEADER]: sign(SECRET, body) });
    expect(tampered.status).toBe(401);
    const text = await tampered.text();
    expect(text).toContain('signature does not match');
    expect(text).not.toContain(SECRET);
  });

  it('serves a signed request', async () => {
    const response = await signedPost(JSON.stringify({ query: 'query ($n: String!) { hello(name: $n) }', variables: { n: 'vigil' } }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { hello: 'hello vigil' } });
  });

  it('answers 400 BAD_REQUEST to a signed body that is not JSON', async () => {
    const response = await signedPost('{"query": ');
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ errors: [{ message: 'Request body is not valid JSON.', extensions: { code: 'BAD_REQUEST' } }] });
  });

  it('masks an internal resolver error in production and logs the detail', async () => {
    logLines.length = 0;
    const response = await signedPost('{"query":"{ broken missing }"}');
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: unknown; errors: { message: string; path: string[]; extensions: Record<string, unknown> }[] };
    expect(body.data).toEqual({ broken: null, missing: null });
    const byField = new Map(body.errors.map((e) => [e.path[0], e]));
    expect(byField.get('broken')).toEqual({ message: 'Unexpected error.', locations: [{ line: 1, column: 3 }], path: ['broken'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    // A domain error keeps its message and code, without a stack trace.
    expect(byField.get('missing')).toMatchObject({ message: 'No such thing.', extensions: { code: 'NOT_FOUND' } });
    expect(byField.get('missing')?.extensions).not.toHaveProperty('stacktrace');
    expect(JSON.stringify(body)).not.toContain(INTERNAL_DETAIL);

    const failures = logged().filter((l) => l['msg'] === 'resolver failed');
    expect(failures).toHaveLength(1);
    expect(JSON.stringify(failures[0])).toContain(INTERNAL_DETAIL);
    expect(failures[0]?.['path']).toEqual(['broken']);
  });

  it('introspection is off in production', async () => {
    const response = await signedPost('{"query":"{ __schema { queryType { name } } }"}');
    const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
    expect(body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('a body over maxBodyBytes is refused with 413, as JSON, without a stack trace', async () => {
    const body = JSON.stringify({ query: `{ hello(name: "${'x'.repeat(5000)}") }` });
    const response = await signedPost(body);
    expect(response.status).toBe(413);
    const text = await response.text();
    expect(text).not.toMatch(/node_modules|\bat \w+ \(/);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('/healthz answers 200 without a signature', async () => {
    const response = await fetch(server.url.replace(/\/graphql$/, '/healthz'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', subgraph: 'tiny' });
  });
});

describe('serveSubgraph over graphql-ws', () => {
  function wsClient(connectionParams: Record<string, unknown>, closeCodes: number[]): Client {
    const client = createClient({
      url: server.url.replace(/^http/, 'ws'),
      connectionParams,
      retryAttempts: 0,
      on: {
        closed: (event) => {
          if (typeof event === 'object' && event !== null && 'code' in event && typeof event.code === 'number') closeCodes.push(event.code);
        },
      },
    });
    wsClients.add(client);
    return client;
  }

  async function collect(client: Client, count: number): Promise<unknown[]> {
    const values: unknown[] = [];
    for await (const result of client.iterate({ query: `subscription { ticks(count: ${count}) }` })) values.push(result);
    return values;
  }

  it('refuses a connection without the signature in connection_init (4403)', async () => {
    const closeCodes: number[] = [];
    const outcome = await collect(wsClient({}, closeCodes), 2).then(
      () => 'served',
      (error: unknown) => (typeof error === 'object' && error !== null && 'code' in error ? error.code : 'other'),
    );
    expect(outcome).toBe(4403);
    expect(closeCodes).toEqual([4403]);
    expect(logged().some((l) => l['msg'] === 'refused unsigned subscription connection')).toBe(true);
  });

  it('refuses a signature made with another secret (4403)', async () => {
    const closeCodes: number[] = [];
    const client = wsClient({ [SIGNATURE_HEADER]: sign('some-other-secret-0123456789abcdef0123', WS_CONNECT_PAYLOAD) }, closeCodes);
    await expect(collect(client, 1)).rejects.toMatchObject({ code: 4403 });
    expect(closeCodes).toEqual([4403]);
  });

  it('serves a subscription when connection_init carries the signature', async () => {
    const closeCodes: number[] = [];
    const client = wsClient({ [SIGNATURE_HEADER]: sign(SECRET, WS_CONNECT_PAYLOAD) }, closeCodes);
    expect(await collect(client, 3)).toEqual([{ data: { ticks: 1 } }, { data: { ticks: 2 } }, { data: { ticks: 3 } }]);
  });
});
