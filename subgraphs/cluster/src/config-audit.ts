import { z } from 'zod';
import type { EnvOverride } from '@vigil/lib/config';
import { auditRulesConfig } from '@vigil/lib/k8s-audit/rules-config';

// The rules' settings are shared with the audit subgraph's live tail (lib/src/k8s-audit/rules-config.ts).
export { auditRulesConfig, type AuditRulesConfig } from '@vigil/lib/k8s-audit/rules-config';

/**
 * The `cluster.audit:` section: the Kubernetes API server's audit webhook (POST /ingest/k8s-audit) and
 * the forwarding of every audit record to VictoriaLogs, where the audit subgraph queries them.
 * To be merged into `clusterConfig` as `audit: clusterAuditConfig`.
 */
export const clusterAuditConfig = z
  .object({
    /**
     * Bearer token the API server sends (`token:` of the user in the --audit-webhook-config-file
     * kubeconfig). Unset together with hmacSecret: the route accepts unauthenticated requests (embedded
     * default only; a warning is logged at start).
     */
    token: z.string().min(16, 'must be at least 16 characters').optional(),
    /** Secret for `X-Vigil-Audit-Signature: sha256=<hex HMAC-SHA256 of the body>`, for proxies that sign rather than carry a token. */
    hmacSecret: z.string().min(32, 'must be at least 32 characters').optional(),
    /**
     * Largest body accepted, in bytes, after decompression. The API server batches up to 400 events per
     * POST (--audit-webhook-batch-max-size); at RequestResponse level each can carry whole objects.
     * @default 8388608
     */
    maxBodyBytes: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(8 * 1024 * 1024),
    /** Requests processed at once; more are answered 429 with Retry-After. Bounds memory at maxInFlight × maxBodyBytes. @default 8 */
    maxInFlight: z.coerce.number().int().min(1).max(1024).default(8),
    /** Retry-After (seconds) on a 429; client-go (which the API server's webhook uses) honours it. @default 1 */
    retryAfterSeconds: z.coerce.number().int().min(1).max(300).default(1),
    forward: z
      .object({
        /** VictoriaLogs base URL, e.g. http://victorialogs:9428. Unset: audit records are not forwarded. */
        victoriaLogsUrl: z.url({ protocol: /^https?$/ }).optional(),
        /** The tenant the audit subgraph reads (its `victoriaLogs.accountId/projectId`). @default 0 / 0 */
        accountId: z.coerce.number().int().min(0).max(0xffff_ffff).default(0),
        projectId: z.coerce.number().int().min(0).max(0xffff_ffff).default(0),
        /** Records per /insert/jsonline request. @default 500 */
        batchSize: z.coerce.number().int().min(1).max(10_000).default(500),
        /** Longest a record waits for its batch to fill. @default 1000 */
        flushMs: z.coerce.number().int().min(10).max(60_000).default(1000),
        /** Records held while VictoriaLogs is unreachable; beyond it the oldest are dropped (and counted in the log). @default 50000 */
        maxBufferedEvents: z.coerce.number().int().min(1).max(10_000_000).default(50_000),
        /** Budget for one /insert/jsonline request. @default 10000 */
        timeoutMs: z.coerce.number().int().min(100).max(300_000).default(10_000),
      })
      .strict()
      .prefault({}),
    /**
     * Redelivery: a record (auditID + stage) already acknowledged with a 2xx is remembered for
     * `windowSeconds`; delivered again within it (a proxy's retry) it is neither counted, alerted nor
     * forwarded again. Kept in Redis when Redis is configured (about 100 bytes per record, for up to
     * 1.25 × the window), else in memory, bounded by `maxEntries` too.
     */
    redelivery: z
      .object({
        /** @default 3600 */
        windowSeconds: z.coerce.number().int().min(60).max(7 * 86_400).default(3600),
        /** The in-memory ledger's bound (the embedded stack); the oldest records go first. @default 200000 */
        maxEntries: z.coerce.number().int().min(1000).max(50_000_000).default(200_000),
      })
      .strict()
      .prefault({}),
    rules: auditRulesConfig,
  })
  .strict()
  .prefault({});
export type ClusterAuditConfig = z.infer<typeof clusterAuditConfig>;

export const clusterAuditOverrides: EnvOverride[] = [
  { env: 'VIGIL_AUDIT_WEBHOOK_TOKEN', path: ['cluster', 'audit', 'token'] },
  { env: 'VIGIL_AUDIT_WEBHOOK_HMAC_SECRET', path: ['cluster', 'audit', 'hmacSecret'] },
  // The same variable the audit subgraph reads: one VictoriaLogs, written here, read there.
  { env: 'VICTORIALOGS_URL', path: ['cluster', 'audit', 'forward', 'victoriaLogsUrl'] },
];
