import type { GatewayConfigBase, GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { gatewayConfig, type ProtectionConfig } from '../config.js';
import { corsPolicy } from './cors-policy.js';
import { loadPersistedDocuments, trustedDocuments } from './trusted-documents.js';
import { useBatchingRefusal } from './use-batching-refusal.js';
import { useCostLimit } from './use-cost-limit.js';
import { useOperationLimits } from './use-operation-limits.js';
import { useRequestBodyLimit } from './use-request-body-limit.js';
import { useSuggestionBlocking } from './use-suggestion-blocking.js';

/**
 * The header that marks a GET (or a form-encoded / text/plain POST) as not sent by a cross-site
 * form or link. JSON POSTs, which is all the SDK sends, need no header: their content type
 * already forces a CORS preflight.
 */
export const CSRF_HEADER = 'x-vigil-csrf';

type RuntimeOptions = Pick<GatewayConfigBase<Record<string, never>>, 'cors' | 'csrfPrevention' | 'disableIntrospection' | 'persistedDocuments' | 'batching'>;

export interface Protection {
  /** Spread into createGatewayRuntime. */
  runtime: RuntimeOptions;
  /** Added to the runtime's plugins. */
  plugins: GatewayPlugin[];
  /** The `ws` server's maxPayload: a bigger graphql-ws message closes the socket (1009). */
  maxWsMessageBytes: number;
}

/**
 * Every protection of the gateway against its clients, in one place: operation limits, request
 * size, batching, introspection and suggestions, CORS, CSRF and trusted documents. The operation
 * limits run in the envelop pipeline, so they apply to queries over HTTP and to subscriptions over
 * graphql-ws and SSE alike.
 */
export function protection(configured: ProtectionConfig | undefined, development: boolean): Protection {
  const config = configured ?? gatewayConfig.parse({});
  const { limits } = config;
  const plugins: GatewayPlugin[] = [
    useRequestBodyLimit({ maxBytes: limits.maxRequestBytes }),
    useBatchingRefusal(),
    useOperationLimits(limits),
    useCostLimit({ maxCost: limits.maxCost }),
  ];
  // In development, GraphiQL's schema explorer and "Did you mean" help whoever writes queries.
  if (!development) plugins.push(useSuggestionBlocking());
  return {
    runtime: {
      cors: corsPolicy({ origins: config.cors.origins ?? (development ? ['*'] : []) }),
      csrfPrevention: { requestHeaders: [CSRF_HEADER] },
      ...(development ? {} : { disableIntrospection: {} }),
      persistedDocuments: trustedDocuments(config.trustedDocuments, loadPersistedDocuments()),
      batching: false,
    },
    plugins,
    maxWsMessageBytes: limits.maxRequestBytes,
  };
}
