import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import express from 'express';
import { KubeConfig } from '@kubernetes/client-node';
import { Pod } from 'kubernetes-models/v1';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { MemoryAlertLog } from '@vigil/lib/alerts/memory-alert-log';
import { AlertPublisher } from '@vigil/lib/alerts/publisher';
import { systemClock } from '@vigil/lib/clock';
import { auditIngestParams, jsonLineIngestSearchParams } from '@vigil/lib/audit-log-format';
import { createLogger } from '@vigil/lib/logger';
import { auditConfig, toLayout } from '@vigil/subgraph-audit/config';
import { clusterConfig } from '@vigil/subgraph-cluster/config';
import { falcoIngestRouter } from '@vigil/subgraph-cluster/http/falco-ingest';
import { presentedToken } from '@vigil/subgraph-cluster/http/intake-common';
import { K8S_AUDIT_PATH } from '@vigil/subgraph-cluster/http/k8s-audit-ingest';
import { falcoMediaType } from '@vigil/subgraph-cluster/sources/falco/falco-event';
import { AUDIT_LEVELS, AUDIT_STAGES, auditEventSchema, type AuditEvent, type AuditLevel } from '@vigil/subgraph-cluster/sources/k8s-audit/audit-event';
import { AUDIT_EVENT_TYPES, normaliseAuditEvent } from '@vigil/subgraph-cluster/sources/k8s-audit/normalise';
import { MemorySecurityEventStore } from '@vigil/subgraph-cluster/store/memory-security-event-store';
import { isRecord, listOrEmpty, rec, str } from './support/shape.js';

/**
 * deploy/integrations holds the snippets an operator copies into other programs' configuration: the
 * API server's audit policy and webhook, Falco, falcosidekick, Fluent Bit. Each is parsed here and
 * checked against what Vigil's code expects: route paths and credentials from the cluster subgraph's
 * HTTP intakes, the audit levels its normaliser needs (derived by running it), and the VictoriaLogs
 * ingestion fields of lib/src/audit-log-format.ts; and against the Kubernetes manifests (Service
 * names and ports, the cluster name, the VictoriaLogs tenant).
 */

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const integrations = join(root, 'deploy', 'integrations');
const read = (...path: string[]) => readFileSync(join(integrations, ...path), 'utf8');


function strings(value: unknown, what: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`${what}: expected a list, got ${JSON.stringify(value)}`);
  return value.map((v) => str(v, what));
}

/** Credentials in the snippets are placeholders the operator replaces, never values. */
const PLACEHOLDER = /^REPLACE_WITH_[A-Z_]+$/;

// ---------------------------------------------------------------------------------------------------
// What the manifests say: the cluster subgraph's Service, the config file

/**
 * How to render an overlay: `kubectl kustomize` (kubectl 1.27 or later embeds Kustomize v5), or, where
 * no such kubectl is installed, Kustomize built from its Go module into .tools/bin by .ci/run.
 * (Debian's own kubectl, package kubernetes-client, is 1.20 with Kustomize v2, which predates the
 * `labels` field and directory `resources` these manifests use.)
 */
