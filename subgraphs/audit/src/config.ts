import { z } from 'zod';
import { httpPort, httpUrl } from '@vigil/lib/base-config';
import type { EnvOverride } from '@vigil/lib/config';
import { auditCoverageConfig } from './coverage-config.js';
import { liveRulesConfig } from './live-rules-config.js';
import { AUDIT_TIME_FIELDS, clusterProblems, DEFAULT_TIME_SKEW_MINUTES, MAX_TIME_SKEW_MS, streamFilterProblems, type AuditLayout } from './sources/victorialogs/layout.js';

const tenantId = z.coerce.number().int().min(0).max(0xffff_ffff);

/**
 * How audit records are stored in a VictoriaLogs tenant (sources/victorialogs/layout.ts). Every key has
 * the default of Vigil's own writers, so `layout: {}` is Vigil's layout. Values end up in LogsQL only
 * quoted; the checks here refuse what no shipper writes, with the key named.
 */
export const auditLayoutConfig = z
  .object({
    /** Stream labels (exact values) every query starts with, e.g. `{ stream: audit.kube-apiserver }`. @default {} */
    streamFilter: z
      .record(z.string(), z.string())
      .superRefine((labels, ctx) => {
        for (const problem of streamFilterProblems(labels)) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
      })
      .default({}),
    /** The event's time: `_time` (the writer's _time_field was the event's time) or `stageTimestamp`. @default _time */
    time: z.enum(AUDIT_TIME_FIELDS).default('_time'),
    /** With `time: stageTimestamp`: how far `_time` may be from it, either way. @default 1440 (a day) */
    timeSkewMinutes: z.coerce
      .number()
      .int()
      .min(0)
      .max(MAX_TIME_SKEW_MS / 60_000)
      .default(DEFAULT_TIME_SKEW_MINUTES),
    /** Where a record's cluster is: `{ field: cluster }`, or `{ value: <name> }` for records that carry none. @default { field: cluster } */
    cluster: z
      .object({ field: z.string().optional(), value: z.string().optional() })
      .strict()
      .superRefine((cluster, ctx) => {
        const { field, value } = cluster;
        if ((field === undefined) === (value === undefined)) {
          ctx.addIssue({ code: 'custom', message: 'give exactly one of field (a field every record holds) or value (one name for every record)' });
          return;
        }
        const problems = clusterProblems(value !== undefined ? { value } : { field: field ?? '' });
        for (const problem of problems) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
      })
      .default({ field: 'cluster' }),
  })
  .strict();
export type AuditLayoutConfig = z.infer<typeof auditLayoutConfig>;

/** The layout a parsed `layout:` section describes. */
export function toLayout(config: AuditLayoutConfig): AuditLayout {
  const { field, value } = config.cluster;
  return {
    streamFilter: config.streamFilter,
    time: config.time,
    timeSkewMs: config.timeSkewMinutes * 60_000,
    cluster: value !== undefined ? { value } : { field: field ?? 'cluster' },
  };
}

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
        /** VictoriaLogs tenant (AccountID / ProjectID headers) of callers not restricted to tenants. @default 0 / 0 */
        accountId: tenantId.default(0),
        projectId: tenantId.default(0),
        /** How audit records are stored in that tenant, and in every tenant `tenantLayouts` does not list. @default Vigil's own */
        layout: auditLayoutConfig.prefault({}),
        /**
         * VictoriaLogs tenants (the `victoriaLogs` of `tenants.<name>`) whose audit records are stored
         * another way than `layout`: one entry per AccountID/ProjectID.
         */
        tenantLayouts: z
          .array(z.object({ accountId: tenantId, projectId: tenantId.default(0), layout: auditLayoutConfig.prefault({}) }).strict())
          .default([]),
      })
      .strict()
      .superRefine((vl, ctx) => {
        const seen = new Set<string>();
        for (const [index, entry] of vl.tenantLayouts.entries()) {
          const key = `${String(entry.accountId)}/${String(entry.projectId)}`;
          if (key === `${String(vl.accountId)}/${String(vl.projectId)}`) {
            ctx.addIssue({ code: 'custom', path: ['tenantLayouts', index, 'accountId'], message: `${key} is the default tenant (accountId/projectId above): set its layout with layout` });
          } else if (seen.has(key)) {
            ctx.addIssue({ code: 'custom', path: ['tenantLayouts', index, 'accountId'], message: `${key} is listed twice` });
          }
          seen.add(key);
        }
      })
      .prefault({}),
    /** What auditPolicyCoverage expects of the records that arrive (coverage-config.ts). */
    coverage: auditCoverageConfig.prefault({}),
    /** The audit alert rules on a VictoriaLogs live tail (live-rules-config.ts). Off by default. */
    liveRules: liveRulesConfig.prefault({}),
  })
  .strict()
  .superRefine((audit, ctx) => {
    if (audit.liveRules.enabled && audit.victoriaLogs.url === undefined) {
      ctx.addIssue({ code: 'custom', path: ['liveRules', 'enabled'], message: 'needs audit.victoriaLogs.url (or env VICTORIALOGS_URL): the tail reads VictoriaLogs' });
    }
  });
export type AuditConfig = z.infer<typeof auditConfig>;

export const auditOverrides: EnvOverride[] = [{ env: 'VICTORIALOGS_URL', path: ['audit', 'victoriaLogs', 'url'] }];

/** The layout of each VictoriaLogs tenant, from the `audit.victoriaLogs` section: listed ones, else the default. */
export function layoutsOf(victoriaLogs: AuditConfig['victoriaLogs']): (tenant: { accountId: number; projectId: number }) => AuditLayout {
  const fallback = toLayout(victoriaLogs.layout);
  const listed = new Map(victoriaLogs.tenantLayouts.map((entry) => [`${String(entry.accountId)}/${String(entry.projectId)}`, toLayout(entry.layout)]));
  return (tenant) => listed.get(`${String(tenant.accountId)}/${String(tenant.projectId)}`) ?? fallback;
}
