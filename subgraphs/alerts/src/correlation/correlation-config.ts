import { z } from 'zod';
import { ALERT_SOURCES, SEVERITIES } from '@vigil/lib/alerts/alert';
import { defaultConsumerName } from '@vigil/lib/alerts/consumer-name';

/**
 * Correlation rules: two kinds of alert about the same thing (the join) within a time window raise
 * one CORRELATION alert naming both. The parts are alerts, not raw events, because every source
 * already publishes its signals onto the one durable alert stream (hosts, cluster, audit live rules):
 * the engine reads that stream with its own consumer group and needs no second feed per source.
 */

/** Which alerts are one part of a rule: every given condition must hold. */
export const partMatcher = z
  .object({
    sources: z.array(z.enum(ALERT_SOURCES)).min(1).optional(),
    /** Exact `rule` values (e.g. `new-listening-port`, a Falco rule name). */
    rules: z.array(z.string().min(1)).min(1).optional(),
    minSeverity: z.enum(SEVERITIES).optional(),
    /** Kinds of a KubeObject subject (e.g. Pod); an alert without a KubeObject subject never matches. */
    subjectKinds: z.array(z.string().min(1)).min(1).optional(),
    /** Labels that must have exactly these values (e.g. `auditRule: secretReadByPerson`). */
    labels: z.record(z.string(), z.string()).optional(),
    /** Labels that must be present with any value (e.g. `falcoPriority`: the alert came from Falco). */
    hasLabels: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict()
  .refine((m) => Object.values(m).some((v) => v !== undefined), { message: 'a part needs at least one condition: an empty one matches every alert' });
export type PartMatcher = z.infer<typeof partMatcher>;

/**
 * What "the same thing" means. namespace: the same cluster and namespace of a KubeObject subject;
 * host: the same inventory host (a Host subject, or a KubeObject on a node matched to that host);
 * cluster: the same cluster; user: the same Kubernetes identity (`labels.user`).
 */
export const JOIN_KEYS = ['namespace', 'host', 'cluster', 'user'] as const;
export type JoinKey = (typeof JOIN_KEYS)[number];

export const correlationRule = z
  .object({
    /** Becomes the alert's `rule` (`correlation: <name>`), Redis keys and the log: a short, closed form. */
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes, at most 63'),
    /** Off rules are validated but not evaluated. @default true */
    enabled: z.boolean().default(true),
    /** The alert's title, before the parts' titles. */
    title: z.string().min(1).max(200),
    /** @default the more severe of the two parts */
    severity: z.enum(SEVERITIES).optional(),
    windowSeconds: z.coerce.number().int().min(1).max(86_400),
    /** sequence: `second` must happen within the window after `first`; any: either order. @default sequence */
    order: z.enum(['sequence', 'any']).default('sequence'),
    joinOn: z.enum(JOIN_KEYS),
    first: partMatcher,
    second: partMatcher,
    /** Whose subject the correlation alert takes (it decides which tenants see it). @default second */
    subjectFrom: z.enum(['first', 'second']).default('second'),
  })
  .strict();
export type CorrelationRule = z.infer<typeof correlationRule>;

/**
 * The two rules the issue asks for, shipped on: they only fire when both signals exist (audit live
 * rules plus Falco; host probes), so on a deployment without those sources they cost a stream read.
 */
export const DEFAULT_CORRELATION_RULES: readonly z.input<typeof correlationRule>[] = [
  {
    name: 'secret-read-then-critical-falco',
    title: 'A person read a secret, then a Critical Falco event fired in the same namespace',
    severity: 'CRITICAL',
    windowSeconds: 600,
    order: 'sequence',
    joinOn: 'namespace',
    first: { sources: ['AUDIT'], labels: { auditRule: 'secretReadByPerson' } },
    second: { sources: ['CLUSTER'], minSeverity: 'CRITICAL', subjectKinds: ['Pod'], hasLabels: ['falcoPriority'] },
    subjectFrom: 'second',
  },
  {
    name: 'listening-port-near-package-change',
    title: 'A host gained a listening port within 5 minutes of a package change',
    severity: 'HIGH',
    windowSeconds: 300,
    order: 'any',
    joinOn: 'host',
    first: { sources: ['HOSTS'], rules: ['packages-changed'] },
    second: { sources: ['HOSTS'], rules: ['new-listening-port'] },
    subjectFrom: 'second',
  },
];

/** The rule's name when it has one, so a config error says which rule is wrong, not only its index. */
function ruleLabel(raw: unknown, index: number): string {
  const name = typeof raw === 'object' && raw !== null && 'name' in raw && typeof raw.name === 'string' ? raw.name.slice(0, 64) : null;
  return name ? `correlation rule "${name}"` : `correlation rule #${index + 1}`;
}

/** Each rule parsed on its own, every problem reported with the rule's name, then duplicates refused. */
const ruleList = z.array(z.unknown()).transform((raws, ctx): CorrelationRule[] => {
  const rules: CorrelationRule[] = [];
  raws.forEach((raw, index) => {
    const result = correlationRule.safeParse(raw);
    if (!result.success) {
      for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', path: [index, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))], message: `${ruleLabel(raw, index)}: ${issue.message}` });
      return;
    }
    if (rules.some((r) => r.name === result.data.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `${ruleLabel(raw, index)} is defined twice` });
    rules.push(result.data);
  });
  return rules;
});

export const correlationConfig = z
  .object({
    /** Off: no consumer group is read and no rule evaluated. @default true */
    enabled: z.boolean().default(true),
    /** The rules; a list given in config replaces the defaults (list them again to keep them). */
    rules: ruleList.default(DEFAULT_CORRELATION_RULES.map((rule) => correlationRule.parse(rule))),
    /** Name of this process in the engine's consumer group: unique per replica. @default <host name>-<pid> */
    consumer: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).default(() => defaultConsumerName()),
  })
  .strict();
export type CorrelationConfig = z.infer<typeof correlationConfig>;
