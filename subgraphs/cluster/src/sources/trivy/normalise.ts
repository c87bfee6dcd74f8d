import type { Severity } from '@vigil/lib/alerts/alert';
import type { KubeObjectRef } from '../../store/security-event-store.js';
import {
  CLUSTER_SCOPED_KINDS,
  FindingCollector,
  dedupKey,
  describeValue,
  isoMillis,
  metaString,
  nonEmpty,
  reportRef,
  validate,
  type FindingRaw,
  type ObjectMeta,
  type ReportContext,
  type ReportNormaliseResult,
  type Validated,
} from '../report-common.js';
import {
  clusterComplianceReportSchema,
  configAuditReportSchema,
  vulnerabilityReportSchema,
  type ComplianceControlResult,
  type ComplianceSummaryControl,
  type TrivyCheck,
  type TrivyComplianceDetails,
  type TrivyConfigAuditDetails,
  type TrivySeverity,
  type TrivyVulnerability,
  type TrivyVulnerabilityDetails,
} from './trivy-report.js';

/**
 * Trivy severity → Vigil severity. The four named levels map one to one; UNKNOWN (no vendor or NVD
 * score yet) is INFO: it is not evidence of risk, and ranking it above LOW would page on noise.
 */
export const TRIVY_SEVERITY: Readonly<Record<TrivySeverity, Severity>> = {
  CRITICAL: 'CRITICAL',
  HIGH: 'HIGH',
  MEDIUM: 'MEDIUM',
  LOW: 'LOW',
  UNKNOWN: 'INFO',
};

/** Labels trivy-operator puts on every report (`pkg/kube/object.go`): the scanned workload and container. */
export const TRIVY_LABELS = {
  kind: 'trivy-operator.resource.kind',
  name: 'trivy-operator.resource.name',
  namespace: 'trivy-operator.resource.namespace',
  container: 'trivy-operator.container.name',
} as const;

export const TRIVY_REPORT_KINDS = ['VulnerabilityReport', 'ConfigAuditReport', 'ClusterComplianceReport'] as const;

/** Any of the three Trivy Operator reports, told apart by `kind`. */
export function normaliseTrivyReport(input: unknown, context: ReportContext): ReportNormaliseResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, reason: `the report must be an object, got ${describeValue(input)}` };
  }
  const kind: unknown = (input as { kind?: unknown }).kind;
  switch (kind) {
    case 'VulnerabilityReport':
      return normaliseVulnerabilityReport(input, context);
    case 'ConfigAuditReport':
      return normaliseConfigAuditReport(input, context);
    case 'ClusterComplianceReport':
      return normaliseClusterComplianceReport(input, context);
    default:
      return {
        ok: false,
        reason: kind === undefined ? 'kind is required' : `kind must be one of ${TRIVY_REPORT_KINDS.join(', ')}, got ${describeValue(kind)}`,
      };
  }
}

/**
 * A VulnerabilityReport → one event per vulnerability ID (category VULNERABILITY), about the workload
 * the report's labels name. Pure.
 *
 * Dedup key: `trivy/<cluster>/<namespace>/<kind>/<name>/<container>/<vulnerabilityID>` (container ''
 * when the report names none). The container is in the key because trivy-operator writes one report
 * per container: without it, a CVE in both the app and its sidecar would be one key fed by two
 * reports, counted twice per scan and resolved by one report while the other still has it.
 * Several records with the same ID (one per affected package) are one finding: the most severe
 * record speaks for it and `details.packages` lists them all.
 */
