import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

// Node resolves `import 'graphql'` to graphql 16's CommonJS build, as Yoga and Hive's `require` do;
// Vite would pick the ESM build for our own imports and load a second graphql-js. Two copies mask
// GraphQLErrors as "Unexpected error." and break schema checks, so tests get the one production gets.
const graphqlCommonJs = createRequire(import.meta.url).resolve('graphql');

// Unit tests (*.test.ts) need no network; integration (*.int.test.ts) and end-to-end (*.e2e.test.ts)
// tests start real redis-server / sshd processes and in-process servers on port 0, so they get
// longer timeouts. Two cores: keep the worker count at the core count. The global setup checks that the
// pinned VictoriaLogs is built (test/support/install-victorialogs.sh) and fails the run if it is not.
export default defineConfig({
  resolve: { alias: [{ find: /^graphql$/, replacement: graphqlCommonJs }] },
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '.tools/**'],
    globalSetup: ['./test/support/victorialogs-global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
