import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { VigilError } from '../src/errors.js';
import { IDENTITY_HEADER, encodeIdentity, type Identity } from '../src/identity.js';
import { createLogger } from '../src/logger.js';
import { SIGNATURE_HEADER, WS_METHOD, signRequest } from '../src/signing.js';
import { serveSubgraph, type RunningSubgraph } from '../src/subgraph-server.js';

// The trust boundary (CONVENTIONS §13) and error masking (§9) of every subgraph, on a tiny schema
// served for real on port 0 in production mode.

const SECRET = 'subgraph-server-test-secret-0123456789abcdef';
const INTERNAL_DETAIL = 'disk quota exceeded on /var/lib/vigil/hosts';
// The servers' and the signer's clock, injected: these tests never depend on today's date.
const NOW_MS = 1_767_225_600_000; // 2026-01-01T00:00:00Z
let clockMs = NOW_MS;
const now = () => clockMs;

const ALICE: Identity = {
  subject: 'alice@example.com',
  kind: 'user',
  roles: ['analyst'],
  tenants: [{ name: 'payments', clusters: ['prod-eu'], hostLabels: { team: 'payments' }, victoriaLogs: { accountId: 3, projectId: 0 } }],
  expiresAt: NOW_MS / 1000 + 3600,
};

interface TinyContext {
  identity: Identity | null;
}

