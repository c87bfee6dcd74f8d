import { z } from 'zod';
import { AUDIT_LEVELS } from './sources/victorialogs/logsql.js';

/**
 * `audit.coverage`: what `auditPolicyCoverage` expects of the audit records that arrive — evidence for
 * NIST 800-53 AU-2 (the events to be logged are decided) and AU-12 (records are generated for them).
 *
 * The defaults are the expectations of Vigil's own audit policy
 * (deploy/integrations/kube-apiserver/audit-policy.yaml), which follow the Kubernetes guidance:
 * - secrets and configmaps at Metadata, *never above*: a Request or RequestResponse record carries the
 *   object's data (secret values, tokens) into the audit trail; the level is flagged when too high as
 *   when too low. Both are read all day by the control plane, so no record at all in a day means the
 *   policy drops them (level None).
 * - RBAC writes at Request or more: the request body holds the roleRef and subjects, so the trail shows
 *   who was granted what; at Metadata it shows only that a binding changed. Rare, so none is no finding.
 * - exec, attach and port-forward into pods at Metadata or more (the command is in the request URI).
 * - everything else at Metadata or more, and some of it every day.
 * Groups are matched in order, first match wins, as in an audit policy; records no group matches are
 * the group `other`.
 */

const level = z.enum(AUDIT_LEVELS);
const LOWER_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const resourceName = z
  .string()
  .refine((spec) => {
    const [resource = '', subresource, ...rest] = spec.split('/');
    const part = (name: string) => name === '*' || LOWER_NAME.test(name);
    return rest.length === 0 && part(resource) && (subresource === undefined || part(subresource));
  }, 'a resource as an audit policy writes it: secrets, pods/exec, pods/*, *, */scale');

const resourceRule = z
  .object({
    /** The API group: "" the core group (pods, secrets, configmaps), "*" any group. */
    group: z.string().refine((group) => group === '' || group === '*' || LOWER_NAME.test(group), 'an API group, "" (core) or "*"'),
    resources: z.array(resourceName).min(1).max(100),
  })
  .strict();

export const coverageExpectation = {
  /** Records below this level are a finding (LEVEL_BELOW_MINIMUM). @default Metadata */
  minimumLevel: level.default('Metadata'),
  /** Records above this level are a finding (LEVEL_ABOVE_MAXIMUM); unset: no maximum. */
  maximumLevel: level.optional(),
  /** A cluster that sent records, but none of this group, in the range is a finding (GROUP_NOT_RECORDED). */
  expectEvents: z.boolean().default(false),
};

const coverageGroup = z
  .object({
    name: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a lower-case name such as rbac-writes'),
    /** One line saying what the group is, shown with the expectations. */
    description: z.string().max(500).optional(),
    resources: z.array(resourceRule).min(1).max(50),
    /** Only these verbs; unset: every verb. */
    verbs: z.array(z.string().regex(/^[a-z]{1,64}$/, 'a lower-case API verb')).min(1).max(20).optional(),
    ...coverageExpectation,
  })
  .strict();

export type AuditCoverageGroup = z.infer<typeof coverageGroup>;
type AuditLevelName = (typeof AUDIT_LEVELS)[number];

/** The name of the records no configured group matches. */
export const OTHER_GROUP = 'other';

export const DEFAULT_COVERAGE_GROUPS: AuditCoverageGroup[] = [
  {
    name: 'secrets',
    description: 'Secrets (core group)',
    resources: [{ group: '', resources: ['secrets'] }],
    minimumLevel: 'Metadata',
    maximumLevel: 'Metadata',
    expectEvents: true,
  },
  {
    name: 'rbac-writes',
    description: 'create, update, patch, delete or deletecollection of Roles, RoleBindings, ClusterRoles, ClusterRoleBindings',
    resources: [{ group: 'rbac.authorization.k8s.io', resources: ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'] }],
    verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'],
    minimumLevel: 'Request',
    expectEvents: false,
  },
  {
    name: 'pods-exec',
    description: 'exec, attach and port-forward into pods',
    resources: [{ group: '', resources: ['pods/exec', 'pods/attach', 'pods/portforward'] }],
    minimumLevel: 'Metadata',
    expectEvents: false,
  },
  {
    name: 'configmaps',
    description: 'ConfigMaps (core group)',
    resources: [{ group: '', resources: ['configmaps'] }],
    minimumLevel: 'Metadata',
    maximumLevel: 'Metadata',
    expectEvents: true,
  },
];

const LEVEL_RANK: Record<AuditLevelName, number> = { Metadata: 1, Request: 2, RequestResponse: 3 };
export const levelRank = (name: AuditLevelName): number => LEVEL_RANK[name];

export const auditCoverageConfig = z
  .object({
    /**
     * Clusters that must send audit records: one that sent none in the range is a finding (NO_EVENTS).
     * Callers restricted to tenants expect their tenants' clusters instead.
     * @default the deployment's own cluster (cluster.name)
     */
    expectedClusters: z.array(z.string().min(1).max(253)).max(1000).optional(),
    /** Range of auditPolicyCoverage when `from` is not given, ending at `to` (now). @default 24 */
    windowHours: z.coerce.number().int().min(1).max(24 * 366).default(24),
    /** @default secrets, rbac-writes, pods-exec, configmaps (see above) */
    groups: z.array(coverageGroup).max(49).default(DEFAULT_COVERAGE_GROUPS),
    /** Everything no group matches. @default Metadata or more, expected */
    other: z
      .object({ ...coverageExpectation, expectEvents: z.boolean().default(true) })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    const names = new Set<string>();
    for (const [index, group] of config.groups.entries()) {
      if (group.name === OTHER_GROUP || names.has(group.name)) {
        ctx.addIssue({ code: 'custom', path: ['groups', index, 'name'], message: `must be unique and not "${OTHER_GROUP}"` });
      }
      names.add(group.name);
    }
    for (const [path, expectation] of [...config.groups.map((g, i) => [['groups', i], g] as const), [['other'], config.other] as const]) {
      if (expectation.maximumLevel !== undefined && levelRank(expectation.maximumLevel) < levelRank(expectation.minimumLevel)) {
        ctx.addIssue({ code: 'custom', path: [...path, 'maximumLevel'], message: 'must not be below minimumLevel' });
      }
    }
  });

export type AuditCoverageConfig = z.infer<typeof auditCoverageConfig>;

/** The configuration in effect when none is given (tests, the embedded stack). */
export const DEFAULT_COVERAGE_CONFIG: AuditCoverageConfig = auditCoverageConfig.parse({});
