import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryAlertLog } from '@vigil/lib/alerts/memory-alert-log';
import { AlertPublisher } from '@vigil/lib/alerts/publisher';
import type { Identity } from '@vigil/lib/identity';
import { createLogger } from '@vigil/lib/logger';
import { executeSubgraph } from '../../../test/support/execute-subgraph.js';
import { complianceConfig } from '../src/config.js';
import type { EvidenceSource } from '../src/evidence-source.js';
import { createComplianceRuntime, type ComplianceRuntime } from '../src/runtime.js';
import { kubeBenchEvents, snapshot } from './evidence-fixtures.js';

// Control.failingHosts is a connection: by host id, every failing host once at any page size,
// totalCount their number (of the caller's scope), and bad page arguments named.

const START = new Date('2026-03-01T12:00:00.000Z');
const ADMIN: Identity = { subject: 'alice@example.org', kind: 'user', roles: ['admin'], tenants: null, expiresAt: null };
const STAGING_ONLY: Identity = { subject: 'bob', kind: 'user', roles: ['viewer'], tenants: [{ name: 'staging', clusters: ['staging'], hostLabels: { env: 'staging' }, victoriaLogs: null }], expiresAt: null };
/** kube-bench fails CIS 4.2.1 on every node: 9 in prod, 4 in staging (names interleaved). */
const PROD = Array.from({ length: 9 }, (_, i) => `node-${String(i * 2).padStart(2, '0')}`);
const STAGING = Array.from({ length: 4 }, (_, i) => `node-${String(i * 2 + 1).padStart(2, '0')}`);

const evidence: EvidenceSource = {
  gather: async (at: Date) =>
    snapshot(at, {
      clusters: { ok: true, value: [{ name: 'prod', sources: [] }, { name: 'staging', sources: [] }] },
      events: { ok: true, value: [...PROD.flatMap((node) => kubeBenchEvents(at, 'prod', node)), ...STAGING.flatMap((node) => kubeBenchEvents(at, 'staging', node))] },
    }),
};

let runtime: ComplianceRuntime;

beforeEach(async () => {
  const logger = createLogger('compliance-test', { level: 'silent' });
  runtime = createComplianceRuntime(complianceConfig.parse({}), { logger, publisher: new AlertPublisher(new MemoryAlertLog(), logger, () => START), redisUrl: undefined, namespace: 'test', clock: () => START, metrics: undefined as never } as Parameters<typeof createComplianceRuntime>[1], 'http://unused.invalid/graphql', undefined, { evidence, autoStart: false });
  await runtime.engine.evaluate();
});

const QUERY = `query ($first: Int, $after: String) { control(framework: CIS_KUBERNETES, id: "4.2.1") {
  failingHosts(first: $first, after: $after) { totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } }
} }`;
type Page = { totalCount: number; edges: { cursor: string; node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };

async function page(first: number, after: string | null, identity: Identity = ADMIN): Promise<Page> {
  const result = await executeSubgraph(runtime.definition, QUERY, { first, after }, identity);
  if (result.errors?.length) throw new Error(result.errors.map((e) => e.message).join('; '));
  return (result.data as { control: { failingHosts: Page } }).control.failingHosts;
}

async function pageThrough(size: number, identity?: Identity): Promise<{ ids: string[]; totals: Set<number> }> {
  const ids: string[] = [];
  const totals = new Set<number>();
  let after: string | null = null;
  for (let guard = 0; guard < 100; guard++) {
    const current = await page(size, after, identity);
    totals.add(current.totalCount);
    ids.push(...current.edges.map((e) => e.node.id));
    expect(current.pageInfo.endCursor).toBe(current.edges.at(-1)?.cursor ?? null);
    if (!current.pageInfo.hasNextPage) return { ids, totals };
    expect(current.edges).toHaveLength(size);
    after = current.pageInfo.endCursor;
  }
  throw new Error('never reached the last page');
}

describe('Control.failingHosts', () => {
  it('pages every failing host once, by id, at any page size; totalCount is their number', async () => {
    const all = [...PROD, ...STAGING].sort();
    for (const size of [1, 2, 4, 13, 100]) {
      const { ids, totals } = await pageThrough(size);
      expect(ids, `by ${size}`).toEqual(all);
      expect(totals).toEqual(new Set([all.length]));
    }
  });

  it('counts and pages only the caller’s scope', async () => {
    const { ids, totals } = await pageThrough(3, STAGING_ONLY);
    expect(ids).toEqual(STAGING);
    expect(totals).toEqual(new Set([STAGING.length]));
  });

  it('first over 1,000, or a cursor this API did not hand out, is BAD_USER_INPUT naming the argument', async () => {
    for (const [first, after, argument] of [[1001, null, 'first'], [0, null, 'first'], [5, '%%%', 'after']] as const) {
      const result = await executeSubgraph(runtime.definition, QUERY, { first, after }, ADMIN);
      expect(result.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0]?.message).toMatch(new RegExp(`^${argument}\\b`));
    }
  });
});
