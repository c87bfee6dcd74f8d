/**
 * Kubernetes resource names (plural, as audit records and URLs carry them) and kinds (as objects
 * and the graph's KubeObject carry them), for the built-in resources. One table for every part of
 * Vigil that has to go from one to the other.
 */
export const KIND_BY_RESOURCE: Readonly<Record<string, string>> = {
  pods: 'Pod',
  services: 'Service',
  endpoints: 'Endpoints',
  endpointslices: 'EndpointSlice',
  serviceaccounts: 'ServiceAccount',
  secrets: 'Secret',
  configmaps: 'ConfigMap',
  namespaces: 'Namespace',
  nodes: 'Node',
  events: 'Event',
  leases: 'Lease',
  persistentvolumes: 'PersistentVolume',
  persistentvolumeclaims: 'PersistentVolumeClaim',
  storageclasses: 'StorageClass',
  deployments: 'Deployment',
  daemonsets: 'DaemonSet',
  statefulsets: 'StatefulSet',
  replicasets: 'ReplicaSet',
  replicationcontrollers: 'ReplicationController',
  jobs: 'Job',
  cronjobs: 'CronJob',
  horizontalpodautoscalers: 'HorizontalPodAutoscaler',
  poddisruptionbudgets: 'PodDisruptionBudget',
  roles: 'Role',
  rolebindings: 'RoleBinding',
  clusterroles: 'ClusterRole',
  clusterrolebindings: 'ClusterRoleBinding',
  networkpolicies: 'NetworkPolicy',
  ingresses: 'Ingress',
  ingressclasses: 'IngressClass',
  limitranges: 'LimitRange',
  resourcequotas: 'ResourceQuota',
  priorityclasses: 'PriorityClass',
  podsecuritypolicies: 'PodSecurityPolicy',
  mutatingwebhookconfigurations: 'MutatingWebhookConfiguration',
  validatingwebhookconfigurations: 'ValidatingWebhookConfiguration',
  validatingadmissionpolicies: 'ValidatingAdmissionPolicy',
  validatingadmissionpolicybindings: 'ValidatingAdmissionPolicyBinding',
  customresourcedefinitions: 'CustomResourceDefinition',
  apiservices: 'APIService',
  certificatesigningrequests: 'CertificateSigningRequest',
  tokenreviews: 'TokenReview',
  subjectaccessreviews: 'SubjectAccessReview',
  selfsubjectaccessreviews: 'SelfSubjectAccessReview',
  runtimeclasses: 'RuntimeClass',
  csidrivers: 'CSIDriver',
  csinodes: 'CSINode',
  volumeattachments: 'VolumeAttachment',
};

const RESOURCE_BY_KIND: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(KIND_BY_RESOURCE).map(([resource, kind]) => [kind, resource]));

/** The kind of a built-in resource, or undefined: callers choose their own fallback. */
export function knownKindOfResource(resource: string): string | undefined {
  return KIND_BY_RESOURCE[resource];
}

/**
 * The kind for a plural resource name. For anything not in the table (custom resources) a best
 * effort: capitalised, made singular by English rules (`policies` → `Policy`, `prometheuses` →
 * `Prometheus`, `widgets` → `Widget`). Word boundaries inside a name cannot be recovered (`foobars` →
 * `Foobar`, not `FooBar`), so a custom kind may differ in case from its CRD's `kind`.
 */
export function kindOfResource(resource: string): string {
  const known = KIND_BY_RESOURCE[resource];
  if (known !== undefined) return known;
  let singular = resource;
  if (/[^aeiou]ies$/.test(resource)) singular = `${resource.slice(0, -3)}y`;
  else if (/(ss|us|sh|ch|x|z)es$/.test(resource)) singular = resource.slice(0, -2);
  else if (/[^s]s$/.test(resource)) singular = resource.slice(0, -1);
  return singular.charAt(0).toUpperCase() + singular.slice(1);
}

/** The resource name of a kind; for kinds not in the table, the API server's default: lowercase plural with "s". */
export function resourceOfKind(kind: string): string {
  return RESOURCE_BY_KIND[kind] ?? `${kind.toLowerCase()}s`;
}
