import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@vigil/lib/logger';
import { startStack, type RunningStack } from '../gateway/src/stack.js';
import { vigilConfig } from '../gateway/src/stack-config.js';

// The SDK as a stranger gets it (issue 15, item 5): `npm pack` (whose prepack builds dist/), the
// tarball installed into projects outside the workspace with graphql 16 and with graphql 17, the
// README's codegen recipe run there, and the README's examples plus a type probe compiled by tsc with
// moduleResolution node16 and bundler, then run by plain node against a real one-process stack
// (queries over HTTP, the subscription over graphql-ws).

const root = fileURLToPath(new URL('..', import.meta.url));
const sdkDir = join(root, 'sdk');
const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));
const versionOf = (pkg: string) => (readJson(join(root, 'node_modules', pkg, 'package.json')) as { version: string }).version;

// The repository's own graphql (16, the pin in package.json overrides) and the 17 this SDK also
// claims; @types/node as the repository has it, so that the installs are served from the npm cache.
const GRAPHQL_VERSIONS = { '16': versionOf('graphql'), '17': '17.1.0' } as const;
type GraphQLMajor = keyof typeof GRAPHQL_VERSIONS;
const RESOLUTIONS = ['node16', 'bundler'] as const;
type Resolution = (typeof RESOLUTIONS)[number];

const TSC = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const CODEGEN = join(root, 'node_modules', '@graphql-codegen', 'cli', 'cjs', 'bin.js');

interface PackResult {
  filename: string;
  files: { path: string }[];
}