function kustomizeCommand(): { command: string; args: string[] } {
  let kubectlKustomize: string | undefined;
  try {
    const version: unknown = JSON.parse(execFileSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    kubectlKustomize = isRecord(version) && typeof version['kustomizeVersion'] === 'string' ? version['kustomizeVersion'] : undefined;
  } catch {
    kubectlKustomize = undefined;
  }
  if (kubectlKustomize !== undefined && /^v([5-9]|\d{2,})\./.test(kubectlKustomize)) return { command: 'kubectl', args: ['kustomize'] };
  const local = join(root, '.tools', 'bin', 'kustomize');
  if (existsSync(local)) return { command: local, args: ['build'] };
  throw new Error(`no kubectl with Kustomize v5 (found ${kubectlKustomize ?? 'no kubectl'}) and no ${local}: .ci/run builds it`);
}
const kustomize = kustomizeCommand();
const manifests = parseAllDocuments(execFileSync(kustomize.command, [...kustomize.args, join(root, 'deploy', 'kubernetes', 'overlays', 'per-service')], { encoding: 'utf8' })).map((d) => rec(d.toJS(), 'manifest'));
const clusterService = manifests.find((m) => m['kind'] === 'Service' && rec(rec(m['spec'], 'spec')['selector'], 'selector')['app.kubernetes.io/component'] === 'cluster');
const clusterServiceName = str(rec(clusterService?.['metadata'], 'metadata')['name'], 'name');
const clusterServiceNamespace = str(rec(clusterService?.['metadata'], 'metadata')['namespace'], 'namespace');
const clusterServicePort = rec(listOrEmpty(rec(clusterService?.['spec'], 'spec')['ports'], 'ports')[0], 'port')['port'];
const vigilYaml = rec(parse(readFileSync(join(root, 'deploy', 'kubernetes', 'base', 'vigil.yaml'), 'utf8')), 'vigil.yaml');
const cluster = clusterConfig.parse(vigilYaml['cluster'] ?? {});
const audit = auditConfig.parse(vigilYaml['audit'] ?? {});

/** The in-cluster address of the cluster subgraph, as Falco (a pod) reaches it. */
const clusterSubgraphHost = `${clusterServiceName}.${clusterServiceNamespace}.svc.cluster.local`;

/** The paths the cluster subgraph's Falco intake serves, read from the router it mounts. */
function falcoRoutes(): { path: string; methods: string[] }[] {
  const logger = createLogger('test', { level: 'silent' });
  const router = falcoIngestRouter({
    store: new MemorySecurityEventStore({ retentionDays: 1 }),
    publisher: new AlertPublisher(new MemoryAlertLog({ maxLength: 10 }), logger, systemClock),
    cluster: 'test',
    alertMinPriority: 'Critical',
    maxBodyBytes: 1024,
    logger,
  });
  return router.stack.flatMap((layer) => (layer.route ? [{ path: layer.route.path, methods: [...new Set(layer.route.stack.map((l) => l.method))] }] : []));
}

// ---------------------------------------------------------------------------------------------------
// The API server: audit policy, webhook kubeconfig, static pod flags

const LEVEL_ORDER: readonly AuditLevel[] = AUDIT_LEVELS;
const atLeast = (level: AuditLevel, min: AuditLevel) => LEVEL_ORDER.indexOf(level) >= LEVEL_ORDER.indexOf(min);

interface PolicyRule {
  level: AuditLevel;
  users: string[];
  userGroups: string[];
  verbs: string[];
  namespaces: string[];
  resources: { group: string; resources: string[]; resourceNames: string[] }[];
  nonResourceURLs: string[];
  omitStages: string[];
}

interface Policy {
  omitStages: string[];
  rules: PolicyRule[];
}

const POLICY_KEYS = new Set(['apiVersion', 'kind', 'metadata', 'rules', 'omitStages', 'omitManagedFields']);
const RULE_KEYS = new Set(['level', 'users', 'userGroups', 'verbs', 'resources', 'namespaces', 'nonResourceURLs', 'omitStages', 'omitManagedFields']);
const GROUP_RESOURCE_KEYS = new Set(['group', 'resources', 'resourceNames']);

/** audit.k8s.io/v1 Policy, checked as the API server's validation does (apis/audit/validation). */
function parsePolicy(text: string): Policy {
  const doc = rec(parse(text), 'policy');
  if (doc['apiVersion'] !== 'audit.k8s.io/v1' || doc['kind'] !== 'Policy') throw new Error('not an audit.k8s.io/v1 Policy');
  for (const key of Object.keys(doc)) if (!POLICY_KEYS.has(key)) throw new Error(`policy: unknown field ${key}`);
  const stage = (s: string) => {
    if (!AUDIT_STAGES.some((known) => known === s)) throw new Error(`unknown stage ${s}`);
    return s;
  };
  const rules = listOrEmpty(doc['rules'], 'rules').map((r, index): PolicyRule => {
    const rule = rec(r, `rules[${index}]`);
    for (const key of Object.keys(rule)) if (!RULE_KEYS.has(key)) throw new Error(`rules[${index}]: unknown field ${key}`);
    const level = AUDIT_LEVELS.find((l) => l === rule['level']);
    if (!level) throw new Error(`rules[${index}]: level ${String(rule['level'])}`);
    const resources = listOrEmpty(rule['resources'], `rules[${index}].resources`).map((g) => {
      const groupResources = rec(g, `rules[${index}].resources`);
      for (const key of Object.keys(groupResources)) if (!GROUP_RESOURCE_KEYS.has(key)) throw new Error(`rules[${index}].resources: unknown field ${key}`);
      return { group: typeof groupResources['group'] === 'string' ? groupResources['group'] : '', resources: strings(groupResources['resources'], 'resources'), resourceNames: strings(groupResources['resourceNames'], 'resourceNames') };
    });
    const nonResourceURLs = strings(rule['nonResourceURLs'], 'nonResourceURLs');
    if (nonResourceURLs.length > 0 && (resources.length > 0 || rule['namespaces'] !== undefined)) throw new Error(`rules[${index}]: nonResourceURLs cannot be combined with resources or namespaces`);
    for (const url of nonResourceURLs) if (!url.startsWith('/') || url.slice(0, -1).includes('*')) throw new Error(`rules[${index}]: nonResourceURL ${url}`);
    return {
      level,
      users: strings(rule['users'], 'users'),
      userGroups: strings(rule['userGroups'], 'userGroups'),
      verbs: strings(rule['verbs'], 'verbs'),
      namespaces: strings(rule['namespaces'], 'namespaces'),
      resources,
      nonResourceURLs,
      omitStages: strings(rule['omitStages'], 'omitStages').map(stage),
    };
  });
  return { omitStages: strings(doc['omitStages'], 'omitStages').map(stage), rules };
}

interface RequestAttributes {
  user: string;
  groups: string[];
  verb: string;
  resource?: { group: string; resource: string; subresource: string | null; namespace: string; name: string };
  path: string;
}

function attributesOf(event: AuditEvent): RequestAttributes {
  const ref = event.objectRef;
  const base = { user: event.user.username ?? '', groups: event.user.groups ?? [], verb: event.verb, path: event.requestURI.split('?')[0] ?? '' };
  if (!ref?.resource) return base;
  return { ...base, resource: { group: ref.apiGroup ?? '', resource: ref.resource, subresource: ref.subresource ?? null, namespace: ref.namespace ?? '', name: ref.name ?? '' } };
}

/** The API server's policy checker (k8s.io/apiserver/pkg/audit/policy/checker.go): the first matching rule's level. */
function levelFor(policy: Policy, request: RequestAttributes): AuditLevel {
  const rule = policy.rules.find((r) => {
    if (r.users.length > 0 && !r.users.includes(request.user)) return false;
    if (r.userGroups.length > 0 && !r.userGroups.some((g) => request.groups.includes(g))) return false;
    if (r.verbs.length > 0 && !r.verbs.includes(request.verb)) return false;
    if (r.nonResourceURLs.length > 0) {
      if (request.resource) return false;
      return r.nonResourceURLs.some((u) => (u.endsWith('*') ? request.path.startsWith(u.slice(0, -1)) : request.path === u));
    }
    if (r.namespaces.length > 0 || r.resources.length > 0) {
      const res = request.resource;
      if (!res) return false;
      if (r.namespaces.length > 0 && !r.namespaces.includes(res.namespace)) return false;
      if (r.resources.length > 0) {
        const full = res.subresource ? `${res.resource}/${res.subresource}` : res.resource;
        const matches = r.resources.some(
          (g) =>
            g.group === res.group &&
            (g.resources.length === 0 || g.resources.some((name) => name === '*' || name === full || (res.subresource && (name === `*/${res.subresource}` || name === `${res.resource}/*`)))) &&
            (g.resourceNames.length === 0 || g.resourceNames.includes(res.name)),
        );
        if (!matches) return false;
      }
    }
    return true;
  });
  return rule?.level ?? 'None';
}

/**
 * The policy's deliberate gaps, which audit-policy.yaml explains: health probes, and lease renewals by
 * the control plane and the nodes (a policy cannot look at the response, so their rare 403 goes too).
 * Anything else Vigil would make an event of must be audited.
 */
function deliberatelyUnaudited(r: RequestAttributes): boolean {
  if (!r.resource) return /^\/(healthz|livez|readyz)(\/|$)/.test(r.path) || r.path === '/version';
  const controlPlane = ['system:kube-scheduler', 'system:kube-controller-manager'].includes(r.user) || r.groups.includes('system:nodes');
  return controlPlane && r.resource.group === 'coordination.k8s.io' && r.resource.resource === 'leases' && ['get', 'update'].includes(r.verb);
}

const fixturesDir = join(root, 'subgraphs', 'cluster', 'test', 'fixtures', 'k8s-audit');

/** Every audit record among the cluster subgraph's fixtures (real API server output; see its README). */
function fixtureEvents(): AuditEvent[] {
  const files = [...readdirSync(fixturesDir).map((f) => join(fixturesDir, f)), ...readdirSync(join(fixturesDir, 'falco-trace-fixtures')).map((f) => join(fixturesDir, 'falco-trace-fixtures', f))];
  const values: unknown[] = files.flatMap((file) => {
    if (file.endsWith('.jsonl')) return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l): unknown => JSON.parse(l));
    if (file.endsWith('.json')) return [JSON.parse(readFileSync(file, 'utf8'))];
    return [];
  });
  return values.flatMap((v) => (isRecord(v) && Array.isArray(v['items']) ? v['items'] : [v])).map((v) => auditEventSchema.parse(v));
}

