import { migrateRedisLayout } from '@vigil/lib/redis-layout-migration';
import { randomBytes } from 'node:crypto';
import type { Role } from '@vigil/lib/identity';
import { createAuthenticator } from './auth/authenticator.js';
import { AlertPublisher } from '@vigil/lib/alerts/publisher';
import { createAlertLog, createAlertStateStore } from '@vigil/lib/alerts/create-alert-log';
import { AlertLifecycle } from '@vigil/lib/alerts/alert-lifecycle';
import { registerRoutingMetrics } from '@vigil/lib/alerts/routing-metrics';
import type { BaseContext } from '@apollo/server';
import { systemClock, type Clock } from '@vigil/lib/clock';
import type { AlertLog } from '@vigil/lib/alerts/alert-log';
import type { Logger } from '@vigil/lib/logger';
import { createServiceRegistry } from '@vigil/lib/metrics';
import { createHostDirectory } from '@vigil/lib/host-directory';
import type { Registry } from 'prom-client';
import type { SharedServices } from '@vigil/lib/shared-services';
import { serveSubgraph, type RunningSubgraph, type SubgraphDefinition } from '@vigil/lib/subgraph-server';
import { startTracing } from '@vigil/lib/telemetry/tracing';
import type { SubgraphName } from '@vigil/schema/subgraphs';
import { createAlertsRuntime } from '@vigil/subgraph-alerts/runtime';
import { createAuditRuntime } from '@vigil/subgraph-audit/runtime';
import { createClusterRuntime, type ClusterRuntime } from '@vigil/subgraph-cluster/runtime';
import { SECURITY_EVENT_LAYOUT } from '@vigil/subgraph-cluster/store/security-event-keys';
import { createComplianceRuntime } from '@vigil/subgraph-compliance/runtime';
import { createHostsRuntime, type HostsRuntime } from '@vigil/subgraph-hosts/runtime';
import { FACT_STORE_LAYOUT } from '@vigil/subgraph-hosts/facts/fact-keys';
import type { ReportProbe } from '@vigil/subgraph-hosts/probe-pipeline';
import { startGateway, type GatewayOptions, type RunningGateway } from './gateway.js';
import type { VigilConfig } from './stack-config.js';

export interface StackOptions {
  config: VigilConfig;
  logger: Logger;
  signingSecret: string;
  /** 'configured': the ports in the config (npm start). 'ephemeral': port 0 everywhere (tests, benchmarks). */
  ports: 'configured' | 'ephemeral';
  host?: string;
  /** Replaces the real probe (benchmarks that need many hosts). */
  probe?: ReportProbe;
  /** The wall clock of every store and evaluator. @default systemClock */
  clock?: Clock;
  /** Benchmarks only: see GatewayOptions.subscriptionExecution. @default 'fan-out' */
  subscriptionExecution?: GatewayOptions['subscriptionExecution'];
}

export interface RunningStack {
  gateway: RunningGateway;
  subgraphs: Record<SubgraphName, RunningSubgraph>;
  alertLog: AlertLog;
  publisher: AlertPublisher;
  /** The subgraphs' registry (SharedServices.metrics), also on the gateway's /metrics. */
  metrics: Registry;
  hosts: HostsRuntime;
  cluster: ClusterRuntime;
  stop(): Promise<void>;
}

/**
 * The whole of Vigil in one process: five subgraphs and the gateway, sharing one alert log (in
 * memory unless Redis is configured). `npm start`, the end-to-end tests and the benchmarks use it.
 */
