import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAlertLog } from '@vigil/lib/alerts/memory-alert-log';
import { AlertPublisher } from '@vigil/lib/alerts/publisher';
import { systemClock } from '@vigil/lib/clock';
import { createLogger } from '@vigil/lib/logger';
import { clusterConfig } from '@vigil/subgraph-cluster/config';
import { PULLED_SOURCES } from '@vigil/subgraph-cluster/kube/pulled-source-specs';
import { createClusterRuntime, type ClusterRuntime } from '@vigil/subgraph-cluster/runtime';
import { startKubeApiDouble, type JsonObject, type KubeApiDouble, type RequestRecord } from './support/kube-api-double.js';
import { createServiceRegistry } from '@vigil/lib/metrics';

/**
 * The ClusterRole in deploy/kubernetes/base/rbac.yaml, held against what the cluster subgraph really
 * asks for: its runtime (the same code as in production) reads every pulled source from the
 * protocol-faithful API server double, with every tool installed, and each recorded request is turned
 * into the RBAC attributes the API server would authorise (k8s.io/apiserver RequestInfoFactory: a GET
 * of a collection is `list`, with `watch=true` it is `watch`, of a named object `get`). Every request
 * must be allowed by the role, and every permission the role grants must have been used.
 * (test/deploy-kubernetes.test.ts makes the same comparison from the source specs, without a server.)
 */

const logger = createLogger('test', { level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'vigil-rbac-'));
const rbacFile = new URL('../deploy/kubernetes/base/rbac.yaml', import.meta.url);

/** A CRD as the tool's chart installs it, built from what Vigil reads (group, version, names, scope). */
function crdFor(source: (typeof PULLED_SOURCES)[number]): JsonObject {
  const { group, version, plural, kind, namespaced } = source.resource;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      names: { plural, kind, listKind: `${kind}List`, singular: kind.toLowerCase() },
      scope: namespaced ? 'Namespaced' : 'Cluster',
      versions: [{ name: version, served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const permission = (group: string, resource: string, verb: string, name = '*') => `${group === '' ? 'core' : group} ${resource} ${verb} ${name}`;

/** The RBAC attributes of one request (resource requests only; Vigil makes no other kind). */
function attributesOf(request: RequestRecord): { group: string; resource: string; verb: string; name: string | undefined } {
  const parts = request.path.split('/').filter((p) => p !== '').map(decodeURIComponent);
  const [prefix, ...rest] = parts;
  let group: string;
  if (prefix === 'api') group = '';
  else if (prefix === 'apis' && rest.length > 0) group = rest.shift() ?? '';
  else throw new Error(`not a resource request: ${request.path}`);
  rest.shift(); // version
  if (rest[0] === 'namespaces' && rest.length >= 3) rest.splice(0, 2);
  const [resource, name, subresource] = rest;
  if (resource === undefined || subresource !== undefined || request.method !== 'GET') throw new Error(`unexpected request ${request.method} ${request.path}`);
  const verb = name !== undefined ? 'get' : request.watch ? 'watch' : 'list';
  return { group, resource, verb, name };
}

/** The ClusterRole's rules expanded; `resourceNames` narrow a rule to those objects. */
function granted(): Set<string> {
  const docs: unknown[] = parseAllDocuments(readFileSync(rbacFile, 'utf8')).map((d) => d.toJS());
  const role = docs.find((d) => isRecord(d) && d['kind'] === 'ClusterRole');
  const rules: unknown = isRecord(role) ? role['rules'] : undefined;
  if (!Array.isArray(rules)) throw new Error('no ClusterRole with rules in rbac.yaml');
  const strings = (rule: unknown, key: string): string[] => {
    const value = isRecord(rule) ? rule[key] : undefined;
    return Array.isArray(value) ? value.map(String) : [];
  };
  const out = new Set<string>();
  for (const rule of rules) {
    const names = strings(rule, 'resourceNames');
    for (const group of strings(rule, 'apiGroups'))
      for (const resource of strings(rule, 'resources'))
        for (const verb of strings(rule, 'verbs')) for (const name of names.length > 0 ? names : ['*']) out.add(permission(group, resource, verb, name));
  }
  return out;
}

async function waitFor(what: string, done: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the ClusterRole against the requests the cluster subgraph makes', () => {
  let api: KubeApiDouble;
  let runtime: ClusterRuntime;

  beforeAll(async () => {
    const crdSources = PULLED_SOURCES.filter((s) => s.detection.kind === 'crd');
    api = await startKubeApiDouble({ crdCatalog: crdSources.map(crdFor), installedCrds: crdSources.map((s) => `${s.resource.plural}.${s.resource.group}`) });
    const kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, api.kubeconfig('in-cluster'));
    const config = clusterConfig.parse({ name: 'prod', kubernetes: { kubeconfigPath, contexts: [{ context: 'in-cluster', name: 'prod' }] } });
    runtime = createClusterRuntime(config, { logger, publisher: new AlertPublisher(new MemoryAlertLog({ maxLength: 100 }), logger, systemClock), redisUrl: undefined, namespace: 'test', clock: systemClock, metrics: createServiceRegistry() });
    await runtime.start();
    // Every source listed and watching: then every kind of request the subgraph makes has been made.
    await waitFor('a list and a watch of every pulled source', () =>
      PULLED_SOURCES.every((s) => {
        const mine = api.requests.filter((r) => attributesOf(r).resource === s.resource.plural);
        return mine.some((r) => !r.watch && r.status === 200) && mine.some((r) => r.watch && r.status === 200);
      }),
    );
  });

  afterAll(async () => {
    await runtime?.definition.close?.();
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every request succeeded (the double served each path, so nothing was left unasked)', () => {
    expect(api.requests.filter((r) => r.status !== 200 || r.auth !== 'ok')).toEqual([]);
  });

  it('every request is allowed by the ClusterRole, and every permission it grants was used', () => {
    const used = new Set(
      api.requests.map((r) => {
        const a = attributesOf(r);
        return permission(a.group, a.resource, a.verb, a.name);
      }),
    );
    const grants = granted();
    expect([...used].filter((p) => !grants.has(p)).sort()).toEqual([]);
    expect([...grants].filter((p) => !used.has(p)).sort()).toEqual([]);
    // Every collection is read across all namespaces: a namespaced path would need a Role per namespace.
    expect(api.requests.filter((r) => r.path.includes('/namespaces/'))).toEqual([]);
  });
});
