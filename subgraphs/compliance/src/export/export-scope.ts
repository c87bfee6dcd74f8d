import { badInput } from '@vigil/lib/errors';
import type { Subject } from '../results.js';
import { clusterOf, hostOf, namespaceOf, type ResultsView } from '../view.js';

/** What an export covers: every subject, or the subjects of one cluster, one host or one namespace. */
export type ExportScope =
  | { kind: 'ALL' }
  | { kind: 'CLUSTER'; cluster: string }
  | { kind: 'HOST'; host: string }
  | { kind: 'NAMESPACE'; cluster: string; namespace: string };

export interface ExportScopeInput {
  cluster?: string | null;
  host?: string | null;
  namespace?: string | null;
}

const MAX_NAME = 253;

/**
 * The scope an export asks for, checked against what the caller can see: a cluster or host that no
 * visible result names is refused (BAD_USER_INPUT naming the argument) rather than exported as an
 * empty document an auditor would read as "nothing to report". The check reads every framework's
 * results, as the other frameworks may name the cluster even when the exported one has nothing there.
 */
export function exportScope(input: ExportScopeInput | null | undefined, view: ResultsView): ExportScope {
  const cluster = text(input?.cluster, 'scope.cluster');
  const host = text(input?.host, 'scope.host');
  const namespace = text(input?.namespace, 'scope.namespace');
  if (host !== null && (cluster !== null || namespace !== null)) throw badInput('scope: give either host, or cluster (with an optional namespace), not both', { argument: 'scope' });
  if (namespace !== null && cluster === null) throw badInput('scope.namespace needs scope.cluster: namespaces are named within a cluster', { argument: 'scope.namespace' });
  if (host === null && cluster === null) return { kind: 'ALL' };
  const known = knownScopes(view);
  if (host !== null) {
    if (!known.hosts.has(host)) throw badInput(`scope.host: no compliance result visible to you is about host ${JSON.stringify(host)}`, { argument: 'scope.host' });
    return { kind: 'HOST', host };
  }
  if (!known.clusters.has(cluster!)) throw badInput(`scope.cluster: no compliance result visible to you is about cluster ${JSON.stringify(cluster)}`, { argument: 'scope.cluster' });
  if (namespace !== null) {
    if (!known.namespaces.has(`${cluster}/${namespace}`)) throw badInput(`scope.namespace: no compliance result visible to you is about namespace ${JSON.stringify(namespace)} of cluster ${JSON.stringify(cluster)}`, { argument: 'scope.namespace' });
    return { kind: 'NAMESPACE', cluster: cluster!, namespace };
  }
  return { kind: 'CLUSTER', cluster: cluster! };
}

function text(value: string | null | undefined, argument: string): string | null {
  if (value == null) return null;
  const trimmed = value.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_NAME) throw badInput(`${argument} must be 1 to ${MAX_NAME} characters`, { argument });
  return trimmed;
}

function knownScopes(view: ResultsView): { clusters: Set<string>; hosts: Set<string>; namespaces: Set<string> } {
  const clusters = new Set<string>();
  const hosts = new Set<string>();
  const namespaces = new Set<string>();
  for (const control of view.controls(null)) {
    for (const r of view.results(control)) {
      const c = clusterOf(r.subject);
      const h = hostOf(r.subject);
      if (c !== null) clusters.add(c);
      const n = namespaceOf(r.subject);
      if (h !== null) hosts.add(h);
      if (n !== null) namespaces.add(n);
    }
  }
  return { clusters, hosts, namespaces };
}

/** Whether a subject is in the scope; a whole-control result (no subject) only in an unscoped export. */
export function inScope(scope: ExportScope, subject: Subject | null): boolean {
  switch (scope.kind) {
    case 'ALL':
      return true;
    case 'CLUSTER':
      return subject !== null && subject.cluster === scope.cluster;
    case 'HOST':
      return hostOf(subject) === scope.host;
    case 'NAMESPACE':
      return subject !== null && subject.cluster === scope.cluster && subject.namespace === scope.namespace;
  }
}

/** The scope in words, for titles and descriptions. */
export function describeScope(scope: ExportScope): string {
  switch (scope.kind) {
    case 'ALL':
      return 'every subject';
    case 'CLUSTER':
      return `cluster ${scope.cluster}`;
    case 'HOST':
      return `host ${scope.host}`;
    case 'NAMESPACE':
      return `namespace ${scope.cluster}/${scope.namespace}`;
  }
}

/** A stable, file-name-safe label of the scope. */
export function scopeSlug(scope: ExportScope): string {
  const raw = scope.kind === 'ALL' ? 'all' : scope.kind === 'CLUSTER' ? `cluster-${scope.cluster}` : scope.kind === 'HOST' ? `host-${scope.host}` : `namespace-${scope.cluster}-${scope.namespace}`;
  return raw.toLowerCase().replace(/[^a-z0-9._-]+/g, '_');
}
