import type { Severity } from '@vigil/lib/alerts/alert';
import type { KubeObjectRef, NormalisedSecurityEvent } from '../../store/security-event-store.js';
import {
  CLUSTER_SCOPED_KINDS,
  FindingCollector,
  dedupKey,
  describeValue,
  isoMillis,
  nonEmpty,
  validate,
  type FindingRaw,
  type ReportContext,
  type ReportNormaliseResult,
  type ReportRef,
} from '../report-common.js';
import { checkovEmptySummarySchema, checkovReportSchema, type CheckovDetails, type CheckovRecord, type CheckovReport } from './checkov-report.js';

/**
 * Checkov severity → Vigil severity, when the record has one (checkov's `Severities`: CRITICAL, HIGH,
 * MEDIUM, LOW, INFO, and NONE for "unrated", here INFO). Case-insensitive.
 */
export const CHECKOV_SEVERITY: Readonly<Record<string, Severity>> = {
  CRITICAL: 'CRITICAL',
  HIGH: 'HIGH',
  MEDIUM: 'MEDIUM',
  LOW: 'LOW',
  INFO: 'INFO',
  NONE: 'INFO',
};

/**
 * Without a severity (the usual case: checkov only has one when it fetched platform metadata with an
 * API key), and for a name it does not know, a failed check is MEDIUM: a policy-as-code violation
 * someone chose to scan for, with no rating saying it is worse or milder.
 */
export const CHECKOV_DEFAULT_SEVERITY: Severity = 'MEDIUM';

export function checkovSeverity(severity: string | null | undefined): Severity {
  return (severity ? CHECKOV_SEVERITY[severity.toUpperCase()] : undefined) ?? CHECKOV_DEFAULT_SEVERITY;
}

/** Frameworks whose resource ids are Kubernetes objects (`kubernetes_utils.get_resource_id`). */
export const CHECKOV_KUBERNETES_FRAMEWORKS: ReadonlySet<string> = new Set(['kubernetes', 'helm', 'kustomize']);

export interface CheckovContext extends ReportContext {
  /** The ConfigMap the JSON was read from, kept in each event's `raw` for lineage. */
  configMap?: ReportRef;
}

/**
 * Checkov JSON (a report object, the multi-framework array, or the empty-scan summary) → one event
 * per failed check (category MISCONFIGURATION). Passed and skipped checks contribute only their keys.
 * No time in the output: events take `observedAt`. Pure.
 *
 * Resource: for the Kubernetes frameworks, the object parsed from Checkov's `Kind.namespace.name`;
 * otherwise none (the Terraform address or Dockerfile stays in `details.resource`).
 *
 * Dedup key: `checkov/<cluster>/<checkId>/<resource>` for the Kubernetes frameworks, where the
 * resource id names one object in a namespace. For the others `/<file_path>` is appended: a
 * Terraform address (`aws_s3_bucket.this`) is only unique within one root module, and a repository
 * commonly has many, which would otherwise share one finding.
 */
export function normaliseCheckov(input: unknown, context: CheckovContext): ReportNormaliseResult {
  const findings = new FindingCollector();
  if (Array.isArray(input)) {
    for (const [i, item] of input.entries()) {
      const added = addReport(item, context, findings, `[${i}]`);
      if (!added.ok) return added;
    }
    return findings.result();
  }
  const added = addReport(input, context, findings, '');
  return added.ok ? findings.result() : added;
}

function addReport(input: unknown, context: CheckovContext, findings: FindingCollector, at: string): { ok: true } | { ok: false; reason: string } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, reason: `${at === '' ? 'the report' : at} must be a Checkov report object, got ${describeValue(input)}` };
  }
  if (!('check_type' in input) && 'resource_count' in input) {
    const empty = validate(checkovEmptySummarySchema, input, at);
    return empty.ok ? { ok: true } : empty;
  }
  const parsed = validate(checkovReportSchema, input, at === '' ? '' : `${at}.`);
  if (!parsed.ok) return parsed;
  const report = parsed.data;
  const { passed_checks, failed_checks, skipped_checks } = report.results;
  for (const record of [...(passed_checks ?? []), ...(skipped_checks ?? [])]) findings.addKey(keyOf(record, report, context));
  for (const record of failed_checks) findings.addEvent(event(record, report, context));
  return { ok: true };
}

function keyOf(record: CheckovRecord, report: CheckovReport, context: CheckovContext): string {
  const segments = ['checkov', context.cluster, record.check_id, record.resource];
  if (!CHECKOV_KUBERNETES_FRAMEWORKS.has(report.check_type)) segments.push(record.file_path);
  return dedupKey(segments);
}

function event(record: CheckovRecord, report: CheckovReport, context: CheckovContext): NormalisedSecurityEvent {
  const details: CheckovDetails = {
    kind: 'CHECKOV',
    checkId: record.check_id,
    bcCheckId: nonEmpty(record.bc_check_id),
    checkName: record.check_name,
    checkType: report.check_type,
    resource: record.resource,
    filePath: record.file_path,
    fileLineRange: record.file_line_range ?? null,
    guideline: nonEmpty(record.guideline),
    severity: nonEmpty(record.severity),
    checkClass: nonEmpty(record.check_class),
    checkovVersion: nonEmpty(report.summary?.checkov_version),
  };
  const raw: FindingRaw<CheckovRecord> = { report: context.configMap ?? null, record };
  return {
    dedupKey: keyOf(record, report, context),
    source: 'CHECKOV',
    category: 'MISCONFIGURATION',
    severity: checkovSeverity(record.severity),
    eventType: record.check_id,
    title: record.check_name,
    cluster: context.cluster,
    resource: CHECKOV_KUBERNETES_FRAMEWORKS.has(report.check_type) ? parseCheckovKubernetesResource(record.resource, context.cluster) : null,
    hostname: null,
    occurredAt: isoMillis(context.observedAt),
    details,
    raw,
  };
}

// Kind has no dots and a namespace is a DNS label (no dots); the name may have dots (DNS subdomain).
const K8S_RESOURCE_ID = /^([A-Z][A-Za-z0-9]*)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.(.+)$/;

/**
 * Checkov's Kubernetes resource id `Kind.namespace.name` → a KubeObject reference; null when it is
 * not of that form. Checkov writes `default` for any object without a namespace, including
 * cluster-scoped ones, so those get ''.
 */
export function parseCheckovKubernetesResource(resource: string, cluster: string): KubeObjectRef | null {
  const match = K8S_RESOURCE_ID.exec(resource);
  if (!match?.[1] || !match[2] || !match[4]) return null;
  const kind = match[1];
  return { cluster, namespace: CLUSTER_SCOPED_KINDS.has(kind) ? '' : match[2], kind, name: match[4] };
}
