import { z } from 'zod';
import { auditRulesConfig } from '@vigil/lib/k8s-audit/rules-config';

const tenantId = z.coerce.number().int().min(0).max(0xffff_ffff);

/**
 * `audit.liveRules`: the audit alert rules evaluated on a VictoriaLogs live tail, for deployments where
 * audit records reach VictoriaLogs without Vigil's webhook (Fluent Bit, see deploy/integrations/fluent-bit).
 * Off by default. One tail per listed tenant, read in that tenant's layout (`audit.victoriaLogs.layout`
 * / `tenantLayouts`), with that tenant's AccountID/ProjectID headers.
 */
export const liveRulesConfig = z
  .object({
    /** @default false */
    enabled: z.boolean().default(false),
    /** VictoriaLogs tenants to tail. Empty: the default tenant (`audit.victoriaLogs.accountId` / `projectId`). @default [] */
    tenants: z
      .array(z.object({ accountId: tenantId, projectId: tenantId.default(0) }).strict())
      .max(100)
      .default([]),
    /** The rules and their thresholds: the same keys as `cluster.audit.rules`. */
    rules: auditRulesConfig,
    /**
     * How old a row's `_time` must be before the tail reads it (VictoriaLogs' `offset`): rows becoming
     * searchable later than this after their `_time` are missed. @default 5
     */
    offsetSeconds: z.coerce.number().int().min(1).max(3600).default(5),
    /** How often VictoriaLogs looks for new rows (`refresh_interval`). @default 1 */
    refreshIntervalSeconds: z.coerce.number().int().min(1).max(300).default(1),
    /** How far back a tail resumes after a restart or an outage; anything older is a gap (logged with its bounds). @default 60 */
    maxCatchUpMinutes: z.coerce.number().int().min(1).max(7 * 1440).default(60),
    /** Reconnect backoff after VictoriaLogs failed: doubling from `initialMs` to `maxMs`, ±20 % jitter. */
    backoff: z
      .object({
        /** @default 500 */
        initialMs: z.coerce.number().int().min(10).max(60_000).default(500),
        /** @default 30000 */
        maxMs: z.coerce.number().int().min(10).max(600_000).default(30_000),
      })
      .strict()
      .prefault({}),
    /**
     * How long evaluated records and fired rules are remembered (the delivery ledger). Keep it equal to
     * `cluster.audit.redelivery.windowSeconds`: with Redis, both read the same keys only at the same window.
     * @default 3600
     */
    redeliveryWindowSeconds: z.coerce.number().int().min(60).max(7 * 86_400).default(3600),
  })
  .strict()
  .superRefine((live, ctx) => {
    if (live.backoff.maxMs < live.backoff.initialMs) ctx.addIssue({ code: 'custom', path: ['backoff', 'maxMs'], message: 'must be at least backoff.initialMs' });
    const seen = new Set<string>();
    for (const [index, tenant] of live.tenants.entries()) {
      const key = `${String(tenant.accountId)}/${String(tenant.projectId)}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['tenants', index, 'accountId'], message: `${key} is listed twice` });
      seen.add(key);
    }
  });
export type LiveRulesConfig = z.infer<typeof liveRulesConfig>;
