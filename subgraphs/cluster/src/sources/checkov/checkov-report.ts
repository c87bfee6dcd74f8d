import { z } from 'zod';

/**
 * Checkov `-o json` output (bridgecrewio/checkov `checkov/common/output/report.py` `Report.get_dict`,
 * `record.py`; see test/fixtures/checkov/output_format.md): one framework → one report object,
 * several → an array of them; nothing scanned → a bare summary object. With `--quiet` only
 * `failed_checks` is present. Only what the normaliser reads is required; unknown keys are kept.
 */

export const CHECKOV_RESULTS = ['PASSED', 'FAILED', 'SKIPPED'] as const;

export const checkovRecordSchema = z.looseObject({
  check_id: z.string().min(1, { error: 'must not be empty' }),
  bc_check_id: z.string().nullish(),
  check_name: z.string(),
  check_result: z.looseObject({ result: z.enum(CHECKOV_RESULTS) }),
  file_path: z.string(),
  file_line_range: z.tuple([z.number().int(), z.number().int()]).nullish(),
  resource: z.string(),
  check_class: z.string().nullish(),
  // Only filled when the run fetched platform metadata (API key); null or absent otherwise.
  severity: z.string().nullish(),
  guideline: z.string().nullish(),
});
export type CheckovRecord = z.infer<typeof checkovRecordSchema>;

export const checkovReportSchema = z.looseObject({
  check_type: z.string().min(1, { error: 'must not be empty' }),
  results: z.looseObject({
    passed_checks: z.array(checkovRecordSchema).nullish(),
    failed_checks: z.array(checkovRecordSchema),
    skipped_checks: z.array(checkovRecordSchema).nullish(),
  }),
  summary: z.looseObject({ checkov_version: z.string().optional() }).optional(),
});
export type CheckovReport = z.infer<typeof checkovReportSchema>;

/** What checkov prints when it scanned nothing. */
export const checkovEmptySummarySchema = z.looseObject({
  passed: z.number().int(),
  failed: z.number().refine((n) => n === 0, { error: 'must be 0: a summary without results can only stand for an empty scan' }),
  resource_count: z.number().int(),
  checkov_version: z.string().optional(),
});

export interface CheckovDetails {
  kind: 'CHECKOV';
  checkId: string;
  bcCheckId: string | null;
  checkName: string;
  /** The framework: kubernetes, helm, kustomize, terraform, dockerfile, ... */
  checkType: string;
  /** Checkov's resource id: `Kind.namespace.name` for Kubernetes, `aws_s3_bucket.x` for Terraform. */
  resource: string;
  filePath: string;
  fileLineRange: [number, number] | null;
  guideline: string | null;
  /** Checkov's own severity, as printed, when the run had one. */
  severity: string | null;
  checkClass: string | null;
  checkovVersion: string | null;
}
