import { z } from 'zod';
import { port } from '@vigil/lib/base-config';
import type { EnvOverride } from '@vigil/lib/config';
import { FALCO_PRIORITIES } from './sources/falco/falco-event.js';

/** The `cluster:` section of the Vigil config. */
export const clusterConfig = z
  .object({
    port: port.default(4002),
    /** Name recorded on every event from this cluster (KubeObject.cluster). @default default */
    name: z.string().regex(/^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/, 'a DNS label such as prod-eu-1').default('default'),
    /** Days a security event is kept after it was last seen. @default 30 */
    retentionDays: z.coerce.number().int().min(1).max(3650).default(30),
    falco: z
      .object({
        /** Bearer token Falco must send (http_output custom header). Unset: no token required. */
        token: z.string().min(16, 'must be at least 16 characters').optional(),
        /** Falco events at or above this priority raise an alert. @default Critical */
        alertMinPriority: z.enum(FALCO_PRIORITIES).default('Critical'),
        /** Largest webhook body accepted, in bytes. @default 1048576 */
        maxBodyBytes: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type ClusterConfig = z.infer<typeof clusterConfig>;

export const clusterOverrides: EnvOverride[] = [
  { env: 'VIGIL_CLUSTER_NAME', path: ['cluster', 'name'] },
  { env: 'VIGIL_FALCO_TOKEN', path: ['cluster', 'falco', 'token'] },
];
