import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@vigil/lib/logger';
import { startStack, type RunningStack } from '../../gateway/src/stack.js';
import { vigilConfig } from '../../gateway/src/stack-config.js';
import { startKubeApiDouble, type KubeApiDouble } from './kube-api-double.js';

const gatewayFixture = (name: string) => readFileSync(new URL(`../../gateway/test/fixtures/${name}`, import.meta.url), 'utf8');
const clusterFixture = (path: string) => readFileSync(new URL(`../../subgraphs/cluster/test/fixtures/${path}`, import.meta.url), 'utf8');

/**
 * The one-process stack with something to measure: the local machine as a probed host, one
 * Kubernetes cluster (the API server double, Trivy's VulnerabilityReport CRD installed) and the
 * webhook intakes open. For the metrics, dashboard and Prometheus tests.
 */
export interface ObservedStack {
  stack: RunningStack;
  kubeApi: KubeApiDouble;
  falcoUrl: string;
  auditUrl: string;
  /** The Falco documentation's "Terminal shell in container" (Critical) event, re-timed to now. */
  falcoEvent(): string;
  /** One real audit webhook EventList (RX-M blog, subgraphs/cluster/test/fixtures/k8s-audit/README.md). */
  auditEventList(): string;
  metricsUrl(service: 'gateway' | 'hosts' | 'cluster' | 'audit' | 'compliance' | 'alerts'): string;
  stop(): Promise<void>;
}

export async function startObservedStack(options: { logger?: ReturnType<typeof createLogger> } = {}): Promise<ObservedStack> {
  const tmp = mkdtempSync(join(tmpdir(), 'vigil-observed-'));
  const kubeApi = await startKubeApiDouble({
    crdCatalog: [JSON.parse(gatewayFixture('aquasecurity.github.io_vulnerabilityreports.json')) as Record<string, unknown>],
    installedCrds: ['vulnerabilityreports.aquasecurity.github.io'],
  });
  const kubeconfigPath = join(tmp, 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeApi.kubeconfig('observed'));
  const config = vigilConfig.parse({
    env: 'development',
    log: { level: 'silent' },
    hosts: { local: { id: 'observed-local', labels: { role: 'vigil' } } },
    cluster: { kubernetes: { kubeconfigPath, contexts: [{ context: 'observed', name: 'default' }] } },
  });
  let stack: RunningStack;
  try {
    stack = await startStack({ config, logger: options.logger ?? createLogger('test', { level: 'silent' }), signingSecret: randomBytes(32).toString('hex'), ports: 'ephemeral' });
  } catch (error) {
    await kubeApi.close();
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
  const base = (url: string) => url.replace(/\/graphql$/, '');
  return {
    stack,
    kubeApi,
    falcoUrl: `${base(stack.subgraphs.cluster.url)}/ingest/falco`,
    auditUrl: `${base(stack.subgraphs.cluster.url)}/ingest/k8s-audit`,
    falcoEvent: () => {
      const event = JSON.parse(gatewayFixture('terminal_shell_in_container.json')) as Record<string, unknown>;
      // A fresh output each time: a new security event, not a repeat of the last one.
      return JSON.stringify({ ...event, time: new Date().toISOString(), output: `${String(event['output'])} (${randomBytes(4).toString('hex')})` });
    },
    auditEventList: () => clusterFixture('k8s-audit/webhook_eventlist_pod_create.json'),
    metricsUrl: (service) => `${base(service === 'gateway' ? stack.gateway.url : stack.subgraphs[service].url)}/metrics`,
    stop: async () => {
      await stack.stop();
      await kubeApi.close();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** The value of one sample in a Prometheus text exposition (labels matched exactly), or undefined. */
export function sampleValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    const wanted = Object.entries(labels);
    if (wanted.length === Object.keys(found).length && wanted.every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}
