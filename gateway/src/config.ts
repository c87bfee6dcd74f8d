import { z } from 'zod';
import { httpPort, httpUrl } from '@vigil/lib/base-config';
import type { EnvOverride } from '@vigil/lib/config';
import { authConfig } from './auth/auth-config.js';
import { queryPlannerSetting } from './query-planner.js';
import { SUBGRAPH_NAMES, defaultSubgraphUrl, type SubgraphName } from '@vigil/schema/subgraphs';

const subgraphUrl = httpUrl;

// --- Protection: operation limits, CORS, trusted documents (registered in plugins/protection.ts) ---
const count = z.coerce.number().int().min(0);

/** `gateway.limits:` what one request may ask of the gateway. Each refusal names its key. */
export const limitsConfig = z
  .object({
    /** Lexical tokens per document, counted while parsing, before validation. @default 2000 */
    maxTokens: count.min(1).default(2000),
    /** Selection depth; fragments do not add a level. @default 12 */
    maxDepth: count.min(1).default(12),
    /** Aliased fields per operation (aliases of `__typename` are free). @default 30 */
    maxAliases: count.default(30),
    /** Directives per operation. @default 20 */
    maxDirectives: count.default(20),
    /** Estimated cost, page sizes (`first`/`last`) taken from variables and schema defaults; see plugins/use-cost-limit.ts. @default 100000 */
    maxCost: count.min(1).default(100_000),
    /** Bytes of an HTTP request body (413 beyond) and of a graphql-ws message (the socket is closed). @default 262144 */
    maxRequestBytes: count.min(1024).default(262_144),
  })
  .strict();

const corsOrigin = z
  .string()
  .refine((value) => value === '*' || (URL.canParse(value) && new URL(value).origin === value), 'an origin such as https://console.example.org (no path or trailing slash), or "*"');

/** `gateway.cors:` which browser origins may read the API. */
export const corsConfig = z
  .object({
    /** Origins allowed with credentials; `"*"` allows any other origin without. @default [] in production (same origin only), ["*"] in development */
    origins: z.array(corsOrigin).optional(),
  })
  .strict();

/** `gateway.trustedDocuments:` accept only the SDK's generated documents (sdk/src/__generated__/persisted-documents.json). */
export const trustedDocumentsConfig = z
  .object({
    /** Refuse any document that is not in the SDK's manifest. @default false */
    enabled: z.boolean().default(false),
    /** With `enabled`, accept other documents as well, e.g. while clients move to document ids. @default false */
    allowArbitrary: z.boolean().default(false),
  })
  .strict();
// --- end protection ---

/**
 * `gateway.subscriptions:` how subscriptions are executed and delivered (subscriptions/*). A
 * subscriber that falls behind is ended with a reason (graphql-ws: close code 4413; SSE: a last
 * RATE_LIMITED error event) and resumes with `after:`.
 */
export const subscriptionsConfig = z
  .object({
    /**
     * Subscribers with the same document, variables and authorisation scope (roles and tenants of the
     * verified identity) share one upstream subscription and one execution per event. @default true
     */
    share: z.boolean().default(true),
    /** Operations one graphql-ws connection may have running at once; more are refused with RATE_LIMITED. @default 100 */
    maxPerConnection: count.min(1).default(100),
    /** Events waiting at the gateway for one subscriber before it is ended as too slow. @default 1000 */
    maxQueuedEvents: count.min(1).default(1000),
    /** Bytes unsent in one subscriber's socket before it is ended as too slow. @default 4194304 (4 MiB) */
    maxBufferedBytes: count.min(65_536).default(4_194_304),
  })
  .strict();
export type SubscriptionsConfig = z.infer<typeof subscriptionsConfig>;

/** The `gateway:` section of the Vigil config. */
export const gatewayConfig = z
  .object({
    port: httpPort.default(4000),
    /** Address to listen on. @default 0.0.0.0 */
    host: z.string().default('0.0.0.0'),
    /** Where each subgraph listens (separate processes). The one-process stack ignores these. */
    subgraphs: z
      .object(Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, subgraphUrl.default(defaultSubgraphUrl(name))])) as Record<SubgraphName, z.ZodDefault<typeof subgraphUrl>>)
      .strict()
      .prefault({}),
    /** Who may call the gateway (JWT, API keys); see auth/auth-config.ts. */
    auth: authConfig.prefault({}),
    // Protection (plugins/protection.ts).
    limits: limitsConfig.prefault({}),
    cors: corsConfig.prefault({}),
    trustedDocuments: trustedDocumentsConfig.prefault({}),
    subscriptions: subscriptionsConfig.prefault({}),
    /** Federation query planner (query-planner.ts): 'js' (Hive Gateway's own) or 'rust' (Hive Router's, experimental). @default js */
    queryPlanner: queryPlannerSetting,
  })
  .strict();
export type GatewayConfig = z.infer<typeof gatewayConfig>;
/** What plugins/protection.ts needs from the section. */
export type ProtectionConfig = Pick<GatewayConfig, 'limits' | 'cors' | 'trustedDocuments'>;

export const gatewayOverrides: EnvOverride[] = [
  { env: 'VIGIL_GATEWAY_PORT', path: ['gateway', 'port'] },
  { env: 'VIGIL_QUERY_PLANNER', path: ['gateway', 'queryPlanner'] },
  ...SUBGRAPH_NAMES.map((name) => ({ env: `VIGIL_${name.toUpperCase()}_URL`, path: ['gateway', 'subgraphs', name] })),
];
