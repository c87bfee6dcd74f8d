import { MemoryDeliveryLedger, type DeliveryLedger } from '@vigil/lib/k8s-audit/delivery-ledger';
import { RedisDeliveryLedger } from '@vigil/lib/k8s-audit/redis-delivery-ledger';
import { RedisAuditRuleState } from '@vigil/lib/k8s-audit/redis-rule-state';
import { AuditRuleEvaluator } from '@vigil/lib/k8s-audit/rule-evaluator';
import { MemoryAuditRuleState, type AuditRuleState } from '@vigil/lib/k8s-audit/rule-state';
import { redactUrl } from '@vigil/lib/logger';
import { createRedis, keyPrefix, type Redis } from '@vigil/lib/redis';
import type { SharedServices } from '@vigil/lib/shared-services';
import { layoutsOf, type AuditConfig } from './config.js';
import { VictoriaLogsClient, type VictoriaLogsTenant } from './sources/victorialogs/client.js';
import { MemoryTailCheckpointStore, RedisTailCheckpointStore } from './sources/victorialogs/tail-checkpoint.js';
import { VictoriaLogsTailFollower } from './sources/victorialogs/tail-follower.js';
import { evaluateTailRecords, tailRuleState } from './sources/victorialogs/tail-rules.js';

/** Bound of the in-memory ledger (no Redis), as `cluster.audit.redelivery.maxEntries` defaults. */
const MEMORY_LEDGER_ENTRIES = 200_000;

/**
 * The webhook intake's memory, when the audit subgraph runs in the same process as the cluster
 * subgraph without Redis (the one-process stack): both feeds must claim the same rule keys and share
 * holds and silence marks. With Redis this is not needed: both use the cluster subgraph's keys.
 */
export interface WebhookRuleMemory {
  ledger: DeliveryLedger;
  ruleState: AuditRuleState;
}

export interface LiveRules {
  /** One per tailed tenant, in `audit.liveRules.tenants` order. */
  followers: VictoriaLogsTailFollower[];
  /** The failure-rate and silence rules of each follower (same order); tests call `checkSilence`. */
  evaluators: AuditRuleEvaluator[];
  start(): void;
  /** Stops the tails (each finishes and checkpoints its batch), the silence timers, then Redis. */
  stop(): Promise<void>;
}

/**
 * `audit.liveRules`: a VictoriaLogs live tail per configured tenant feeding the audit rules
 * (sources/victorialogs/tail-*.ts). Null when off. State lives where the webhook's does: in Redis under
 * the cluster subgraph's prefix (`<namespace>:cluster:audit:ledger:…`, `…:audit:fired:…`,
 * `…:audit:{silence}:…`) so that a request seen by both feeds alerts once; the tail's own checkpoint and
 * request counts under the audit subgraph's (`<namespace>:audit:audit:tail:…`).
 */
export function createLiveRules(options: {
  config: AuditConfig;
  shared: SharedServices;
  clusterName: string;
  webhook?: WebhookRuleMemory;
}): LiveRules | null {
  const { config, shared, clusterName } = options;
  const live = config.liveRules;
  const url = config.victoriaLogs.url;
  if (!live.enabled || url === undefined) return null;
  const { clock, publisher } = shared;
  const logger = shared.logger.child({ component: 'audit-live-rules' });
  const redis: Redis | null = shared.redisUrl ? createRedis(shared.redisUrl, logger, 'audit-live-rules') : null;
  const clusterPrefix = keyPrefix(shared.namespace, 'cluster');
  const auditPrefix = keyPrefix(shared.namespace, 'audit');
  const windowMs = live.redeliveryWindowSeconds * 1000;
  const ledger: DeliveryLedger = redis
    ? new RedisDeliveryLedger(redis, { prefix: clusterPrefix, windowMs, clock })
    : (options.webhook?.ledger ?? new MemoryDeliveryLedger({ windowMs, maxEntries: MEMORY_LEDGER_ENTRIES, clock }));
  const sharedState: AuditRuleState = redis
    ? new RedisAuditRuleState(redis, { prefix: clusterPrefix, clock })
    : (options.webhook?.ruleState ?? new MemoryAuditRuleState({ clock }));
  const layoutOf = layoutsOf(config.victoriaLogs);
  const root = new VictoriaLogsClient({ baseUrl: url, timeoutMs: config.victoriaLogs.timeoutMs });
  const tenants: VictoriaLogsTenant[] =
    live.tenants.length > 0 ? live.tenants : [{ accountId: config.victoriaLogs.accountId, projectId: config.victoriaLogs.projectId }];

  const evaluators: AuditRuleEvaluator[] = [];
  const followers = tenants.map((tenant) => {
    const id = `${String(tenant.accountId)}:${String(tenant.projectId)}`;
    const counts = redis ? new RedisAuditRuleState(redis, { prefix: `${auditPrefix}tail:${id}:`, clock }) : new MemoryAuditRuleState({ clock });
    const evaluator = new AuditRuleEvaluator({ state: tailRuleState(counts, sharedState), config: live.rules, publisher, clock, logger: logger.child({ tenant: id }) });
    evaluators.push(evaluator);
    const deps = { scope: `tail:${id}`, owner: `audit-tail:${id}`, ledger, rules: live.rules, evaluator, publisher };
    return new VictoriaLogsTailFollower({
      client: root.forTenant(tenant),
      layout: layoutOf(tenant),
      ownCluster: clusterName,
      checkpoints: redis ? new RedisTailCheckpointStore(redis, { prefix: auditPrefix, tenant }) : new MemoryTailCheckpointStore(),
      process: (records) => evaluateTailRecords(deps, records),
      offsetMs: live.offsetSeconds * 1000,
      refreshIntervalMs: live.refreshIntervalSeconds * 1000,
      maxCatchUpMs: live.maxCatchUpMinutes * 60_000,
      backoff: live.backoff,
      url: redactUrl(url),
      tenant: id,
      logger,
    });
  });

  return {
    followers,
    evaluators,
    start: () => {
      for (const evaluator of evaluators) evaluator.start();
      for (const follower of followers) follower.start();
      logger.info({ tenants: tenants.map((t) => `${String(t.accountId)}:${String(t.projectId)}`), url: redactUrl(url) }, 'audit live rules: tailing VictoriaLogs');
    },
    stop: async () => {
      await Promise.all(followers.map((follower) => follower.stop()));
      await Promise.all(evaluators.map((evaluator) => evaluator.stop()));
      await redis?.quit().catch(() => redis.disconnect());
    },
  };
}
