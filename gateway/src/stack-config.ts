import { z } from 'zod';
import { ALWAYS_CHECK, baseConfigShape, baseOverrides, requireSecretInProduction } from '@vigil/lib/base-config';
import { loadConfig, type EnvOverride } from '@vigil/lib/config';
import { alertsConfig } from '@vigil/subgraph-alerts/config';
import { auditConfig, auditOverrides } from '@vigil/subgraph-audit/config';
import { clusterConfig, clusterOverrides } from '@vigil/subgraph-cluster/config';
import { complianceConfig, complianceOverrides } from '@vigil/subgraph-compliance/config';
import { hostsConfig, hostsOverrides } from '@vigil/subgraph-hosts/config';
import { gatewayConfig, gatewayOverrides } from './config.js';

/** The whole Vigil config: shared settings plus one section per service, every key checked. */
export const vigilConfig = z
  .object({
    ...baseConfigShape,
    gateway: gatewayConfig.prefault({}),
    hosts: hostsConfig.prefault({}),
    cluster: clusterConfig.prefault({}),
    audit: auditConfig.prefault({}),
    compliance: complianceConfig.prefault({}),
    alerts: alertsConfig.prefault({}),
  })
  .strict()
  .superRefine(requireSecretInProduction, ALWAYS_CHECK);
export type VigilConfig = z.infer<typeof vigilConfig>;

export const vigilOverrides: EnvOverride[] = [
  ...baseOverrides,
  ...gatewayOverrides,
  ...hostsOverrides,
  ...clusterOverrides,
  ...auditOverrides,
  ...complianceOverrides,
];

/** Loads VIGIL_CONFIG plus environment overrides; throws ConfigError listing every problem. */
export function loadVigilConfig(env: Readonly<Record<string, string | undefined>>, extra: EnvOverride[] = []): VigilConfig {
  return loadConfig({ schema: vigilConfig, env, overrides: [...vigilOverrides, ...extra] });
}
