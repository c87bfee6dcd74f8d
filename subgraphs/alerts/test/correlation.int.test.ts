import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@vigil/lib/logger';
import type { Alert, NewAlert } from '@vigil/lib/alerts/alert';
import { compareAlertIds } from '@vigil/lib/alerts/alert';
import { AlertPublisher } from '@vigil/lib/alerts/publisher';
import { RedisAlertLog } from '@vigil/lib/alerts/redis-alert-log';
import { systemClock } from '@vigil/lib/clock';
import { createRedis, type Redis } from '@vigil/lib/redis';
import { startRedisServer, type RedisServer } from '../../../test/support/redis-server.js';
import { correlationConfig, type CorrelationRule } from '../src/correlation/correlation-config.js';
import { CORRELATION_GROUP, CorrelationEngine, FIRST_PART_LABEL, PAIR_LABEL, SECOND_PART_LABEL, correlationAlert } from '../src/correlation/correlation-engine.js';
import { RedisCorrelationState } from '../src/correlation/correlation-state.js';

/**
 * The correlation engine against a real redis-server: the alert log is the Redis Stream every source
 * publishes to, and the engine's position, window and pair keys live beside it, as in production.
 * A "restart" is a new engine and a new state client over the same keys.
 */

const logger = createLogger('test', { level: 'silent' });
let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

// The shipped rules, as the config parses them by default.
const rules = correlationConfig.parse({}).rules;
const secretRule = rules.find((r) => r.name === 'secret-read-then-critical-falco') as CorrelationRule;

// Event times are fixed instants: the window is measured between the parts' own times, not against today.
const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

function secretRead(namespace: string, minutes: number, user = 'alice@example.com'): NewAlert {
  return {
    source: 'AUDIT',
    severity: 'HIGH',
    title: `Secret read by a person: ${user} get secrets/${namespace}/db`,
    rule: 'k8s-audit: Secret read by a person',
    subject: { type: 'KubeObject', cluster: 'prod', namespace, kind: 'Secret', name: 'db', displayName: `${namespace}/db` },
    occurredAt: at(minutes),
    labels: { cluster: 'prod', auditRule: 'secretReadByPerson', user, verb: 'get' },
  };
}

function falco(namespace: string, minutes: number, severity: NewAlert['severity'] = 'CRITICAL'): NewAlert {
  return {
    source: 'CLUSTER',
    severity,
    title: `Falco: Terminal shell in container in ${namespace}/api-0`,
    rule: 'Terminal shell in container',
    subject: { type: 'KubeObject', cluster: 'prod', namespace, kind: 'Pod', name: 'api-0', displayName: `${namespace}/api-0` },
    occurredAt: at(minutes),
    labels: { cluster: 'prod', falcoPriority: severity === 'CRITICAL' ? 'Critical' : 'Warning', securityEventId: 'e1', count: '1' },
  };
}

function hostAlert(rule: 'packages-changed' | 'new-listening-port', hostId: string, minutes: number): NewAlert {
  return { source: 'HOSTS', severity: rule === 'packages-changed' ? 'INFO' : 'MEDIUM', title: `${rule} on ${hostId}`, rule, subject: { type: 'Host', hostId, displayName: hostId }, occurredAt: at(minutes) };
}

interface Harness {
  log: RedisAlertLog;
  sources: AlertPublisher;
  start(options?: { consumer?: string; claimStaleMs?: number }): Promise<CorrelationEngine>;
  /** Appends and waits until the running engine has finished with it. */
  publish(...alerts: NewAlert[]): Promise<Alert[]>;
  correlations(): Promise<Alert[]>;
  redis: Redis;
  prefix: string;
}

const disposers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const dispose of disposers.splice(0).reverse()) await dispose();
});