export function normaliseVulnerabilityReport(input: unknown, context: ReportContext): ReportNormaliseResult {
  const parsed = validate(vulnerabilityReportSchema, input);
  if (!parsed.ok) return parsed;
  const report = parsed.data;
  const workload = workloadOf(report.metadata, context.cluster);
  if (!workload.ok) return workload;
  const resource = workload.data;
  const container = metaString(report.metadata.labels, TRIVY_LABELS.container);
  const occurredAt = reportTime(report.report.updateTimestamp, report.metadata, context);
  const ref = reportRef(report);
  const { artifact, registry, os, scanner } = report.report;
  const image = {
    registry: nonEmpty(registry?.server),
    repository: artifact.repository,
    tag: nonEmpty(artifact.tag),
    digest: nonEmpty(artifact.digest),
  };
  const osFamily = nonEmpty(os?.family);
  const imageOs = osFamily === null ? null : { family: osFamily, name: nonEmpty(os?.name), eosl: os?.eosl ?? null };

  const byId = new Map<string, TrivyVulnerability[]>();
  for (const v of report.report.vulnerabilities) {
    const records = byId.get(v.vulnerabilityID);
    if (records) records.push(v);
    else byId.set(v.vulnerabilityID, [v]);
  }

  const findings = new FindingCollector();
  for (const [vulnerabilityId, records] of byId) {
    const primary = mostSevere(records);
    const details: TrivyVulnerabilityDetails = {
      kind: 'TRIVY_VULNERABILITY',
      vulnerabilityId,
      pkgName: primary.resource,
      installedVersion: primary.installedVersion,
      fixedVersion: nonEmpty(primary.fixedVersion),
      title: nonEmpty(primary.title),
      primaryLink: nonEmpty(primary.primaryLink),
      score: primary.score ?? null,
      trivySeverity: primary.severity,
      links: primary.links ?? [],
      publishedDate: nonEmpty(primary.publishedDate),
      lastModifiedDate: nonEmpty(primary.lastModifiedDate),
      packages: records.map((r) => ({
        pkgName: r.resource,
        installedVersion: r.installedVersion,
        fixedVersion: nonEmpty(r.fixedVersion),
        severity: r.severity,
        target: nonEmpty(r.target),
        pkgPath: nonEmpty(r.pkgPath),
      })),
      image,
      container,
      os: imageOs,
      scanner: { name: nonEmpty(scanner?.name?.trim()), version: nonEmpty(scanner?.version) },
    };
    const raw: FindingRaw<TrivyVulnerability[]> = { report: ref, record: records };
    const title = nonEmpty(primary.title);
    findings.addEvent({
      dedupKey: dedupKey(['trivy', context.cluster, resource.namespace, resource.kind, resource.name, container ?? '', vulnerabilityId]),
      source: 'TRIVY',
      category: 'VULNERABILITY',
      severity: TRIVY_SEVERITY[primary.severity],
      eventType: vulnerabilityId,
      title: `${vulnerabilityId} in ${primary.resource} ${primary.installedVersion}${title === null ? '' : `: ${title}`}`,
      cluster: context.cluster,
      resource,
      hostname: null,
      occurredAt,
      details,
      raw,
    });
  }
  return findings.result();
}

/**
 * A ConfigAuditReport → one event per failed check (`success: false`; category MISCONFIGURATION),
 * about the workload the labels name. Passed checks only contribute their keys. Pure.
 *
 * Dedup key: `trivy-config/<cluster>/<namespace>/<kind>/<name>/<checkID>/<scope>`, where scope is
 * `<type>:<value>` of the check's `scope` (older checks report once per container) or ''.
 */
