/** Parent types of the cluster subgraph's resolvers (codegen mappers). */
import type { SecurityEvent } from './store/security-event-store.js';

export type { SecurityEvent, KubeObjectRef } from './store/security-event-store.js';
export type { FalcoDetails } from './sources/falco/falco-event.js';
export type { AuditDetails } from './sources/k8s-audit/audit-event.js';
export type { TrivyComplianceDetails, TrivyConfigAuditDetails, TrivyVulnerabilityDetails, TrivyAffectedPackage } from './sources/trivy/trivy-report.js';
export type { KyvernoPolicyDetails } from './sources/kyverno/policy-report.js';
export type { KubeBenchDetails } from './sources/kube-bench/kube-bench-report.js';
export type { CheckovDetails } from './sources/checkov/checkov-report.js';

export interface HostRef {
  id: string;
}
/** A vulnerability and its open findings (one per workload container). */
export interface VulnerabilityRecord {
  id: string;
  findings: SecurityEvent[];
}
export interface ClusterRecord {
  name: string;
}
export interface SourceStateRecord {
  cluster: string;
  name: string;
  installed: boolean;
  lastSync: string | null;
  error: string | null;
}
export interface IdentityRef {
  username: string;
}