/** Requests of every shape Vigil might care about, built on a real record by changing only the request's attributes. */
function syntheticEvents(template: AuditEvent): AuditEvent[] {
  const resources: [string, string, string | null][] = [
    ['', 'pods', null], ['', 'pods', 'exec'], ['', 'pods', 'attach'], ['', 'pods', 'portforward'], ['', 'pods', 'log'],
    ['', 'secrets', null], ['', 'configmaps', null], ['', 'serviceaccounts', 'token'], ['', 'namespaces', null], ['', 'nodes', 'status'],
    ['', 'events', null], ['', 'endpoints', null], ['apps', 'deployments', null], ['discovery.k8s.io', 'endpointslices', null],
    ['coordination.k8s.io', 'leases', null], ['authentication.k8s.io', 'tokenreviews', null],
    ['rbac.authorization.k8s.io', 'roles', null], ['rbac.authorization.k8s.io', 'rolebindings', null],
    ['rbac.authorization.k8s.io', 'clusterroles', null], ['rbac.authorization.k8s.io', 'clusterrolebindings', null],
  ];
  const verbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
  const users: [string, string[]][] = [
    ['alice@example.com', ['system:authenticated']],
    ['system:serviceaccount:default:app', ['system:serviceaccounts', 'system:authenticated']],
    ['system:kube-controller-manager', ['system:authenticated']],
    ['system:kube-scheduler', ['system:authenticated']],
    ['system:kube-proxy', ['system:authenticated']],
    ['system:node:node-1', ['system:nodes', 'system:authenticated']],
    ['system:anonymous', ['system:unauthenticated']],
    ['', []],
  ];
  const out: AuditEvent[] = [];
  for (const [group, resource, subresource] of resources)
    for (const verb of verbs)
      for (const [username, groups] of users)
        for (const code of username === '' ? [401] : [200, 403]) {
          out.push(
            auditEventSchema.parse({
              ...template,
              stage: 'ResponseComplete',
              verb,
              user: username === '' ? {} : { username, groups },
              objectRef: { resource, ...(subresource ? { subresource } : {}), ...(group ? { apiGroup: group } : {}), namespace: 'kube-system', name: 'x' },
              responseStatus: { code },
            }),
          );
        }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Fluent Bit, classic format: [SECTION] headers and `Key value` lines; keys case-insensitive

interface FluentBitSection {
  name: string;
  entries: [string, string][];
}

function parseFluentBit(text: string): FluentBitSection[] {
  const sections: FluentBitSection[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('@')) throw new Error(`line ${index + 1}: ${line.split(/\s/)[0]} is not supported here`);
    const header = /^\[([A-Z_]+)\]$/.exec(line);
    if (header?.[1]) {
      sections.push({ name: header[1], entries: [] });
      continue;
    }
    const current = sections.at(-1);
    const entry = /^(\S+)\s+(.+)$/.exec(line);
    if (!current || !entry?.[1] || entry[2] === undefined) throw new Error(`line ${index + 1}: expected "Key value" inside a section: ${line}`);
    if (!/^\s/.test(raw)) throw new Error(`line ${index + 1}: entries are indented`);
    current.entries.push([entry[1].toLowerCase(), entry[2].trim()]);
  }
  return sections;
}

