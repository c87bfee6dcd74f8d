/**
 * Kubernetes kinds to the resource names audit events carry (objectRef.resource). Audit events
 * name resources, the graph's KubeObject names kinds; this table covers the built-in kinds. An
 * unknown kind falls back to the API server's own default: lowercase plural with an "s".
 */
const KIND_TO_RESOURCE: Record<string, string> = {
  Pod: 'pods',
  Service: 'services',
  Secret: 'secrets',
  ConfigMap: 'configmaps',
  Namespace: 'namespaces',
  Node: 'nodes',
  ServiceAccount: 'serviceaccounts',
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
  ReplicaSet: 'replicasets',
  Job: 'jobs',
  CronJob: 'cronjobs',
  Ingress: 'ingresses',
  NetworkPolicy: 'networkpolicies',
  Role: 'roles',
  RoleBinding: 'rolebindings',
  ClusterRole: 'clusterroles',
  ClusterRoleBinding: 'clusterrolebindings',
  PersistentVolume: 'persistentvolumes',
  PersistentVolumeClaim: 'persistentvolumeclaims',
  StorageClass: 'storageclasses',
  CustomResourceDefinition: 'customresourcedefinitions',
  Endpoints: 'endpoints',
  Event: 'events',
  PodSecurityPolicy: 'podsecuritypolicies',
  ValidatingWebhookConfiguration: 'validatingwebhookconfigurations',
  MutatingWebhookConfiguration: 'mutatingwebhookconfigurations',
};

const RESOURCE_TO_KIND = Object.fromEntries(Object.entries(KIND_TO_RESOURCE).map(([kind, resource]) => [resource, kind]));

export function resourceOfKind(kind: string): string {
  return KIND_TO_RESOURCE[kind] ?? `${kind.toLowerCase()}s`;
}

/** The kind for a resource name, or null when the table does not know it (no guessing backwards). */
export function kindOfResource(resource: string): string | null {
  return RESOURCE_TO_KIND[resource] ?? null;
}