export function normaliseConfigAuditReport(input: unknown, context: ReportContext): ReportNormaliseResult {
  const parsed = validate(configAuditReportSchema, input);
  if (!parsed.ok) return parsed;
  const report = parsed.data;
  const workload = workloadOf(report.metadata, context.cluster);
  if (!workload.ok) return workload;
  const resource = workload.data;
  const occurredAt = reportTime(report.report.updateTimestamp, report.metadata, context);
  const ref = reportRef(report);
  const scanner = report.report.scanner;

  const findings = new FindingCollector();
  for (const check of report.report.checks) {
    const key = dedupKey([
      'trivy-config',
      context.cluster,
      resource.namespace,
      resource.kind,
      resource.name,
      check.checkID,
      check.scope ? `${check.scope.type}:${check.scope.value}` : '',
    ]);
    if (check.success) {
      findings.addKey(key);
      continue;
    }
    const details: TrivyConfigAuditDetails = {
      kind: 'TRIVY_CONFIG_AUDIT',
      checkId: check.checkID,
      title: nonEmpty(check.title),
      description: nonEmpty(check.description),
      category: nonEmpty(check.category),
      trivySeverity: check.severity,
      messages: check.messages ?? [],
      remediation: nonEmpty(check.remediation),
      scope: check.scope ? { type: check.scope.type, value: check.scope.value } : null,
      scanner: { name: nonEmpty(scanner?.name?.trim()), version: nonEmpty(scanner?.version) },
    };
    const raw: FindingRaw<TrivyCheck> = { report: ref, record: check };
    findings.addEvent({
      dedupKey: key,
      source: 'TRIVY',
      category: 'MISCONFIGURATION',
      severity: TRIVY_SEVERITY[check.severity],
      eventType: check.checkID,
      title: nonEmpty(check.title) ?? nonEmpty(check.messages?.[0]) ?? check.checkID,
      cluster: context.cluster,
      resource,
      hostname: null,
      occurredAt,
      details,
      raw,
    });
  }
  return findings.result();
}

/**
 * A ClusterComplianceReport → one event per failed control, category BENCHMARK: a control of a
 * compliance framework (NSA, CIS, Pod Security Standards) is a benchmark item like a kube-bench test,
 * and the compliance subgraph reads both as framework evidence; the misconfigured objects behind it
 * are already MISCONFIGURATION events from the ConfigAuditReports. No resource (the control is about
 * the cluster); severity is the control's. Pure.
 *
 * A control fails when
 * - `reportType: all` (status.detailReport): its `status` is FAIL (manual controls carry their
 *   spec's defaultStatus there), or, without a status, any of its checks has `success: false`;
 * - `reportType: summary` (status.summaryReport): `totalFail` > 0, or it has no `totalFail` (a
 *   manual control) and its spec's defaultStatus is FAIL, so both forms agree on the same spec.
 *
 * Dedup key: `trivy-compliance/<cluster>/<report name>/<control id>`; the report name (nsa, cis,
 * ...) is unique in the cluster, unlike `spec.compliance.id` ('0001' in the NSA spec).
 */