const values = (section: FluentBitSection | undefined, key: string) => (section?.entries ?? []).filter(([k]) => k === key.toLowerCase()).map(([, v]) => v);
const value = (section: FluentBitSection | undefined, key: string) => {
  const found = values(section, key);
  if (found.length !== 1) throw new Error(`[${section?.name ?? '?'}] ${key}: expected one value, found ${found.length}`);
  return found[0] ?? '';
};

/** Fluent Bit's Match: `*` matches any run of characters. */
const tagMatches = (pattern: string, tag: string) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(tag);

// ---------------------------------------------------------------------------------------------------

const apiServerFragment = rec(parse(read('kube-apiserver', 'kube-apiserver-audit.yaml')), 'kube-apiserver fragment');
const apiServerContainer = rec(listOrEmpty(rec(apiServerFragment['spec'], 'spec')['containers'], 'containers')[0], 'container');
const apiServerFlags = new Map(
  strings(apiServerContainer['command'], 'command')
    .filter((c) => c.startsWith('--'))
    .map((c) => {
      const [flag = '', ...rest] = c.split('=');
      return [flag, rest.join('=')] as const;
    }),
);

describe('deploy/integrations/kube-apiserver', () => {
  const policy = parsePolicy(read('kube-apiserver', 'audit-policy.yaml'));

  it('the audit policy keeps the stages the normaliser reads and ends with a catch-all rule', () => {
    // normalise.ts turns a request's final record (ResponseComplete, or Panic) into an event.
    expect(policy.omitStages).not.toContain('ResponseComplete');
    expect(policy.omitStages).not.toContain('Panic');
    for (const rule of policy.rules) expect(rule.omitStages).toEqual([]);
    const last = policy.rules.at(-1);
    expect(last && { ...last, level: 'x' }).toEqual({ level: 'x', users: [], userGroups: [], verbs: [], namespaces: [], resources: [], nonResourceURLs: [], omitStages: [] });
    expect(last && atLeast(last.level, 'Metadata')).toBe(true);
  });

  it('every request the normaliser turns into a security event is audited; RBAC changes with their bodies', () => {
    const events = fixtureEvents();
    expect(events.length).toBeGreaterThan(20);
    const [template] = events;
    if (!template) throw new Error('no fixture');
    const candidates = [...events.map((e) => auditEventSchema.parse({ ...e, stage: 'ResponseComplete' })), ...syntheticEvents(template)];
    const problems: string[] = [];
    let ofInterest = 0;
    for (const event of candidates) {
      const normalised = normaliseAuditEvent(event, { cluster: 'test' });
      if (!normalised) continue;
      ofInterest += 1;
      const level = levelFor(policy, attributesOf(event));
      const what = `${event.user.username ?? '(unauthenticated)'} ${event.verb} ${event.objectRef?.apiGroup ?? ''}/${event.objectRef?.resource ?? event.requestURI}${event.objectRef?.subresource ? `/${event.objectRef.subresource}` : ''} → ${event.responseStatus?.code ?? '?'}`;
      if (!atLeast(level, 'Metadata') && !deliberatelyUnaudited(attributesOf(event))) problems.push(`${what} (${normalised.eventType}) is not audited`);
      // The subjects and roleRef of a binding come from the request or response body.
      if (normalised.eventType === AUDIT_EVENT_TYPES.rbacChange && level !== 'RequestResponse') problems.push(`${what} (RBAC change) is audited at ${level}, not RequestResponse`);
    }
    expect(ofInterest).toBeGreaterThan(500);
    expect(problems).toEqual([]);
  });

  it('secret values never reach the audit trail: secrets, ConfigMaps and tokens at Metadata at most', () => {
    const [template] = fixtureEvents();
    if (!template) throw new Error('no fixture');
    const sensitive = syntheticEvents(template).filter((e) => {
      const r = e.objectRef;
      return (r?.apiGroup === undefined && ['secrets', 'configmaps'].includes(r?.resource ?? '')) || (r?.resource === 'serviceaccounts' && r.subresource === 'token') || r?.resource === 'tokenreviews';
    });
    expect(sensitive.length).toBeGreaterThan(100);
    const tooDetailed = sensitive.map((e) => [attributesOf(e), levelFor(policy, attributesOf(e))] as const).filter(([, level]) => atLeast(level, 'Request'));
    expect(tooDetailed).toEqual([]);
  });

  it('the webhook kubeconfig points at the audit route with a bearer token Vigil reads', () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(read('kube-apiserver', 'vigil-audit-webhook.kubeconfig'));
    const server = new URL(kubeConfig.getCurrentCluster()?.server ?? '');
    expect(server.pathname).toBe(K8S_AUDIT_PATH);
    expect(server.search).toBe('');
    const token = kubeConfig.getCurrentUser()?.token ?? '';
    expect(token).toMatch(PLACEHOLDER);
    // client-go sends a kubeconfig user's token as `Authorization: Bearer <token>`.
    expect(presentedToken(`Bearer ${token}`)).toBe(token);
  });

  it('the static pod fragment is a valid Pod whose flags name the snippets, in batch mode, and mounts their files', () => {
    expect(Pod.is(apiServerFragment)).toBe(true);
    if (Pod.is(apiServerFragment)) new Pod(apiServerFragment).validate();
    expect(apiServerFlags.get('--audit-webhook-mode')).toBe('batch');
    const files = { '--audit-policy-file': 'audit-policy.yaml', '--audit-webhook-config-file': 'vigil-audit-webhook.kubeconfig' };
    const mounts = listOrEmpty(apiServerContainer['volumeMounts'], 'volumeMounts').map((m) => rec(m, 'mount'));
    const volumes = listOrEmpty(rec(apiServerFragment['spec'], 'spec')['volumes'], 'volumes').map((v) => rec(v, 'volume'));
    const mountedFrom = (path: string) => {
      const mount = mounts.find((m) => path.startsWith(`${str(m['mountPath'], 'mountPath')}/`));
      const volume = volumes.find((v) => mount && v['name'] === mount['name']);
      return isRecord(volume?.['hostPath']) ? volume['hostPath']['path'] : undefined;
    };
    for (const [flag, file] of Object.entries(files)) {
      const path = apiServerFlags.get(flag) ?? '';
      expect(basename(path), flag).toBe(file);
      expect(existsSync(join(integrations, 'kube-apiserver', file))).toBe(true);
      expect(mountedFrom(path), `${flag} is on a hostPath mount`).toBe(dirname(path));
    }
    expect(mountedFrom(apiServerFlags.get('--audit-log-path') ?? '')).toBe(dirname(apiServerFlags.get('--audit-log-path') ?? ''));
    expect(apiServerFlags.get('--audit-log-format') ?? 'json').toBe('json');
  });
});

