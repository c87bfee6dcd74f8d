import { z } from 'zod';
import { httpPort, httpUrl } from '@vigil/lib/base-config';
import type { EnvOverride } from '@vigil/lib/config';

/** The `audit:` section of the Vigil config. */
export const auditConfig = z
  .object({
    port: httpPort.default(4003),
    victoriaLogs: z
      .object({
        /** VictoriaLogs base URL, e.g. http://victorialogs:9428. Unset: auditEvents answers UPSTREAM_UNAVAILABLE. */
        url: httpUrl.optional(),
        /** @default 10000 */
        timeoutMs: z.coerce.number().int().min(100).default(10_000),
        /** VictoriaLogs tenant (AccountID / ProjectID headers). @default 0 / 0 */
        accountId: z.coerce.number().int().min(0).default(0),
        projectId: z.coerce.number().int().min(0).default(0),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type AuditConfig = z.infer<typeof auditConfig>;

export const auditOverrides: EnvOverride[] = [{ env: 'VICTORIALOGS_URL', path: ['audit', 'victoriaLogs', 'url'] }];
