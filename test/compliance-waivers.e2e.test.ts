import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@vigil/lib/logger';
import { startStack, type RunningStack } from '../gateway/src/stack.js';
import { vigilConfig } from '../gateway/src/stack-config.js';
import { startKubeApiDouble, type KubeApiDouble, type KubeObjectInput } from './support/kube-api-double.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';

/**
 * Compliance history and waivers through the whole stack (production mode, Redis): kube-bench on a
 * node reports CIS 4.2.1 FAIL (a ConfigMap in the Kubernetes API double, read by the cluster
 * subgraph's informers), compliance evaluates it from evidence fetched through the gateway, an admin
 * waives it, a viewer sees WAIVED and a score that does not count it, a viewer may not waive, and
 * once the node is fixed `controls(asOf:)` still answers how it stood before. The kube-bench JSON is
 * subgraphs/compliance/test/fixtures/kube-bench_cis-1.6_node_trimmed.json (see the README there).
 */

const JWT_SECRET = randomBytes(32).toString('hex');
const SIGNING = randomBytes(32).toString('hex');
const REPORT = readFileSync(new URL('../subgraphs/compliance/test/fixtures/kube-bench_cis-1.6_node_trimmed.json', import.meta.url), 'utf8');

type Body = { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };

/** The node's kube-bench run, as the publishing job leaves it; with 4.2.1 fixed when `fixed`. */
function kubeBenchConfigMap(fixed: boolean): KubeObjectInput {
  const report = JSON.parse(REPORT) as { Controls: { tests: { results: { test_number: string; status: string }[] }[] }[] };
  if (fixed) for (const target of report.Controls) for (const group of target.tests) for (const check of group.results) if (check.test_number === '4.2.1') check.status = 'PASS';
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-bench-node-a', namespace: 'kube-bench', labels: { app: 'kube-bench', node: 'node-a' } }, data: { 'results.json': JSON.stringify(report) } };
}

