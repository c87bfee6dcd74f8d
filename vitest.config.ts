import { defineConfig } from 'vitest/config';

// Unit tests (*.test.ts) need no network; integration (*.int.test.ts) and end-to-end (*.e2e.test.ts)
// tests start real redis-server / sshd processes and in-process servers on port 0, so they get
// longer timeouts. Two cores: keep the worker count at the core count.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '.tools/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
