import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { graphql } from '../limits/graphql-realm.js';

/**
 * Refuses a JSON array of operations (request batching) with 400 and a message saying why. Batching
 * multiplies every per-operation limit by the length of the array, and the SDK never batches.
 * Yoga refuses batches too when `batching` is off, but with a bare "Batching is not supported." and
 * a code outside Vigil's closed set; this runs first.
 */
export function useBatchingRefusal(): GatewayPlugin {
  return {
    onRequestParse({ requestParser, setRequestParser }) {
      if (!requestParser) return;
      const parse = requestParser;
      setRequestParser(async (request) => {
        const params = await parse(request);
        if (Array.isArray(params)) {
          throw new graphql.GraphQLError(`Batched requests are not accepted (this one holds ${String(params.length)} operations): send one operation per request.`, {
            extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
          });
        }
        return params;
      });
    },
  };
}
