import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { generate } from '@graphql-codegen/cli';
import codegenConfig from '../codegen.js';
import { composeSupergraph } from './composition.js';
import { API_SCHEMA_PATH, SUPERGRAPH_PATH } from './subgraphs.js';

/**
 * `npm run generate:check` (part of `npm test`): recomposes the supergraph and regenerates every
 * codegen output in memory, and fails naming each committed file that differs.
 * Fix with `npm run generate` and commit the result.
 */
async function main(): Promise<number> {
  const stale: string[] = [];
  const { supergraphSdl, apiSdl } = composeSupergraph();
  if (read(SUPERGRAPH_PATH) !== supergraphSdl) stale.push(relative(process.cwd(), SUPERGRAPH_PATH));
  if (read(API_SCHEMA_PATH) !== apiSdl) stale.push(relative(process.cwd(), API_SCHEMA_PATH));

  const outputs = await generate({ ...codegenConfig, silent: true, verbose: false }, false);
  for (const output of outputs) {
    if (read(output.filename) !== output.content) stale.push(relative(process.cwd(), output.filename));
  }
  if (stale.length > 0) {
    console.error(`Generated files are stale (run \`npm run generate\` and commit):\n${stale.map((f) => `  - ${f}`).join('\n')}`);
    return 1;
  }
  console.log(`generated files up to date (supergraph, API schema, ${outputs.length} codegen outputs)`);
  return 0;
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

process.exitCode = await main();
