import { readFileSync } from 'node:fs';
import { Kind, parse, print, type OperationDefinitionNode } from 'graphql';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '@vigil/lib/clock';
import { createLogger } from '@vigil/lib/logger';
import { startStack, type RunningStack } from '../gateway/src/stack.js';
import { vigilConfig } from '../gateway/src/stack-config.js';
import { startVictoriaLogs, type VictoriaLogsServer } from './support/victorialogs.js';

// Every ```graphql block of the README, one operation at a time, run through a real one-process stack
// (development config: no credentials needed) with a real VictoriaLogs behind the audit subgraph. A
// README example that no longer validates or answers with errors fails here, not in a reader's hands.
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

interface Example {
  /** "block 3, operation 2 (subscription)": where it is in the README. */
  name: string;
  operation: OperationDefinitionNode;
  text: string;
}

function readmeExamples(markdown: string): Example[] {
  const blocks = [...markdown.matchAll(/^```graphql\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
  return blocks.flatMap((block, b) =>
    parse(block).definitions.map((definition, d) => {
      if (definition.kind !== Kind.OPERATION_DEFINITION) throw new Error(`README graphql block ${b + 1}: only operations belong in examples, found ${definition.kind}`);
      return { name: `block ${b + 1}, operation ${d + 1} (${definition.operation})`, operation: definition, text: print(definition) };
    }),
  );
}

const examples = readmeExamples(README);

describe('README examples', () => {
  let stack: RunningStack;
  let victoriaLogs: VictoriaLogsServer;

  beforeAll(async () => {
    victoriaLogs = await startVictoriaLogs();
    const config = vigilConfig.parse({
      env: 'development',
      log: { level: 'silent' },
      hosts: { local: { enabled: false } },
      audit: { victoriaLogs: { url: victoriaLogs.url } },
    });
    stack = await startStack({ config, logger: createLogger('test', { level: 'silent' }), signingSecret: 'readme-examples-signing-secret-0123456789', ports: 'ephemeral', clock: systemClock });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await victoriaLogs?.stop();
  });

  it('the README has an example for every subgraph, a mutation and a subscription', () => {
    const text = examples.map((e) => e.text).join('\n');
    for (const root of ['hosts(', 'securityEvents(', 'auditEvents(', 'control(', 'alerts(', 'refreshHost(', 'alertRaised(']) expect(text).toContain(root);
  });

  it.each(examples.filter((e) => e.operation.operation !== 'subscription').map((e) => [e.name, e] as const))('%s answers without errors', async (_name, example) => {
    const response = await fetch(stack.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query: example.text }),
    });
    const body = (await response.json()) as { data?: Record<string, unknown> | null; errors?: { message: string }[] };
    expect(body.errors, example.text).toBeUndefined();
    expect(response.status).toBe(200);
    expect(body.data).toBeTruthy();
  });

  it.each(examples.filter((e) => e.operation.operation === 'subscription').map((e) => [e.name, e] as const))('%s replays a matching alert raised before it', async (_name, example) => {
    const raised = await stack.publisher.raise({ source: 'CLUSTER', severity: 'CRITICAL', title: 'readme example: critical alert' });
    const ws = createClient({ url: stack.gateway.wsUrl, lazy: true, retryAttempts: 0 });
    try {
      const iterator = ws.iterate<{ alertRaised: { id: string; title: string } }>({ query: example.text });
      const first = await Promise.race([
        (async () => {
          for await (const result of iterator) return result;
          return null;
        })(),
        new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10_000)),
      ]);
      await iterator.return?.();
      expect(first).not.toBe('timeout');
      expect(first && first !== 'timeout' ? first.errors : 'no result').toBeUndefined();
      // The example's `after` id is older than any alert raised in a test run, and ours is the only one.
      expect(first && first !== 'timeout' ? first.data?.alertRaised.id : null).toBe(raised.id);
    } finally {
      await ws.dispose();
    }
  });
});
