import { createHash, randomBytes } from 'node:crypto';
import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@vigil/lib/logger';
import { AlertRaisedDocument, RecentAlertsDocument, createVigilClient, type VigilClient } from '@vigil/sdk/index';
import { CSRF_HEADER } from '../src/plugins/protection.js';
import { startStack, type RunningStack } from '../src/stack.js';
import { vigilConfig } from '../src/stack-config.js';

// The gateway's protections (gateway/src/plugins/protection.ts) through the real one-process
// stack: every bomb is refused with a BAD_USER_INPUT error naming its limit, quickly, while a benign
// query from another client still answers; the same limits hold for subscriptions over graphql-ws
// and SSE. Times are logged ([limits] …), never asserted closer than 2 s.

const TIME_BOUND_MS = 2_000;
const ALLOWED_ORIGIN = 'https://console.example.org';
const FOREIGN_ORIGIN = 'https://evil.example.net';

interface GraphQLBody {
  data?: unknown;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: GraphQLBody;
  ms: number;
}

interface TestStack {
  stack: RunningStack;
  /** Headers every request needs to pass authentication (none in development). */
  auth: Record<string, string>;
  client: VigilClient;
  stop(): Promise<void>;
}

async function startTestStack(env: 'production' | 'development', gateway: Record<string, unknown> = {}): Promise<TestStack> {
  const apiKey = randomBytes(24).toString('base64url');
  const production = env === 'production';
  const config = vigilConfig.parse({
    env,
    log: { level: 'silent' },
    signing: { secret: randomBytes(32).toString('hex') },
    hosts: { local: { enabled: false } },
    gateway: {
      ...gateway,
      ...(production ? { auth: { apiKeys: [{ name: 'limits-test', sha256: createHash('sha256').update(apiKey).digest('hex'), roles: ['admin'] }] } } : {}),
    },
    ...(production ? { cluster: { falco: { token: randomBytes(16).toString('hex') }, audit: { token: randomBytes(16).toString('hex') } } } : {}),
  });
  const stack = await startStack({ config, logger: createLogger('test', { level: 'silent' }), signingSecret: config.signing.secret ?? '', ports: 'ephemeral' });
  const auth: Record<string, string> = production ? { 'x-api-key': apiKey } : {};
  const client = createVigilClient({ url: stack.gateway.url, headers: auth });
  return {
    stack,
    auth,
    client,
    stop: async () => {
      await client.dispose();
      await stack.stop();
    },
  };
}

async function post(t: TestStack, body: string | ReadableStream<Uint8Array>, headers: Record<string, string> = {}): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(t.stack.gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...t.auth, ...headers },
    body,
    ...(typeof body === 'string' ? {} : { duplex: 'half' }),
  });
  return answer(response, started);
}

async function answer(response: Response, started: number): Promise<Answer> {
  const text = await response.text();
  let body: GraphQLBody = {};
  try {
    body = JSON.parse(text) as GraphQLBody;
  } catch {
    // SSE and empty bodies are checked as text.
  }
  return { status: response.status, headers: response.headers, text, body, ms: Math.round(performance.now() - started) };
}

const query = (text: string, variables: Record<string, unknown> = {}) => JSON.stringify({ query: text, variables });

/** Sends a bomb while another client asks something benign; both times are logged. */
async function refusedWhileOthersAnswer(t: TestStack, name: string, send: () => Promise<Answer>): Promise<Answer> {
  const benign = createVigilClient({ url: t.stack.gateway.url, headers: t.auth });
  try {
    const benignStarted = performance.now();
    const [refused, benignMs] = await Promise.all([
      send(),
      benign.query(RecentAlertsDocument, { first: 1 }).then(() => Math.round(performance.now() - benignStarted)),
    ]);
    console.info(`[limits] ${name}: refused in ${refused.ms} ms (HTTP ${refused.status}); a benign query beside it answered in ${benignMs} ms`);
    expect(refused.ms).toBeLessThan(TIME_BOUND_MS);
    return refused;
  } finally {
    await benign.dispose();
  }
}

