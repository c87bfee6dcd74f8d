import type { KubeResource } from './kube-object.js';

/** The security tools' outputs read through the Kubernetes API (DESIGN §3 cluster). */
export type PulledSourceName =
  | 'trivy-vulnerability-reports'
  | 'trivy-config-audit-reports'
  | 'trivy-cluster-compliance-reports'
  | 'kyverno-policy-reports'
  | 'kyverno-cluster-policy-reports'
  | 'kyverno-cluster-policies'
  | 'kyverno-policies'
  | 'kube-bench'
  | 'checkov'
  | 'kubernetes-nodes';

export type PulledSourceTool = 'trivy' | 'kyverno' | 'kube-bench' | 'checkov' | 'kubernetes';

export interface PulledSourceSpec {
  name: PulledSourceName;
  tool: PulledSourceTool;
  resource: KubeResource;
  /**
   * How to tell whether the tool runs on a cluster. `crd`: its CRD exists and serves our version.
   * `labelled-configmaps`: ConfigMaps always exist, so the only sign of the tool is its output; the
   * informer runs on every cluster and the source counts as installed while at least one labelled
   * ConfigMap exists. `builtin`: a kind every cluster serves (Nodes); the informer runs from the start
   * and the source is always installed.
   */
  detection: { kind: 'crd'; crdName: string } | { kind: 'labelled-configmaps' } | { kind: 'builtin' };
}

const trivy = (plural: string, kind: string, namespaced: boolean): KubeResource => ({ group: 'aquasecurity.github.io', version: 'v1alpha1', plural, kind, namespaced });
const kyverno = (plural: string, kind: string, namespaced: boolean): KubeResource => ({ group: 'wgpolicyk8s.io', version: 'v1alpha2', plural, kind, namespaced });
const kyvernoPolicy = (plural: string, kind: string, namespaced: boolean): KubeResource => ({ group: 'kyverno.io', version: 'v1', plural, kind, namespaced });
const configMaps = (app: string): KubeResource => ({ group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true, labelSelector: `app=${app}` });
const crd = (resource: KubeResource) => ({ kind: 'crd' as const, crdName: `${resource.plural}.${resource.group}` });

function crdSource(name: PulledSourceName, tool: PulledSourceTool, resource: KubeResource): PulledSourceSpec {
  return { name, tool, resource, detection: crd(resource) };
}

// Versions: trivy-operator deploy/helm/crds (v1alpha1), Kyverno config/crds/policyreport (v1alpha2,
// served + storage); copies in test/fixtures/kube. Kyverno ClusterPolicy / Policy: kyverno.io/v1, the
// version of the shared policy fixtures (fixtures/kyverno/clusterpolicy_*.yaml); no CRD copy is kept.
export const PULLED_SOURCES: readonly PulledSourceSpec[] = [
  crdSource('trivy-vulnerability-reports', 'trivy', trivy('vulnerabilityreports', 'VulnerabilityReport', true)),
  crdSource('trivy-config-audit-reports', 'trivy', trivy('configauditreports', 'ConfigAuditReport', true)),
  crdSource('trivy-cluster-compliance-reports', 'trivy', trivy('clustercompliancereports', 'ClusterComplianceReport', false)),
  crdSource('kyverno-policy-reports', 'kyverno', kyverno('policyreports', 'PolicyReport', true)),
  crdSource('kyverno-cluster-policy-reports', 'kyverno', kyverno('clusterpolicyreports', 'ClusterPolicyReport', false)),
  // Not reports: Kyverno's policies, read for their Enforce/Audit mode, which reports do not carry
  // (report-ingest keeps them in PolicyModes; they produce no security event).
  crdSource('kyverno-cluster-policies', 'kyverno', kyvernoPolicy('clusterpolicies', 'ClusterPolicy', false)),
  crdSource('kyverno-policies', 'kyverno', kyvernoPolicy('policies', 'Policy', true)),
  { name: 'kube-bench', tool: 'kube-bench', resource: configMaps('kube-bench'), detection: { kind: 'labelled-configmaps' } },
  { name: 'checkov', tool: 'checkov', resource: configMaps('checkov'), detection: { kind: 'labelled-configmaps' } },
  // Not a tool's output: the Nodes themselves (status.nodeInfo, status.addresses), matched to inventory
  // hosts by evidence (nodes/node-host-match.ts). They produce no security event.
  { name: 'kubernetes-nodes', tool: 'kubernetes', resource: { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false }, detection: { kind: 'builtin' } },
];

export function pulledSource(name: PulledSourceName): PulledSourceSpec {
  const spec = PULLED_SOURCES.find((s) => s.name === name);
  if (!spec) throw new Error(`unknown pulled source ${name}`);
  return spec;
}