describe('compliance asOf and waivers through the gateway (production mode, Redis)', () => {
  let redis: RedisServer;
  let kubeApi: KubeApiDouble;
  let stack: RunningStack;
  const tmp = mkdtempSync(join(tmpdir(), 'vigil-compliance-e2e-'));
  // The stack's clock: its start plus an offset only the test moves (tokens are checked against it too).
  const base = Date.now();
  let offsetMs = 0;
  const clock = () => new Date(base + offsetMs);
  const tokens: Record<string, string> = {};

  const gql = async (who: string, query: string, variables: Record<string, unknown> = {}): Promise<Body> => {
    const response = await fetch(stack.gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[who]}` }, body: JSON.stringify({ query, variables }) });
    return (await response.json()) as Body;
  };
  const data = async <T>(who: string, query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const body = await gql(who, query, variables);
    if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
    return body.data as T;
  };
  /** Waits until the cluster subgraph has read the node's kube-bench run, 4.2.1 open or resolved. */
  const waitForFinding = async (resolved: boolean) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const found = await data<{ securityEvents: { edges: unknown[] } }>('viewer', `query ($resolved: Boolean) { securityEvents(filter: { sources: [KUBE_BENCH], rule: "4.2.1", resolved: $resolved }) { edges { node { id } } } }`, { resolved });
      if (found.securityEvents.edges.length > 0) return;
      if (Date.now() > deadline) throw new Error(`kube-bench 4.2.1 (resolved: ${resolved}) was not read`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const evaluate = () => data<{ evaluateCompliance: { lastRunAt: string; errors: string[] } }>('admin', 'mutation { evaluateCompliance { lastRunAt errors } }');
  const CONTROL = `query ($asOf: DateTime) { controls(framework: CIS_KUBERNETES, asOf: $asOf) { id status evaluatedAt results { subject { key } status waiver { owner createdBy } } } complianceScores(framework: CIS_KUBERNETES, asOf: $asOf) { overall { passed failed waived } } }`;
  type Controls = { controls: { id: string; status: string; evaluatedAt: string | null; results: { subject: { key: string } | null; status: string; waiver: { owner: string; createdBy: string } | null }[] }[]; complianceScores: { overall: { passed: number; failed: number; waived: number } } };
  const control421 = (answer: Controls) => answer.controls.find((c) => c.id === '4.2.1');

  beforeAll(async () => {
    [redis, kubeApi] = await Promise.all([startRedisServer(), startKubeApiDouble()]);
    kubeApi.upsert(kubeBenchConfigMap(false));
    const kubeconfigPath = join(tmp, 'kubeconfig');
    writeFileSync(kubeconfigPath, kubeApi.kubeconfig('e2e'));
    const config = vigilConfig.parse({
      env: 'production',
      log: { level: 'silent' },
      signing: { secret: SIGNING },
      redis: { url: redis.url, namespace: redis.uniquePrefix() },
      gateway: { auth: { jwt: { secret: JWT_SECRET } } },
      hosts: { local: { enabled: false } },
      cluster: { name: 'prod', kubernetes: { kubeconfigPath, contexts: [{ context: 'e2e', name: 'prod' }] }, falco: { token: randomBytes(16).toString('hex') }, audit: { token: randomBytes(16).toString('hex') } },
      // Evaluations in this test are the ones it asks for.
      compliance: { evaluateIntervalSeconds: 86_400 },
    });
    stack = await startStack({ config, logger: createLogger('test', { level: 'silent' }), signingSecret: SIGNING, ports: 'ephemeral', clock });
    const sign = (subject: string, roles: string[]) => new SignJWT({ roles }).setProtectedHeader({ alg: 'HS256' }).setSubject(subject).setIssuedAt(Math.floor(base / 1000)).setExpirationTime(Math.floor(base / 1000) + 3600).sign(new TextEncoder().encode(JWT_SECRET));
    tokens['viewer'] = await sign('vera', ['viewer']);
    tokens['admin'] = await sign('ada', ['admin']);
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await Promise.all([redis?.stop(), kubeApi?.close()]);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('an admin waives a failing control: viewers see WAIVED and a score without it; a viewer may not waive; asOf answers the earlier status', async () => {
    await waitForFinding(false);
    offsetMs = 60_000;
    const failedAt = (await evaluate()).evaluateCompliance.lastRunAt;
    expect(failedAt).toBe(clock().toISOString());
    const failing = await data<Controls>('viewer', CONTROL);
    expect(control421(failing)).toMatchObject({ status: 'FAIL', results: [{ subject: { key: 'node:prod/node-a' }, status: 'FAIL', waiver: null }] });
    const failedBefore = failing.complianceScores.overall.failed;

    const input = { framework: 'CIS_KUBERNETES', controlId: '4.2.1', subject: 'node:prod/node-a', reason: 'kubelet replaced in the next sprint (OPS-42)', owner: 'platform team', expiresAt: new Date(base + 86_400_000).toISOString() };
    const waive = 'mutation ($input: WaiveControlInput!) { waiveControl(input: $input) { id createdBy active } }';
    const refused = await gql('viewer', waive, { input });
    expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(refused.data?.['waiveControl'] ?? null).toBeNull();

    offsetMs = 120_000;
    const granted = await data<{ waiveControl: { createdBy: string; active: boolean } }>('admin', waive, { input });
    expect(granted.waiveControl).toEqual({ id: expect.any(String) as string, createdBy: 'ada', active: true });

    const waived = await data<Controls>('viewer', CONTROL);
    expect(control421(waived)).toMatchObject({ status: 'WAIVED', results: [{ status: 'WAIVED', waiver: { owner: 'platform team', createdBy: 'ada' } }] });
    expect(waived.complianceScores.overall).toEqual({ passed: failing.complianceScores.overall.passed, failed: failedBefore - 1, waived: 1 });
    expect(await data('viewer', '{ complianceWaiverLog { action by at } }')).toEqual({ complianceWaiverLog: [{ action: 'GRANTED', by: 'ada', at: clock().toISOString() }] });

    // The node is fixed: the next kube-bench run passes 4.2.1, and a later evaluation records it.
    kubeApi.upsert(kubeBenchConfigMap(true));
    await waitForFinding(true);
    offsetMs = 180_000;
    await evaluate();
    expect(control421(await data<Controls>('viewer', CONTROL))).toMatchObject({ status: 'PASS', results: [{ status: 'PASS' }] });
    // Before the change, as it stood then (before the waiver too): FAIL.
    const before = await data<Controls>('viewer', CONTROL, { asOf: new Date(base + 90_000).toISOString() });
    expect(control421(before)).toMatchObject({ status: 'FAIL', evaluatedAt: new Date(base + 90_000).toISOString(), results: [{ status: 'FAIL', waiver: null }] });
    expect(before.complianceScores.overall.failed).toBe(failedBefore);
  }, 90_000);
});