describe('deploy/integrations/falco', () => {
  const routes = falcoRoutes();
  const falcoPath = routes.find((r) => r.methods.includes('post'))?.path;

  it('the Falco intake route is read from the code', () => {
    expect(routes).toEqual([{ path: falcoPath, methods: ['post'] }]);
  });

  it("Falco's http_output posts JSON to the cluster subgraph's Service, with the token as the Basic-auth password", () => {
    const falco = rec(parse(read('falco', 'falco.yaml')), 'falco.yaml');
    expect(falco['json_output']).toBe(true);
    // With json_output Falco sends application/json, which the intake takes; text is refused.
    expect(falcoMediaType('application/json')).toBe('json');
    const output = rec(falco['http_output'], 'http_output');
    expect(output['enabled']).toBe(true);
    const url = new URL(str(output['url'], 'http_output.url'));
    expect(url.pathname).toBe(falcoPath);
    expect(url.hostname).toBe(clusterSubgraphHost);
    expect(Number(url.port)).toBe(clusterServicePort);
    const token = decodeURIComponent(url.password);
    expect(token).toMatch(PLACEHOLDER);
    // libcurl sends URL credentials as `Authorization: Basic base64(user:password)`.
    const basic = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${token}`).toString('base64')}`;
    expect(presentedToken(basic)).toBe(token);
  });

  it("falcosidekick's webhook posts to the same route with the token as a bearer header", () => {
    const sidekick = rec(parse(read('falco', 'falcosidekick.yaml')), 'falcosidekick.yaml');
    const webhook = rec(sidekick['webhook'], 'webhook');
    const url = new URL(str(webhook['address'], 'webhook.address'));
    expect(url.pathname).toBe(falcoPath);
    expect(url.hostname).toBe(clusterSubgraphHost);
    expect(Number(url.port)).toBe(clusterServicePort);
    expect(url.username + url.password).toBe('');
    expect(webhook['method'] ?? 'POST').toBe('POST');
    const authorization = str(rec(webhook['customHeaders'], 'customHeaders')['Authorization'], 'Authorization');
    const token = presentedToken(authorization);
    expect(token).toMatch(PLACEHOLDER);
    expect(authorization).toBe(`Bearer ${token ?? ''}`);
  });
});