export function normaliseClusterComplianceReport(input: unknown, context: ReportContext): ReportNormaliseResult {
  const parsed = validate(clusterComplianceReportSchema, input);
  if (!parsed.ok) return parsed;
  const report = parsed.data;
  const findings = new FindingCollector();
  const status = report.status;
  if (!status) return findings.result();
  const occurredAt = reportTime(status.updateTimestamp, report.metadata, context);
  const ref = reportRef(report);
  const reportName = report.metadata.name;
  const compliance = report.spec.compliance;
  const specById = new Map(compliance.controls.map((c) => [c.id, c]));
  const details = status.detailReport?.results ?? null;
  const summary = status.summaryReport?.controlCheck ?? null;
  const reportType = details !== null ? 'all' : 'summary';

  type Control =
    | { form: 'all'; id: string; failed: boolean; record: ComplianceControlResult }
    | { form: 'summary'; id: string; failed: boolean; record: ComplianceSummaryControl };
  const controls: Control[] =
    details !== null
      ? details.map((record) => ({ form: 'all', id: record.id, failed: detailFailed(record), record }))
      : (summary ?? []).map((record) => ({
          form: 'summary',
          id: record.id,
          failed: record.totalFail !== undefined ? record.totalFail > 0 : specById.get(record.id)?.defaultStatus === 'FAIL',
          record,
        }));

  for (const control of controls) {
    const { id, record } = control;
    const key = dedupKey(['trivy-compliance', context.cluster, reportName, id]);
    if (!control.failed) {
      findings.addKey(key);
      continue;
    }
    const spec = specById.get(id);
    const severity = record.severity ?? spec?.severity ?? 'UNKNOWN';
    const controlName = nonEmpty(record.name) ?? spec?.name ?? id;
    const checks = control.form === 'all' ? (control.record.checks ?? []) : [];
    const manual = spec ? (spec.checks ?? []).length === 0 && (spec.commands ?? []).length === 0 : false;
    const complianceDetails: TrivyComplianceDetails = {
      kind: 'TRIVY_COMPLIANCE',
      reportName,
      reportType,
      specId: compliance.id,
      specTitle: nonEmpty(compliance.title),
      specVersion: nonEmpty(compliance.version),
      controlId: id,
      controlName,
      controlDescription: (control.form === 'all' ? nonEmpty(control.record.description) : null) ?? nonEmpty(spec?.description),
      trivySeverity: severity,
      manual,
      failedChecks: checks
        .filter((c) => !c.success)
        .map((c) => ({
          checkId: c.checkID,
          target: nonEmpty(c.target),
          title: nonEmpty(c.title),
          severity: nonEmpty(c.severity),
          messages: c.messages ?? [],
        })),
      totalFail: control.form === 'summary' ? (control.record.totalFail ?? null) : null,
    };
    const raw: FindingRaw = { report: ref, record };
    findings.addEvent({
      dedupKey: key,
      source: 'TRIVY',
      category: 'BENCHMARK',
      severity: TRIVY_SEVERITY[severity],
      eventType: `${reportName}/${id}`,
      title: `${nonEmpty(compliance.title) ?? reportName} ${id}: ${controlName}`,
      cluster: context.cluster,
      resource: null,
      hostname: null,
      occurredAt,
      details: complianceDetails,
      raw,
    });
  }
  return findings.result();
}

function detailFailed(result: ComplianceControlResult): boolean {
  if (result.status !== undefined) return result.status === 'FAIL';
  return (result.checks ?? []).some((c) => !c.success);
}

/**
 * The scanned workload: the `trivy-operator.resource.*` labels (a name too long for a label value
 * is in the annotation of the same name), else the report's controller ownerReference.
 */
function workloadOf(meta: ObjectMeta, cluster: string): Validated<KubeObjectRef> {
  const owner = meta.ownerReferences?.find((o) => o.controller === true) ?? meta.ownerReferences?.[0];
  const kind = metaString(meta.labels, TRIVY_LABELS.kind) ?? nonEmpty(owner?.kind);
  const name = metaString(meta.labels, TRIVY_LABELS.name) ?? metaString(meta.annotations, TRIVY_LABELS.name) ?? nonEmpty(owner?.name);
  const missing = kind === null ? TRIVY_LABELS.kind : name === null ? TRIVY_LABELS.name : null;
  if (missing !== null || kind === null || name === null) {
    return { ok: false, reason: `metadata.labels["${missing ?? TRIVY_LABELS.kind}"] is required: the report names no scanned workload (and has no ownerReference)` };
  }
  const namespace = CLUSTER_SCOPED_KINDS.has(kind) ? '' : (metaString(meta.labels, TRIVY_LABELS.namespace) ?? nonEmpty(meta.namespace) ?? '');
  return { ok: true, data: { cluster, namespace, kind, name } };
}

function reportTime(updateTimestamp: string | undefined, meta: ObjectMeta, context: ReportContext): string {
  return isoMillis(updateTimestamp ?? meta.creationTimestamp ?? context.observedAt);
}

const RANK: Readonly<Record<TrivySeverity, number>> = { CRITICAL: 5, HIGH: 4, MEDIUM: 3, LOW: 2, UNKNOWN: 1 };

function mostSevere(records: readonly TrivyVulnerability[]): TrivyVulnerability {
  const [first, ...rest] = records;
  if (!first) throw new Error('mostSevere: no records');
  return rest.reduce((best, r) => (RANK[r.severity] > RANK[best.severity] ? r : best), first);
}