const typeDefs = parse(`
  type Query {
    hello(name: String!): String!
    missing: String
    broken: String
    whoami: String!
  }
  type Subscription {
    ticks(count: Int!): Int!
    whoami: String!
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
        whoami: (_parent: unknown, _args: unknown, context: TinyContext) => context.identity?.subject ?? 'nobody',
      },
      Subscription: {
        ticks: {
          subscribe: async function* (_parent: unknown, args: { count: number }) {
            for (let i = 1; i <= args.count; i++) yield { ticks: i };
          },
        },
        whoami: {
          subscribe: async function* (_parent: unknown, _args: unknown, context: TinyContext) {
            yield { whoami: `${context.identity?.subject ?? 'nobody'} (${context.identity?.roles.join(',') ?? ''})` };
          },
        },
      },
    },
  },
]);

const logLines: string[] = [];
let server: RunningSubgraph;
/** A second subgraph with the same secret: a signature made for one must not open the other. */
let other: RunningSubgraph;
const wsClients = new Set<Client>();

const serve = (name: string) =>
  serveSubgraph<TinyContext>(
    { name, schema, context: async ({ identity }) => ({ identity }), subscriptions: true },
    { port: 0, host: '127.0.0.1', signingSecret: SECRET, development: false, logger: createLogger(name, { level: 'info' }, { write: (line: string) => void logLines.push(line) }), maxBodyBytes: 4096, now },
  );

beforeAll(async () => {
  server = await serve('tiny');
  other = await serve('other');
});

afterEach(async () => {
  for (const client of wsClients) await client.dispose();
  wsClients.clear();
});

afterEach(() => {
  clockMs = NOW_MS;
});

afterAll(async () => {
  await server?.stop();
  await other?.stop();
});

function post(body: string, headers: Record<string, string> = {}, url = server.url) {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

/** What the gateway sends: the signature, and the identity when there is one. */
function signedHeaders(body: string, { method = 'POST', path = '/graphql', audience = 'tiny', identity, secret = SECRET }: { method?: string; path?: string; audience?: string; identity?: string; secret?: string } = {}): Record<string, string> {
  return {
    [SIGNATURE_HEADER]: signRequest(secret, { method, path, audience, body, identity }, { now }),
    ...(identity === undefined ? {} : { [IDENTITY_HEADER]: identity }),
  };
}

function signedPost(body: string, secret = SECRET) {
  return post(body, signedHeaders(body, { secret }));
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

    const tampered = await post(body.replace('x', 'y'), signedHeaders(body));
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

  it('passes the forwarded identity to the context, and null without one', async () => {
    const body = '{"query":"{ whoami }"}';
    const identity = encodeIdentity(ALICE);
    const as = await post(body, signedHeaders(body, { identity }));
    expect(await as.json()).toEqual({ data: { whoami: 'alice@example.com' } });
    const anonymous = await signedPost(body);
    expect(await anonymous.json()).toEqual({ data: { whoami: 'nobody' } });
  });

  it('refuses a forwarded identity that was not signed, or was swapped after signing', async () => {
    const body = '{"query":"{ whoami }"}';
    const unsigned = await post(body, { ...signedHeaders(body), [IDENTITY_HEADER]: encodeIdentity(ALICE) });
    expect(unsigned.status).toBe(401);
    const mallory = encodeIdentity({ ...ALICE, subject: 'mallory', roles: ['admin'], tenants: null });
    const swapped = await post(body, { ...signedHeaders(body, { identity: encodeIdentity(ALICE) }), [IDENTITY_HEADER]: mallory });
    expect(swapped.status).toBe(401);
    expect(await swapped.json()).toMatchObject({ errors: [{ message: 'Unauthorized: signature does not match' }] });
  });

  it('refuses a signed identity that is not an Identity (401, without echoing it)', async () => {
    const body = '{"query":"{ whoami }"}';
    const bogus = Buffer.from(JSON.stringify({ subject: 'secret-tenant-name', roles: ['root'] })).toString('base64url');
    const response = await post(body, signedHeaders(body, { identity: bogus }));
    expect(response.status).toBe(401);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ errors: [{ message: `Unauthorized: malformed ${IDENTITY_HEADER} header`, extensions: { code: 'UNAUTHENTICATED' } }] });
    expect(text).not.toContain('secret-tenant-name');
  });

  it('refuses a captured signed request replayed as is (401), though the timestamp is still fresh', async () => {
    const body = '{"query":"{ hello(name: \\"again\\") }"}';
    const headers = signedHeaders(body);
    expect((await post(body, headers)).status).toBe(200);
    clockMs += 5_000;
    const replayed = await post(body, headers);
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toEqual({ errors: [{ message: 'Unauthorized: signature nonce already used', extensions: { code: 'UNAUTHENTICATED' } }] });
  });

  it('refuses a signature made for subgraph A when sent to subgraph B (401)', async () => {
    const body = '{"query":"{ hello(name: \\"x\\") }"}';
    const forTiny = signedHeaders(body, { audience: 'tiny' });
    const misdirected = await post(body, forTiny, other.url);
    expect(misdirected.status).toBe(401);
    expect(await misdirected.json()).toMatchObject({ errors: [{ message: 'Unauthorized: signature is for another subgraph' }] });
    // Rewriting the clear-text audience does not help: it is inside the MAC too.
    const relabelled = await post(body, { [SIGNATURE_HEADER]: (forTiny[SIGNATURE_HEADER] ?? '').replace('aud=tiny', 'aud=other') }, other.url);
    expect(relabelled.status).toBe(401);
    expect(await relabelled.json()).toMatchObject({ errors: [{ message: 'Unauthorized: signature does not match' }] });
    // The same signature still opens the subgraph it was made for, once.
    expect((await post(body, forTiny)).status).toBe(200);
  });

  it('refuses a GET carrying a POST signature, and serves a GET signed for GET with its query string', async () => {
    const query = encodeURIComponent('{ hello(name: "get") }');
    const path = `/graphql?query=${query}`;
    const url = `${server.url}?query=${query}`;
    // Apollo's CSRF prevention wants a non-simple header on GET; the gateway would send it too.
    const csrf = { 'apollo-require-preflight': 'true' };
    const withPostSignature = await fetch(url, { headers: { ...csrf, ...signedHeaders('', { method: 'POST', path }) } });
    expect(withPostSignature.status).toBe(401);
    expect(await withPostSignature.json()).toMatchObject({ errors: [{ message: 'Unauthorized: signature does not match' }] });
    // The empty-body signature of a bare /graphql does not stretch to a query string either.
    expect((await fetch(url, { headers: { ...csrf, ...signedHeaders('', { method: 'GET' }) } })).status).toBe(401);
    const signedForGet = await fetch(url, { headers: { ...csrf, ...signedHeaders('', { method: 'GET', path }) } });
    expect(signedForGet.status).toBe(200);
    expect(await signedForGet.json()).toEqual({ data: { hello: 'hello get' } });
  });

  it('refuses a signature whose timestamp is outside the 60 s tolerance of the server clock', async () => {
    const body = '{"query":"{ hello(name: \\"late\\") }"}';
    const headers = signedHeaders(body);
    clockMs += 61_000;
    const late = await post(body, headers);
    expect(late.status).toBe(401);
    expect(await late.json()).toMatchObject({ errors: [{ message: 'Unauthorized: signature timestamp outside tolerance' }] });
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

  /** connection_init params as the gateway sends them: a fresh signature for `audience`, and the identity. */
  function connectionParams({ audience = 'tiny', identity, secret = SECRET, method = WS_METHOD }: { audience?: string; identity?: string; secret?: string; method?: string } = {}) {
    return signedHeaders('', { method, path: '/graphql', audience, identity, secret });
  }

  it('refuses a signature made with another secret (4403)', async () => {
    const closeCodes: number[] = [];
    const client = wsClient(connectionParams({ secret: 'some-other-secret-0123456789abcdef0123' }), closeCodes);
    await expect(collect(client, 1)).rejects.toMatchObject({ code: 4403 });
    expect(closeCodes).toEqual([4403]);
  });

  it('serves a subscription when connection_init carries the signature', async () => {
    const closeCodes: number[] = [];
    const client = wsClient(connectionParams(), closeCodes);
    expect(await collect(client, 3)).toEqual([{ data: { ticks: 1 } }, { data: { ticks: 2 } }, { data: { ticks: 3 } }]);
  });

  it("gives every operation on the socket the connection's identity", async () => {
    // Kept open between operations: a reconnect would replay the connection_init, and be refused.
    const client = createClient({ url: server.url.replace(/^http/, 'ws'), connectionParams: connectionParams({ identity: encodeIdentity(ALICE) }), retryAttempts: 0, lazyCloseTimeout: 60_000 });
    wsClients.add(client);
    for (let i = 0; i < 2; i++) {
      const values: unknown[] = [];
      for await (const result of client.iterate({ query: 'subscription { whoami }' })) values.push(result);
      expect(values).toEqual([{ data: { whoami: 'alice@example.com (analyst)' } }]);
    }
  });

  it('refuses a replayed connection_init (4403), and logs why', async () => {
    logLines.length = 0;
    const params = connectionParams({ identity: encodeIdentity(ALICE) });
    expect(await collect(wsClient(params, []), 1)).toEqual([{ data: { ticks: 1 } }]);
    clockMs += 10_000;
    const closeCodes: number[] = [];
    await expect(collect(wsClient(params, closeCodes), 1)).rejects.toMatchObject({ code: 4403 });
    expect(closeCodes).toEqual([4403]);
    expect(logged().some((l) => l['msg'] === 'refused unsigned subscription connection' && l['reason'] === 'signature nonce already used')).toBe(true);
  });

  it('refuses a connection_init signed for another subgraph, for HTTP, or too long ago (4403)', async () => {
    const forTiny = connectionParams();
    const otherClient = createClient({ url: other.url.replace(/^http/, 'ws'), connectionParams: forTiny, retryAttempts: 0 });
    wsClients.add(otherClient);
    await expect(collect(otherClient, 1)).rejects.toMatchObject({ code: 4403 });

    await expect(collect(wsClient(connectionParams({ method: 'POST' }), []), 1)).rejects.toMatchObject({ code: 4403 });

    const stale = connectionParams();
    clockMs += 61_000;
    await expect(collect(wsClient(stale, []), 1)).rejects.toMatchObject({ code: 4403 });
    expect(logged().some((l) => l['reason'] === 'signature timestamp outside tolerance')).toBe(true);
  });

  it('refuses a connection_init whose identity was swapped or is not a string (4403)', async () => {
    const swapped = { ...connectionParams({ identity: encodeIdentity(ALICE) }), [IDENTITY_HEADER]: encodeIdentity({ ...ALICE, subject: 'mallory' }) };
    await expect(collect(wsClient(swapped, []), 1)).rejects.toMatchObject({ code: 4403 });
    const notAString = { ...connectionParams(), [IDENTITY_HEADER]: { subject: 'mallory' } };
    await expect(collect(wsClient(notAString, []), 1)).rejects.toMatchObject({ code: 4403 });
  });

  it('closes a socket that subscribes before connection_init (4401)', async () => {
    const socket = new WebSocket(server.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { ticks(count: 1) }' } }));
    const received: string[] = [];
    socket.on('message', (data: Buffer) => received.push(data.toString('utf8')));
    expect(await closed).toBe(4401);
    expect(received).toEqual([]);
  });
});