async function harness(): Promise<Harness> {
  const prefix = `${server.uniquePrefix()}:`;
  const redis = createRedis(server.url, logger, 'test');
  const blocking = createRedis(server.url, logger, 'test-blocking');
  const log = new RedisAlertLog(redis, blocking, { prefix, maxLength: 10_000, logger, blockMs: 100 });
  const sources = new AlertPublisher(log, logger, systemClock);
  let engine: CorrelationEngine | null = null;
  disposers.push(async () => {
    await engine?.close();
    await log.close();
    redis.disconnect();
    blocking.disconnect();
  });
  const waitFor = async (id: string) => {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const done = engine?.lastAcknowledged;
      if (done && compareAlertIds(done, id) >= 0) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`the engine did not process ${id} within 15 s`);
  };
  return {
    log,
    sources,
    redis,
    prefix,
    start: async (options = {}) => {
      await engine?.close();
      // A new Redis client for the state as well: nothing survives in the process between runs.
      const state = new RedisCorrelationState(createRedis(server.url, logger, 'test-correlation'), `${prefix}correlation:`, { ownsConnection: true });
      engine = new CorrelationEngine({ log, publisher: new AlertPublisher(log, logger, systemClock), state, rules, consumer: options.consumer ?? 'correlation-1', clock: systemClock, logger, ...(options.claimStaleMs ? { claimStaleMs: options.claimStaleMs } : {}) });
      await engine.start();
      return engine;
    },
    publish: async (...alerts) => {
      const out: Alert[] = [];
      for (const alert of alerts) out.push(await sources.raise(alert));
      const last = out.at(-1);
      if (last) await waitFor(last.id);
      return out;
    },
    correlations: async () => (await log.listNewestFirst({ limit: 1000 })).filter((a) => a.source === 'CORRELATION').reverse(),
  };
}

