import { z } from 'zod';

/**
 * kube-bench `--json` output (aquasecurity/kube-bench `check/controls.go`, `check/check.go` @ a73ce378):
 * an object `{ Controls: [...], Totals }`, or with `--noTotals` the bare array of Controls. One run
 * covers one node; each Controls entry is one target (master, node, etcd, controlplane, policies,
 * managedservices). Only what the normaliser reads is required; unknown keys are kept for `raw`.
 */

export const KUBE_BENCH_STATES = ['PASS', 'FAIL', 'WARN', 'INFO'] as const;
export type KubeBenchState = (typeof KUBE_BENCH_STATES)[number];

export const kubeBenchCheckSchema = z.looseObject({
  test_number: z.string().min(1, { error: 'must not be empty' }),
  test_desc: z.string(),
  status: z.enum(KUBE_BENCH_STATES),
  scored: z.boolean(),
  remediation: z.string().optional(),
  audit: z.string().optional(),
  actual_value: z.string().optional(),
  expected_result: z.string().optional(),
  // Newer kube-bench (omitempty): why a check is WARN, e.g. "Test marked as a manual test".
  reason: z.string().optional(),
  type: z.string().optional(),
});
export type KubeBenchCheck = z.infer<typeof kubeBenchCheckSchema>;

export const kubeBenchGroupSchema = z.looseObject({
  section: z.string(),
  desc: z.string(),
  results: z.array(kubeBenchCheckSchema).nullish(),
});
export type KubeBenchGroup = z.infer<typeof kubeBenchGroupSchema>;

export const kubeBenchControlsSchema = z.looseObject({
  id: z.string(),
  /** The benchmark version (`cis-1.6` → "1.6"; etcd sections carry their own, e.g. "1.15"). */
  version: z.string(),
  // Newer kube-bench (omitempty): the Kubernetes version it detected.
  detected_version: z.string().optional(),
  text: z.string(),
  node_type: z.string(),
  tests: z.array(kubeBenchGroupSchema).nullish(),
});
export type KubeBenchControls = z.infer<typeof kubeBenchControlsSchema>;

export const kubeBenchObjectSchema = z.looseObject({
  Controls: z.array(kubeBenchControlsSchema),
});
export const kubeBenchArraySchema = z.array(kubeBenchControlsSchema);

export interface KubeBenchDetails {
  kind: 'KUBE_BENCH';
  testNumber: string;
  description: string;
  status: 'FAIL' | 'WARN';
  scored: boolean;
  remediation: string | null;
  /** Why the check is WARN (e.g. a manual test), when kube-bench says. */
  reason: string | null;
  /** The check's `type`: '' for automated, `manual`, `skip`. */
  testType: string | null;
  section: { id: string; text: string };
  /** The Controls entry: id ("1"), text ("Master Node Security Configuration"). */
  controls: { id: string; text: string };
  /** master, node, etcd, controlplane, policies, managedservices. */
  nodeType: string;
  /** The benchmark version of the Controls entry, e.g. "1.6" for cis-1.6. */
  version: string;
  detectedVersion: string | null;
  actualValue: string | null;
  expectedResult: string | null;
}
