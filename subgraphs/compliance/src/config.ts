import { z } from 'zod';
import { httpPort, httpUrl } from '@vigil/lib/base-config';
import type { EnvOverride } from '@vigil/lib/config';

/** The `compliance:` section of the Vigil config. */
export const complianceConfig = z
  .object({
    port: httpPort.default(4004),
    /** Where evidence is fetched: the gateway, so compliance sees what every client sees. */
    gatewayUrl: httpUrl.default('http://localhost:4000/graphql'),
    /**
     * Key compliance presents to the gateway (env VIGIL_SERVICE_API_KEY, which the gateway reads as
     * gateway.auth.serviceApiKey). Required in production when compliance runs as its own process.
     */
    gatewayApiKey: z.string().min(16, 'must be at least 16 characters').optional(),
    /** @default the catalogue shipped in subgraphs/compliance/catalogue/controls.yaml */
    cataloguePath: z.string().min(1).optional(),
    /** CM-8: how recent a host's last successful probe must be (overrides the catalogue's param). @default 24 */
    maxProbeAgeHours: z.coerce.number().positive().default(24),
    /** How often every control is evaluated (never per query). @default 300 */
    evaluateIntervalSeconds: z.coerce.number().int().min(5).max(86_400).default(300),
    /** A framework score falling by more than this (0..1) in one evaluation raises an alert. @default 0.05 */
    scoreDropThreshold: z.coerce.number().min(0).max(1).default(0.05),
    /**
     * How long result history and score points are kept in Redis (asOf answers within it), trimmed on
     * write. Waivers and their log are kept for good. @default 400
     */
    historyRetentionDays: z.coerce.number().int().min(1).max(3650).default(400),
    /** How far back Falco events are read (nodes for SI-4, mapped Falco rules). @default 7 */
    evidenceLookBackDays: z.coerce.number().positive().max(90).default(7),
  })
  .strict();
export type ComplianceConfig = z.infer<typeof complianceConfig>;

export const complianceOverrides: EnvOverride[] = [
  { env: 'VIGIL_GATEWAY_URL', path: ['compliance', 'gatewayUrl'] },
  { env: 'VIGIL_SERVICE_API_KEY', path: ['compliance', 'gatewayApiKey'] },
];
