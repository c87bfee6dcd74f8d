import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as kubernetesClient from '@kubernetes/client-node';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ClusterRole, ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Namespace, Service, ServiceAccount } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { afterAll, describe, expect, it } from 'vitest';
import { ALWAYS_CHECK, baseOverrides, requireSecretInProduction } from '@vigil/lib/base-config';
import { loadConfig, type EnvOverride } from '@vigil/lib/config';
import { serviceConfigShape } from '@vigil/lib/subgraph-main';
import { gatewayProcessConfig, loadVigilConfig, vigilOverrides } from '@vigil/gateway/stack-config';
import { alertsConfig } from '@vigil/subgraph-alerts/config';
import { auditConfig, auditOverrides } from '@vigil/subgraph-audit/config';
import { clusterConfig, clusterOverrides } from '@vigil/subgraph-cluster/config';
import { kubeClustersFrom } from '@vigil/subgraph-cluster/kube/kube-clusters';
import { PULLED_SOURCES } from '@vigil/subgraph-cluster/kube/pulled-source-specs';
import { complianceConfig, complianceOverrides } from '@vigil/subgraph-compliance/config';
import { hostsConfig, hostsOverrides } from '@vigil/subgraph-hosts/config';
import { isRecord, listOrEmpty, rec, str, type Rec } from './support/shape.js';
import { compiledEntry, ENTRY_POINTS, type EntryName } from '../build.js';

