import type { Severity } from '@vigil/lib/alerts/alert';
import type { KubeObjectRef, NormalisedSecurityEvent } from '../../store/security-event-store.js';
import {
  CLUSTER_SCOPED_KINDS,
  FindingCollector,
  dedupKey,
  describeValue,
  isoMillis,
  nonEmpty,
  reportRef,
  validate,
  type FindingRaw,
  type ReportContext,
  type ReportRef,
  type ReportNormaliseResult,
} from '../report-common.js';
import {
  KYVERNO_REPORT_TYPES,
  policyReportSchema,
  reportListSchema,
  type KyvernoPolicyDetails,
  type ObjectReference,
  type PolicyReport,
  type PolicyResult,
  type PolicyResultValue,
  type PolicySeverity,
} from './policy-report.js';

/** A result's own severity (the policy's `policies.kyverno.io/severity`), when it has one. */
export const KYVERNO_SEVERITY: Readonly<Record<PolicySeverity, Severity>> = {
  critical: 'CRITICAL',
  high: 'HIGH',
  medium: 'MEDIUM',
  low: 'LOW',
  info: 'INFO',
};

/**
 * Severity of a result whose policy declares none, by outcome:
 * - fail → MEDIUM: a resource violates a policy someone chose to install, but nothing says how badly;
 *   the policy library's own default severity is medium.
 * - warn → LOW: the policy marks it as not scored (advisory).
 * - error → HIGH: the policy could not be evaluated at all, so whatever it guards is unchecked
 *   (and an Enforce policy that errors may fail open); that needs attention sooner than a known fail.
 * pass and skip produce no event.
 */
export const KYVERNO_RESULT_SEVERITY: Readonly<Record<'fail' | 'warn' | 'error', Severity>> = {
  fail: 'MEDIUM',
  warn: 'LOW',
  error: 'HIGH',
};

const VERB: Readonly<Record<'fail' | 'warn' | 'error', string>> = { fail: 'failed', warn: 'warned', error: 'errored' };

function isFinding(result: PolicyResultValue): result is 'fail' | 'warn' | 'error' {
  return result === 'fail' || result === 'warn' || result === 'error';
}

/**
 * A PolicyReport or ClusterPolicyReport (wgpolicyk8s.io), an openreports.io Report or ClusterReport,
 * or a `v1 List` of them → one event per result that is fail, warn or error (category POLICY),
 * and per resource when a result names several (`kyverno apply --policy-report` output). pass and
 * skip results contribute only their keys, so a rule that passes now resolves its earlier failure.
 * Pure.
 *
 * Resource: each of the result's `resources[]`, else the report's `scope`, else none (a result about
 * a `resourceSelector`). A missing namespace is taken from the report's own (PolicyReports live in the
 * namespace they report on); cluster-scoped kinds get ''.
 *
 * Dedup key: `kyverno/<cluster>/<namespace>/<kind>/<name>/<policy>/<rule>` (rule '' when absent).
 *
 * Whether the policy blocks requests (Enforce) is not in the report; see `isEnforcePolicy`.
 */
export function normaliseKyvernoReport(input: unknown, context: ReportContext): ReportNormaliseResult {
  const findings = new FindingCollector();
  if (typeof input === 'object' && input !== null && (input as { kind?: unknown }).kind === 'List') {
    const list = validate(reportListSchema, input);
    if (!list.ok) return list;
    for (const [i, item] of list.data.items.entries()) {
      const added = addReport(item, context, findings, `items[${i}]`);
      if (!added.ok) return added;
    }
    return findings.result();
  }
  const added = addReport(input, context, findings, '');
  return added.ok ? findings.result() : added;
}

function addReport(input: unknown, context: ReportContext, findings: FindingCollector, at: string): { ok: true } | { ok: false; reason: string } {
  const where = at === '' ? '' : `${at}.`;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, reason: `${at === '' ? 'the report' : at} must be an object, got ${describeValue(input)}` };
  }
  const parsed = validate(policyReportSchema, input, where);
  if (!parsed.ok) return parsed;
  const report = parsed.data;
  const kinds: readonly string[] = KYVERNO_REPORT_TYPES[report.apiVersion];
  if (!kinds.includes(report.kind)) {
    return { ok: false, reason: `${where}kind must be one of ${kinds.join(', ')} for ${report.apiVersion}, got ${describeValue(report.kind)}` };
  }
  const ref = reportRef(report);
  for (const result of report.results ?? []) {
    const targets: (KubeObjectRef | null)[] =
      result.resources && result.resources.length > 0
        ? result.resources.map((r) => kubeRef(r, report, context.cluster))
        : [report.scope ? kubeRef(report.scope, report, context.cluster) : null];
    for (const resource of targets) {
      const key = dedupKey([
        'kyverno',
        context.cluster,
        resource?.namespace ?? '',
        resource?.kind ?? '',
        resource?.name ?? '',
        result.policy,
        result.rule ?? '',
      ]);
      const outcome = result.result;
      if (!isFinding(outcome)) {
        findings.addKey(key);
        continue;
      }
      findings.addEvent(event(key, outcome, result, report, resource, ref, context));
    }
  }
  return { ok: true };
}

function event(
  key: string,
  outcome: 'fail' | 'warn' | 'error',
  result: PolicyResult,
  report: PolicyReport,
  resource: KubeObjectRef | null,
  ref: ReportRef,
  context: ReportContext,
): NormalisedSecurityEvent {
  const rule = nonEmpty(result.rule);
  const details: KyvernoPolicyDetails = {
    kind: 'KYVERNO_POLICY',
    policy: result.policy,
    rule,
    result: outcome,
    message: nonEmpty(result.message),
    category: nonEmpty(result.category),
    severity: result.severity ?? null,
    scored: result.scored ?? false,
    properties: result.properties ?? {},
    source: nonEmpty(result.source) ?? nonEmpty(report.source),
    reportApiVersion: report.apiVersion,
    reportKind: report.kind,
  };
  const raw: FindingRaw<PolicyResult> = { report: ref, record: result };
  const name = rule === null ? result.policy : `${result.policy}/${rule}`;
  return {
    dedupKey: key,
    source: 'KYVERNO',
    category: 'POLICY',
    severity: result.severity ? KYVERNO_SEVERITY[result.severity] : KYVERNO_RESULT_SEVERITY[outcome],
    eventType: name,
    title: `Policy ${result.policy}${rule === null ? '' : ` rule ${rule}`} ${VERB[outcome]}`,
    cluster: context.cluster,
    resource,
    hostname: null,
    occurredAt: resultTime(result, report, context),
    details,
    raw,
  };
}

function kubeRef(object: ObjectReference, report: PolicyReport, cluster: string): KubeObjectRef | null {
  const kind = nonEmpty(object.kind);
  const name = nonEmpty(object.name);
  if (kind === null || name === null) return null;
  const namespace = CLUSTER_SCOPED_KINDS.has(kind) ? '' : (nonEmpty(object.namespace) ?? nonEmpty(report.metadata?.namespace) ?? '');
  return { cluster, namespace, kind, name };
}

/** The result's own timestamp (protobuf Timestamp: seconds + nanos), else the report's creation, else when it was read. */
function resultTime(result: PolicyResult, report: PolicyReport, context: ReportContext): string {
  if (result.timestamp) return isoMillis(new Date(result.timestamp.seconds * 1000 + Math.floor(result.timestamp.nanos / 1e6)));
  return isoMillis(report.metadata?.creationTimestamp ?? context.observedAt);
}
