import type { AlertPublisher } from '@vigil/lib/alerts/publisher';
import type { DeliveryLedger } from '@vigil/lib/k8s-audit/delivery-ledger';
import { requestRuleAlert } from '@vigil/lib/k8s-audit/rule-alerts';
import type { AuditRuleEvaluator } from '@vigil/lib/k8s-audit/rule-evaluator';
import type { AuditRuleState, RateWindow } from '@vigil/lib/k8s-audit/rule-state';
import type { AuditRulesConfig } from '@vigil/lib/k8s-audit/rules-config';
import { matchRequestRules, type RequestCounts, type RequestRuleMatch } from '@vigil/lib/k8s-audit/rules';
import type { TailRecord } from './tail-record.js';

/**
 * The audit rules (lib/src/k8s-audit) run on records read from a VictoriaLogs live tail, with the
 * same once-only guarantees as on webhook intake:
 *
 * - a record (`auditID/stage`) is evaluated once per tail: its key is claimed in the delivery ledger
 *   under the tail's own scope (`tail:<accountId>:<projectId>`), so a record read again after a
 *   restart or reconnect is dropped;
 * - a per-request rule fires once per request and rule, whichever feed sees the request first: the
 *   key `<auditID>/rule:<rule>` in scope `<cluster>` is the one the webhook intake claims (same
 *   ledger: the same Redis keys, or the same in-memory ledger in the one-process stack), so a record
 *   both delivered to the webhook and read from the tail raises one alert;
 * - the failure-rate and silence rules use the webhook's state for their holds and last-seen times
 *   (one failure-rate alert per window and cluster between both feeds; a cluster heard by either is
 *   not silent), but count requests in the tail's own buckets: a record both feeds see is counted by
 *   each feed once, never twice in one window.
 */
export interface TailRuleDeps {
  /** Scope of the tail's own record keys in the ledger, `tail:<accountId>:<projectId>`. */
  scope: string;
  /** Claims under a stable owner: a tail restarted after a crash takes its own unfinished claims back. */
  owner: string;
  ledger: DeliveryLedger;
  rules: AuditRulesConfig;
  evaluator: Pick<AuditRuleEvaluator, 'observe'>;
  publisher: Pick<AlertPublisher, 'raise'>;
}

export interface TailBatchResult {
  /** Records evaluated now. */
  fresh: number;
  /** Records evaluated before (a restart re-read them) or being evaluated elsewhere. */
  repeats: number;
  alerts: number;
}

/** The failure-rate state of a tail: its own counts, the webhook's holds and silence marks. */
export function tailRuleState(counts: AuditRuleState, shared: AuditRuleState): AuditRuleState {
  return {
    addRequestCounts: (cluster: string, bucket: number, c: RequestCounts, window: RateWindow) => counts.addRequestCounts(cluster, bucket, c, window),
    claimFiring: (cluster, rule, holdMs) => shared.claimFiring(cluster, rule, holdMs),
    releaseFiring: (cluster, rule) => shared.releaseFiring(cluster, rule),
    heardFrom: (cluster, atMs) => shared.heardFrom(cluster, atMs),
    markSilent: (cutoffMs) => shared.markSilent(cutoffMs),
    setSilenceMark: (cluster, lastSeenMs) => shared.setSilenceMark(cluster, lastSeenMs),
  };
}

/**
 * Evaluates one batch of tail records, in order. Throws when the ledger, the rule state or the alert
 * log fails; what was done stays done in the ledger (raised alerts, evaluated records) and the rest is
 * released, so the caller re-reads the batch (from its checkpoint) and repeats nothing.
 */
export async function evaluateTailRecords(deps: TailRuleDeps, records: readonly TailRecord[]): Promise<TailBatchResult> {
  const result: TailBatchResult = { fresh: 0, repeats: 0, alerts: 0 };
  const distinct = [...new Map(records.map((record) => [record.key, record])).values()];
  result.repeats += records.length - distinct.length;
  if (distinct.length === 0) return result;

  const claims = await deps.ledger.claim(
    deps.scope,
    distinct.map((record) => record.key),
    deps.owner,
  );
  const fresh = distinct.filter((_, i) => claims[i]?.state === 'claimed');
  result.repeats += distinct.length - fresh.length;
  result.fresh = fresh.length;
  const done = new Set<string>();
  try {
    result.alerts += await fireRequestRules(deps, fresh);
    // One observe per cluster and second of event time: the rate window counts each record at its own time.
    const groups = new Map<string, { cluster: string; atMs: number; records: TailRecord[] }>();
    for (const record of fresh) {
      const atMs = Math.floor(record.eventTimeMs / 1000) * 1000;
      const id = `${record.cluster}\u0000${String(atMs)}`;
      const group = groups.get(id) ?? { cluster: record.cluster, atMs, records: [] };
      group.records.push(record);
      groups.set(id, group);
    }
    for (const group of groups.values()) {
      result.alerts += await deps.evaluator.observe(
        group.cluster,
        group.records.map((record) => record.details),
        group.atMs,
      );
      for (const record of group.records) done.add(record.key);
    }
  } finally {
    await deps.ledger.settle(deps.scope, {
      done: [...done],
      recorded: [],
      released: fresh.map((record) => record.key).filter((key) => !done.has(key)),
    });
  }
  return result;
}

/** Raises the per-request rules' alerts, once per request and rule between every feed (see above). */
async function fireRequestRules(deps: TailRuleDeps, records: readonly TailRecord[]): Promise<number> {
  const byCluster = new Map<string, { record: TailRecord; match: RequestRuleMatch }[]>();
  for (const record of records) {
    for (const match of matchRequestRules({ cluster: record.cluster, details: record.details }, deps.rules)) {
      const list = byCluster.get(record.cluster) ?? [];
      list.push({ record, match });
      byCluster.set(record.cluster, list);
    }
  }
  let raised = 0;
  for (const [cluster, matches] of byCluster) {
    const keys = [...new Set(matches.map(({ match }) => match.onceKey))];
    const claims = await deps.ledger.claim(cluster, keys, deps.owner);
    // done: fired already (by the webhook, or before a restart); busy: the webhook is firing it right now.
    const claimed = new Set(keys.filter((_, i) => claims[i]?.state === 'claimed'));
    const fired = new Set<string>();
    try {
      for (const { record, match } of matches) {
        if (!claimed.has(match.onceKey) || fired.has(match.onceKey)) continue;
        // No stored security event here (the cluster subgraph's store is the webhook's): no count labels.
        await deps.publisher.raise(requestRuleAlert(match, { cluster, details: record.details }, null));
        fired.add(match.onceKey);
        raised += 1;
      }
    } finally {
      await deps.ledger.settle(cluster, { done: [...fired], recorded: [], released: [...claimed].filter((key) => !fired.has(key)) });
    }
  }
  return raised;
}
