import { z } from 'zod';
import { RFC3339, objectMetaSchema } from '../report-common.js';

/**
 * Trivy Operator reports (aquasecurity.github.io/v1alpha1), as the CRDs in
 * test/fixtures/trivy/crds/ define them (trivy-operator @ 1006872c). The models require only what
 * the normaliser reads: the CRDs mark more fields required than real and documented reports carry
 * (the docs' VulnerabilityReport has no `updateTimestamp` or `publishedDate`), and rejecting a scan
 * over a field nobody reads would lose its findings. Unknown keys are kept, so `raw` is as stored.
 */

export const TRIVY_API_VERSION = 'aquasecurity.github.io/v1alpha1';

/** Trivy's severity names (trivy-db `types.Severity`; the CRD enum). */
export const TRIVY_SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'] as const;
export type TrivySeverity = (typeof TRIVY_SEVERITIES)[number];

const time = z.string().regex(RFC3339, { error: 'must be an RFC 3339 time' });
const severity = z.enum(TRIVY_SEVERITIES);
const scannerSchema = z.looseObject({ name: z.string().optional(), vendor: z.string().optional(), version: z.string().optional() });

const apiVersion = z.literal(TRIVY_API_VERSION).optional();

// --- VulnerabilityReport: one per (workload, container) ---

export const trivyVulnerabilitySchema = z.looseObject({
  vulnerabilityID: z.string().min(1, { error: 'must not be empty' }),
  /** The package name. */
  resource: z.string(),
  installedVersion: z.string(),
  fixedVersion: z.string().optional(),
  severity,
  title: z.string().optional(),
  primaryLink: z.string().optional(),
  score: z.number().optional(),
  target: z.string().optional(),
  links: z.array(z.string()).nullish(),
  publishedDate: z.string().optional(),
  lastModifiedDate: z.string().optional(),
  packageType: z.string().optional(),
  pkgPath: z.string().optional(),
});
export type TrivyVulnerability = z.infer<typeof trivyVulnerabilitySchema>;

export const vulnerabilityReportSchema = z.looseObject({
  apiVersion,
  kind: z.literal('VulnerabilityReport'),
  metadata: objectMetaSchema,
  report: z.looseObject({
    updateTimestamp: time.optional(),
    artifact: z.looseObject({
      repository: z.string(),
      tag: z.string().optional(),
      digest: z.string().optional(),
    }),
    registry: z.looseObject({ server: z.string().optional() }).optional(),
    os: z.looseObject({ family: z.string().optional(), name: z.string().optional(), eosl: z.boolean().optional() }).optional(),
    scanner: scannerSchema.optional(),
    vulnerabilities: z.array(trivyVulnerabilitySchema),
  }),
});
export type VulnerabilityReport = z.infer<typeof vulnerabilityReportSchema>;

// --- ConfigAuditReport: one per workload ---

export const trivyCheckSchema = z.looseObject({
  checkID: z.string().min(1, { error: 'must not be empty' }),
  severity,
  success: z.boolean(),
  title: z.string().optional(),
  description: z.string().optional(),
  category: z.string().optional(),
  messages: z.array(z.string()).nullish(),
  remediation: z.string().optional(),
  // Older built-in (Polaris-style) checks name the container they are about.
  scope: z.looseObject({ type: z.string(), value: z.string() }).optional(),
});
export type TrivyCheck = z.infer<typeof trivyCheckSchema>;

export const configAuditReportSchema = z.looseObject({
  apiVersion,
  kind: z.literal('ConfigAuditReport'),
  metadata: objectMetaSchema,
  report: z.looseObject({
    updateTimestamp: time.optional(),
    scanner: scannerSchema.optional(),
    checks: z.array(trivyCheckSchema),
  }),
});
export type ConfigAuditReport = z.infer<typeof configAuditReportSchema>;

// --- ClusterComplianceReport: one per compliance spec (nsa, cis, pss-*), cluster-scoped ---

const complianceControlSpecSchema = z.looseObject({
  id: z.string().min(1, { error: 'must not be empty' }),
  name: z.string(),
  description: z.string().optional(),
  severity,
  defaultStatus: z.enum(['PASS', 'WARN', 'FAIL']).optional(),
  checks: z.array(z.looseObject({ id: z.string() })).nullish(),
  // Node-collector commands (CIS node checks in newer specs).
  commands: z.array(z.looseObject({ id: z.string() })).nullish(),
});

export const complianceCheckResultSchema = z.looseObject({
  checkID: z.string(),
  // '' on the placeholder check of a manual control.
  severity: z.string(),
  success: z.boolean(),
  target: z.string().optional(),
  title: z.string().optional(),
  category: z.string().optional(),
  description: z.string().optional(),
  messages: z.array(z.string()).nullish(),
  remediation: z.string().optional(),
});
export type ComplianceCheckResult = z.infer<typeof complianceCheckResultSchema>;

