/** Parent types of the cluster subgraph's resolvers (codegen mappers). */
import type { SecurityEvent, SecurityEventFilter } from './store/security-event-store.js';
import type { NodeRecord } from './nodes/node-record.js';
import type { ImageReference } from './images/image-reference.js';
import type { MatchEvidence } from './nodes/node-host-match.js';

export type { SecurityEvent, KubeObjectRef } from './store/security-event-store.js';
export type { FalcoDetails } from './sources/falco/falco-event.js';
export type { AuditDetails } from './sources/k8s-audit/audit-event.js';
export type { TrivyComplianceDetails, TrivyConfigAuditDetails, TrivyVulnerabilityDetails, TrivyAffectedPackage, TrivyImage } from './sources/trivy/trivy-report.js';
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
export type { NodeRecord } from './nodes/node-record.js';
/** Host.node: the matched Node and the evidence. */
export interface HostNodeMatchRecord {
  node: NodeRecord;
  matchedBy: MatchEvidence;
  value: string;
}
/** Node.host: the matched host and the evidence. */
export interface NodeHostMatchRecord {
  host: HostRef;
  matchedBy: MatchEvidence;
  value: string;
}
/**
 * A page of security events, and the store filter it was read with (totalCount counts it, when
 * asked; null: it selects nothing), or the total itself when the page was cut from a list already read.
 */
export interface SecurityEventConnectionRecord {
  edges: { cursor: string; node: SecurityEvent }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  filter: SecurityEventFilter | null;
  totalCount?: number;
}
/** An image: its canonical reference and the parsed parts it was resolved from. */
export interface ImageRecord {
  reference: string;
  parsed: ImageReference;
}
