import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { getOperationAST, type DocumentNode, type ExecutionResult } from 'graphql';
import { z } from 'zod';
import type { unifiedGraphHandler as routerRuntimeHandler } from '@graphql-hive/router-runtime';

/**
 * Which federation query planner the gateway runs.
 *
 * - 'js': Hive Gateway's own (the stitching runtime of @graphql-tools/federation), what Vigil has
 *   always run.
 * - 'rust': Hive Router's query planner, a native addon, with its own executor for the plans
 *   (@graphql-hive/router-runtime). Experimental: see the README (Configuration, Benchmarks) for
 *   what it was measured to change and what does not work with it.
 */
export const QUERY_PLANNERS = ['js', 'rust'] as const;
export type QueryPlanner = (typeof QUERY_PLANNERS)[number];

/** `gateway.queryPlanner` (env VIGIL_QUERY_PLANNER). */
export const queryPlannerSetting = z.enum(QUERY_PLANNERS).default('js');

/**
 * What createGatewayRuntime takes for the planner: nothing for 'js' (the runtime's default), the
 * router runtime's handler for 'rust'. Loaded only when chosen, so a JS-planner gateway never loads
 * the native addon.
 */
export async function unifiedGraphHandlerFor(planner: QueryPlanner): Promise<{ unifiedGraphHandler?: typeof routerRuntimeHandler }> {
  if (planner === 'js') return {};
  const { unifiedGraphHandler } = await import('@graphql-hive/router-runtime');
  return { unifiedGraphHandler };
}

/**
 * Hive Router's planner is given the operation printed as text. When generic-auth
 * (auth/authorization.ts) has left out every root field of an operation (all refused), what is
 * left prints without a selection set, which the planner refuses to parse, and the caller got
 * INTERNAL_SERVER_ERROR instead of the FORBIDDEN refusals. Such an operation has nothing to run:
 * it is answered as Hive Gateway's JS executor answers it (empty data), and generic-auth adds its
 * refusals to that result as to any other. Only registered with the 'rust' planner, after
 * generic-auth (the runtime registers generic-auth before the gateway's own plugins).
 */
export function useEmptyOperationAnswer(): GatewayPlugin {
  const answerIfEmpty = ({ args, setResultAndStopExecution }: { args: { document: DocumentNode; operationName?: string | null | undefined }; setResultAndStopExecution: (result: ExecutionResult) => void }) => {
    const operation = getOperationAST(args.document, args.operationName);
    if (operation && operation.selectionSet.selections.length === 0) setResultAndStopExecution({ data: {} });
  };
  return { onExecute: answerIfEmpty, onSubscribe: answerIfEmpty };
}
