import { z } from 'zod';
import { objectMetaSchema } from '../report-common.js';

/**
 * Policy reports as Kyverno writes them: wgpolicyk8s.io/v1alpha2 PolicyReport / ClusterPolicyReport
 * (the CRDs in test/fixtures/kyverno/crds/, kyverno @ 111e07bb), `kyverno apply --policy-report`
 * output (results name their `resources[]`, no `scope`), and openreports.io/v1alpha1 Report /
 * ClusterReport, the successor API Kyverno 1.15+ can write instead (openreports/reports-api
 * `apis/openreports.io/v1alpha1/report_types.go`: the same JSON field names for results, scope and
 * summary, plus an optional report-level `source` that results without their own inherit). Only what
 * the normaliser reads is required; unknown keys are kept for `raw`.
 */

export const KYVERNO_REPORT_TYPES = {
  'wgpolicyk8s.io/v1alpha2': ['PolicyReport', 'ClusterPolicyReport'],
  'wgpolicyk8s.io/v1beta1': ['PolicyReport', 'ClusterPolicyReport'],
  'openreports.io/v1alpha1': ['Report', 'ClusterReport'],
} as const satisfies Record<string, readonly [string, string]>;
export type KyvernoReportApiVersion = keyof typeof KYVERNO_REPORT_TYPES;
const API_VERSIONS = Object.keys(KYVERNO_REPORT_TYPES) as [KyvernoReportApiVersion, ...KyvernoReportApiVersion[]];

export const POLICY_RESULTS = ['pass', 'fail', 'warn', 'error', 'skip'] as const;
export type PolicyResultValue = (typeof POLICY_RESULTS)[number];

/** The CRD's severity enum (lower case). */
export const POLICY_SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type PolicySeverity = (typeof POLICY_SEVERITIES)[number];

/** A corev1.ObjectReference: what `scope` and `resources[]` hold. */
export const objectReferenceSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
});
export type ObjectReference = z.infer<typeof objectReferenceSchema>;

export const policyResultSchema = z.looseObject({
  policy: z.string().min(1, { error: 'must not be empty' }),
  rule: z.string().optional(),
  result: z.enum(POLICY_RESULTS),
  message: z.string().optional(),
  category: z.string().optional(),
  severity: z.enum(POLICY_SEVERITIES).optional(),
  scored: z.boolean().optional(),
  source: z.string().optional(),
  properties: z.record(z.string(), z.string()).optional(),
  timestamp: z.looseObject({ seconds: z.number().int().nonnegative(), nanos: z.number().int().nonnegative() }).optional(),
  resources: z.array(objectReferenceSchema).nullish(),
});
export type PolicyResult = z.infer<typeof policyResultSchema>;

export const policyReportSchema = z.looseObject({
  apiVersion: z.enum(API_VERSIONS),
  kind: z.string(),
  metadata: objectMetaSchema.optional(),
  scope: objectReferenceSchema.optional(),
  // openreports.io only: the producer of every result that names none.
  source: z.string().optional(),
  results: z.array(policyResultSchema).nullish(),
});
export type PolicyReport = z.infer<typeof policyReportSchema>;

/** `kubectl get ... -o yaml` of several reports. */
export const reportListSchema = z.looseObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('List'),
  items: z.array(z.unknown()),
});

export interface KyvernoPolicyDetails {
  kind: 'KYVERNO_POLICY';
  /** The policy's name; `<namespace>/<name>` for a namespaced Policy in openreports output. */
  policy: string;
  /** Null in `kyverno apply` output for ValidatingAdmissionPolicy / CEL results, which have no rule. */
  rule: string | null;
  result: 'fail' | 'warn' | 'error';
  message: string | null;
  /** The policy's `policies.kyverno.io/category` annotation, e.g. "Pod Security Standards (Baseline)". */
  category: string | null;
  /** The result's own severity, when the policy declares one. */
  severity: PolicySeverity | null;
  scored: boolean;
  properties: Record<string, string>;
  /** The producer: `kyverno`, or Kyverno's engine for newer policy types (e.g. `KyvernoValidatingPolicy`). */
  source: string | null;
  reportApiVersion: KyvernoReportApiVersion;
  reportKind: string;
}
