/**
 * `npm run build`: every Vigil process compiled ahead of time into dist/, for the production image
 * (Dockerfile), which runs them with plain `node` and no TypeScript tooling. `npm start` and the
 * tests keep running the sources through tsx.
 *
 * One esbuild bundle per entry point (dist/<name>.mjs). Vigil's own workspace packages (@vigil/*,
 * whose package.json files export TypeScript sources) are inlined; every third-party package stays
 * an import, resolved at run time from the production node_modules the image installs with
 * `npm ci --omit=dev`. So the workspaces' package.json files need no build-specific exports, and the
 * bundle loads the very same copy of graphql, Yoga and Hive as a tsx run does.
 *
 * Files read at run time relative to a module (`new URL('../schema.graphql', import.meta.url)`):
 * each module's `import.meta.url` becomes its repository path under dist/
 * (dist/subgraphs/hosts/src/server.ts, a file that does not exist), and every file such a literal
 * URL names is copied to dist/ at its repository path (dist/subgraphs/hosts/schema.graphql). dist/
 * is therefore self-contained: the image copies it whole, and the relative paths in the sources
 * hold unchanged.
 */
import { cpSync, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';

const ROOT = dirname(fileURLToPath(import.meta.url));

/** dist/<name>.mjs ← source. The image's commands, docker-compose.yml and deploy/kubernetes name these. */
export const ENTRY_POINTS = {
  stack: 'gateway/src/stack-main.ts',
  gateway: 'gateway/src/index.ts',
  hosts: 'subgraphs/hosts/src/index.ts',
  cluster: 'subgraphs/cluster/src/index.ts',
  audit: 'subgraphs/audit/src/index.ts',
  compliance: 'subgraphs/compliance/src/index.ts',
  alerts: 'subgraphs/alerts/src/index.ts',
} as const satisfies Record<string, string>;

export type EntryName = keyof typeof ENTRY_POINTS;

/** The compiled file of an entry, relative to the repository (and to the image's WORKDIR). */
export const compiledEntry = (name: EntryName): string => `dist/${name}.mjs`;

/**
 * The workspaces whose production dependencies the image installs (Dockerfile:
 * `npm ci --omit=dev --workspace=…`). The build checks that every package the bundles import is a
 * dependency of one of them.
 */
export const RUNTIME_WORKSPACES = ['lib', 'sdk', 'schema', 'gateway', 'subgraphs/hosts', 'subgraphs/cluster', 'subgraphs/audit', 'subgraphs/compliance', 'subgraphs/alerts'] as const;

/**
 * The image's NODE_OPTIONS (Dockerfile). V8 sizes the young generation from the machine's memory
 * (32 MB or more per semi-space on a large host); startup's allocation burst grows it to the
 * maximum and the process keeps those pages. 8 MB takes the idle one-process stack from about 310
 * to about 230 MiB and its RSS under load from about 580 to 420 MiB; CPU for the same 3,000
 * requests stayed within this machine's noise (README, Benchmarks: startup).
 */
export const IMAGE_NODE_FLAGS = ['--max-semi-space-size=8'] as const;

export interface BuildResult {
  outDir: string;
  /** Repository-relative paths of the files copied for run-time reads. */
  assets: string[];
  /** Third-party packages the bundles import. */
  externalPackages: string[];
  /** Bytes of each bundle. */
  sizes: Record<EntryName, number>;
}

const posixPath = (path: string) => path.split(sep).join('/');
const isInside = (parent: string, child: string) => {
  const rel = relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
};

/** The package a bare specifier names (`@scope/name`, `name`), or null for builtins. */
function packageOf(specifier: string): string | null {
  if (specifier.startsWith('node:')) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? null);
}

/** Third-party packages are left to Node's resolution at run time; @vigil/* is bundled. */
const thirdPartyExternal: Plugin = {
  name: 'vigil-third-party-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@vigil/')) return undefined;
      return { path: args.path, external: true };
    });
  },
};

