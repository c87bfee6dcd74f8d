import { readFileSync, readdirSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Dependency hygiene: every package a workspace's TypeScript imports is declared by that workspace
 * (dependencies or devDependencies), or is a test-only tool at the root (root devDependencies).
 * npm hoists everything into one node_modules, so an undeclared import works here and breaks in a
 * workspace installed or deployed on its own (`npm ci -w`, the Dockerfile's per-service images).
 */

const root = fileURLToPath(new URL('..', import.meta.url));

interface PackageJson {
  name: string;
  workspaces?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const readPackage = (dir: string): PackageJson => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;

const rootPackage = readPackage(root);
const rootDevDependencies = new Set(Object.keys(rootPackage.devDependencies ?? {}));
const workspaceDirs = rootPackage.workspaces ?? [];
const workspaces = workspaceDirs.map((dir) => ({ dir, pkg: readPackage(join(root, dir)) }));
const workspaceNames = new Set(workspaces.map((w) => w.pkg.name));

/**
 * Every .ts file of a workspace (src/, test/ and top-level scripts such as schema/compose.ts).
 * Build output (sdk/dist/, whose declarations repeat src/'s imports) is not source, and
 * test/sdk-package.int.test.ts rebuilds it while this test may be walking it.
 */
function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tsFiles(path));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Strips comments so that an import quoted in a doc comment is not taken for one. */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

const IMPORT_PATTERNS = [
  // import x from 'y'; import type { x } from 'y'; import * as x from 'y'; export { x } from 'y'; export * from 'y' (any line breaks)
  /(?:^|[;\s])(?:import|export)\s+(?:type\s+)?[^;'"]*?\sfrom\s*['"]([^'"\n]+)['"]/g,
  // import 'y' (side effects only)
  /(?:^|[;\s])import\s*['"]([^'"\n]+)['"]/g,
  // import('y'), including `typeof import('y')` in types
  /\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g,
];

export function importSpecifiers(source: string): string[] {
  const text = withoutComments(source);
  const found = new Set<string>();
  for (const pattern of IMPORT_PATTERNS) for (const match of text.matchAll(pattern)) if (match[1]) found.add(match[1]);
  return [...found];
}

/** The package a bare specifier names: `@scope/name` or `name`, without the subpath. */
export function packageOf(specifier: string): string | null {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:') || isBuiltin(specifier)) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? null);
}

describe('import specifier parsing', () => {
  it('finds static, type-only, re-exported, side-effect and dynamic imports, and skips comments', () => {
    const source = [
      "import { a } from 'alpha';",
      "import type { B } from '@scope/beta/sub/path';",
      'import {',
      '  c,',
      '  type D,',
      "} from 'gamma';",
      "export { e } from 'delta';",
      "export * from './local.js';",
      "import 'side-effect';",
      "const lazy = await import('dynamic');",
      "type T = typeof import('typed');",
      "import { readFileSync } from 'node:fs';",
      "// import { nope } from 'commented-out';",
      "/** import { nope } from 'doc-comment'; */",
    ].join('\n');
    expect(importSpecifiers(source).sort()).toEqual(['./local.js', '@scope/beta/sub/path', 'alpha', 'delta', 'dynamic', 'gamma', 'node:fs', 'side-effect', 'typed']);
    expect(['@scope/beta/sub/path', 'alpha/x', './local.js', 'node:fs', 'fs'].map(packageOf)).toEqual(['@scope/beta', 'alpha', null, null, null]);
  });
});

describe('every workspace declares what it imports', () => {
  it('the root lists the workspaces this test walks', () => {
    expect(workspaceDirs).toEqual(expect.arrayContaining(['lib', 'sdk', 'schema', 'gateway', 'bench', 'subgraphs/hosts', 'subgraphs/cluster', 'subgraphs/audit', 'subgraphs/compliance', 'subgraphs/alerts']));
  });

  it.each(workspaces.map((w) => [w.dir, w] as const))('%s', (_dir, { dir, pkg }) => {
    const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})]);
    const problems: string[] = [];
    for (const file of tsFiles(join(root, dir))) {
      for (const specifier of importSpecifiers(readFileSync(file, 'utf8'))) {
        const name = packageOf(specifier);
        if (name === null) continue;
        const where = `${relative(root, file)} imports '${specifier}'`;
        if (name.startsWith('@vigil/')) {
          if (!workspaceNames.has(name)) problems.push(`${where}: no workspace is named ${name}`);
          else if (name !== pkg.name && !declared.has(name)) problems.push(`${where}: ${name} is not in ${dir}/package.json`);
          continue;
        }
        if (!declared.has(name) && !rootDevDependencies.has(name)) problems.push(`${where}: ${name} is declared neither in ${dir}/package.json nor in the root devDependencies`);
      }
    }
    expect(problems).toEqual([]);
  });
});