export const complianceControlResultSchema = z.looseObject({
  id: z.string().min(1, { error: 'must not be empty' }),
  name: z.string().optional(),
  description: z.string().optional(),
  severity: severity.optional(),
  // Set for manual controls (their spec's defaultStatus); absent when the checks decide.
  status: z.enum(['PASS', 'WARN', 'FAIL']).optional(),
  checks: z.array(complianceCheckResultSchema).nullish(),
});
export type ComplianceControlResult = z.infer<typeof complianceControlResultSchema>;

export const complianceSummaryControlSchema = z.looseObject({
  id: z.string().min(1, { error: 'must not be empty' }),
  name: z.string().optional(),
  severity: severity.optional(),
  // Absent for manual controls (trivy-operator's BuildSummary leaves it unset when the name says "Manual").
  totalFail: z.number().int().nonnegative().optional(),
});
export type ComplianceSummaryControl = z.infer<typeof complianceSummaryControlSchema>;

export const clusterComplianceReportSchema = z.looseObject({
  apiVersion,
  kind: z.literal('ClusterComplianceReport'),
  metadata: objectMetaSchema.extend({ name: z.string().min(1, { error: 'must not be empty' }) }),
  spec: z.looseObject({
    reportType: z.enum(['summary', 'all']).optional(),
    compliance: z.looseObject({
      id: z.string(),
      title: z.string().optional(),
      version: z.string().optional(),
      description: z.string().optional(),
      controls: z.array(complianceControlSpecSchema),
    }),
  }),
  // Absent until the operator has produced the first report.
  status: z
    .looseObject({
      updateTimestamp: time.optional(),
      detailReport: z.looseObject({ results: z.array(complianceControlResultSchema).nullish() }).optional(),
      summaryReport: z.looseObject({ controlCheck: z.array(complianceSummaryControlSchema).nullish() }).optional(),
    })
    .optional(),
});
export type ClusterComplianceReport = z.infer<typeof clusterComplianceReportSchema>;

// --- Typed details ---

export interface TrivyImage {
  /** `report.registry.server`, e.g. index.docker.io; null when the report names none. */
  registry: string | null;
  repository: string;
  /** Null for an image referenced by digest only. */
  tag: string | null;
  digest: string | null;
}

export interface TrivyOs {
  family: string;
  name: string | null;
  /** End of service life. */
  eosl: boolean | null;
}

export interface TrivyAffectedPackage {
  pkgName: string;
  installedVersion: string;
  fixedVersion: string | null;
  severity: TrivySeverity;
  target: string | null;
  pkgPath: string | null;
}

export interface TrivyVulnerabilityDetails {
  kind: 'TRIVY_VULNERABILITY';
  vulnerabilityId: string;
  /** The package of the most severe record for this vulnerability (the first on a tie); all are in `packages`. */
  pkgName: string;
  installedVersion: string;
  fixedVersion: string | null;
  title: string | null;
  primaryLink: string | null;
  score: number | null;
  trivySeverity: TrivySeverity;
  links: string[];
  publishedDate: string | null;
  lastModifiedDate: string | null;
  /**
   * Every package of the container's image the vulnerability affects. Trivy writes one record per
   * package (a Debian CVE often hits both `openssl` and `libssl3`); they are one finding here.
   */
  packages: TrivyAffectedPackage[];
  image: TrivyImage;
  container: string | null;
  /** The image's OS as Trivy detected it (`report.os`), for correlating with hosts' packages later. */
  os: TrivyOs | null;
  scanner: { name: string | null; version: string | null };
}

export interface TrivyConfigAuditDetails {
  kind: 'TRIVY_CONFIG_AUDIT';
  checkId: string;
  title: string | null;
  description: string | null;
  category: string | null;
  trivySeverity: TrivySeverity;
  messages: string[];
  remediation: string | null;
  /** What part of the workload the check is about, when the check says (e.g. `Container`/`nginx`). */
  scope: { type: string; value: string } | null;
  scanner: { name: string | null; version: string | null };
}

export interface TrivyComplianceFailedCheck {
  checkId: string;
  /** `<namespace>/<kind>-<name>` as Trivy prints it. */
  target: string | null;
  title: string | null;
  severity: string | null;
  messages: string[];
}

export interface TrivyComplianceDetails {
  kind: 'TRIVY_COMPLIANCE';
  /** The ClusterComplianceReport's name (e.g. `nsa`, `cis`, `k8s-pss-baseline`). */
  reportName: string;
  reportType: 'all' | 'summary';
  /** The compliance spec: `spec.compliance.id`, title and version. */
  specId: string;
  specTitle: string | null;
  specVersion: string | null;
  controlId: string;
  controlName: string;
  controlDescription: string | null;
  trivySeverity: TrivySeverity;
  /**
   * True for a control the spec gives no checks or commands (its name says "Manual"): FAIL is the spec's
   * `defaultStatus`, a reminder to verify by hand, not a measured failure.
   */
  manual: boolean;
  /** `reportType: all`: the checks that failed (empty for a manual control). */
  failedChecks: TrivyComplianceFailedCheck[];
  /** `reportType: summary`: the number of failed checks; null when the report does not count (manual). */
  totalFail: number | null;
}