describe('deploy/integrations/falco: Falco → a file → Fluent Bit, many alerts per request', () => {
  const routes = falcoRoutes();
  const falcoPath = routes.find((r) => r.methods.includes('post'))?.path;
  const falco = rec(parse(read('falco', 'falco-file-output.yaml')), 'falco-file-output.yaml');
  const config = parseFluentBit(read('falco', 'fluent-bit-batching.conf'));
  const section = (name: string) => config.filter((s) => s.name === name);
  const [service] = section('SERVICE');
  const [input] = section('INPUT');
  const [output] = section('OUTPUT');
  const headers = Object.fromEntries(values(output, 'Header').map((h) => [h.split(/\s+/)[0] ?? '', h.split(/\s+/).slice(1).join(' ')]));

  it('Falco writes JSON lines to the file Fluent Bit tails, and its http_output is off (or every alert is counted twice)', () => {
    expect(falco['json_output']).toBe(true);
    const fileOutput = rec(falco['file_output'], 'file_output');
    expect(fileOutput['enabled']).toBe(true);
    expect(rec(falco['http_output'], 'http_output')['enabled']).toBe(false);
    expect(section('INPUT')).toHaveLength(1);
    expect(value(input, 'Name')).toBe('tail');
    expect(value(input, 'Path')).toBe(str(fileOutput['filename'], 'file_output.filename'));
  });

  it("the parser keeps every key Falco wrote, `time` included, and the output adds no date key", () => {
    const parsers = parseFluentBit(read('falco', value(service, 'Parsers_File')));
    const parser = parsers.find((p) => p.name === 'PARSER' && value(p, 'Name') === value(input, 'Parser'));
    expect(parser).toBeDefined();
    expect(value(parser, 'Format')).toBe('json');
    // A Time_Key would take `time` out of the record (without Time_Keep), and the intake needs it.
    expect(values(parser, 'Time_Key')).toEqual([]);
    expect(value(output, 'json_date_key')).toBe('false');
  });

  it("one http output of JSON arrays to the intake route on the cluster subgraph's Service, gzip, the token as a bearer header", () => {
    expect(section('OUTPUT')).toHaveLength(1);
    expect(value(output, 'Name')).toBe('http');
    expect(tagMatches(value(output, 'Match'), value(input, 'Tag'))).toBe(true);
    // `json` is one JSON array per request, sent as application/json, which the intake takes.
    expect(value(output, 'Format')).toBe('json');
    expect(falcoMediaType('application/json')).toBe('json');
    expect(value(output, 'URI')).toBe(falcoPath);
    expect(value(output, 'Host')).toBe(clusterSubgraphHost);
    expect(Number(value(output, 'Port'))).toBe(clusterServicePort);
    expect(value(output, 'compress')).toBe('gzip');
    const token = presentedToken(headers['Authorization']);
    expect(token).toMatch(PLACEHOLDER);
    expect(headers['Authorization']).toBe(`Bearer ${token ?? ''}`);
  });

  it('what Fluent Bit posts for Falco alert lines is accepted whole, each alert counted once', async () => {
    // Falco's file_output lines are its http_output bodies, one per line (samples: subgraphs/cluster/test/fixtures/falco).
    const fixtures = join(root, 'subgraphs', 'cluster', 'test', 'fixtures', 'falco');
    const lines = [
      ...['terminal_shell_in_container.json', 'read_sensitive_file_untrusted.json', 'write_below_binary_dir_docs.json'].map((name) => JSON.stringify(JSON.parse(readFileSync(join(fixtures, name), 'utf8')))),
      ...readFileSync(join(fixtures, 'testing_open_from_cat.jsonl'), 'utf8').split('\n').filter((line) => line.trim() !== ''),
    ];
    // Format json, json_date_key false: the records as one array, each exactly as the parser read it.
    const body = gzipSync(`[${lines.join(',')}]`);
    const token = 'x'.repeat(24);
    const logger = createLogger('test', { level: 'silent' });
    // Fixture times are from 2016-2025: a retention of a century keeps them.
    const store = new MemorySecurityEventStore({ retentionDays: 365 * 100 });
    const app = express();
    app.use(
      falcoIngestRouter({
        store,
        publisher: new AlertPublisher(new MemoryAlertLog({ maxLength: 100 }), logger, systemClock),
        cluster: cluster.name,
        alertMinPriority: 'Critical',
        maxBodyBytes: cluster.falco.maxBodyBytes,
        token,
        logger,
      }),
    );
    const server = await new Promise<Server>((ready) => {
      const s = app.listen(0, '127.0.0.1', () => ready(s));
    });
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}${value(output, 'URI')}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: (headers['Authorization'] ?? '').replace(/REPLACE_WITH_[A-Z_]+/, token) },
        body,
      });
      const answer = (await response.json()) as { accepted: number; stored: number; duplicates: number };
      expect(response.status).toBe(202);
      expect(answer.accepted).toBe(lines.length);
      const page = await store.list({}, { first: 100 });
      expect(page.events.reduce((sum, event) => sum + event.count, 0)).toBe(lines.length);
    } finally {
      await new Promise<void>((closed) => server.close(() => closed()));
    }
  });
});

