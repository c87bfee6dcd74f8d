import { createLogger } from '@vigil/lib/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startObservedStack, type ObservedStack } from '../../test/support/observed-stack.js';

// One id on every log line of a request, in the gateway and in the subgraphs it calls: the
// caller's x-request-id, else its W3C traceparent's trace id, else a new one.

describe('request id in every log line', () => {
  const lines: Record<string, unknown>[] = [];
  let observed: ObservedStack;
  const query = (headers: Record<string, string>) =>
    fetch(observed.stack.gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: '{ hosts(first: 1) { totalCount } }' }) });
  const linesOf = (requestId: string) => lines.filter((line) => line['requestId'] === requestId);

  beforeAll(async () => {
    const logger = createLogger('vigil', { level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    observed = await startObservedStack({ logger });
  });
  afterAll(async () => {
    await observed?.stop();
  });

  it('the caller\'s x-request-id is echoed and labels the gateway\'s and the subgraph\'s lines', async () => {
    const response = await query({ 'x-request-id': 'req-e2e-42' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('req-e2e-42');
    expect(((await response.json()) as { data?: { hosts: { totalCount: number } } }).data?.hosts.totalCount).toBe(1);
    const mine = linesOf('req-e2e-42');
    expect(mine.some((line) => line['channel'] === 'access')).toBe(true);
    expect(mine.some((line) => line['subgraph'] === 'hosts' && line['msg'] === 'subgraph request')).toBe(true);
  });

  it('without one, the traceparent\'s trace id is used', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await query({ traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    expect(response.headers.get('x-request-id')).toBe(traceId);
    expect(linesOf(traceId).some((line) => line['subgraph'] === 'hosts')).toBe(true);
  });

  it('an unusable id is replaced by a new one, never logged', async () => {
    const response = await query({ 'x-request-id': 'bad id {"injected": true}' });
    const given = response.headers.get('x-request-id') ?? '';
    expect(given).toMatch(/^[0-9a-f-]{36}$/);
    expect(linesOf(given).some((line) => line['subgraph'] === 'hosts')).toBe(true);
    expect(JSON.stringify(lines)).not.toContain('injected');
  });

  it('each request gets its own id', async () => {
    const [a, b] = await Promise.all([query({}), query({})]);
    const idA = a.headers.get('x-request-id');
    const idB = b.headers.get('x-request-id');
    expect(idA).not.toBe(idB);
    expect(linesOf(idA ?? '').length).toBeGreaterThan(0);
    expect(linesOf(idB ?? '').length).toBeGreaterThan(0);
  });
});
