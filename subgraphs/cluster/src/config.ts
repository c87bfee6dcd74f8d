import { z } from 'zod';
import { configValueAt, httpPort, isSetString } from '@vigil/lib/base-config';
import type { EnvOverride } from '@vigil/lib/config';
import { clusterAuditConfig, clusterAuditOverrides } from './config-audit.js';
import { FALCO_PRIORITIES } from './sources/falco/falco-event.js';

/** The `cluster:` section of the Vigil config. */
export const clusterConfig = z
  .object({
    port: httpPort.default(4002),
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
        /** Webhook batches handled at once; more are answered 429 with Retry-After. @default 32 */
        maxInFlight: z.coerce.number().int().min(1).max(10_000).default(32),
      })
      .strict()
      .prefault({}),
    /** The API server's audit webhook (POST /ingest/k8s-audit) and forwarding to VictoriaLogs. */
    audit: clusterAuditConfig.prefault({}),
    /**
     * Clusters whose security tools' reports are read through the Kubernetes API (Trivy Operator,
     * Kyverno, kube-bench and Checkov ConfigMaps). Unset: no cluster is read (pushed sources still work).
     */
    kubernetes: z
      .object({
        /** @default client-node's discovery: KUBECONFIG, ~/.kube/config, or in-cluster */
        kubeconfigPath: z.string().min(1).optional(),
        /** One kubeconfig context per cluster; the name recorded on events is the context name unless given. @default the current context */
        contexts: z.array(z.union([z.string().min(1), z.object({ context: z.string().min(1), name: z.string().min(1).optional() }).strict()])).default([]),
        /** How often CRDs are checked again, so a tool installed later is picked up. @default 300 */
        detectionIntervalSeconds: z.coerce.number().int().min(5).default(300),
      })
      .strict()
      .optional(),
  })
  .strict();
export type ClusterConfig = z.infer<typeof clusterConfig>;

export const clusterOverrides: EnvOverride[] = [
  { env: 'VIGIL_CLUSTER_NAME', path: ['cluster', 'name'] },
  { env: 'VIGIL_FALCO_TOKEN', path: ['cluster', 'falco', 'token'] },
  ...clusterAuditOverrides,
];


/**
 * Fail closed: in production both webhooks must authenticate their senders. Runs on the whole
 * config (the one-process stack and the cluster subgraph's own process alike), partly invalid or not.
 */
export function requireWebhookAuthInProduction(config: unknown, ctx: z.RefinementCtx): void {
  if (configValueAt(config, 'env') !== 'production') return;
  if (!isSetString(configValueAt(config, 'cluster', 'falco', 'token'))) {
    ctx.addIssue({ code: 'custom', path: ['cluster', 'falco', 'token'], message: 'required when env is production: /ingest/falco would accept anyone' });
  }
  if (!isSetString(configValueAt(config, 'cluster', 'audit', 'token')) && !isSetString(configValueAt(config, 'cluster', 'audit', 'hmacSecret'))) {
    ctx.addIssue({
      code: 'custom',
      path: ['cluster', 'audit', 'token'],
      message: 'required when env is production (or cluster.audit.hmacSecret): /ingest/k8s-audit would accept anyone',
    });
  }
}