function expectLimit(refused: Answer, setting: string, status = 400): void {
  expect(refused.status, refused.text.slice(0, 300)).toBe(status);
  expect(refused.body.data ?? null).toBeNull();
  const error = refused.body.errors?.[0];
  expect(error?.extensions?.['code']).toBe('BAD_USER_INPUT');
  expect(error?.message).toContain(`gateway.limits.${setting}`);
  expect(error?.message).toMatch(/exceeds the limit of \d+/);
}

// --- bombs (pure text builders) -------------------------------------------------------------------

/** Host.failedControls → Control.failingHosts → edges → node: Host … `rounds` times (4 levels each). */
const depthBomb = (rounds: number) => `{ host(id: "x") { ${'failedControls { failingHosts { edges { node { '.repeat(rounds)}id${' } } } }'.repeat(rounds)} } }`;
const aliasBomb = (aliases: number) => `{ ${Array.from({ length: aliases }, (_, i) => `a${i}: hosts(first: 500) { totalCount }`).join(' ')} }`;
const fragmentCycle = 'query { ...A } fragment A on Query { ...B } fragment B on Query { ...A hosts { totalCount } }';
/** Each fragment spreads the next twice: 2^levels copies of the leaf once expanded. */
const fragmentFanOut = (levels: number) =>
  [
    'query { ...F0 }',
    ...Array.from({ length: levels }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`),
    `fragment F${levels} on Query { hosts { edges { node { id name } } } }`,
  ].join('\n');
const repeatedTypename = (count: number) => `{ ${'__typename '.repeat(count)}}`;
const directiveBomb = (count: number) => `{ ${'__typename @skip(if: false) '.repeat(count)}}`;
/** The shape of the 139 MB answer: every host with every package, page sizes given as variables. */
const costBomb = 'query Everything($hosts: Int, $packages: Int) { hosts(first: $hosts) { edges { node { id packages(first: $packages) { edges { node { name version } } } } } } }';

// ---------------------------------------------------------------------------------------------------

describe('gateway protections in production', () => {
  let t: TestStack;

  beforeAll(async () => {
    t = await startTestStack('production', { cors: { origins: [ALLOWED_ORIGIN] }, trustedDocuments: { enabled: true, allowArbitrary: false } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('the SDK works: it sends documentIds of its trusted documents, JSON POSTs pass CSRF prevention', async () => {
    const data = await t.client.query(RecentAlertsDocument, { first: 1 });
    expect(data.alerts.edges).toBeInstanceOf(Array);
  });

  it('the SDK subscribes over graphql-ws by documentId and receives alerts', async () => {
    const iterator = t.client.subscribe(AlertRaisedDocument, {})[Symbol.asyncIterator]();
    const first = iterator.next();
    // The upstream subscription opens asynchronously: raise until one arrives.
    const raising = setInterval(() => void t.stack.publisher.raise({ source: 'HOSTS', severity: 'CRITICAL', title: 'limits e2e' }), 200);
    try {
      const event = await first;
      expect(event.done).toBe(false);
      expect(event.value?.alertRaised.title).toBe('limits e2e');
    } finally {
      clearInterval(raising);
      await iterator.return?.();
    }
  });

  it('trusted documents: a query sent as text is refused, so is an unknown documentId', async () => {
    const text = await post(t, query('{ alerts(first: 1) { totalCount } }'));
    expect(text.body.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(text.body.errors?.[0]?.message).toContain('Only trusted documents are accepted');
    const unknown = await post(t, JSON.stringify({ documentId: `sha256:${'0'.repeat(64)}` }));
    expect(unknown.body.errors?.[0]?.message).toContain('Unknown documentId');
  });

  it('CORS: an allowed origin gets its own name back with credentials; a foreign one no CORS headers at all', async () => {
    // Every answer carries them, a refusal too (this one is a query sent as text).
    const allowed = await post(t, query('{ __typename }'), { origin: ALLOWED_ORIGIN });
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    const foreign = await post(t, query('{ __typename }'), { origin: FOREIGN_ORIGIN });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    expect(foreign.headers.get('access-control-allow-credentials')).toBeNull();
  });
});

describe('operation limits (production, arbitrary documents allowed)', () => {
  let t: TestStack;

  beforeAll(async () => {
    t = await startTestStack('production');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('depth bomb (80 levels) is refused by maxDepth', async () => {
    const refused = await refusedWhileOthersAnswer(t, 'depth bomb, 80 levels', () => post(t, query(depthBomb(20))));
    expectLimit(refused, 'maxDepth');
    expect(refused.body.errors?.[0]?.message).toContain('found 82');
  });

  it('alias bomb (100 aliased hosts lists) is refused by maxAliases', async () => {
    const refused = await refusedWhileOthersAnswer(t, 'alias bomb, 100 aliases', () => post(t, query(aliasBomb(100))));
    expectLimit(refused, 'maxAliases');
  });

  it('fragment cycle is refused by validation', async () => {
    const refused = await refusedWhileOthersAnswer(t, 'fragment cycle', () => post(t, query(fragmentCycle)));
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]?.message).toMatch(/Cannot spread fragment "A" within itself/);
  });

  it('fragment fan-out (2^40 copies once expanded) is refused by maxCost during validation, before execution-time plugins expand it', async () => {
    const refused = await refusedWhileOthersAnswer(t, 'fragment fan-out, 2^40 copies', () => post(t, query(fragmentFanOut(40))));
    expectLimit(refused, 'maxCost');
  });

  it('a batch of 1,000 operations is refused with 400', async () => {
    const batch = JSON.stringify(Array.from({ length: 1000 }, () => ({ query: '{ __typename }' })));
    const refused = await refusedWhileOthersAnswer(t, 'batch of 1,000 operations', () => post(t, batch));
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(refused.body.errors?.[0]?.message).toContain('Batched requests are not accepted (this one holds 1000 operations)');
  });

  it('a 5 MB document of repeated __typename is refused with 413 before it is parsed', async () => {
    const bomb = query(repeatedTypename(5 * 1024 * 1024 / 11));
    expect(bomb.length).toBeGreaterThan(5 * 1024 * 1024);
    const refused = await refusedWhileOthersAnswer(t, '5 MB document', () => post(t, bomb));
    expectLimit(refused, 'maxRequestBytes', 413);
  });

  it('a streamed (chunked, no Content-Length) body over 256 KiB is refused with 413', async () => {
    const chunk = new TextEncoder().encode(' '.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const refused = await refusedWhileOthersAnswer(t, 'chunked 512 KiB body', () => post(t, stream));
    expectLimit(refused, 'maxRequestBytes', 413);
  });

  it('20,000 __typename (220 KB, under the body limit; 3.3 s of validation on main) is refused by maxTokens while parsing', async () => {
    const refused = await refusedWhileOthersAnswer(t, '20,000 __typename', () => post(t, query(repeatedTypename(20_000))));
    expectLimit(refused, 'maxTokens');
  });

  it('a 30,000-token document is refused by maxTokens while parsing', async () => {
    const refused = await refusedWhileOthersAnswer(t, '30,000 tokens', () => post(t, query(`{ ${'a '.repeat(30_000)}}`)));
    expectLimit(refused, 'maxTokens');
  });

  it('directive bomb is refused by maxDirectives', async () => {
    const refused = await refusedWhileOthersAnswer(t, 'directive bomb, 25 directives', () => post(t, query(directiveBomb(25))));
    expectLimit(refused, 'maxDirectives');
  });

  it('page sizes count: every host with every package is refused by maxCost, given as variables or left to the schema defaults', async () => {
    const variables = await refusedWhileOthersAnswer(t, 'cost bomb, page sizes as variables', () => post(t, query(costBomb, { hosts: 500, packages: 1000 })));
    expectLimit(variables, 'maxCost');
    const defaults = await refusedWhileOthersAnswer(t, 'cost bomb, 10 aliases of schema-default pages', () =>
      post(t, query(`{ ${Array.from({ length: 10 }, (_, i) => `h${i}: hosts { edges { node { packages { edges { node { name version } } } } } }`).join(' ')} }`)),
    );
    expectLimit(defaults, 'maxCost');
    const small = await post(t, query(costBomb, { hosts: 5, packages: 10 }));
    expect(small.body.errors).toBeUndefined();
  });

  it('the same limits hold for subscriptions over graphql-ws', async () => {
    const ws = wsClient(t);
    try {
      const aliases = await firstWsResult(ws, 'alias bomb', `subscription { alertRaised { ${Array.from({ length: 40 }, (_, i) => `a${i}: id`).join(' ')} } }`);
      expect(aliases.errors?.[0]?.message).toContain('gateway.limits.maxAliases');
      expect(aliases.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
      const depth = await firstWsResult(ws, 'depth bomb', `subscription { alertRaised { ${'a { '.repeat(20)}b${' }'.repeat(20)} } }`);
      expect(depth.errors?.[0]?.message).toContain('gateway.limits.maxDepth');
      const tokens = await firstWsResult(ws, '20,000 tokens', `subscription { alertRaised { ${'id '.repeat(20_000)}} }`);
      expect(tokens.errors?.[0]?.message).toContain('gateway.limits.maxTokens');
      // The socket is still usable after refusals.
      const benign = await firstWsResult(ws, 'benign subscription (no event expected)', 'subscription { alertRaised { id } }', 500);
      expect(benign.errors).toBeUndefined();
    } finally {
      await ws.dispose();
    }
  });

  it('a graphql-ws message over 256 KiB closes the socket (1009)', async () => {
    const ws = wsClient(t);
    try {
      const closed = await firstWsResult(ws, '300 KB message', `subscription { alertRaised { ${'id '.repeat(100_000)}} }`).then(
        () => null,
        (error: unknown) => error,
      );
      expect(closed).toMatchObject({ code: 1009 });
    } finally {
      await ws.dispose();
    }
  });

  it('the same limits hold for subscriptions over SSE', async () => {
    const sse = async (name: string, text: string) => {
      const answer = await post(t, query(text), { accept: 'text/event-stream' });
      console.info(`[limits] SSE ${name}: answered in ${answer.ms} ms`);
      return answer;
    };
    const aliases = await sse('alias bomb', `subscription { alertRaised { ${Array.from({ length: 40 }, (_, i) => `a${i}: id`).join(' ')} } }`);
    expect(aliases.text).toContain('gateway.limits.maxAliases');
    expect(aliases.text).toContain('BAD_USER_INPUT');
    const tokens = await sse('20,000 tokens', `subscription { alertRaised { ${'id '.repeat(20_000)}} }`);
    expect(tokens.text).toContain('gateway.limits.maxTokens');
  });

  it('introspection is refused and suggestions are hidden', async () => {
    const introspection = await post(t, query('{ __schema { types { name } } }'));
    expect(introspection.body.errors?.[0]?.message).toMatch(/introspection has been disabled/);
    const typeQuery = await post(t, query('{ __type(name: "Host") { fields { name } } }'));
    expect(typeQuery.body.errors?.[0]?.message).toMatch(/introspection has been disabled/);
    const typo = await post(t, query('{ hostz { totalCount } }'));
    expect(typo.body.errors?.[0]?.message).toBe('Cannot query field "hostz" on type "Query".');
    const enumTypo = await post(t, query('{ alerts(filter: { minSeverity: CRITICALL }) { totalCount } }'));
    expect(enumTypo.body.errors?.[0]?.message).not.toMatch(/Did you mean/);
  });

  it('CSRF: a text/plain form POST and a GET without the header are refused; a GET with it answers', async () => {
    const form = await post(t, query('{ __typename }'), { 'content-type': 'text/plain' });
    expect(form.status).toBe(403);
    const url = `${t.stack.gateway.url}?query=${encodeURIComponent('{ __typename }')}`;
    const get = await fetch(url, { headers: t.auth });
    expect(get.status).toBe(403);
    const withHeader = await fetch(url, { headers: { ...t.auth, [CSRF_HEADER]: '1', accept: 'application/json' } });
    expect(await withHeader.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('CORS: a preflight from a listed origin is answered without credentials, and the request after it needs them', async () => {
    const listed = await startTestStack('production', { cors: { origins: ['https://console.example.org'] } });
    try {
      const preflight = await fetch(listed.stack.gateway.url, {
        method: 'OPTIONS',
        headers: { origin: 'https://console.example.org', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://console.example.org');
      expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
      const anonymous = await fetch(listed.stack.gateway.url, { method: 'POST', headers: { origin: 'https://console.example.org', 'content-type': 'application/json' }, body: query('{ __typename }') });
      expect(anonymous.status).toBe(401);
      const signedIn = await post(listed, query('{ __typename }'), { origin: 'https://console.example.org' });
      expect(signedIn.body).toEqual({ data: { __typename: 'Query' } });
      expect(signedIn.headers.get('access-control-allow-origin')).toBe('https://console.example.org');
    } finally {
      await listed.stop();
    }
  });

  it('CORS: no origin is allowed by default in production', async () => {
    const foreign = await post(t, query('{ __typename }'), { origin: FOREIGN_ORIGIN });
    expect(foreign.status).toBe(200);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    expect(foreign.headers.get('access-control-allow-credentials')).toBeNull();
  });
});

describe('gateway protections in development', () => {
  let t: TestStack;

  beforeAll(async () => {
    t = await startTestStack('development');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('introspection and suggestions are on', async () => {
    const introspection = await post(t, query('{ __schema { queryType { name } } }'));
    expect(introspection.body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
    const typo = await post(t, query('{ hostz { totalCount } }'));
    expect(typo.body.errors?.[0]?.message).toMatch(/Did you mean .*"hosts"/);
  });

  it('the limits are on too', async () => {
    expectLimit(await post(t, query(depthBomb(20))), 'maxDepth');
    expectLimit(await post(t, query(repeatedTypename(20_000))), 'maxTokens');
    // Development accepts documents sent as text; the SDK still sends ids.
    expect((await post(t, query('{ alerts(first: 1) { edges { cursor } } }'))).body.errors).toBeUndefined();
    expect((await t.client.query(RecentAlertsDocument, { first: 1 })).alerts.edges).toBeInstanceOf(Array);
  });

  it('CORS: any origin may read, never with credentials; preflights are answered', async () => {
    const foreign = await post(t, query('{ __typename }'), { origin: FOREIGN_ORIGIN });
    expect(foreign.headers.get('access-control-allow-origin')).toBe(FOREIGN_ORIGIN);
    expect(foreign.headers.get('access-control-allow-credentials')).toBeNull();
    const preflight = await fetch(t.stack.gateway.url, {
      method: 'OPTIONS',
      headers: { origin: FOREIGN_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(FOREIGN_ORIGIN);
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('GraphiQL is served whole by the gateway: no script, style or font from another host (works offline)', async () => {
    const page = await fetch(t.stack.gateway.url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<title>Vigil GraphiQL</title>');
    const external = [...html.matchAll(/<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=\s*["']?(https?:)?\/\/[^"'\s>]+/gi)].map((m) => m[0]);
    expect(external).toEqual([]);
    expect(html).not.toMatch(/@import\s+url\(["']?https?:/);
  });

  it('CSRF: a cross-site text/plain form POST cannot run a mutation', async () => {
    const form = await post(t, query('mutation { refreshHost(id: "x") { status } }'), { 'content-type': 'text/plain', origin: FOREIGN_ORIGIN });
    expect(form.status).toBe(403);
    expect(form.body.errors?.[0]?.message).toMatch(/CSRF/);
  });
});

// --- graphql-ws helpers ----------------------------------------------------------------------------

function wsClient(t: TestStack): Client {
  return createClient({ url: t.stack.gateway.wsUrl, connectionParams: t.auth, lazy: true, retryAttempts: 0 });
}

/** The first result of a subscription (errors included), or `{}` when nothing arrives within `ms`. */
async function firstWsResult(ws: Client, name: string, text: string, ms = 5_000): Promise<FormattedExecutionResult<Record<string, unknown>, unknown>> {
  const started = performance.now();
  const iterator = ws.iterate({ query: text });
  const timeout = new Promise<FormattedExecutionResult<Record<string, unknown>, unknown>>((resolve) => setTimeout(() => resolve({}), ms));
  try {
    const result = await Promise.race([iterator.next().then((r) => (r.done ? {} : r.value)), timeout]);
    console.info(`[limits] graphql-ws ${name}: answered in ${Math.round(performance.now() - started)} ms`);
    return result;
  } finally {
    await iterator.return?.();
  }
}
