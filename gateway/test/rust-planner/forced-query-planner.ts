// See vitest.config.ts beside this file: the real module with 'rust' in place of whatever is chosen.
import { z } from 'zod';
import { QUERY_PLANNERS, unifiedGraphHandlerFor as chosen, type QueryPlanner } from '../../src/query-planner.js';

// Everything else as the real module has it (a local export wins over `export *`).
export * from '../../src/query-planner.js';
export const queryPlannerSetting = z.enum(QUERY_PLANNERS).default('rust');
export const unifiedGraphHandlerFor = (_planner: QueryPlanner) => chosen('rust');
