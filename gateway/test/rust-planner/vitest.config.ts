import { fileURLToPath } from 'node:url';
import { mergeConfig } from 'vitest/config';
import base from '../../../vitest.config.js';

// The gateway's tests with Hive Router's query planner forced in every stack they start, whatever
// their config says (README, Benchmarks: how the 'rust' planner was checked):
//   npx vitest run --config gateway/test/rust-planner/vitest.config.ts gateway/test test/readme-examples.e2e.test.ts
// gateway/src imports the planner setting as './query-planner.js'; this points that import at a
// module whose default and handler are the Rust planner's.
const forced = fileURLToPath(new URL('./forced-query-planner.ts', import.meta.url));

export default mergeConfig(base, {
  root: fileURLToPath(new URL('../../../', import.meta.url)),
  // That file tests the setting itself (its default is 'js') and runs a 'rust' stack of its own.
  test: { exclude: ['gateway/test/query-planner.e2e.test.ts'] },
  resolve: { alias: [{ find: /^\.\/query-planner\.js$/, replacement: forced }] },
});