describe('deploy/integrations/fluent-bit', () => {
  const config = parseFluentBit(read('fluent-bit', 'fluent-bit.conf'));
  const section = (name: string) => config.filter((s) => s.name === name);
  const [service] = section('SERVICE');
  const [input] = section('INPUT');
  const [output] = section('OUTPUT');

  it('one tail input of the API server audit log, parsed as JSON with stageTimestamp as its time', () => {
    expect(section('INPUT')).toHaveLength(1);
    expect(value(input, 'Name')).toBe('tail');
    expect(value(input, 'Path')).toBe(apiServerFlags.get('--audit-log-path'));
    const parsers = parseFluentBit(read('fluent-bit', value(service, 'Parsers_File')));
    const parser = parsers.find((p) => p.name === 'PARSER' && value(p, 'Name') === value(input, 'Parser'));
    expect(parser).toBeDefined();
    expect(value(parser, 'Format')).toBe('json');
    expect(value(parser, 'Time_Key')).toBe(auditIngestParams().timeField);
    // Kept in the record: VictoriaLogs takes _time from it.
    expect(value(parser, 'Time_Keep')).toMatch(/^(on|true)$/i);
  });

  it('one http output to VictoriaLogs /insert/jsonline, with the fields, tenant and cluster Vigil reads', () => {
    expect(section('OUTPUT')).toHaveLength(1);
    expect(value(output, 'Name')).toBe('http');
    expect(tagMatches(value(output, 'Match'), value(input, 'Tag'))).toBe(true);
    expect(value(output, 'Format')).toBe('json_lines');
    expect(value(output, 'json_date_key')).toBe('false');

    const uri = new URL(value(output, 'URI'), 'http://victorialogs');
    expect(uri.pathname).toBe('/insert/jsonline');
    // Exactly what the cluster subgraph's forwarder sends, for this cluster's name.
    const expected = jsonLineIngestSearchParams(auditIngestParams({ cluster: cluster.name }));
    const asObject = (params: URLSearchParams) => Object.fromEntries([...params.entries()].sort());
    expect(asObject(uri.searchParams)).toEqual(asObject(expected));

    // The tenant the audit subgraph reads; the VictoriaLogs it reads.
    const headers = Object.fromEntries(values(output, 'Header').map((h) => [h.split(/\s+/)[0], h.split(/\s+/).slice(1).join(' ')]));
    expect(headers).toEqual({ AccountID: String(audit.victoriaLogs.accountId), ProjectID: String(audit.victoriaLogs.projectId) });
    const victoriaLogs = new URL(audit.victoriaLogs.url ?? '');
    expect(value(output, 'Host').split('.')[0]).toBe(victoriaLogs.hostname.split('.')[0]);
    expect(value(output, 'Port')).toBe(victoriaLogs.port);
  });

  it('the header points at the alternative for pipelines already in place', () => {
    expect(read('fluent-bit', 'fluent-bit.conf')).toContain('existing-pipeline.conf');
  });

  it('the parser rejects what Fluent Bit would', () => {
    expect(() => parseFluentBit('Name tail\n')).toThrow(/inside a section/);
    expect(() => parseFluentBit('[INPUT]\nName tail\n')).toThrow(/indented/);
    expect(() => parseFluentBit('@INCLUDE other.conf\n')).toThrow(/not supported/);
  });
});

