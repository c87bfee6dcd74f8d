import { execFileSync } from 'node:child_process';
import { copyFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * `npm run build -w sdk` (also run by `npm pack` / `npm publish` through `prepack`): the package's
 * ESM JavaScript and declarations in dist/, and the client API schema beside them, so a consumer's
 * own codegen can type its operations against exactly the schema this SDK was generated from.
 * dist/ is wiped first: a module deleted from src/ must not live on in the package.
 */
const sdk = fileURLToPath(new URL('..', import.meta.url));
const dist = fileURLToPath(new URL('../dist/', import.meta.url));
// The composed API schema (schema/compose.ts writes it; generate:check keeps it current), the same
// file codegen.ts generates the SDK's documents from.
const apiSchema = fileURLToPath(new URL('../../schema/schema.graphql', import.meta.url));
// npm packs a LICENSE only from the package's own folder; Apache-2.0 wants its text with every copy.
const license = fileURLToPath(new URL('../../LICENSE', import.meta.url));

rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: sdk, stdio: 'inherit' });
copyFileSync(apiSchema, `${dist}schema.graphql`);
copyFileSync(license, `${dist}LICENSE`);