export async function startStack(options: StackOptions): Promise<RunningStack> {
  const { config, logger } = options;
  const development = config.env === 'development';
  const clock = options.clock ?? systemClock;
  // Before anything makes a Redis client or a request: one provider for the whole process.
  const tracing = await startTracing(config.tracing, { serviceName: 'vigil', logger });
  const alertLog = createAlertLog({ redisUrl: config.redis.url, namespace: config.redis.namespace, maxLength: config.alerts.maxLength, logger, clock });
  // One registry for the five subgraphs of this stack (several stacks may share a test process). No
  // process metrics on it: the gateway's registry has them (vigil_gateway_process_*), and the
  // gateway's /metrics exposes both, so one scrape sees all of Vigil without a name twice.
  const metrics = createServiceRegistry();
  const alertState = createAlertStateStore({ redisUrl: config.redis.url, namespace: config.redis.namespace, logger, clock });
  const lifecycle = new AlertLifecycle(alertLog, alertState, { clock, foldWindowMs: config.alerts.foldWindowSeconds * 1000, logger: logger.child({ component: 'alerts' }), metrics: registerRoutingMetrics(metrics) });
  const publisher = new AlertPublisher(alertLog, logger.child({ component: 'alerts' }), clock, metrics, lifecycle);
  // One directory for hosts (which publishes) and cluster (which matches Nodes against it).
  const hostDirectory = createHostDirectory({ redisUrl: config.redis.url, namespace: config.redis.namespace, logger });
  const shared = (name: string): SharedServices => ({ logger: logger.child({ subgraph: name }), publisher, redisUrl: config.redis.url, namespace: config.redis.namespace, clock, metrics, hostDirectory });

  let gatewayUrl = '';
  // Compliance reads its evidence through the gateway like any client: in one process it gets a
  // key made here (viewer, every tenant), valid only for this process's life.
  const complianceKey = config.gateway.auth.serviceApiKey ?? randomBytes(24).toString('base64url');
  const authenticator = createAuthenticator(config.gateway.auth, config.tenants, {
    development,
    clock,
    ...(config.gateway.auth.serviceApiKey ? {} : { serviceKeys: [{ name: 'compliance', key: complianceKey, roles: ['viewer'] as const satisfies Role[] }] }),
  });
  // Before any store touches Redis: keys of an older layout move to the current one.
  if (config.redis.url) await migrateRedisLayout({ redisUrl: config.redis.url, namespace: config.redis.namespace, logger, stores: [FACT_STORE_LAYOUT, SECURITY_EVENT_LAYOUT] });
  const hosts = createHostsRuntime(config.hosts, shared('hosts'), options.probe ? { probe: options.probe } : {});
  const cluster = createClusterRuntime(config.cluster, shared('cluster'));
  const serve =
    <TContext extends BaseContext>(name: SubgraphName, definition: SubgraphDefinition<TContext>, port: number) =>
    () =>
      serveSubgraph(definition, {
        port: options.ports === 'ephemeral' ? 0 : port,
        portSetting: `${name}.port (or env VIGIL_BASE_PORT)`,
        host: options.host ?? '127.0.0.1',
        signingSecret: options.signingSecret,
        development,
        logger: logger.child({ subgraph: name }),
        metrics,
        metricsToken: config.gateway.auth.metricsToken,
      });
  // Timelines read hosts, cluster and audit as the caller; their ports are known once they listen (before any request).
  let upstreamUrls: Record<'hosts' | 'cluster' | 'audit', string> = { hosts: '', cluster: '', audit: '' };
  const alerts = createAlertsRuntime(config.alerts, alertLog, lifecycle, {
    clock,
    logger: logger.child({ subgraph: 'alerts' }),
    redisUrl: config.redis.url,
    namespace: config.redis.namespace,
    metrics: registerRoutingMetrics(metrics),
    upstream: { urls: () => upstreamUrls, signingSecret: options.signingSecret },
    publisher,
  });
  const servers = [
    serve('hosts', hosts.definition, config.hosts.port),
    serve('cluster', cluster.definition, config.cluster.port),
    // The webhook's rule memory: without Redis, the audit live tail must claim the same keys (one alert per request and rule).
    serve('audit', createAuditRuntime(config.audit, shared('audit'), config.cluster.name, { webhook: cluster.auditRuleMemory }).definition, config.audit.port),
    // Compliance reads evidence through the gateway, whose port is known only once it listens.
    serve('compliance', createComplianceRuntime(config.compliance, shared('compliance'), () => gatewayUrl, complianceKey).definition, config.compliance.port),
    serve('alerts', alerts.definition, config.alerts.port),
  ];

  const started: RunningSubgraph[] = [];
  let gateway: RunningGateway;
  try {
    for (const start of servers) started.push(await start());
    const subgraphs = Object.fromEntries(started.map((s) => [s.name, s])) as Record<SubgraphName, RunningSubgraph>;
    upstreamUrls = { hosts: subgraphs.hosts.url, cluster: subgraphs.cluster.url, audit: subgraphs.audit.url };
    gateway = await startGateway({
      port: options.ports === 'ephemeral' ? 0 : config.gateway.port,
      host: options.host ?? config.gateway.host,
      subgraphUrls: Object.fromEntries(started.map((s) => [s.name, s.url])) as Record<SubgraphName, string>,
      signingSecret: options.signingSecret,
      development,
      logger: logger.child({ component: 'gateway' }),
      authenticator,
      metricsToken: config.gateway.auth.metricsToken,
      metricsRegistries: [metrics],
      protection: config.gateway,
      subscriptions: config.gateway.subscriptions,
      queryPlanner: config.gateway.queryPlanner,
      tracing: tracing.on,
      ...(options.subscriptionExecution ? { subscriptionExecution: options.subscriptionExecution } : {}),
      clock,
    });
    gatewayUrl = gateway.url;
    await hosts.start();
    await cluster.start();
    await alerts.start();
    return {
      gateway,
      subgraphs,
      alertLog,
      publisher,
      metrics,
      hosts,
      cluster,
      stop: async () => {
        await gateway.stop();
        await Promise.all(started.map((s) => s.stop()));
        await alerts.stop();
        await alertLog.close();
        await alertState.close();
        await hostDirectory.close();
        // Last: exports the spans of everything stopped above.
        await tracing.stop();
      },
    };
  } catch (error) {
    await Promise.allSettled(started.map((s) => s.stop()));
    await alerts.stop();
    await alertLog.close();
    await alertState.close();
    await hostDirectory.close();
    await tracing.stop();
    throw error;
  }
}
