import type { Severity } from '@vigil/lib/alerts/alert';
import type { KubeObjectRef } from '../../store/security-event-store.js';
import {
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
  type Validated,
} from '../report-common.js';
import {
  kubeBenchArraySchema,
  kubeBenchObjectSchema,
  type KubeBenchCheck,
  type KubeBenchControls,
  type KubeBenchDetails,
} from './kube-bench-report.js';

/**
 * kube-bench status → Vigil severity:
 * - FAIL of a scored check → HIGH: an automated CIS recommendation the node demonstrably violates.
 * - FAIL of an unscored check → MEDIUM: CIS does not count it towards the score (often
 *   environment-dependent), so it ranks below a scored failure.
 * - WARN → LOW: kube-bench could not decide (manual test, audit command missing); someone should look.
 * PASS and INFO produce no event.
 */
export function kubeBenchSeverity(status: 'FAIL' | 'WARN', scored: boolean): Severity {
  if (status === 'WARN') return 'LOW';
  return scored ? 'HIGH' : 'MEDIUM';
}

export interface KubeBenchContext extends ReportContext {
  /** The node the run was on (the caller reads it from the ConfigMap's label or name). */
  node: string;
  /** The ConfigMap the JSON was read from, kept in each event's `raw` for lineage. */
  configMap?: ReportRef;
}

/**
 * kube-bench JSON (object form or `--noTotals` array) → one event per check with status FAIL or
 * WARN (category BENCHMARK), about the Node (`resource` kind Node, cluster-scoped, and `hostname`,
 * which is how Host.securityEvents finds it). PASS and INFO contribute only their keys. No time in the
 * output: events take `observedAt`. Pure.
 *
 * Dedup key: `kube-bench/<cluster>/<node>/<test_number>`. Test numbers are unique within a benchmark
 * across its targets (1.x master, 2.x etcd, 4.x node ...), so one run's checks never collide.
 */
export function normaliseKubeBench(input: unknown, context: KubeBenchContext): ReportNormaliseResult {
  if (context.node.trim() === '') return { ok: false, reason: 'node must not be empty: name the node the run was on' };
  const controls = parseControls(input);
  if (!controls.ok) return controls;
  const resource: KubeObjectRef = { cluster: context.cluster, namespace: '', kind: 'Node', name: context.node };
  const occurredAt = isoMillis(context.observedAt);
  const findings = new FindingCollector();
  for (const target of controls.data) {
    for (const group of target.tests ?? []) {
      for (const check of group.results ?? []) {
        const key = dedupKey(['kube-bench', context.cluster, context.node, check.test_number]);
        const status = check.status;
        if (status === 'PASS' || status === 'INFO') {
          findings.addKey(key);
          continue;
        }
        const details: KubeBenchDetails = {
          kind: 'KUBE_BENCH',
          testNumber: check.test_number,
          description: check.test_desc,
          status,
          scored: check.scored,
          remediation: nonEmpty(check.remediation),
          reason: nonEmpty(check.reason),
          testType: nonEmpty(check.type),
          section: { id: group.section, text: group.desc },
          controls: { id: target.id, text: target.text },
          nodeType: target.node_type,
          version: target.version,
          detectedVersion: nonEmpty(target.detected_version),
          actualValue: nonEmpty(check.actual_value),
          expectedResult: nonEmpty(check.expected_result),
        };
        const raw: FindingRaw<KubeBenchCheck> = { report: context.configMap ?? null, record: check };
        findings.addEvent({
          dedupKey: key,
          source: 'KUBE_BENCH',
          category: 'BENCHMARK',
          severity: kubeBenchSeverity(status, check.scored),
          eventType: check.test_number,
          title: `${check.test_number} ${check.test_desc}`,
          cluster: context.cluster,
          resource,
          hostname: context.node,
          occurredAt,
          details,
          raw,
        });
      }
    }
  }
  return findings.result();
}

function parseControls(input: unknown): Validated<KubeBenchControls[]> {
  if (Array.isArray(input)) return validate(kubeBenchArraySchema, input);
  if (typeof input === 'object' && input !== null) {
    const parsed = validate(kubeBenchObjectSchema, input);
    return parsed.ok ? { ok: true, data: parsed.data.Controls } : parsed;
  }
  return { ok: false, reason: `the report must be kube-bench JSON (an object with Controls, or the --noTotals array), got ${describeValue(input)}` };
}