describe('correlation rules over the alert stream (real Redis)', () => {
  it('raises one alert naming both parts for a secret read followed by a Critical Falco event in the same namespace within 10 minutes', async () => {
    const h = await harness();
    await h.start();
    const [read, shell] = await h.publish(secretRead('payments', 0), falco('payments', 9));
    const raised = await h.correlations();
    expect(raised).toHaveLength(1);
    const alert = raised[0] as Alert;
    expect(alert).toMatchObject({
      severity: 'CRITICAL',
      rule: 'correlation: secret-read-then-critical-falco',
      occurredAt: at(9),
      subject: { type: 'KubeObject', cluster: 'prod', namespace: 'payments', kind: 'Pod', name: 'api-0' },
      labels: { [FIRST_PART_LABEL]: read?.id, [SECOND_PART_LABEL]: shell?.id, correlationJoin: 'namespace prod/payments', cluster: 'prod' },
    });
    expect(alert.title).toContain(read?.title);
    expect(alert.title).toContain(shell?.title);
    expect(alert.description).toContain(`(alert ${read?.id ?? ''})`);
    expect(alert.description).toContain(`(alert ${shell?.id ?? ''})`);
  });

  it('raises nothing outside the window, in the wrong order, in another namespace or below Critical', async () => {
    const h = await harness();
    await h.start();
    await h.publish(secretRead('payments', 0), falco('payments', 10.5));
    await h.publish(falco('billing', 20), secretRead('billing', 21));
    await h.publish(secretRead('orders', 30), falco('shipping', 31));
    await h.publish(secretRead('audit', 40), falco('audit', 41, 'HIGH'));
    expect(await h.correlations()).toEqual([]);
    // The same stream still pairs what does match, so the silence above is not a dead engine.
    await h.publish(falco('payments', 10));
    expect((await h.correlations()).map((a) => a.occurredAt)).toEqual([at(10)]);
  });

  it('pairs either order for "a listening port within 5 minutes of a package change", per host', async () => {
    const h = await harness();
    await h.start();
    await h.publish(hostAlert('new-listening-port', 'web-1', 0), hostAlert('packages-changed', 'web-1', 4));
    await h.publish(hostAlert('packages-changed', 'web-2', 10), hostAlert('new-listening-port', 'web-3', 11));
    await h.publish(hostAlert('packages-changed', 'web-4', 20), hostAlert('new-listening-port', 'web-4', 26));
    const raised = await h.correlations();
    expect(raised.map((a) => [a.rule, a.subject?.type === 'Host' ? a.subject.hostId : null, a.severity])).toEqual([['correlation: listening-port-near-package-change', 'web-1', 'HIGH']]);
  });

  it('does not raise a pair twice when its parts are replayed, or after a restart mid-window', async () => {
    const h = await harness();
    const engine = await h.start();
    const [read, shell] = await h.publish(secretRead('payments', 0), falco('payments', 2));
    expect(await h.correlations()).toHaveLength(1);
    // A replay, as after a crash before the acknowledgement: the same entries processed again.
    await engine.process(read as Alert);
    await engine.process(shell as Alert);
    expect(await h.correlations()).toHaveLength(1);
    // Restarted mid-window: the first part is still remembered and pairs with a new second part,
    // but the pair already raised is not raised again.
    const restarted = await h.start();
    await restarted.process(shell as Alert);
    const [later] = await h.publish(falco('payments', 5));
    const raised = await h.correlations();
    expect(raised.map((a) => a.labels?.[PAIR_LABEL])).toEqual([`${read?.id ?? ''}/${shell?.id ?? ''}`, `${read?.id ?? ''}/${later?.id ?? ''}`]);
  });

  it('still raises the pair when the engine restarts between the first and the second part', async () => {
    const h = await harness();
    await h.start();
    const [read] = await h.publish(secretRead('payments', 0));
    await h.start();
    const [shell] = await h.publish(falco('payments', 8));
    expect((await h.correlations()).map((a) => a.labels?.[PAIR_LABEL])).toEqual([`${read?.id ?? ''}/${shell?.id ?? ''}`]);
  });

  it('loses nothing appended while it was down: the consumer position is in Redis', async () => {
    const h = await harness();
    const engine = await h.start();
    await engine.close();
    const read = await h.sources.raise(secretRead('payments', 0));
    const shell = await h.sources.raise(falco('payments', 1));
    await h.start();
    await h.publish(hostAlert('packages-changed', 'unrelated', 0));
    expect((await h.correlations()).map((a) => a.labels?.[PAIR_LABEL])).toEqual([`${read.id}/${shell.id}`]);
  });

  it('a pair claimed by a run that died before raising it is raised once; one raised but not recorded is not raised again', async () => {
    const h = await harness();
    const engine = await h.start();
    const [read, shell] = await h.publish(secretRead('payments', 0), secretRead('orders', 0));
    await engine.close();
    // Read by the next run only: the state below is what a run that died mid-pair leaves.
    const falcoPayments = await h.sources.raise(falco('payments', 1));
    const falcoOrders = await h.sources.raise(falco('orders', 1));
    const state = new RedisCorrelationState(h.redis, `${h.prefix}correlation:`, { ownsConnection: false });
    const ttl = 3_600_000;
    // Died after claiming, before raising.
    await state.claimPair(secretRule.name, `${read?.id ?? ''}/${falcoPayments.id}`, 'correlation-1', Date.now() - 120_000, ttl);
    // Died after raising, before recording it.
    await state.claimPair(secretRule.name, `${shell?.id ?? ''}/${falcoOrders.id}`, 'correlation-1', Date.now() - 120_000, ttl);
    await h.sources.raise(correlationAlert(secretRule, shell as Alert, falcoOrders, JSON.stringify(['prod', 'orders'])));
    await h.start();
    await h.publish(hostAlert('packages-changed', 'unrelated', 0));
    const pairs = (await h.correlations()).map((a) => a.labels?.[PAIR_LABEL]).sort();
    expect(pairs).toEqual([`${read?.id ?? ''}/${falcoPayments.id}`, `${shell?.id ?? ''}/${falcoOrders.id}`].sort());
  });

  it('processes an entry a dead run had read but never acknowledged, once it is idle long enough', async () => {
    const h = await harness();
    const engine = await h.start({ claimStaleMs: 500 });
    const [read] = await h.publish(secretRead('payments', 0));
    await engine.close();
    const shell = await h.sources.raise(falco('payments', 1));
    // A run reads the second part, then dies before processing it.
    expect((await h.log.groups.readNew(CORRELATION_GROUP, 'dead-run', { count: 10, blockMs: 0 })).map((e) => e.id)).toEqual([shell.id]);
    await h.start({ consumer: 'replica-2', claimStaleMs: 500 });
    const deadline = Date.now() + 10_000;
    while ((await h.correlations()).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await h.correlations()).map((a) => a.labels?.[PAIR_LABEL])).toEqual([`${read?.id ?? ''}/${shell.id}`]);
    expect(await h.log.groups.pendingCount(CORRELATION_GROUP)).toBe(0);
  });

  it("waits for a replica's fresh claim instead of trusting it, and raises the pair itself once that replica is presumed dead", async () => {
    const h = await harness();
    const engine = await h.start({ consumer: 'replica-2', claimStaleMs: 1500 });
    const [read] = await h.publish(secretRead('payments', 0));
    await engine.close();
    const shell = await h.sources.raise(falco('payments', 1));
    // replica-1 claimed the pair just now and then died without raising it.
    const state = new RedisCorrelationState(h.redis, `${h.prefix}correlation:`, { ownsConnection: false });
    await state.claimPair(secretRule.name, `${read?.id ?? ''}/${shell.id}`, 'replica-1', Date.now(), 3_600_000);
    const started = Date.now();
    await h.start({ consumer: 'replica-2', claimStaleMs: 1500 });
    await h.publish(hostAlert('packages-changed', 'unrelated', 0));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect((await h.correlations()).map((a) => a.labels?.[PAIR_LABEL])).toEqual([`${read?.id ?? ''}/${shell.id}`]);
  });
});
