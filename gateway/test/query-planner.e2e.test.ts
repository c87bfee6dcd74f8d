import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { unifiedGraphHandler as routerRuntimeHandler } from '@graphql-hive/router-runtime';
import { ConfigError, loadConfig } from '@vigil/lib/config';
import { createLogger } from '@vigil/lib/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv } from '../../test/support/clean-env.js';
import { unifiedGraphHandlerFor } from '../src/query-planner.js';
import { startStack, type RunningStack } from '../src/stack.js';
import { vigilConfig, vigilOverrides } from '../src/stack-config.js';

// `gateway.queryPlanner` (gateway/src/query-planner.ts): the setting is validated like every other
// one, and a stack on the planner that is not the default ('rust', Hive Router's native planner)
// answers a query whose data comes from three subgraphs.

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
/** The native addon @graphql-hive/router-query-planner loads (napi binaryName). */
const NATIVE_PLANNER = /hive_router_query_planner\.[^/]*\.node$/;

function loadedNativePlanner(): boolean {
  const report = process.report.getReport() as { sharedObjects?: string[] };
  return (report.sharedObjects ?? []).some((path) => NATIVE_PLANNER.test(path));
}

describe('gateway.queryPlanner', () => {
  it("defaults to 'js'; 'rust' is accepted from the file or VIGIL_QUERY_PLANNER", () => {
    expect(loadConfig({ schema: vigilConfig, env: {}, overrides: vigilOverrides, file: '' }).gateway.queryPlanner).toBe('js');
    expect(loadConfig({ schema: vigilConfig, env: { VIGIL_QUERY_PLANNER: 'rust' }, overrides: vigilOverrides, file: '' }).gateway.queryPlanner).toBe('rust');
  });

  it('a value that is not a planner is refused naming the key and its env variable', () => {
    let problems: string[] = [];
    try {
      loadConfig({ schema: vigilConfig, env: { VIGIL_QUERY_PLANNER: 'fastest' }, overrides: vigilOverrides, file: '' });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems = error.problems;
    }
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^gateway\.queryPlanner \(or env VIGIL_QUERY_PLANNER\): .*"js".*"rust"/);
  });

  it('npm start with a bad VIGIL_QUERY_PLANNER exits 1 naming the key', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/src/stack-main.ts'], { cwd: root, env: cleanEnv({ VIGIL_QUERY_PLANNER: 'fastest' }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    expect(code, stderr).toBe(1);
    expect(stderr).toMatch(/^ {2}- gateway\.queryPlanner \(or env VIGIL_QUERY_PLANNER\): /m);
    // Refused before anything started: nothing was logged.
    expect(stdout).toBe('');
  }, 60_000);

  it("'js' leaves the runtime's own planner; 'rust' hands the runtime Hive Router's", async () => {
    expect(await unifiedGraphHandlerFor('js')).toEqual({});
    expect((await unifiedGraphHandlerFor('rust')).unifiedGraphHandler).toBe(routerRuntimeHandler);
  });
});

describe("a stack with gateway.queryPlanner: 'rust'", () => {
  let stack: RunningStack;
  let nativeBeforeStart: boolean;
  const adminKey = randomBytes(24).toString('base64url');
  const viewerKey = randomBytes(24).toString('base64url');
  const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');

  async function post(key: string, query: string, variables?: Record<string, unknown>): Promise<{ status: number; body: { data?: Record<string, unknown> | null; errors?: { extensions?: { code?: string } }[] } }> {
    const response = await fetch(stack.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-api-key': key },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, body: (await response.json()) as never };
  }

  beforeAll(async () => {
    nativeBeforeStart = loadedNativePlanner();
    const config = vigilConfig.parse({
      env: 'development',
      log: { level: 'silent' },
      hosts: { local: { id: 'planner-local' } },
      gateway: {
        queryPlanner: 'rust',
        auth: {
          apiKeys: [
            { name: 'planner-admin', sha256: sha256(adminKey), roles: ['admin'] },
            { name: 'planner-viewer', sha256: sha256(viewerKey), roles: ['viewer'] },
          ],
        },
      },
    });
    stack = await startStack({ config, logger: createLogger('test', { level: 'silent' }), signingSecret: 'query-planner-signing-secret-0123456789', ports: 'ephemeral' });
    // Host.os comes from the first probe of this machine.
    await stack.hosts.scheduler.firstRoundDone();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('loads the native planner only when chosen', () => {
    expect(nativeBeforeStart).toBe(false);
    expect(loadedNativePlanner()).toBe(true);
  });

  it('answers a query that spans alerts, hosts and cluster, with every subject resolved', async () => {
    // A Falco event (the documented alert, re-timed to now) about pod default/kubecon: cluster keeps
    // it and raises a Critical alert; and an alert about this machine's host.
    const falco = { ...(JSON.parse(fixture('terminal_shell_in_container.json')) as Record<string, unknown>), time: new Date().toISOString() };
    const posted = await fetch(stack.subgraphs.cluster.url.replace(/\/graphql$/, '/ingest/falco'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(falco) });
    expect(posted.status).toBe(202);
    await stack.publisher.raise({ source: 'HOSTS', severity: 'HIGH', title: 'planner test host alert', rule: 'planner-test', subject: { type: 'Host', hostId: 'planner-local', displayName: 'planner-local' }, labels: {} });

    const { status, body } = await post(
      adminKey,
      `{ alerts(first: 10) { edges { node { title subject {
        __typename
        ... on Host { id name os { prettyName } }
        ... on KubeObject { namespace name securityEvents(first: 3) { edges { node { title } } } }
      } } } } }`,
    );
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const alerts = body.data?.['alerts'] as { edges: { node: { title: string; subject: Record<string, unknown> | null } }[] } | undefined;
    const nodes = alerts?.edges.map((e) => e.node) ?? [];
    // hosts resolved the Host subject (name and OS from the probe of this machine).
    const host = nodes.find((n) => n.title === 'planner test host alert')?.subject as { __typename: string; id: string; name: string; os: { prettyName: string } | null } | undefined;
    expect(host?.__typename).toBe('Host');
    expect(host?.id).toBe('planner-local');
    expect(host?.name).toMatch(/\S/);
    expect(host?.os?.prettyName).toMatch(/\S/);
    // cluster resolved the KubeObject subject's securityEvents (the Falco event just posted).
    const pod = nodes.find((n) => n.subject?.['__typename'] === 'KubeObject')?.subject as { namespace: string; name: string; securityEvents: { edges: { node: { title: string } }[] } } | undefined;
    expect(pod).toMatchObject({ namespace: 'default', name: 'kubecon' });
    expect(pod?.securityEvents.edges.map((e) => e.node.title).join(' ')).toMatch(/shell/i);
  });

  it('an operation whose every field is refused answers FORBIDDEN, as on the JS planner (not a planner error)', async () => {
    // generic-auth leaves the refused field out; the rest, nothing, is answered by useEmptyOperationAnswer.
    const { status, body } = await post(viewerKey, 'mutation ($id: ID!) { refreshHost(id: $id) { status } }', { id: 'planner-local' });
    expect(status).toBe(200);
    expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(body.data?.['refreshHost']).toBeUndefined();
  });
});