/** `new URL('<literal>', import.meta.url)`: a file read at run time, relative to the module. */
const LITERAL_URL = /new URL\(\s*(['"])([^'"`$]+)\1\s*,\s*import\.meta\.url\s*\)/g;

/**
 * Gives each bundled module of this repository its source location as `import.meta.url` (under
 * outDir), and records the files that literal relative URLs name. `import.meta.dirname`,
 * `.filename` and `.resolve` would still describe the bundle, so they are refused.
 */
function sourceLocations(assets: Set<string>): Plugin {
  return {
    name: 'vigil-source-locations',
    setup(b) {
      b.onLoad({ filter: /\.[cm]?ts$/ }, (args) => {
        if (!isInside(ROOT, args.path) || args.path.includes(`${sep}node_modules${sep}`)) return undefined;
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes('import.meta')) return undefined;
        const repoPath = posixPath(relative(ROOT, args.path));
        const unsupported = /import\.meta\.(dirname|filename|resolve)\b/.exec(source);
        if (unsupported) {
          return { errors: [{ text: `${repoPath}: import.meta.${unsupported[1]} would name the bundle, not ${repoPath}; use new URL('…', import.meta.url)` }] };
        }
        for (const match of source.matchAll(LITERAL_URL)) {
          const target = fileURLToPath(new URL(match[2] ?? '', pathToFileURL(args.path)));
          if (!isInside(ROOT, target)) return { errors: [{ text: `${repoPath}: ${match[2]} points outside the repository` }] };
          if (!existsSync(target)) return { errors: [{ text: `${repoPath}: ${match[2]} (${posixPath(relative(ROOT, target))}) does not exist` }] };
          assets.add(posixPath(relative(ROOT, target)));
        }
        // The bundle sits in outDir, so `./<repository path>` is the module's place in outDir's mirror.
        const location = `new URL(${JSON.stringify(`./${repoPath}`)}, import.meta.url).href`;
        return { contents: source.replaceAll('import.meta.url', location), loader: 'ts', resolveDir: dirname(args.path) };
      });
    },
  };
}

function readDependencies(workspace: string): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, workspace, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  return Object.keys(pkg.dependencies ?? {});
}

/** Every check that needs the metafile: imports the image can satisfy, only runtime workspaces inlined. */
function checkMetafile(metafile: Metafile): string[] {
  const problems: string[] = [];
  const installed = new Set(RUNTIME_WORKSPACES.flatMap(readDependencies));
  const external = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const imported of output.imports) {
      if (!imported.external) continue;
      const name = packageOf(imported.path);
      if (name !== null) external.add(name);
    }
  }
  for (const name of external) {
    if (!installed.has(name)) problems.push(`the bundles import ${name}, which no runtime workspace (${RUNTIME_WORKSPACES.join(', ')}) lists in dependencies`);
  }
  for (const input of Object.keys(metafile.inputs)) {
    if (input.includes('node_modules/')) problems.push(`${input} was bundled: third-party code must stay external`);
    else if (!RUNTIME_WORKSPACES.some((w) => input.startsWith(`${w}/`))) problems.push(`${input} was bundled, but its workspace is not in RUNTIME_WORKSPACES`);
    if (/(^|\/)(test|bench)\/|\.test\.ts$/.test(input)) problems.push(`${input}: test or benchmark code in a bundle`);
  }
  return problems;
}

/** Bundles every entry point into outDir (emptied first) and copies the run-time files beside them. */
export async function buildDist(outDir = join(ROOT, 'dist')): Promise<BuildResult> {
  const out = resolve(outDir);
  rmSync(out, { recursive: true, force: true });
  const assets = new Set<string>();
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(Object.entries(ENTRY_POINTS).map(([name, source]) => [name, join(ROOT, source)])),
    outdir: out,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    // package.json "engines": Node 22.12 or newer.
    target: 'node22.12',
    // Stack traces name the TypeScript source under `node --enable-source-maps`; the sources
    // themselves are not embedded (they are not in the image).
    sourcemap: 'linked',
    sourcesContent: false,
    // Class and function names survive in logs and error messages even where esbuild renames a binding.
    keepNames: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    plugins: [thirdPartyExternal, sourceLocations(assets)],
  });
  const problems = checkMetafile(result.metafile);
  if (problems.length > 0) throw new Error(`build: ${problems.length} problem(s)\n${problems.join('\n')}`);
  for (const asset of assets) cpSync(join(ROOT, asset), join(out, asset), { recursive: true });
  const externalPackages = new Set<string>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const imported of output.imports) {
      const name = imported.external ? packageOf(imported.path) : null;
      if (name !== null) externalPackages.add(name);
    }
  }
  const sizes = Object.fromEntries(Object.keys(ENTRY_POINTS).map((name) => [name, statSync(join(out, `${name}.mjs`)).size])) as Record<EntryName, number>;
  return { outDir: out, assets: [...assets].sort(), externalPackages: [...externalPackages].sort(), sizes };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outArg = process.argv.slice(2).find((arg) => arg.startsWith('--out-dir='));
  const started = performance.now();
  const built = await buildDist(outArg ? resolve(outArg.slice('--out-dir='.length)) : undefined);
  const kib = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;
  console.log(
    [
      `built ${Object.keys(built.sizes).length} entry points into ${posixPath(relative(process.cwd(), built.outDir)) || '.'} in ${Math.round(performance.now() - started)} ms`,
      ...Object.entries(built.sizes).map(([name, size]) => `  ${compiledEntry(name as EntryName).padEnd(22)} ${ENTRY_POINTS[name as EntryName].padEnd(36)} ${kib(size)}`),
      `run-time files: ${built.assets.join(', ')}`,
      `third-party imports (from node_modules): ${built.externalPackages.length}`,
    ].join('\n'),
  );
}
