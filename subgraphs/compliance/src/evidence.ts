import type { Severity } from '@vigil/lib/alerts/alert';

/** One part of the evidence, or why it could not be gathered (its controls then score ERROR, not FAIL). */
export type Gathered<T> = { ok: true; value: T } | { ok: false; error: string };

/** One host as the hosts subgraph reports it (the facts compliance evaluates). */
export interface HostEvidence {
  id: string;
  labels: Record<string, string>;
  probeState: string;
  message: string | null;
  lastAttemptAt: string | null;
  lastSuccessAt: string | null;
  users: { name: string; uid: number }[];
  listeningPorts: { protocol: string; address: string; port: number; process: string | null }[];
  /** null: no firewall facts were collected for the host. */
  firewall: { backend: string; policies: { family: string; table: string; chain: string; hook: string | null; policy: string }[] } | null;
}

export interface ClusterEvidence {
  name: string;
  sources: { name: string; installed: boolean; lastSync: string | null; error: string | null }[];
}

/** Source-specific fields of a security event that evaluators read. */
export type EventDetails =
  | { kind: 'KUBE_BENCH'; testNumber: string; description: string; status: string; scored: boolean; version: string; nodeType: string; remediation: string | null }
  | { kind: 'KYVERNO'; policy: string; rule: string | null; result: string; category: string | null; message: string | null }
  | { kind: 'TRIVY_COMPLIANCE'; specId: string; specTitle: string | null; controlId: string; controlName: string; manual: boolean; totalFail: number | null }
  | { kind: 'TRIVY_VULNERABILITY'; vulnerabilityId: string; pkgName: string; installedVersion: string; fixedVersion: string | null }
  | { kind: 'FALCO'; rule: string; priority: string; tags: string[] }
  | { kind: 'OTHER' };

export interface SecurityEventEvidence {
  id: string;
  source: string;
  severity: Severity;
  eventType: string;
  title: string;
  cluster: string;
  resource: { cluster: string; namespace: string; kind: string; name: string } | null;
  hostname: string | null;
  firstSeen: string;
  lastSeen: string;
  resolvedAt: string | null;
  details: EventDetails;
}

/** A host whose installed package is older than the version fixing a vulnerability Trivy reports. */
export interface HostVulnerabilityEvidence {
  vulnerabilityId: string;
  severity: Severity;
  hostId: string;
  packageName: string;
  installedVersion: string;
  fixedVersion: string;
  /** When the fix was first known to Vigil: the first Trivy finding of it with a fixed version. */
  fixKnownSince: string;
}

export interface AuditCoverageEvidence {
  from: string;
  to: string;
  clusters: { cluster: string; expected: boolean; total: number; satisfied: boolean; findings: { kind: string; group: string | null; message: string }[] }[];
}

/** Everything one evaluation reads, gathered once through the graph. */
export interface EvidenceSnapshot {
  gatheredAt: string;
  hosts: Gathered<HostEvidence[]>;
  clusters: Gathered<ClusterEvidence[]>;
  /** KUBE_BENCH, KYVERNO and TRIVY events (open and resolved), FALCO events of the look-back window. */
  events: Gathered<SecurityEventEvidence[]>;
  hostVulnerabilities: Gathered<HostVulnerabilityEvidence[]>;
  auditCoverage: Gathered<AuditCoverageEvidence>;
}
