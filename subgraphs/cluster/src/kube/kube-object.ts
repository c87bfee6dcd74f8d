import { isRecord } from '@vigil/lib/is-record';
/** The parts of a Kubernetes object the informers rely on; everything else is passed through untouched. */
export interface KubeObjectMeta {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
  labels?: Record<string, string>;
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: KubeObjectMeta;
  [key: string]: unknown;
}

/** A collection the informers list and watch. */
export interface KubeResource {
  /** API group; '' for the core group (ConfigMaps). */
  group: string;
  version: string;
  /** The resource name in URLs, e.g. `vulnerabilityreports`. */
  plural: string;
  kind: string;
  namespaced: boolean;
  /** Label selector applied to list and watch, e.g. `app=kube-bench`. */
  labelSelector?: string;
}

export { isRecord };

export function apiVersionOf(resource: Pick<KubeResource, 'group' | 'version'>): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
}

/** `/api/v1/configmaps`, `/apis/<group>/<version>/<plural>`, or the namespaced form when `namespace` is given. */
export function collectionPath(resource: KubeResource, namespace?: string): string {
  const base = resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
  return namespace !== undefined && resource.namespaced ? `${base}/namespaces/${encodeURIComponent(namespace)}/${resource.plural}` : `${base}/${resource.plural}`;
}

/**
 * Checks a decoded JSON value is an object with name, uid and resourceVersion, and returns it typed.
 * Items of built-in kinds arrive in lists without apiVersion/kind (the typed encoder omits them), so
 * those are filled in from the resource being read: handlers always see complete objects.
 */
export function toKubeObject(value: unknown, resource: Pick<KubeResource, 'group' | 'version' | 'kind'>): KubeObject | null {
  if (!isRecord(value) || !isRecord(value.metadata)) return null;
  const { name, uid, resourceVersion, namespace, labels } = value.metadata;
  if (typeof name !== 'string' || typeof uid !== 'string' || typeof resourceVersion !== 'string') return null;
  const metadata: KubeObjectMeta = { ...value.metadata, name, uid, resourceVersion, namespace: undefined, labels: undefined };
  if (typeof namespace === 'string') metadata.namespace = namespace;
  else delete metadata.namespace;
  if (isRecord(labels)) metadata.labels = Object.fromEntries(Object.entries(labels).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  else delete metadata.labels;
  return {
    ...value,
    apiVersion: typeof value.apiVersion === 'string' ? value.apiVersion : apiVersionOf(resource),
    kind: typeof value.kind === 'string' ? value.kind : resource.kind,
    metadata,
  };
}
