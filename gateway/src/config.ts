import { z } from 'zod';
import { port } from '@vigil/lib/base-config';
import type { EnvOverride } from '@vigil/lib/config';
import { SUBGRAPH_NAMES, defaultSubgraphUrl, type SubgraphName } from '@vigil/schema/subgraphs';

const subgraphUrl = z.url({ protocol: /^https?$/ });

/** The `gateway:` section of the Vigil config. */
export const gatewayConfig = z
  .object({
    port: port.default(4000),
    /** Address to listen on. @default 0.0.0.0 */
    host: z.string().default('0.0.0.0'),
    /** Where each subgraph listens (separate processes). The one-process stack ignores these. */
    subgraphs: z
      .object(Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, subgraphUrl.default(defaultSubgraphUrl(name))])) as Record<SubgraphName, z.ZodDefault<typeof subgraphUrl>>)
      .strict()
      .prefault({}),
  })
  .strict();
export type GatewayConfig = z.infer<typeof gatewayConfig>;

export const gatewayOverrides: EnvOverride[] = [
  { env: 'VIGIL_GATEWAY_PORT', path: ['gateway', 'port'] },
  ...SUBGRAPH_NAMES.map((name) => ({ env: `VIGIL_${name.toUpperCase()}_URL`, path: ['gateway', 'subgraphs', name] })),
];