/** README.md's ```ts blocks whose first line names a file (`// src/controls.ts`): path → source. */
function readmeFiles(): Map<string, string> {
  const readme = readFileSync(join(sdkDir, 'README.md'), 'utf8');
  return new Map([...readme.matchAll(/^```ts\n\/\/ (\S+)\n([\s\S]*?)^```$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']));
}

/**
 * Types the SDK must give a consumer, and what it must do at run time. Every @ts-expect-error must
 * meet an error, so a result typed `any` or `unknown` fails the compile. The consumer's own
 * operation (ClusterNames) goes through its own generated graphql(), sent as text; the SDK's
 * ControlsDocument by its id.
 */
const PROBE = `import { ControlsDocument, VigilGraphQLError, createVigilClient, type ControlStatus, type Framework } from '@vigil/sdk';
import { graphql } from './gql/index.js';

const ClusterNames = graphql(\`
  query ClusterNames {
    clusters {
      name
    }
  }
\`);

const url = process.env.VIGIL_URL;
if (!url) throw new Error('VIGIL_URL is not set');
const vigil = createVigilClient({ url });

/** Never called: each statement is a type error. */
export function typeErrors(): void {
  // @ts-expect-error 'NIST' is not a Framework
  void vigil.query(ControlsDocument, { framework: 'NIST' });
  // @ts-expect-error the SDK's Controls document does not select description
  void vigil.query(ControlsDocument).then(({ controls }) => controls[0]?.description);
  // @ts-expect-error a cluster's name is a string
  void vigil.query(ClusterNames).then(({ clusters }): number | undefined => clusters[0]?.name);
}

try {
  const { controls } = await vigil.query(ControlsDocument, { framework: 'NIST_800_53' });
  const statuses: ControlStatus[] = controls.map((control) => control.status);
  const { clusters } = await vigil.query(ClusterNames);
  const clusterNames: string[] = clusters.map((cluster) => cluster.name);
  let refusal: string[] = [];
  try {
    await vigil.query(ControlsDocument, { framework: 'NO_SUCH_FRAMEWORK' as Framework });
  } catch (error) {
    if (!(error instanceof VigilGraphQLError)) throw error;
    refusal = error.errors.map((e) => e.message);
  }
  console.log(JSON.stringify({ statuses, clusterNames, refusal }));
} finally {
  await vigil.dispose();
}
`;

const tsconfig = (resolution: Resolution) =>
  JSON.stringify(
    {
      compilerOptions: {
        module: resolution === 'node16' ? 'node16' : 'esnext',
        moduleResolution: resolution,
        target: 'ES2022',
        lib: ['ES2022'],
        types: ['node'],
        strict: true,
        noUncheckedIndexedAccess: true,
        verbatimModuleSyntax: true,
        // The SDK's declarations, and graphql-ws's and graphql's, are checked too.
        skipLibCheck: false,
        rootDir: 'src',
        outDir: `out-${resolution}`,
      },
      include: ['src'],
    },
    null,
    2,
  );

/** Runs a command to completion; its stdout, or an error carrying its stderr. */
function run(file: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: options.cwd, env: options.env ?? childEnv(), maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${[file, ...args].join(' ')} (in ${options.cwd}) failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/**
 * This test's environment for npm, tsc and the consumer. The node running the test comes first on
 * PATH (npm's `#!/usr/bin/env node` would otherwise pick whatever node PATH has first). `npm test`
 * exports its settings as npm_config_*; a workspace, global, dry-run or omit setting of the outer
 * npm must not steer the pack or the consumer's install.
 */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_config_(workspaces?|include_workspace_root|global|dry_run|omit|include|ignore_scripts|package_lock_only)$/i.test(key)) continue;
    env[key] = value;
  }
  return { ...env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`, ...extra };
}

const npm = (args: string[], cwd: string) => run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd });

describe('@vigil/sdk, packed and installed outside the workspace', () => {
  let work = '';
  let pack: PackResult;
  let stack: RunningStack;
  const consumers = {} as Record<GraphQLMajor, string>;

  /**
   * Runs the README's subscription example (it never ends by itself) and raises a HIGH alert every
   * 200 ms until it prints one: it may subscribe after the first few. Returns the first line.
   */
  async function firstAlertPrinted(file: string, cwd: string): Promise<string> {
    const child = spawn(process.execPath, [file], { cwd, env: childEnv({ VIGIL_URL: stack.gateway.url }), stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    try {
      const deadline = Date.now() + 20_000;
      while (!stdout.includes('\n')) {
        if (child.exitCode !== null) throw new Error(`${file} exited with ${child.exitCode} before printing an alert: ${stderr}`);
        if (Date.now() > deadline) throw new Error(`${file} printed no alert within 20 s: ${stderr}`);
        await stack.publisher.raise({ source: 'CLUSTER', severity: 'HIGH', title: 'sdk package test alert' });
        await sleep(200);
      }
      return stdout.slice(0, stdout.indexOf('\n'));
    } finally {
      child.kill();
      await exited;
    }
  }

  async function packAndInstall(): Promise<void> {
    const packDir = join(work, 'pack');
    mkdirSync(packDir);
    // prepack runs `npm run build`: the tarball carries a fresh dist/.
    [pack] = JSON.parse(await npm(['pack', '--json', '--ignore-scripts=false', '--pack-destination', packDir], sdkDir)) as [PackResult];
    const tarball = join(packDir, pack.filename);

    await Promise.all(
      (Object.keys(GRAPHQL_VERSIONS) as GraphQLMajor[]).map(async (major) => {
        const dir = join(work, `graphql-${major}`);
        consumers[major] = dir;
        mkdirSync(join(dir, 'src'), { recursive: true });
        const dependencies = { '@vigil/sdk': `file:${tarball}`, graphql: GRAPHQL_VERSIONS[major], '@types/node': versionOf('@types/node') };
        writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `vigil-sdk-consumer-graphql-${major}`, private: true, type: 'module', dependencies }, null, 2));
        for (const resolution of RESOLUTIONS) writeFileSync(join(dir, `tsconfig.${resolution}.json`), tsconfig(resolution));
        for (const [path, source] of readmeFiles()) writeFileSync(join(dir, path), source);
        writeFileSync(join(dir, 'src', 'probe.ts'), PROBE);
        await npm(['install', '--prefer-offline', '--ignore-scripts'], dir);
      }),
    );

    // The README's recipe, codegen.ts as written there, run by the repository's graphql-codegen (its
    // client preset found through NODE_PATH rather than installed into each consumer again). The
    // output depends on the schema and the documents only, so one run serves both consumers.
    await run(process.execPath, [CODEGEN, '--config', 'codegen.ts'], { cwd: consumers['16'], env: childEnv({ NODE_PATH: join(root, 'node_modules') }) });
    cpSync(join(consumers['16'], 'src', 'gql'), join(consumers['17'], 'src', 'gql'), { recursive: true });
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'vigil-sdk-package-'));
    const config = vigilConfig.parse({ env: 'development', log: { level: 'silent' }, hosts: { local: { enabled: false } } });
    // Settled, not raced: a failed pack must still leave the stack to afterAll to stop.
    const settled = await Promise.allSettled([
      startStack({ config, logger: createLogger('test', { level: 'silent' }), signingSecret: randomBytes(32).toString('hex'), ports: 'ephemeral' }).then((started) => {
        stack = started;
      }),
      packAndInstall(),
    ]);
    for (const result of settled) if (result.status === 'rejected') throw result.reason;
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the README holds the codegen recipe and the examples this test runs', () => {
    expect([...readmeFiles().keys()].sort()).toEqual(['codegen.ts', 'src/alerts.ts', 'src/controls.ts', 'src/failing-controls.ts']);
  });

  it('packs the built JavaScript, declarations, API schema, licence and README, and no sources', () => {
    const files = pack.files.map((f) => f.path).sort();
    expect(files).toEqual(expect.arrayContaining(['README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/schema.graphql', 'dist/LICENSE']));
    expect(files.filter((f) => !(f.startsWith('dist/') || f === 'README.md' || f === 'package.json'))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    // The schema the SDK's documents were generated from, byte for byte.
    const installed = join(consumers['16'], 'node_modules', '@vigil', 'sdk');
    expect(readFileSync(join(installed, 'dist', 'schema.graphql'), 'utf8')).toBe(readFileSync(join(root, 'schema', 'schema.graphql'), 'utf8'));
  });

  it('declares graphql as a peer (16 or 17) and every export it publishes exists in the package', () => {
    const installed = join(consumers['16'], 'node_modules', '@vigil', 'sdk');
    const manifest = readJson(join(installed, 'package.json')) as {
      exports: Record<string, string | Record<string, string>>;
      peerDependencies?: Record<string, string>;
      dependencies?: Record<string, string>;
      private?: boolean;
    };
    expect(manifest.private).toBeUndefined();
    expect(manifest.peerDependencies).toEqual({ graphql: '^16.0.0 || ^17.0.0' });
    expect(manifest.dependencies?.['graphql']).toBeUndefined();
    const missing = Object.entries(manifest.exports)
      .flatMap(([subpath, target]) => (typeof target === 'string' ? [[subpath, target]] : Object.values(target).map((t) => [subpath, t])))
      .filter(([, target]) => !existsSync(join(installed, target ?? '')))
      .map(([subpath]) => subpath);
    // './index' is the workspace's entry to the TypeScript sources (tsx, vitest and build.ts import
    // it inside the repository); src/ is not published, so outside the repository it resolves to
    // nothing. Every other export must be in the package.
    expect(missing).toEqual(['./index']);
  });

  describe.each(Object.keys(GRAPHQL_VERSIONS) as GraphQLMajor[])('graphql %s', (major) => {
    it.concurrent.for(RESOLUTIONS)('tsc compiles the consumer with moduleResolution %s, and node runs it against the stack', async (resolution, { expect }) => {
      const dir = consumers[major];
      expect((readJson(join(dir, 'node_modules', 'graphql', 'package.json')) as { version: string }).version).toBe(GRAPHQL_VERSIONS[major]);
      await run(process.execPath, [TSC, '-p', `tsconfig.${resolution}.json`], { cwd: dir });

      const node = (file: string) => run(process.execPath, [join(dir, `out-${resolution}`, file)], { cwd: dir, env: childEnv({ VIGIL_URL: stack.gateway.url }) });
      const [probe, controls, failing, alert] = await Promise.all([
        node('probe.js'),
        node('controls.js'),
        node('failing-controls.js'),
        firstAlertPrinted(join(dir, `out-${resolution}`, 'alerts.js'), dir),
      ]);

      const result = JSON.parse(probe) as { statuses: string[]; clusterNames: string[]; refusal: string[] };
      expect(result.statuses.length).toBeGreaterThan(0);
      for (const status of result.statuses) expect(['PASS', 'FAIL', 'NOT_APPLICABLE', 'ERROR', 'WAIVED']).toContain(status);
      expect(result.clusterNames.length).toBeGreaterThan(0);
      expect(result.refusal.join('\n')).toContain('NO_SUCH_FRAMEWORK');
      // The README's examples print what they say they print.
      expect(controls).toMatch(/^\S+ (PASS|FAIL|NOT_APPLICABLE|ERROR|WAIVED): \S/m);
      expect(failing).toMatch(/^failing: \S/m);
      expect(alert).toBe('HIGH sdk package test alert (no subject)');
    });
  });
});