/**
 * deploy/kubernetes is applied to clusters this repository never sees, so each overlay is rendered
 * here with `kubectl kustomize` (offline) and checked: every object against the Kubernetes schemas
 * (kubernetes-models; ServiceMonitor: @kubernetes-models/prometheus-operator) and, for built-in kinds,
 * for fields Kubernetes does not know (what `kubectl apply`'s strict field validation rejects); the
 * ClusterRole against the requests the cluster subgraph's code makes; every container's
 * securityContext; the network policies; and the config file and environment of every container,
 * through Vigil's own config loader. A deliberately broken copy shows that each check can fail.
 */

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const kubernetesDir = join(root, 'deploy', 'kubernetes');
const overlaysDir = join(kubernetesDir, 'overlays');
const OVERLAYS = readdirSync(overlaysDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();


function labelsOf(value: unknown): Record<string, string> {
  if (!isRecord(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

interface KubeObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string | undefined;
  body: Rec;
}

const describeObject = (o: Pick<KubeObject, 'kind' | 'name'>) => `${o.kind}/${o.name}`;

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

/** `kubectl kustomize <dir>`: the objects an `apply -k` would send, parsed. */
function render(dir: string): KubeObject[] {
  const text = execFileSync(kustomize.command, [...kustomize.args, dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`kubectl kustomize ${dir}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const body: unknown = doc.toJS();
    if (body === null || body === undefined) return [];
    const object = rec(body, 'rendered document');
    const metadata = rec(object['metadata'], 'metadata');
    return [
      {
        apiVersion: str(object['apiVersion'], 'apiVersion'),
        kind: str(object['kind'], 'kind'),
        name: str(metadata['name'], 'metadata.name'),
        namespace: typeof metadata['namespace'] === 'string' ? metadata['namespace'] : undefined,
        body: object,
      },
    ];
  });
}

const rendered = new Map(OVERLAYS.map((overlay) => [overlay, render(join(overlaysDir, overlay))] as const));

function objectsOf(overlay: string): KubeObject[] {
  const objects = rendered.get(overlay);
  if (!objects) throw new Error(`overlay ${overlay} was not rendered`);
  return objects;
}

function only(objects: KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? `/${name}` : ''}, found ${found.length}`);
  const [object] = found;
  if (!object) throw new Error('unreachable');
  return object;
}

// ---------------------------------------------------------------------------------------------------
// Workloads: pod templates and their containers

interface Workload {
  object: KubeObject;
  podSpec: Rec;
  podLabels: Record<string, string>;
  containers: Rec[];
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod', 'ReplicaSet']);

function workloads(objects: KubeObject[]): Workload[] {
  return objects
    .filter((o) => WORKLOAD_KINDS.has(o.kind))
    .map((object) => {
      const spec = rec(object.body['spec'], `${describeObject(object)} spec`);
      const template = object.kind === 'Pod' ? object.body : object.kind === 'CronJob' ? rec(rec(rec(spec['jobTemplate'], 'jobTemplate')['spec'], 'jobTemplate.spec')['template'], 'template') : rec(spec['template'], 'template');
      const podSpec = rec(template['spec'], `${describeObject(object)} pod spec`);
      const containers = [...listOrEmpty(podSpec['initContainers'], 'initContainers'), ...listOrEmpty(podSpec['containers'], 'containers')].map((c) => rec(c, 'container'));
      return { object, podSpec, podLabels: labelsOf(rec(template['metadata'], 'template metadata')['labels']), containers };
    });
}

/** Vigil's own workloads (the image built from this repository), as opposed to Redis. */
const isVigil = (w: Workload) => w.podLabels['app.kubernetes.io/name'] === 'vigil';
const componentOf = (w: Workload) => w.podLabels['app.kubernetes.io/component'] ?? '(none)';

// ---------------------------------------------------------------------------------------------------
// (b) Schemas

type Validator = (body: unknown) => void;

/** Checks the kind by its type guard, then validates against the model's schema (throws on errors). */
function modelValidator<T extends { apiVersion: string; kind: string }>(model: { is(value: unknown): value is T; new (data: T): { validate(): void } }): Validator {
  return (body) => {
    if (!model.is(body)) throw new Error('apiVersion/kind do not match the model');
    new model(body).validate();
  };
}

const VALIDATORS: Readonly<Record<string, Validator>> = {
  'v1/Namespace': modelValidator(Namespace),
  'v1/ServiceAccount': modelValidator(ServiceAccount),
  'v1/ConfigMap': modelValidator(ConfigMap),
  'v1/Service': modelValidator(Service),
  'apps/v1/Deployment': modelValidator(Deployment),
  'apps/v1/StatefulSet': modelValidator(StatefulSet),
  'rbac.authorization.k8s.io/v1/ClusterRole': modelValidator(ClusterRole),
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': modelValidator(ClusterRoleBinding),
  'networking.k8s.io/v1/NetworkPolicy': modelValidator(NetworkPolicy),
  'policy/v1/PodDisruptionBudget': modelValidator(PodDisruptionBudget),
  'monitoring.coreos.com/v1/ServiceMonitor': modelValidator(ServiceMonitor),
};

function schemaProblems(objects: KubeObject[]): string[] {
  return objects.flatMap((o) => {
    const validate = VALIDATORS[`${o.apiVersion}/${o.kind}`];
    if (!validate) return [`${describeObject(o)}: no schema for ${o.apiVersion} ${o.kind} (add its model here)`];
    try {
      validate(o.body);
      return [];
    } catch (error) {
      return [`${describeObject(o)}: ${error instanceof Error ? error.message : String(error)}`];
    }
  });
}

/**
 * Fields the Kubernetes API does not know. The JSON schemas accept unknown fields (they are
 * generated from OpenAPI, which does not forbid them), but `kubectl apply` (strict field validation,
 * the default) refuses them; and a misspelt field that were merely dropped (`readOnlyRootFilesytem`)
 * would silently lose what it meant. client-node's models carry every field of every built-in type
 * (`attributeTypeMap`, generated from the same OpenAPI), so they serve as the list of known fields.
 * Custom resources (ServiceMonitor) have no model there and are checked by their schema only.
 */
const CLIENT_MODELS = new Map<string, unknown>(Object.entries(kubernetesClient));

interface Attribute {
  baseName: string;
  type: string;
}

function attributesOf(typeName: string): Attribute[] | undefined {
  const model = CLIENT_MODELS.get(typeName);
  if (typeof model !== 'function' || !('getAttributeTypeMap' in model) || typeof model.getAttributeTypeMap !== 'function') return undefined;
  const attributes: unknown = model.getAttributeTypeMap();
  return listOrEmpty(attributes, `${typeName} attributes`).map((a) => {
    const attribute = rec(a, `${typeName} attribute`);
    return { baseName: str(attribute['baseName'], 'baseName'), type: str(attribute['type'], 'type') };
  });
}

function unknownFieldsIn(value: unknown, typeName: string, path: string, problems: string[]): void {
  const arrayOf = /^Array<(.+)>$/.exec(typeName);
  if (arrayOf?.[1]) {
    if (Array.isArray(value)) value.forEach((item, index) => unknownFieldsIn(item, arrayOf[1] ?? '', `${path}[${index}]`, problems));
    return;
  }
  const mapOf = /^\{ \[key: string\]: (.+); \}$/.exec(typeName);
  if (mapOf?.[1]) {
    if (isRecord(value)) for (const [key, item] of Object.entries(value)) unknownFieldsIn(item, mapOf[1], `${path}.${key}`, problems);
    return;
  }
  const attributes = attributesOf(typeName);
  if (!attributes || !isRecord(value)) return;
  const known = new Map(attributes.map((a) => [a.baseName, a.type]));
  for (const [key, item] of Object.entries(value)) {
    const type = known.get(key);
    if (type === undefined) problems.push(`${path}.${key}: unknown field (${typeName} has ${[...known.keys()].join(', ')})`);
    else unknownFieldsIn(item, type, `${path}.${key}`, problems);
  }
}

function unknownFieldProblems(objects: KubeObject[]): string[] {
  const problems: string[] = [];
  for (const o of objects) {
    const version = o.apiVersion.split('/').at(-1) ?? '';
    const typeName = `${version.charAt(0).toUpperCase()}${version.slice(1)}${o.kind}`;
    if (!attributesOf(typeName)) continue;
    unknownFieldsIn(o.body, typeName, describeObject(o), problems);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// (c) RBAC: what the cluster subgraph's code asks the API server for

/** One permission: an RBAC rule expanded to a single group, resource, verb and (maybe) object name. */
const permission = (group: string, resource: string, verb: string, name = '*') => `${group === '' ? 'core' : group} ${resource} ${verb} ${name}`;

/**
 * From the code: every pulled source (PULLED_SOURCES) is read by a ReportInformer, which lists its
 * collection and watches it (report-informer.ts: `listAll` GETs the collection, `watchOnce` watches it)
 * across all namespaces (pulled-sources.ts passes no namespace); every source detected by its CRD is
 * checked by reading that CRD by name (source-detection.ts `detectCrd`: readCustomResourceDefinition).
 * test/deploy-kubernetes-rbac.int.test.ts records the requests the real code sends and holds this up.
 */
function permissionsTheCodeNeeds(): Set<string> {
  const needed = new Set<string>();
  for (const source of PULLED_SOURCES) {
    for (const verb of ['list', 'watch']) needed.add(permission(source.resource.group, source.resource.plural, verb));
    if (source.detection.kind === 'crd') needed.add(permission('apiextensions.k8s.io', 'customresourcedefinitions', 'get', source.detection.crdName));
  }
  return needed;
}

/** A ClusterRole's rules as permissions; wildcards and non-resource URLs are problems, not permissions. */
function permissionsOf(role: KubeObject): { granted: Set<string>; problems: string[] } {
  const granted = new Set<string>();
  const problems: string[] = [];
  if (role.body['aggregationRule'] !== undefined) problems.push(`${describeObject(role)}: aggregationRule would add rules from other roles`);
  listOrEmpty(role.body['rules'], 'rules').forEach((r, index) => {
    const rule = rec(r, 'rule');
    const where = `${describeObject(role)} rules[${index}]`;
    const strings = (key: string) => listOrEmpty(rule[key], `${where}.${key}`).map((v) => str(v, `${where}.${key}`));
    if (rule['nonResourceURLs'] !== undefined) problems.push(`${where}: nonResourceURLs are not used by Vigil`);
    const names = strings('resourceNames');
    for (const key of ['apiGroups', 'resources', 'verbs', 'resourceNames']) {
      if (strings(key).some((v) => v.includes('*'))) problems.push(`${where}: wildcard in ${key}`);
    }
    for (const group of strings('apiGroups'))
      for (const resource of strings('resources'))
        for (const verb of strings('verbs')) for (const name of names.length > 0 ? names : ['*']) granted.add(permission(group, resource, verb, name));
  });
  return { granted, problems };
}

function rbacProblems(objects: KubeObject[]): string[] {
  const roles = objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role');
  const problems: string[] = [];
  if (roles.length !== 1) return [`expected exactly one (Cluster)Role, found ${roles.map(describeObject).join(', ') || 'none'}`];
  const [role] = roles;
  if (!role) return problems;
  const { granted, problems: ruleProblems } = permissionsOf(role);
  problems.push(...ruleProblems);
  const needed = permissionsTheCodeNeeds();
  for (const p of needed) if (!granted.has(p)) problems.push(`${describeObject(role)}: missing ${p} (the cluster subgraph needs it)`);
  for (const p of granted) if (!needed.has(p)) problems.push(`${describeObject(role)}: grants ${p}, which the cluster subgraph never uses`);
  // Bound to exactly the service account the cluster subgraph's pods run as, and to nothing else.
  const bindings = objects.filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding');
  const bound = bindings.filter((b) => rec(b.body['roleRef'], 'roleRef')['name'] === role.name);
  if (bound.length !== 1) problems.push(`${describeObject(role)}: expected one binding, found ${bound.length}`);
  for (const binding of bound) {
    const subjects = listOrEmpty(binding.body['subjects'], 'subjects').map((s) => rec(s, 'subject'));
    const users = workloads(objects).filter((w) => w.podSpec['serviceAccountName'] !== undefined && subjects.some((s) => s['kind'] === 'ServiceAccount' && s['name'] === w.podSpec['serviceAccountName'] && s['namespace'] === w.object.namespace));
    if (subjects.length !== 1) problems.push(`${describeObject(binding)}: expected one subject, found ${subjects.length}`);
    const readers = users.map(componentOf).sort();
    const expected = objects.some((o) => o.kind === 'Deployment' && o.name === 'vigil') ? ['stack'] : ['cluster'];
    if (JSON.stringify(readers) !== JSON.stringify(expected)) problems.push(`${describeObject(binding)}: used by ${readers.join(', ') || 'no pod'}, expected ${expected.join(', ')}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// (d) Security contexts

function securityProblems(objects: KubeObject[]): string[] {
  const problems: string[] = [];
  for (const w of workloads(objects)) {
    const where = describeObject(w.object);
    const pod = isRecord(w.podSpec['securityContext']) ? w.podSpec['securityContext'] : {};
    for (const key of ['hostNetwork', 'hostPID', 'hostIPC']) if (w.podSpec[key] === true) problems.push(`${where}: ${key}`);
    if (w.podSpec['enableServiceLinks'] !== false) {
      // Service links inject <SERVICE>_PORT=tcp://… for every Service: vigil-gateway becomes
      // VIGIL_GATEWAY_PORT, Vigil's own override of gateway.port, and breaks the config.
      problems.push(`${where}: enableServiceLinks must be false`);
    }
    const readsTheApi = w.podSpec['serviceAccountName'] === 'vigil-cluster-reader';
    if (!readsTheApi && w.podSpec['automountServiceAccountToken'] !== false) problems.push(`${where}: automountServiceAccountToken must be false (it never calls the Kubernetes API)`);
    for (const container of w.containers) {
      const name = `${where} container ${String(container['name'])}`;
      const own = isRecord(container['securityContext']) ? container['securityContext'] : {};
      const effective = (key: string): unknown => (own[key] !== undefined ? own[key] : pod[key]);
      if (effective('runAsNonRoot') !== true) problems.push(`${name}: runAsNonRoot must be true`);
      if (effective('runAsUser') === 0) problems.push(`${name}: runAsUser 0`);
      if (own['readOnlyRootFilesystem'] !== true) problems.push(`${name}: readOnlyRootFilesystem must be true`);
      if (own['allowPrivilegeEscalation'] !== false) problems.push(`${name}: allowPrivilegeEscalation must be false`);
      if (own['privileged'] === true) problems.push(`${name}: privileged`);
      const capabilities = isRecord(own['capabilities']) ? own['capabilities'] : {};
      if (!listOrEmpty(capabilities['drop'], 'capabilities.drop').includes('ALL')) problems.push(`${name}: capabilities.drop must include ALL`);
      if (listOrEmpty(capabilities['add'], 'capabilities.add').length > 0) problems.push(`${name}: capabilities.add must be empty`);
      const seccomp = effective('seccompProfile');
      if (!isRecord(seccomp) || seccomp['type'] !== 'RuntimeDefault') problems.push(`${name}: seccompProfile.type must be RuntimeDefault`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// Network policies

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

function toSelector(value: unknown): Selector {
  const selector = isRecord(value) ? value : {};
  return {
    matchLabels: labelsOf(selector['matchLabels']),
    matchExpressions: listOrEmpty(selector['matchExpressions'], 'matchExpressions').map((e) => {
      const expression = rec(e, 'matchExpression');
      return { key: str(expression['key'], 'key'), operator: str(expression['operator'], 'operator'), values: listOrEmpty(expression['values'], 'values').map((v) => str(v, 'value')) };
    }),
  };
}

function selects(selector: Selector, labels: Record<string, string>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const value = labels[key];
    const ok =
      operator === 'In' ? value !== undefined && values.includes(value)
      : operator === 'NotIn' ? value === undefined || !values.includes(value)
      : operator === 'Exists' ? value !== undefined
      : operator === 'DoesNotExist' ? value === undefined
      : false;
    if (!ok) return false;
  }
  return true;
}

/** `TCP/4000`, `TCP/4001-4005`, `UDP/53`. */
function portsOf(rule: Rec): string[] {
  const ports = listOrEmpty(rule['ports'], 'ports').map((p) => rec(p, 'port'));
  if (ports.length === 0) return ['any'];
  return ports.map((p) => `${typeof p['protocol'] === 'string' ? p['protocol'] : 'TCP'}/${String(p['port'] ?? 'any')}${p['endPort'] !== undefined ? `-${String(p['endPort'])}` : ''}`);
}

/** Who a rule's peer is: `any`, a pod of this namespace by component, or a description of the peer. */
function peerOf(peer: Rec, podsHere: Workload[]): string[] {
  if (peer['ipBlock'] !== undefined) return [`ipBlock ${JSON.stringify(peer['ipBlock'])}`];
  const podSelector = peer['podSelector'] === undefined ? undefined : toSelector(peer['podSelector']);
  if (peer['namespaceSelector'] !== undefined) {
    const ns = toSelector(peer['namespaceSelector']);
    return [`namespace ${JSON.stringify(ns.matchLabels)} pods ${JSON.stringify(podSelector?.matchLabels ?? {})}`];
  }
  if (!podSelector) return ['any'];
  return podsHere.filter((w) => selects(podSelector, w.podLabels)).map((w) => `pod:${componentOf(w)}`);
}

/** For each pod: what may reach it, and where it may go, as `peer port` strings; `isolated` if any policy isolates it. */
function networkView(objects: KubeObject[]): Map<string, { ingress: string[]; egress: string[]; isolated: { ingress: boolean; egress: boolean } }> {
  const pods = workloads(objects);
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => rec(o.body['spec'], 'NetworkPolicy spec'));
  const view = new Map<string, { ingress: string[]; egress: string[]; isolated: { ingress: boolean; egress: boolean } }>();
  for (const pod of pods) {
    const mine = policies.filter((spec) => selects(toSelector(spec['podSelector']), pod.podLabels));
    const types = new Set(mine.flatMap((spec) => listOrEmpty(spec['policyTypes'], 'policyTypes').map((t) => str(t, 'policyType'))));
    const allowed = (direction: 'ingress' | 'egress') =>
      mine
        .flatMap((spec) => listOrEmpty(spec[direction], direction).map((r) => rec(r, 'rule')))
        .flatMap((rule) => {
          const peers = listOrEmpty(rule[direction === 'ingress' ? 'from' : 'to'], 'peers').map((p) => rec(p, 'peer'));
          const who = peers.length === 0 ? ['any'] : peers.flatMap((peer) => peerOf(peer, pods));
          return who.flatMap((peer) => portsOf(rule).map((port) => `${peer} ${port}`));
        })
        .sort();
    view.set(componentOf(pod), { ingress: [...new Set(allowed('ingress'))], egress: [...new Set(allowed('egress'))], isolated: { ingress: types.has('Ingress'), egress: types.has('Egress') } });
  }
  return view;
}

const DNS = ['namespace {"kubernetes.io/metadata.name":"kube-system"} pods {"k8s-app":"kube-dns"} TCP/53', 'namespace {"kubernetes.io/metadata.name":"kube-system"} pods {"k8s-app":"kube-dns"} UDP/53'];
const API_SERVER = ['any TCP/443', 'any TCP/6443'];
const VICTORIALOGS = ['any TCP/9428'];
const SSH = ['any TCP/22'];
const REDIS_OUT = ['pod:(none) TCP/6379'];
// Prometheus scrapes the subgraphs' /metrics (kube-prometheus-stack's namespace and pod name).
const PROMETHEUS_IN = ['namespace {"kubernetes.io/metadata.name":"monitoring"} pods {"app.kubernetes.io/name":"prometheus"} TCP/4001-4005'];

/**
 * Exactly what may reach each pod and where each may go. From outside, only the gateway's port and the
 * cluster subgraph's webhook port; out, only Redis, VictoriaLogs, the API server, SSH and DNS, each for
 * the services that use it. Redis pods carry no component label: `pod:(none)`.
 */
const EXPECTED_NETWORK: Readonly<Record<string, Readonly<Record<string, { ingress: string[]; egress: string[] }>>>> = {
  'one-process': {
    stack: { ingress: ['any TCP/4000'], egress: [...API_SERVER, ...VICTORIALOGS, ...SSH, ...DNS, ...REDIS_OUT] },
    '(none)': { ingress: ['pod:stack TCP/6379'], egress: DNS },
  },
  'per-service': {
    gateway: { ingress: ['any TCP/4000'], egress: ['pod:alerts TCP/4001-4005', 'pod:audit TCP/4001-4005', 'pod:cluster TCP/4001-4005', 'pod:compliance TCP/4001-4005', 'pod:hosts TCP/4001-4005', ...DNS] },
    // Timelines: the alerts subgraph reads hosts, cluster and audit as the caller.
    hosts: { ingress: ['pod:alerts TCP/4001-4003', 'pod:gateway TCP/4001-4005', ...PROMETHEUS_IN], egress: [...SSH, ...DNS, ...REDIS_OUT] },
    cluster: { ingress: ['any TCP/4002', 'pod:alerts TCP/4001-4003', 'pod:gateway TCP/4001-4005', ...PROMETHEUS_IN], egress: [...API_SERVER, ...VICTORIALOGS, ...DNS, ...REDIS_OUT] },
    audit: { ingress: ['pod:alerts TCP/4001-4003', 'pod:gateway TCP/4001-4005', ...PROMETHEUS_IN], egress: [...VICTORIALOGS, ...DNS, ...REDIS_OUT] },
    compliance: { ingress: ['pod:gateway TCP/4001-4005', ...PROMETHEUS_IN], egress: [...DNS, 'pod:gateway TCP/4000', ...REDIS_OUT] },
    alerts: { ingress: ['pod:gateway TCP/4001-4005', ...PROMETHEUS_IN], egress: ['pod:audit TCP/4003', 'pod:cluster TCP/4002', 'pod:hosts TCP/4001', ...DNS, ...REDIS_OUT] },
    '(none)': { ingress: ['pod:alerts TCP/6379', 'pod:audit TCP/6379', 'pod:cluster TCP/6379', 'pod:compliance TCP/6379', 'pod:hosts TCP/6379'], egress: DNS },
  },
};

/** Whether a `peer TCP/port` or `peer TCP/from-to` rule covers a port. */
function portInRule(port: number, rule: string): boolean {
  const match = /TCP\/(\d+)(?:-(\d+))?$/.exec(rule);
  if (!match) return false;
  const from = Number(match[1]);
  const to = match[2] === undefined ? from : Number(match[2]);
  return port >= from && port <= to;
}

function networkProblems(overlay: string, objects: KubeObject[]): string[] {
  const expected = EXPECTED_NETWORK[overlay];
  if (!expected) return [`no network expectations for overlay ${overlay}`];
  const problems: string[] = [];
  const view = networkView(objects);
  for (const [component, seen] of view) {
    if (!seen.isolated.ingress || !seen.isolated.egress) problems.push(`${component}: not isolated by a default-deny policy`);
    const want = expected[component];
    if (!want) {
      problems.push(`${component}: no expectation`);
      continue;
    }
    const sorted = (values: string[]) => [...values].sort();
    if (JSON.stringify(seen.ingress) !== JSON.stringify(sorted(want.ingress))) problems.push(`${component} ingress: ${JSON.stringify(seen.ingress)}, expected ${JSON.stringify(sorted(want.ingress))}`);
    if (JSON.stringify(seen.egress) !== JSON.stringify(sorted(want.egress))) problems.push(`${component} egress: ${JSON.stringify(seen.egress)}, expected ${JSON.stringify(sorted(want.egress))}`);
  }
  for (const component of Object.keys(expected)) if (!view.has(component)) problems.push(`${component}: expected a pod`);
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// Configuration: the ConfigMap and each container's environment, through Vigil's config loader

const SECRET_NAME = 'vigil-secrets';

/** The environment a container sees: secrets replaced by test values, `$(VAR)` expanded as the kubelet does. */
function containerEnv(container: Rec): { env: Record<string, string>; secretKeys: string[] } {
  const env: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const item of listOrEmpty(container['env'], 'env').map((e) => rec(e, 'env item'))) {
    const name = str(item['name'], 'env name');
    if (typeof item['value'] === 'string') {
      env[name] = item['value'].replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, ref: string | undefined) => (ref === undefined ? '$' : (env[ref] ?? whole)));
      continue;
    }
    const from = rec(item['valueFrom'], `${name} valueFrom`);
    const secretRef = rec(from['secretKeyRef'], `${name} secretKeyRef`);
    const key = str(secretRef['key'], 'secret key');
    if (secretRef['name'] !== SECRET_NAME) throw new Error(`${name}: secret ${String(secretRef['name'])}, expected ${SECRET_NAME}`);
    secretKeys.push(key);
    // Long enough for every minimum, URL-safe (it ends up in REDIS_URL), and never a real secret.
    env[name] = `test-${key}-0123456789abcdef0123456789abcdef`;
  }
  return { env, secretKeys };
}

type SectionName = 'hosts' | 'cluster' | 'audit' | 'compliance' | 'alerts';

/**
 * The config model each service's entry (subgraphs/<name>/src/index.ts) builds: shared keys, its
 * section strict, the rest tolerated, and the signing secret required in production. (An entry's
 * own extra production checks are not repeated here; the manifests give each service every secret
 * its section takes.)
 */
const SECTIONS: Readonly<Record<SectionName, { schema: z.ZodType; overrides: EnvOverride[] }>> = {
  hosts: { schema: z.object({ ...serviceConfigShape, hosts: hostsConfig.prefault({}) }).strict().superRefine(requireSecretInProduction, ALWAYS_CHECK), overrides: hostsOverrides },
  cluster: { schema: z.object({ ...serviceConfigShape, cluster: clusterConfig.prefault({}) }).strict().superRefine(requireSecretInProduction, ALWAYS_CHECK), overrides: clusterOverrides },
  audit: { schema: z.object({ ...serviceConfigShape, audit: auditConfig.prefault({}) }).strict().superRefine(requireSecretInProduction, ALWAYS_CHECK), overrides: auditOverrides },
  compliance: { schema: z.object({ ...serviceConfigShape, compliance: complianceConfig.prefault({}) }).strict().superRefine(requireSecretInProduction, ALWAYS_CHECK), overrides: complianceOverrides },
  alerts: { schema: z.object({ ...serviceConfigShape, alerts: alertsConfig.prefault({}) }).strict().superRefine(requireSecretInProduction, ALWAYS_CHECK), overrides: [] },
};
const isSection = (name: string): name is SectionName => Object.hasOwn(SECTIONS, name);

/** Every variable some Vigil service reads (lib/src/config.ts: nothing else reads process.env). */
const KNOWN_ENV = new Set(['VIGIL_CONFIG', 'VIGIL_PORT', ...vigilOverrides.map((o) => o.env), ...baseOverrides.map((o) => o.env), ...Object.values(SECTIONS).flatMap((s) => s.overrides.map((o) => o.env))]);

/**
 * Which source file a Vigil container runs, from its command: `node dist/<name>.mjs`, the image's
 * compiled entry (build.ts), built from ENTRY_POINTS[name]. No tsx: the image has none.
 */
function entryOf(container: Rec): string | undefined {
  const command = listOrEmpty(container['command'], 'command').map((c) => str(c, 'command'));
  if (command.length !== 2 || command[0] !== 'node') return undefined;
  const entry = Object.entries(ENTRY_POINTS).find(([name]) => compiledEntry(name as EntryName) === command[1]);
  return entry?.[1];
}

const tmp = mkdtempSync(join(tmpdir(), 'vigil-deploy-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function configProblems(overlay: string, objects: KubeObject[]): string[] {
  const problems: string[] = [];
  for (const w of workloads(objects).filter(isVigil)) {
    for (const container of w.containers) {
      const where = `${describeObject(w.object)} container ${String(container['name'])}`;
      let env: Record<string, string>;
      try {
        env = containerEnv(container).env;
      } catch (error) {
        problems.push(`${where}: ${error instanceof Error ? error.message : String(error)}`);
        continue;
      }
      // Helpers such as REDIS_PASSWORD exist only to be spliced into another variable.
      const spliced = new Set(listOrEmpty(container['env'], 'env').flatMap((e) => [...String(rec(e, 'env')['value'] ?? '').matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)].map((m) => m[1])));
      for (const name of Object.keys(env)) if (!KNOWN_ENV.has(name) && !spliced.has(name)) problems.push(`${where}: ${name} is read by no Vigil service`);

      // The config file: VIGIL_CONFIG names the generated ConfigMap's vigil.yaml through a mount.
      const configPath = env['VIGIL_CONFIG'];
      const mount = listOrEmpty(container['volumeMounts'], 'volumeMounts').map((m) => rec(m, 'mount')).find((m) => configPath !== undefined && configPath.startsWith(`${String(m['mountPath'])}/`));
      const volume = listOrEmpty(w.podSpec['volumes'], 'volumes').map((v) => rec(v, 'volume')).find((v) => mount !== undefined && v['name'] === mount['name']);
      const configMapName = isRecord(volume?.['configMap']) ? volume['configMap']['name'] : undefined;
      const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.name === configMapName);
      const key = configPath?.split('/').at(-1) ?? '';
      const data = isRecord(configMap?.body['data']) ? configMap.body['data'][key] : undefined;
      if (typeof data !== 'string') {
        problems.push(`${where}: VIGIL_CONFIG ${configPath ?? '(unset)'} is not a key of a mounted ConfigMap`);
        continue;
      }
      const file = join(tmp, `${overlay}-${w.object.name}-${String(container['name'])}.yaml`);
      writeFileSync(file, data);
      const loadEnv = { ...env, VIGIL_CONFIG: file };

      // Which service this container is, and which config model its entry loads.
      const entry = entryOf(container);
      const component = componentOf(w);
      try {
        if (component === 'stack' || component === 'gateway') {
          const expectedEntry = component === 'stack' ? npmStartEntry() : 'gateway/src/index.ts';
          if (entry !== expectedEntry) problems.push(`${where}: runs ${entry ?? '(not node dist/<name>.mjs)'}, expected ${expectedEntry}`);
          // The gateway's own process checks what gateway/src/index.ts checks; the stack checks everything.
          const config = component === 'gateway' ? loadVigilConfig(loadEnv, [{ env: 'VIGIL_PORT', path: ['gateway', 'port'] }], gatewayProcessConfig) : loadVigilConfig(loadEnv);
          checkPort(where, container, config.gateway.port, problems);
          if (component === 'gateway') {
            problems.push(...subgraphUrlProblems(where, config.gateway.subgraphs, objects));
            problems.push(...surplusWebhookTokens(where, loadEnv));
          }
          if (component === 'stack') problems.push(...inClusterProblems(where, config.cluster));
        } else if (isSection(component)) {
          const expectedEntry = `subgraphs/${component}/src/index.ts`;
          if (entry !== expectedEntry) problems.push(`${where}: runs ${entry ?? '(not node dist/<name>.mjs)'}, expected ${expectedEntry}`);
          const { schema, overrides } = SECTIONS[component];
          const config = rec(loadConfig({ schema, env: loadEnv, overrides: [...baseOverrides, ...overrides, { env: 'VIGIL_PORT', path: [component, 'port'] }] }), 'config');
          checkPort(where, container, rec(config[component], component)['port'], problems);
          if (component === 'cluster') problems.push(...inClusterProblems(where, clusterConfig.parse(config['cluster'])));
          if (component === 'compliance') problems.push(...serviceUrlProblems(where, 'VIGIL_GATEWAY_URL', str(rec(config['compliance'], 'compliance')['gatewayUrl'], 'gatewayUrl'), 'vigil-gateway', objects));
        } else {
          problems.push(`${where}: unknown component ${component}`);
        }
      } catch (error) {
        problems.push(`${where}: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (entry !== undefined && !existsSync(join(root, entry))) problems.push(`${where}: ${entry} does not exist`);
    }
  }
  return problems;
}

/** The gateway never uses the webhooks' tokens (its own process does not check them): least privilege says it must not get them. */
function surplusWebhookTokens(where: string, env: Record<string, string>): string[] {
  const tokens = ['VIGIL_FALCO_TOKEN', 'VIGIL_AUDIT_WEBHOOK_TOKEN'].filter((name) => env[name] !== undefined);
  if (tokens.length === 0) return [];
  try {
    loadVigilConfig(Object.fromEntries(Object.entries(env).filter(([name]) => !tokens.includes(name))), [{ env: 'VIGIL_PORT', path: ['gateway', 'port'] }], gatewayProcessConfig);
  } catch {
    return [];
  }
  return [`${where}: starts without ${tokens.join(' and ')}; remove them from its environment`];
}

/** package.json "start": `tsx <entry>`. */
function npmStartEntry(): string {
  const pkg = rec(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')), 'package.json');
  const start = str(rec(pkg['scripts'], 'scripts')['start'], 'scripts.start');
  const match = /^tsx (\S+)$/.exec(start);
  if (!match?.[1]) throw new Error(`package.json start is "${start}", not "tsx <entry>"`);
  return match[1];
}

function checkPort(where: string, container: Rec, port: unknown, problems: string[]): void {
  const ports = listOrEmpty(container['ports'], 'ports').map((p) => rec(p, 'port'));
  if (!ports.some((p) => p['name'] === 'http' && p['containerPort'] === port)) problems.push(`${where}: listens on ${String(port)}, but its http containerPort is ${JSON.stringify(ports)}`);
}

/** A URL's host must be a Service of this render, its port that Service's port, leading to the container port that serves it. */
function serviceUrlProblems(where: string, what: string, url: string, expectedService: string, objects: KubeObject[]): string[] {
  const parsed = new URL(url);
  const service = objects.find((o) => o.kind === 'Service' && o.name === parsed.hostname);
  if (!service) return [`${where}: ${what} ${url} names no Service`];
  const problems: string[] = [];
  if (service.name !== expectedService) problems.push(`${where}: ${what} points at ${service.name}, expected ${expectedService}`);
  const ports = listOrEmpty(rec(service.body['spec'], 'spec')['ports'], 'ports').map((p) => rec(p, 'port'));
  if (!ports.some((p) => String(p['port']) === parsed.port)) problems.push(`${where}: ${what} ${url}: Service ${service.name} has no port ${parsed.port}`);
  return problems;
}

function subgraphUrlProblems(where: string, urls: Readonly<Record<string, string>>, objects: KubeObject[]): string[] {
  return Object.entries(urls).flatMap(([name, url]) => serviceUrlProblems(where, `VIGIL_${name.toUpperCase()}_URL`, url, `vigil-${name}`, objects));
}

/**
 * In a pod, client-node's discovery finds no kubeconfig and loads the service account's
 * (`loadFromCluster`), whose one context the config must name; and the cluster recorded on pulled
 * reports must be the one recorded on pushed events (cluster.name).
 */
function inClusterProblems(where: string, cluster: { name: string; kubernetes?: { contexts: readonly (string | { context: string; name?: string | undefined })[] } | undefined }): string[] {
  if (!cluster.kubernetes) return [`${where}: cluster.kubernetes is unset, so no report is read`];
  const inCluster = new kubernetesClient.KubeConfig();
  inCluster.loadFromCluster(join(tmp, 'no-such-prefix'));
  try {
    const clusters = kubeClustersFrom(inCluster, cluster.kubernetes.contexts);
    return clusters.map((c) => c.name).join() === cluster.name ? [] : [`${where}: the in-cluster context is recorded as ${clusters.map((c) => c.name).join()}, but pushed events as ${cluster.name}`];
  } catch (error) {
    return [`${where}: ${error instanceof Error ? error.message : String(error)}`];
  }
}

// ---------------------------------------------------------------------------------------------------
// Secrets: referenced, never committed

function secretProblems(objects: KubeObject[]): string[] {
  const problems = objects.filter((o) => o.kind === 'Secret').map((o) => `${describeObject(o)}: secrets are created by the operator (deploy/README.md), never committed`);
  const readme = readFileSync(join(root, 'deploy', 'README.md'), 'utf8');
  for (const w of workloads(objects)) {
    for (const container of w.containers) {
      for (const key of containerEnv(container).secretKeys) if (!readme.includes(key)) problems.push(`${describeObject(w.object)}: secret key ${key} is not documented in deploy/README.md`);
    }
    for (const volume of listOrEmpty(w.podSpec['volumes'], 'volumes').map((v) => rec(v, 'volume'))) {
      const secret = isRecord(volume['secret']) ? volume['secret'] : undefined;
      if (secret && !readme.includes(String(secret['secretName']))) problems.push(`${describeObject(w.object)}: secret ${String(secret['secretName'])} is not documented in deploy/README.md`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// The tests

describe('deploy/kubernetes', () => {
  it('has the two overlays, and kubectl kustomize renders each', () => {
    expect(OVERLAYS).toEqual(['one-process', 'per-service']);
    for (const overlay of OVERLAYS) expect(objectsOf(overlay).length).toBeGreaterThan(10);
  });

  describe.each(OVERLAYS)('overlay %s', (overlay) => {
    const objects = objectsOf(overlay);

    it('renders the objects the deployment needs', () => {
      const kinds = new Set(objects.map((o) => o.kind));
      for (const kind of ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Service', 'Deployment', 'StatefulSet', 'NetworkPolicy', 'PodDisruptionBudget', 'ServiceMonitor']) {
        expect(kinds, kind).toContain(kind);
      }
      for (const o of objects) if (!['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind)) expect(o.namespace, describeObject(o)).toBe('vigil');
    });

    it('every object is valid against its Kubernetes schema', () => {
      expect(schemaProblems(objects)).toEqual([]);
    });

    it('no object has a field Kubernetes does not know', () => {
      expect(unknownFieldProblems(objects)).toEqual([]);
    });

    it('the ClusterRole grants exactly what the cluster subgraph reads, to the pods that run it', () => {
      expect(rbacProblems(objects)).toEqual([]);
    });

    it('every container runs non-root, read-only, without privileges or capabilities, under RuntimeDefault seccomp', () => {
      expect(workloads(objects).flatMap((w) => w.containers).length).toBeGreaterThan(1);
      expect(securityProblems(objects)).toEqual([]);
    });

    it('network policies: in only to the gateway and the cluster webhooks; out only to Redis, VictoriaLogs, the API server, SSH and DNS', () => {
      expect(networkProblems(overlay, objects)).toEqual([]);
    });

    it("each container's config file and environment pass Vigil's own config loader, and its entry, port and URLs fit the rendered Services", () => {
      expect(configProblems(overlay, objects)).toEqual([]);
    });

    it('secrets are referenced, never committed, and every key is documented', () => {
      expect(secretProblems(objects)).toEqual([]);
    });

    it('Redis keeps its data: a StatefulSet with a volume claim and the append-only file on', () => {
      const redis = only(objects, 'StatefulSet', 'vigil-redis');
      const spec = rec(redis.body['spec'], 'spec');
      expect(listOrEmpty(spec['volumeClaimTemplates'], 'volumeClaimTemplates')).toHaveLength(1);
      const [container] = workloads([redis]).flatMap((w) => w.containers);
      const args = listOrEmpty(container?.['args'], 'args').map(String);
      expect(args[args.indexOf('--appendonly') + 1]).toBe('yes');
      expect(args[args.indexOf('--dir') + 1]).toBe(String(rec(listOrEmpty(container?.['volumeMounts'], 'mounts')[0], 'mount')['mountPath']));
    });

    it('every Deployment has a PodDisruptionBudget, and ServiceMonitors scrape /metrics of every Vigil service, through ports its NetworkPolicies open', () => {
      const deployments = workloads(objects).filter((w) => w.object.kind === 'Deployment');
      const budgets = objects.filter((o) => o.kind === 'PodDisruptionBudget').map((o) => toSelector(rec(o.body['spec'], 'spec')['selector']));
      for (const d of deployments) expect(budgets.filter((b) => selects(b, d.podLabels)), describeObject(d.object)).toHaveLength(1);

      const network = networkView(objects);
      const scraped: string[] = [];
      for (const monitor of objects.filter((o) => o.kind === 'ServiceMonitor')) {
        const spec = rec(monitor.body['spec'], 'spec');
        const services = objects.filter((o) => o.kind === 'Service' && selects(toSelector(spec['selector']), labelsOf(rec(o.body['metadata'], 'metadata')['labels'])));
        expect(services.length, describeObject(monitor)).toBeGreaterThan(0);
        const [endpoint, ...more] = listOrEmpty(spec['endpoints'], 'endpoints').map((e) => rec(e, 'endpoint'));
        expect(more).toEqual([]);
        expect(endpoint?.['path']).toBe('/metrics');
        for (const service of services) {
          const ports = listOrEmpty(rec(service.body['spec'], 'spec')['ports'], 'ports').map((p) => rec(p, 'port'));
          const port = ports.find((p) => p['name'] === endpoint?.['port']);
          expect(port, `${describeObject(service)} has no port ${String(endpoint?.['port'])}`).toBeDefined();
          const selected = workloads(objects).filter((w) => selects({ matchLabels: labelsOf(rec(service.body['spec'], 'spec')['selector']) }, w.podLabels));
          for (const pod of selected) {
            const component = componentOf(pod);
            scraped.push(component);
            // Prometheus runs outside the namespace: a rule open to any peer, or to a monitoring namespace, must admit the port.
            const admits = (network.get(component)?.ingress ?? []).some((rule) => (rule.startsWith('any ') || rule.includes('"monitoring"')) && portInRule(Number(port?.['port']), rule));
            expect(admits, `${component}: no NetworkPolicy admits Prometheus to port ${String(port?.['port'])}`).toBe(true);
          }
        }
      }
      const services = workloads(objects).map(componentOf).filter((c) => c !== '(none)');
      expect([...new Set(scraped)].sort()).toEqual([...new Set(services)].sort());
    });
  });

  it('both overlays share one ClusterRole and config', () => {
    const [a, b] = OVERLAYS.map(objectsOf);
    const role = (objects: KubeObject[] | undefined) => JSON.stringify(only(objects ?? [], 'ClusterRole').body);
    const config = (objects: KubeObject[] | undefined) => JSON.stringify(only(objects ?? [], 'ConfigMap').body);
    expect(role(a)).toBe(role(b));
    expect(config(a)).toBe(config(b));
  });

  it('the RBAC derived from the code covers every pulled source', () => {
    const needed = permissionsTheCodeNeeds();
    expect(PULLED_SOURCES.length).toBeGreaterThan(0);
    for (const source of PULLED_SOURCES) expect([...needed].some((p) => p.includes(` ${source.resource.plural} list `)), source.name).toBe(true);
  });
});

describe('a deliberately broken copy of deploy/kubernetes fails the checks', () => {
  /** Copies the manifests, applies `edits` (file → [from, to]), renders `overlay` from the copy. */
  function renderBroken(overlay: string, edits: Record<string, [string, string]>): KubeObject[] {
    const dir = mkdtempSync(join(tmp, 'broken-'));
    cpSync(kubernetesDir, dir, { recursive: true });
    for (const [file, [from, to]] of Object.entries(edits)) {
      const path = join(dir, file);
      const text = readFileSync(path, 'utf8');
      if (!text.includes(from)) throw new Error(`${relative(dir, path)} does not contain ${from}`);
      writeFileSync(path, text.replace(from, to));
    }
    return render(join(dir, 'overlays', overlay));
  }

  it('a Deployment with replicas as a string fails schema validation', () => {
    const objects = renderBroken('per-service', { 'overlays/per-service/hosts.yaml': ['replicas: 1', 'replicas: "one"'] });
    expect(schemaProblems(objects)).toEqual([expect.stringContaining('Deployment/vigil-hosts: data/spec/replicas must be integer')]);
  });

  it('a misspelt securityContext field is an unknown field, and the container is then writable', () => {
    const objects = renderBroken('per-service', { 'overlays/per-service/audit.yaml': ['readOnlyRootFilesystem: true', 'readOnlyRootFilesytem: true'] });
    expect(schemaProblems(objects)).toEqual([]);
    expect(unknownFieldProblems(objects)).toEqual([expect.stringContaining('Deployment/vigil-audit.spec.template.spec.containers[0].securityContext.readOnlyRootFilesytem: unknown field')]);
    expect(securityProblems(objects)).toEqual(['Deployment/vigil-audit container audit: readOnlyRootFilesystem must be true']);
  });

  it('an extra verb, or a missing resource, in the ClusterRole fails the RBAC comparison', () => {
    const extra = renderBroken('one-process', { 'base/rbac.yaml': ['verbs: ["list", "watch"]', 'verbs: ["get", "list", "watch"]'] });
    expect(rbacProblems(extra)).toEqual([
      'ClusterRole/vigil-cluster-reader: grants aquasecurity.github.io vulnerabilityreports get *, which the cluster subgraph never uses',
      'ClusterRole/vigil-cluster-reader: grants aquasecurity.github.io configauditreports get *, which the cluster subgraph never uses',
      'ClusterRole/vigil-cluster-reader: grants aquasecurity.github.io clustercompliancereports get *, which the cluster subgraph never uses',
    ]);
    const missing = renderBroken('one-process', { 'base/rbac.yaml': ['resources: ["policyreports", "clusterpolicyreports"]', 'resources: ["policyreports"]'] });
    expect(rbacProblems(missing)).toEqual([
      'ClusterRole/vigil-cluster-reader: missing wgpolicyk8s.io clusterpolicyreports list * (the cluster subgraph needs it)',
      'ClusterRole/vigil-cluster-reader: missing wgpolicyk8s.io clusterpolicyreports watch * (the cluster subgraph needs it)',
    ]);
  });

  it('privilege escalation allowed on Redis fails the securityContext check', () => {
    const objects = renderBroken('one-process', { 'base/redis.yaml': ['allowPrivilegeEscalation: false', 'allowPrivilegeEscalation: true'] });
    expect(securityProblems(objects)).toEqual(['StatefulSet/vigil-redis container redis: allowPrivilegeEscalation must be false']);
  });

  it('an extra open port fails the network policy check', () => {
    const objects = renderBroken('per-service', { 'overlays/per-service/network-policies.yaml': ['          port: 9428\n---\n# The audit', '          port: 5432\n---\n# The audit'] });
    expect(networkProblems('per-service', objects)).toEqual([expect.stringContaining('cluster egress: ["any TCP/443","any TCP/5432","any TCP/6443"')]);
  });

  it('a config key Vigil does not know, or a misspelt variable, fails the config check', () => {
    const objects = renderBroken('per-service', {
      'base/vigil.yaml': ['  local:\n    enabled: false', '  local:\n    enabled: false\n    probe: true'],
      'overlays/per-service/alerts.yaml': ['- name: VIGIL_SIGNING_SECRET', '- name: VIGIL_SIGNING_SECRT'],
    });
    const problems = configProblems('per-service', objects);
    expect(problems).toContain('Deployment/vigil-alerts container alerts: VIGIL_SIGNING_SECRT is read by no Vigil service');
    expect(problems).toContain('Deployment/vigil-hosts container hosts: Invalid configuration:\n  - hosts.local.probe: unknown key');
  });
});
