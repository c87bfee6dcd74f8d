import { z } from 'zod';
import { ALWAYS_CHECK, baseConfigShape, baseOverrides, requireSecretInProduction } from '@vigil/lib/base-config';
import { loadConfig, type EnvOverride } from '@vigil/lib/config';
import { alertsConfig } from '@vigil/subgraph-alerts/config';
import { auditConfig, auditOverrides } from '@vigil/subgraph-audit/config';
import { clusterConfig, clusterOverrides, requireWebhookAuthInProduction } from '@vigil/subgraph-cluster/config';
import { complianceConfig, complianceOverrides } from '@vigil/subgraph-compliance/config';
import { hostsConfig, hostsOverrides } from '@vigil/subgraph-hosts/config';
import { authOverrides, tenantsConfig } from './auth/auth-config.js';
import { requireAuthInProduction, requireKnownTenants } from './auth/production-checks.js';
import { gatewayConfig, gatewayOverrides } from './config.js';

/**
 * The whole Vigil config as the gateway's own process checks it: shared settings plus one section
 * per service, every key checked, and the gateway's production rules.
 */
export const gatewayProcessConfig = z
  .object({
    ...baseConfigShape,
    gateway: gatewayConfig.prefault({}),
    hosts: hostsConfig.prefault({}),
    cluster: clusterConfig.prefault({}),
    audit: auditConfig.prefault({}),
    compliance: complianceConfig.prefault({}),
    alerts: alertsConfig.prefault({}),
    /** Named scopes callers can be restricted to (gateway.auth: a token's tenants claim, an API key's tenants). */
    tenants: tenantsConfig.default({}),
  })
  .strict()
  .superRefine(requireSecretInProduction, ALWAYS_CHECK)
  .superRefine(requireAuthInProduction, ALWAYS_CHECK)
  .superRefine(requireKnownTenants, ALWAYS_CHECK);

/** The one-process stack also serves the webhooks, so their production rules apply too. */
export const vigilConfig = gatewayProcessConfig.superRefine(requireWebhookAuthInProduction, ALWAYS_CHECK);
export type VigilConfig = z.infer<typeof vigilConfig>;

export const vigilOverrides: EnvOverride[] = [
  ...baseOverrides,
  ...gatewayOverrides,
  ...authOverrides,
  ...hostsOverrides,
  ...clusterOverrides,
  ...auditOverrides,
  ...complianceOverrides,
];

/** Loads VIGIL_CONFIG plus environment overrides; throws ConfigError listing every problem. */
export function loadVigilConfig(
  env: Readonly<Record<string, string | undefined>>,
  extra: EnvOverride[] = [],
  schema: typeof gatewayProcessConfig = vigilConfig,
): VigilConfig {
  return loadConfig({ schema, env, overrides: [...vigilOverrides, ...extra] });
}
