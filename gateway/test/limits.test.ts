import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGatewayRuntime, type GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { afterAll, describe, expect, it } from 'vitest';
import { API_SCHEMA_PATH, SUPERGRAPH_PATH } from '@vigil/schema/subgraphs';
import { gatewayConfig } from '../src/config.js';
import { graphql } from '../src/limits/graphql-realm.js';
import { withExplicitPageSizes } from '../src/limits/page-sizes.js';
import { corsPolicy } from '../src/plugins/cors-policy.js';
import { protection } from '../src/plugins/protection.js';
import { PERSISTED_DOCUMENTS_PATH, loadPersistedDocuments } from '../src/plugins/trusted-documents.js';

// No network: the gateway runtime answers through `fetch` in-process, and a last plugin stops every
// operation that passes all the protections before anything would be sent to a subgraph.

const schema = graphql.buildSchema(readFileSync(API_SCHEMA_PATH, 'utf8'));
const manifest = loadPersistedDocuments();
const dir = mkdtempSync(join(tmpdir(), 'vigil-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Execution reached: every protection passed. */
const REACHED = { data: { reached: true } };
const stopBeforeSubgraphs: GatewayPlugin = {
  onExecute: ({ setResultAndStopExecution }) => setResultAndStopExecution(REACHED),
  onSubscribe: ({ setResultAndStopExecution }) => setResultAndStopExecution(REACHED),
};

function runtime(config: Record<string, unknown>, development = false) {
  const shield = protection(gatewayConfig.parse(config), development);
  return createGatewayRuntime({ ...shield.runtime, supergraph: readFileSync(SUPERGRAPH_PATH, 'utf8'), logging: false, plugins: () => [...shield.plugins, stopBeforeSubgraphs] });
}

async function post(gateway: ReturnType<typeof runtime>, body: unknown): Promise<{ data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] }> {
  const response = await gateway.fetch('http://gateway/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await response.json()) as { data?: unknown; errors?: { message: string }[] };
}

/** The largest page any caller in this repository asks for (compliance's inventory pages). */
const LARGEST_PAGE = 500;
/**
 * SecurityOverview's `$hosts` and `$events` size a dashboard: at 100 each it estimates about 42,000,
 * and up to about 235 each it stays under the default maxCost (its callers ask for 10 to 20).
 */
const OVERVIEW_PAGE = 100;
/** Compliance reads security events with their details 200 at a time (subgraphs/compliance/src/evidence-source.ts). */
const EVENTS_PAGE = 200;

/** Every Int variable of the document's operation set to the largest page its callers use. */
function largestPages(text: string): Record<string, number> {
  const page = text.startsWith('query SecurityOverview(') ? OVERVIEW_PAGE : text.startsWith('query ComplianceSecurityEvents(') ? EVENTS_PAGE : LARGEST_PAGE;
  const variables: Record<string, number> = {};
  for (const definition of graphql.parse(text).definitions) {
    if (definition.kind !== graphql.Kind.OPERATION_DEFINITION) continue;
    for (const variable of definition.variableDefinitions ?? []) {
      const type = variable.type.kind === graphql.Kind.NON_NULL_TYPE ? variable.type.type : variable.type;
      if (type.kind === graphql.Kind.NAMED_TYPE && type.name.value === 'Int') variables[variable.variable.name.value] = page;
    }
  }
  return variables;
}

describe('the default limits and the SDK', () => {
  it('every SDK document passes every limit with the defaults, its pages at their largest, sent by documentId to a trusted-documents gateway', async () => {
    const gateway = runtime({ trustedDocuments: { enabled: true } });
    try {
      expect(manifest.size).toBeGreaterThanOrEqual(13);
      for (const [documentId, text] of manifest) {
        const result = await post(gateway, { documentId, variables: largestPages(text) });
        expect(result, text.slice(0, 60)).toEqual(REACHED);
      }
    } finally {
      await gateway.dispose();
    }
  });

  it('every generated SDK document carries the hash it is listed under', () => {
    const generated = readFileSync(new URL('../../sdk/src/__generated__/graphql.ts', import.meta.url), 'utf8');
    const hashes = [...generated.matchAll(/"__meta__":\{"hash":"(sha256:[0-9a-f]{64})"\}/g)].map((match) => match[1]);
    expect(hashes.length).toBe(manifest.size);
    for (const hash of hashes) expect(manifest.has(hash ?? '')).toBe(true);
  });

  it('a manifest entry that does not hash to its key is refused at start', () => {
    const [[hash, text] = ['', '']] = manifest;
    const tampered = join(dir, 'persisted-documents.json');
    writeFileSync(tampered, JSON.stringify({ [hash]: `${text} { __typename }` }));
    expect(() => loadPersistedDocuments(tampered)).toThrow(/does not hash to it/);
    expect(PERSISTED_DOCUMENTS_PATH).toMatch(/sdk\/src\/__generated__\/persisted-documents\.json$/);
  });

  it('each limit is configurable and names itself in the refusal', async () => {
    const cases: [Record<string, number>, string, string][] = [
      [{ maxDepth: 3 }, '{ hosts { edges { node { id } } } }', 'Query depth exceeds the limit of 3 (found 4): gateway.limits.maxDepth.'],
      [{ maxAliases: 1 }, '{ a: __typename b: hosts { totalCount } c: hosts { totalCount } }', 'Alias count exceeds the limit of 1 (found 2): gateway.limits.maxAliases.'],
      [{ maxDirectives: 1 }, '{ __typename @skip(if: false) @include(if: true) }', 'Directive count exceeds the limit of 1 (found 2): gateway.limits.maxDirectives.'],
      [{ maxTokens: 50 }, `{ ${'__typename '.repeat(60)}}`, 'Token count exceeds the limit of 50: gateway.limits.maxTokens.'],
      [{ maxCost: 100 }, '{ hosts(first: 50) { totalCount } }', 'Estimated query cost exceeds the limit of 100 (found 175): gateway.limits.maxCost.'],
      [{ maxCost: 100 }, 'query($n: Int) { hosts(first: $n) { totalCount } }', 'Estimated query cost exceeds the limit of 100 (found 105): gateway.limits.maxCost.'],
    ];
    for (const [limits, query, message] of cases) {
      const gateway = runtime({ limits });
      try {
        const result = await post(gateway, { query, variables: { n: 30 } });
        expect(result.errors?.[0]?.message).toBe(message);
        expect(result.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
      } finally {
        await gateway.dispose();
      }
    }
  });
});

describe('withExplicitPageSizes', () => {
  const explicit = (query: string, variables?: Record<string, unknown>) => graphql.print(withExplicitPageSizes(schema, graphql.parse(query), variables));

  it('writes variables, variable defaults and schema defaults out as literals; leaves literals and other arguments alone', () => {
    expect(explicit('query($n: Int) { hosts(first: $n) { totalCount } }', { n: 7 })).toContain('hosts(first: 7)');
    expect(explicit('query($n: Int = 9) { hosts(first: $n) { totalCount } }', {})).toContain('hosts(first: 9)');
    expect(explicit('query($n: Int) { hosts(first: $n) { totalCount } }', {})).toContain('hosts(first: 50)');
    expect(explicit('{ hosts { edges { node { packages { totalCount } } } } }')).toMatch(/hosts\(first: 50\)[\s\S]*packages\(first: 100\)/);
    expect(explicit('{ hosts(first: 3, after: "x") { totalCount } }')).toContain('hosts(first: 3, after: "x")');
  });

  it('without variables (during validation) leaves variables alone, so the estimate stays a lower bound', () => {
    expect(explicit('query($n: Int = 9) { hosts(first: $n) { totalCount } alerts { totalCount } }')).toMatch(/hosts\(first: \$n\)[\s\S]*alerts\(first: 50\)/);
  });

  it('leaves a page size it cannot know (null, negative, not an integer) to the rule', () => {
    expect(explicit('query($n: Int) { alerts(first: $n) { totalCount } }', { n: 'ten' })).toContain('alerts(first: $n)');
    expect(explicit('query($n: Int) { alerts(first: $n) { totalCount } }', { n: -1 })).toContain('alerts(first: $n)');
  });
});

describe('corsPolicy', () => {
  const decide = (origins: string[], origin: string | null) => {
    const policy = corsPolicy({ origins });
    if (typeof policy !== 'function') throw new Error('corsPolicy returns a per-request decision');
    return policy(new Request('http://gateway/graphql', origin ? { headers: { origin } } : {}));
  };

  it('listed origins get credentials, "*" any origin without, everything else nothing', () => {
    expect(decide(['https://a.example'], 'https://a.example')).toMatchObject({ origin: ['https://a.example'], credentials: true });
    expect(decide(['https://a.example'], 'https://b.example')).toBe(false);
    expect(decide(['https://a.example'], 'null')).toBe(false);
    expect(decide([], 'https://b.example')).toBe(false);
    expect(decide(['*'], 'https://b.example')).toMatchObject({ origin: '*', credentials: false });
    expect(decide(['*', 'https://a.example'], 'https://a.example')).toMatchObject({ credentials: true });
  });

  it('the config refuses what is not an origin', () => {
    expect(() => gatewayConfig.parse({ cors: { origins: ['https://a.example/'] } })).toThrow(/an origin such as/);
    expect(() => gatewayConfig.parse({ cors: { origins: ['a.example'] } })).toThrow(/an origin such as/);
    expect(gatewayConfig.parse({ cors: { origins: ['https://a.example:8443', '*'] } }).cors.origins).toEqual(['https://a.example:8443', '*']);
  });
});
