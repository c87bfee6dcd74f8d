import { z } from 'zod';
import { ALWAYS_CHECK, requireSecretInProduction } from '@vigil/lib/base-config';
import { isRecord } from '@vigil/lib/is-record';
import { runSubgraphService, serviceConfigShape } from '@vigil/lib/subgraph-main';
import { auditConfig, auditOverrides } from './config.js';
import { createAuditRuntime } from './runtime.js';

const schema = z
  .object({ ...serviceConfigShape, audit: auditConfig.prefault({}) })
  .strict()
  .superRefine(requireSecretInProduction, ALWAYS_CHECK);

// Audit events recorded without a cluster are this deployment's own cluster (cluster.name, which the
// cluster subgraph's config checks; this process only reads it).
const clusterNameOf = (cluster: unknown): string => (isRecord(cluster) && typeof cluster['name'] === 'string' ? cluster['name'] : 'default');

await runSubgraphService(
  'audit',
  schema,
  auditOverrides,
  (config) => ({ ...config.audit, clusterName: clusterNameOf(config.cluster) }),
  (section, shared) => createAuditRuntime(section, shared, section.clusterName),
);
