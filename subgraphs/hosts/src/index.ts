import { z } from 'zod';
import { ALWAYS_CHECK, requireSecretInProduction } from '@vigil/lib/base-config';
import { runSubgraphService, serviceConfigShape } from '@vigil/lib/subgraph-main';
import { hostsConfig, hostsOverrides } from './config.js';
import { createHostsRuntime } from './runtime.js';
import { FACT_STORE_LAYOUT } from './facts/fact-keys.js';

const schema = z
  .object({ ...serviceConfigShape, hosts: hostsConfig.prefault({}) })
  .strict()
  .superRefine(requireSecretInProduction, ALWAYS_CHECK);

await runSubgraphService('hosts', schema, hostsOverrides, (config) => config.hosts, (config, shared) => createHostsRuntime(config, shared), [FACT_STORE_LAYOUT]);