describe('deploy/integrations/fluent-bit: an existing pipeline, read through a layout', () => {
  // The Talos audit-logging policy's pipeline (existing-pipeline.conf) and the audit: section that reads
  // what it writes (existing-pipeline-vigil.yaml): the layout is derived here from the pipeline itself.
  const config = parseFluentBit(read('fluent-bit', 'existing-pipeline.conf'));
  const only = (name: string) => {
    const found = config.filter((s) => s.name === name);
    expect(found, name).toHaveLength(1);
    return found[0];
  };
  const [service, input, filter, output] = [only('SERVICE'), only('INPUT'), only('FILTER'), only('OUTPUT')];
  const vigil = rec(parse(read('fluent-bit', 'existing-pipeline-vigil.yaml')), 'existing-pipeline-vigil.yaml');
  const section = auditConfig.parse(vigil['audit']);
  const layout = toLayout(section.victoriaLogs.layout);
  const uri = new URL(value(output, 'URI'), 'http://victorialogs');
  /** Keys the modify filter adds, as Fluent Bit's `Add key value`. */
  const added = new Map(values(filter, 'Add').map((entry) => [entry.split(/\s+/)[0] ?? '', entry.split(/\s+/).slice(1).join(' ')]));

  it('tail of the audit log, JSON-parsed, a modify filter, one http output of json_lines to /insert/jsonline', () => {
    expect(value(input, 'Name')).toBe('tail');
    expect(value(filter, 'Name')).toBe('modify');
    expect(tagMatches(value(filter, 'Match'), value(input, 'Tag'))).toBe(true);
    expect(value(output, 'Name')).toBe('http');
    expect(tagMatches(value(output, 'Match'), value(input, 'Tag'))).toBe(true);
    expect(value(output, 'Format')).toBe('json_lines');
    expect(uri.pathname).toBe('/insert/jsonline');
    // Never a cut record: a long line is read whole.
    expect(value(input, 'Skip_Long_Lines')).toMatch(/^(off|false)$/i);
  });

  it('the stream filter is the labels the filter adds, each one of the stream fields', () => {
    const streamFields = (uri.searchParams.get('_stream_fields') ?? '').split(',');
    expect(Object.keys(layout.streamFilter).length).toBeGreaterThan(0);
    for (const [label, wanted] of Object.entries(layout.streamFilter)) {
      expect(streamFields, label).toContain(label);
      expect(added.get(label), label).toBe(wanted);
    }
    // Stream fields an audit event never has at the top level (namespace, pod) are simply absent.
    for (const field of streamFields) expect(['stream', 'cluster', 'namespace', 'pod']).toContain(field);
  });

  it("the time: the parser's Time_Key decides what Fluent Bit's date is, hence whether _time is the event's time", () => {
    const parser = parseFluentBit(read('fluent-bit', value(service, 'Parsers_File'))).find((p) => p.name === 'PARSER' && value(p, 'Name') === value(input, 'Parser'));
    const timeKey = values(parser, 'Time_Key')[0];
    const dateKey = values(output, 'json_date_key')[0] ?? 'date';
    const timeField = uri.searchParams.get('_time_field');
    expect(timeField === null || timeField === dateKey).toBe(true);
    // _time is the event's stageTimestamp only when the parser took the record's time from it and
    // the output's date key is the _time_field; otherwise it is when the line was read or arrived.
    const timeIsTheEvents = timeKey === 'stageTimestamp' && timeField === dateKey;
    expect(layout.time).toBe(timeIsTheEvents ? '_time' : 'stageTimestamp');
    expect(layout.timeSkewMs).toBeGreaterThanOrEqual(60 * 60_000);
  });

  it('the cluster: the field the filter adds, else one name for the tenant', () => {
    if (added.has('cluster')) expect(layout.cluster).toEqual({ field: 'cluster' });
    else expect(layout.cluster).toHaveProperty('value');
    expect(uri.searchParams.get('extra_fields')).toBeNull();
  });

  it('the tenant and the VictoriaLogs the audit subgraph reads', () => {
    const headers = Object.fromEntries(values(output, 'Header').map((h) => [h.split(/\s+/)[0], h.split(/\s+/).slice(1).join(' ')]));
    expect(headers).toEqual({ AccountID: String(section.victoriaLogs.accountId), ProjectID: String(section.victoriaLogs.projectId) });
    const victoriaLogs = new URL(section.victoriaLogs.url ?? '');
    expect(value(output, 'Host')).toBe(victoriaLogs.hostname);
    expect(value(output, 'Port')).toBe(victoriaLogs.port);
  });
});

describe('the snippets hold no secret', () => {
  it('every credential in deploy/integrations is a REPLACE_WITH_ placeholder', () => {
    const files = readdirSync(integrations, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const file of files) {
      // Comments may say `token:` or `Bearer <token>` in prose; the settings are what must hold placeholders.
      const settings = readFileSync(file, 'utf8').split('\n').filter((line) => !line.trim().startsWith('#')).join('\n');
      for (const match of settings.matchAll(/(?:token:|Bearer)\s*([^\s"]+)|:\/\/[^:/\s"]+:([^@\s"]+)@/g)) expect(match[1] ?? match[2], file).toMatch(PLACEHOLDER);
    }
  });
});
