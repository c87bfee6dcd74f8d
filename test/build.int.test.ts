import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildDist, compiledEntry, ENTRY_POINTS, type BuildResult, type EntryName } from '../build.js';
import { cleanEnv } from './support/clean-env.js';
import { freePort, retryOnPortClash } from './support/free-port.js';

/**
 * `npm run build` (build.ts) and what the production image runs: the compiled entries started with
 * plain `node` — no tsx, no TypeScript — from a dist/ that is self-contained but for node_modules
 * (the image copies dist/ and the production node_modules, nothing else). Each run's working
 * directory is an empty folder, so nothing is found through the repository by accident.
 */

const root = fileURLToPath(new URL('../', import.meta.url));
// Inside the repository, so that Node finds node_modules from dist/ as it does from /app/dist.
mkdirSync(join(root, '.vitest-tmp'), { recursive: true });
const dir = mkdtempSync(join(root, '.vitest-tmp', 'build-'));
const outDir = join(dir, 'dist');
const emptyCwd = join(dir, 'cwd');
mkdirSync(emptyCwd);
let built: BuildResult;

beforeAll(async () => {
  built = await buildDist(outDir);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Running {
  name: string;
  child: ChildProcessByStdio<null, Readable, Readable>;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}
const running = new Set<Running>();

afterEach(async () => {
  for (const proc of running) {
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
    await proc.exited;
  }
  running.clear();
});

function start(name: string, argv: string[], env: Record<string, string>): Running {
  const child = spawn(argv[0] ?? '', argv.slice(1), { cwd: emptyCwd, env: cleanEnv({ NODE_ENV: 'production', ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-30_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const proc: Running = { name, child, output: () => output, exited };
  running.add(proc);
  return proc;
}

/** Polls a URL until it answers 200; fails early, with the process's output, if it exits. */
async function until200(proc: Running, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`${proc.name} exited before ${url} answered:\n${proc.output()}`);
    try {
      const response = await fetch(url);
      await response.body?.cancel();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} never answered 200:\n${proc.output()}`);
}

async function stop(proc: Running): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  proc.child.kill('SIGTERM');
  return proc.exited;
}

async function graphql(url: string, query: string): Promise<unknown> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  expect(response.status).toBe(200);
  return response.json();
}

const SERVICES = ['gateway', 'hosts', 'cluster', 'audit', 'compliance', 'alerts'] as const;
type Ports = Record<(typeof SERVICES)[number], number>;

async function freePorts(): Promise<Ports> {
  const ports = {} as Ports;
  for (const service of SERVICES) ports[service] = await freePort();
  return ports;
}

/** A config file for the one-process stack on the given ports (`npm start` cannot take port 0). */
function stackConfig(ports: Ports): string {
  const file = join(dir, `stack-${ports.gateway}.yaml`);
  writeFileSync(
    file,
    [
      'log: { level: warn }',
      `gateway: { port: ${ports.gateway}, host: 127.0.0.1 }`,
      `hosts: { port: ${ports.hosts}, local: { id: build-test-local } }`,
      ...SERVICES.filter((s) => s !== 'gateway' && s !== 'hosts').map((s) => `${s}: { port: ${ports[s]} }`),
      '',
    ].join('\n'),
  );
  return file;
}

const HOSTS_QUERY = '{ hosts(first: 5) { edges { node { id } } } }';

/** Starts the compiled stack (node dist/stack.mjs), waits for /healthz and /readyz, and asks one query. */
async function startStackAndQuery(argv: (entry: string) => string[]): Promise<Running> {
  return retryOnPortClash(async () => {
    const ports = await freePorts();
    const stack = start('stack', argv(join(outDir, 'stack.mjs')), { VIGIL_CONFIG: stackConfig(ports) });
    try {
      await until200(stack, `http://127.0.0.1:${ports.gateway}/healthz`);
    } catch (error) {
      // A port taken between freePort() and the bind is the test's race: the stack names it on exit.
      await stack.exited;
      if (/already in use/.test(stack.output())) throw new Error(`EADDRINUSE: ${stack.output()}`, { cause: error });
      throw error;
    }
    await until200(stack, `http://127.0.0.1:${ports.gateway}/readyz`);
    expect(await graphql(`http://127.0.0.1:${ports.gateway}/graphql`, HOSTS_QUERY)).toEqual({ data: { hosts: { edges: [{ node: { id: 'build-test-local' } }] } } });
    return stack;
  });
}

describe('npm run build (build.ts)', () => {
  it('writes one bundle per entry point, with its source map, and the files the services read at run time', () => {
    const files = readdirSync(outDir);
    for (const name of Object.keys(ENTRY_POINTS) as EntryName[]) {
      expect(files).toContain(`${name}.mjs`);
      expect(files).toContain(`${name}.mjs.map`);
      expect(existsSync(join(dir, compiledEntry(name)))).toBe(true);
    }
    expect(built.assets).toEqual(
      expect.arrayContaining([
        'schema/supergraph.graphql',
        'sdk/src/__generated__/persisted-documents.json',
        'subgraphs/compliance/catalogue/controls.yaml',
        ...['hosts', 'cluster', 'audit', 'compliance', 'alerts'].map((s) => `subgraphs/${s}/schema.graphql`),
      ]),
    );
    for (const asset of built.assets) expect(existsSync(join(outDir, asset)), asset).toBe(true);
    // Nothing but run-time files beside the bundles: no TypeScript source was copied.
    const copied = (path: string): string[] => readdirSync(path, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? copied(join(path, e.name)) : [join(path, e.name)]));
    expect(copied(outDir).filter((f) => f.endsWith('.ts'))).toEqual([]);
  });

  it('inlines Vigil\'s own packages and leaves third-party ones to node_modules; no tsx, no test or benchmark code', () => {
    const stack = readFileSync(join(outDir, 'stack.mjs'), 'utf8');
    expect(stack).not.toMatch(/from ["']@vigil\//);
    expect(stack).toMatch(/from ["']graphql["']/);
    expect(stack).not.toMatch(/["']tsx["']|from ["']vitest["']|\/test\/support\//);
    expect(built.externalPackages).toEqual(expect.arrayContaining(['graphql', '@graphql-hive/gateway-runtime', '@apollo/server']));
    expect(built.externalPackages).not.toContain('tsx');
    // GraphiQL's renderer is a 10 MB string literal (about 30 MB of heap): loaded on the first page
    // view in development (gateway/src/gateway.ts), never at start, which would cost every process
    // that memory (README, Benchmarks: startup).
    expect(stack).not.toMatch(/^import\b[^;]*["']@graphql-yoga\/render-graphiql["']/m);
    expect(stack).toMatch(/import\(["']@graphql-yoga\/render-graphiql["']\)/);
  });
});

describe('the compiled services, run with plain node', () => {
  it('the one-process stack (node dist/stack.mjs) answers /healthz, /readyz and a query, and exits 0 on SIGTERM', { timeout: 120_000 }, async () => {
    const stack = await startStackAndQuery((entry) => [process.execPath, entry]);
    expect(await stop(stack), stack.output()).toEqual({ code: 0, signal: null });
  });

  // What the image guarantees: no file is written, not even to /tmp. A private mount namespace
  // (unshare -m, as root) with / remounted read-only stands in for a container's read-only root.
  const unshareWorks = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount -o remount,bind,ro / && ! touch /.vigil-ro-probe 2>/dev/null'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!unshareWorks)('the stack runs on a read-only root filesystem (every mount read-only, /tmp too)', { timeout: 120_000 }, async () => {
    const stack = await startStackAndQuery((entry) => [
      'unshare', '-m', '--propagation', 'private', 'sh', '-c',
      // exec: node replaces sh, so SIGTERM reaches Vigil. Every mount under / becomes read-only.
      `findmnt -rno TARGET | grep -Ev '^/(proc|sys|dev)(/|$)' | while read -r m; do mount -o remount,bind,ro "$m" 2>/dev/null || true; done; exec "${process.execPath}" "${entry}"`,
    ]);
    expect(await stop(stack), stack.output()).toEqual({ code: 0, signal: null });
    expect(stack.output()).not.toMatch(/EROFS|read-only file system/i);
  });

  it('each service starts from its own compiled entry, as docker-compose.yml and the per-service manifests run them', { timeout: 180_000 }, async () => {
    await retryOnPortClash(async () => {
      const ports = await freePorts();
      const signing = { VIGIL_SIGNING_SECRET: 'build-test-signing-secret-0123456789abcdef', VIGIL_LOG_LEVEL: 'warn' };
      const subgraphs = SERVICES.filter((s) => s !== 'gateway');
      const processes = subgraphs.map((name) => ({ name, process: start(name, [process.execPath, join(outDir, `${name}.mjs`)], { ...signing, VIGIL_PORT: String(ports[name]) }) }));
      try {
        for (const { name, process: p } of processes) await until200(p, `http://127.0.0.1:${ports[name]}/healthz`);
      } catch (error) {
        for (const { process: p } of processes) if (/already in use/.test(p.output())) throw new Error(`EADDRINUSE: ${p.output()}`, { cause: error });
        throw error;
      }
      const urls = Object.fromEntries(subgraphs.map((name) => [`VIGIL_${name.toUpperCase()}_URL`, `http://127.0.0.1:${ports[name]}/graphql`]));
      const gateway = start('gateway', [process.execPath, join(outDir, 'gateway.mjs')], { ...signing, ...urls, VIGIL_PORT: String(ports.gateway) });
      await until200(gateway, `http://127.0.0.1:${ports.gateway}/readyz`);
      // The hosts subgraph on its own probes this machine under its default local id; the signed
      // request reaching it proves the gateway and the subgraph share the secret.
      const answer = await graphql(`http://127.0.0.1:${ports.gateway}/graphql`, '{ hosts(first: 5) { edges { node { id } } } }');
      expect(answer).toMatchObject({ data: { hosts: { edges: expect.any(Array) } } });
      for (const p of [gateway, ...processes.map((x) => x.process)]) expect(await stop(p), `${p.name}\n${p.output()}`).toEqual({ code: 0, signal: null });
    });
  });
});
