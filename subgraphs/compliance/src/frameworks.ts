/** The frameworks Vigil scores. Closed: the GraphQL enum Framework has exactly these values. */
export const FRAMEWORKS = [
  'NIST_800_53',
  'ISO_27001',
  'CIS_KUBERNETES',
  'FEDRAMP_MODERATE',
  'CMMC_L2',
  'KUBERNETES_POLICY',
  'TRIVY_COMPLIANCE',
  'OWASP_LLM',
] as const;
export type FrameworkId = (typeof FRAMEWORKS)[number];

export function isFramework(value: string): value is FrameworkId {
  return (FRAMEWORKS as readonly string[]).includes(value);
}

/** What a result is about. */
export const SUBJECT_KINDS = ['HOST', 'NODE', 'CLUSTER', 'NAMESPACE', 'WORKLOAD'] as const;
export type SubjectKind = (typeof SUBJECT_KINDS)[number];

/** Outcome of one control for one subject, as evaluated (WAIVED is applied when read, never stored). */
export const RESULT_STATUSES = ['PASS', 'FAIL', 'NOT_APPLICABLE', 'ERROR'] as const;
export type ResultStatus = (typeof RESULT_STATUSES)[number];
