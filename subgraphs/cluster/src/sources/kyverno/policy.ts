import { z } from 'zod';
import { describeValue, validate } from '../report-common.js';

/**
 * Whether a Kyverno policy blocks (Enforce) or only reports (Audit). A policy report does not say:
 * a `fail` result reads the same for both. Only the policy object does, so the caller fetches the
 * ClusterPolicy / Policy the result names and asks here.
 */

const failureAction = z.string().refine((a) => /^(enforce|audit)$/i.test(a), { error: 'must be Enforce or Audit' });
const overridesSchema = z.array(
  z.looseObject({
    action: failureAction,
    namespaces: z.array(z.string()).nullish(),
  }),
);

export const kyvernoPolicySchema = z.looseObject({
  apiVersion: z.string().regex(/^(kyverno\.io|policies\.kyverno\.io)\//, { error: 'must be a kyverno.io or policies.kyverno.io API version' }),
  kind: z.string(),
  spec: z.looseObject({
    // kyverno.io ClusterPolicy / Policy. Lower-case values were accepted by older Kyverno.
    validationFailureAction: failureAction.optional(),
    validationFailureActionOverrides: overridesSchema.nullish(),
    rules: z
      .array(
        z.looseObject({
          name: z.string(),
          // Kyverno 1.13+: per rule, taking precedence over the deprecated policy-level fields.
          validate: z.looseObject({ failureAction: failureAction.optional(), failureActionOverrides: overridesSchema.nullish() }).nullish(),
        }),
      )
      .nullish(),
    // policies.kyverno.io ValidatingPolicy (CEL), like a ValidatingAdmissionPolicyBinding.
    validationActions: z.array(z.string()).nullish(),
  }),
});
export type KyvernoPolicy = z.infer<typeof kyvernoPolicySchema>;

const CLASSIC_KINDS = ['ClusterPolicy', 'Policy'];

export interface EnforceQuery {
  /** The rule a result names; without it, true when any validate rule would enforce. */
  rule?: string | null;
  /** The namespace of the resource, for `*Overrides` (matched with Kyverno's `*` / `?` wildcards). */
  namespace?: string;
}

/**
 * True when a failing validation blocks the request. For kyverno.io ClusterPolicy / Policy, the first
 * that applies of: the rule's `validate.failureActionOverrides` matching the namespace, the rule's
 * `validate.failureAction`, the policy's `validationFailureActionOverrides` matching the namespace,
 * the policy's `validationFailureAction`; the default is Audit (as in Kyverno). For a
 * policies.kyverno.io ValidatingPolicy: `validationActions` contains Deny.
 *
 * Overrides chosen by `namespaceSelector` are not evaluated (that needs the namespace's labels).
 * Throws an Error naming the path when `policy` is not a Kyverno policy.
 */
export function isEnforcePolicy(policy: unknown, query: EnforceQuery = {}): boolean {
  const parsed = validate(kyvernoPolicySchema, policy);
  if (!parsed.ok) throw new Error(`not a Kyverno policy: ${parsed.reason}`);
  const { apiVersion, kind, spec } = parsed.data;
  if (apiVersion.startsWith('policies.kyverno.io/')) return (spec.validationActions ?? []).includes('Deny');
  if (!CLASSIC_KINDS.includes(kind)) throw new Error(`not a Kyverno policy: kind must be ClusterPolicy or Policy for ${apiVersion}, got ${describeValue(kind)}`);

  const rules = (spec.rules ?? []).filter((r) => r.validate);
  const selected = query.rule ? rules.filter((r) => r.name === query.rule) : rules;
  const policyAction = overrideFor(spec.validationFailureActionOverrides, query.namespace) ?? spec.validationFailureAction;
  const actions = (selected.length > 0 ? selected : [null]).map(
    (rule) => overrideFor(rule?.validate?.failureActionOverrides, query.namespace) ?? rule?.validate?.failureAction ?? policyAction ?? 'Audit',
  );
  return actions.some((a) => a.toLowerCase() === 'enforce');
}

function overrideFor(overrides: { action: string; namespaces?: string[] | null | undefined }[] | null | undefined, namespace: string | undefined): string | undefined {
  if (namespace === undefined) return undefined;
  return overrides?.find((o) => (o.namespaces ?? []).some((pattern) => wildcardMatch(pattern, namespace)))?.action;
}

/** Kyverno's `wildcard.Match`: `*` any run of characters, `?` one character. */
export function wildcardMatch(pattern: string, value: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${source}$`, 's').test(value);
}
