import type { Severity } from '@vigil/lib/alerts/alert';
import type { FrameworkId, ResultStatus, SubjectKind } from './frameworks.js';

/** What a result is about. `labels` are a host's inventory labels (tenancy and host groups). */
export interface Subject {
  kind: SubjectKind;
  /** Cluster of a node, namespace or workload, or the cluster itself; null for a host. */
  cluster: string | null;
  /** Namespace of a namespace or workload subject. */
  namespace: string | null;
  /** Workload kind (Deployment, Pod...) of a workload subject. */
  objectKind: string | null;
  /** Host id, node name, cluster name, namespace name or workload name. */
  name: string;
  labels: Record<string, string>;
}

/** Stable across evaluations: the key results, history and waivers are stored under. */
export function subjectKey(subject: Pick<Subject, 'kind' | 'cluster' | 'namespace' | 'objectKind' | 'name'>): string {
  switch (subject.kind) {
    case 'HOST':
      return `host:${subject.name}`;
    case 'NODE':
      return `node:${subject.cluster ?? ''}/${subject.name}`;
    case 'CLUSTER':
      return `cluster:${subject.name}`;
    case 'NAMESPACE':
      return `namespace:${subject.cluster ?? ''}/${subject.name}`;
    case 'WORKLOAD':
      return `workload:${subject.cluster ?? ''}/${subject.namespace ?? ''}/${subject.objectKind ?? ''}/${subject.name}`;
  }
}

export const hostSubject = (id: string, labels: Record<string, string> = {}): Subject => ({ kind: 'HOST', cluster: null, namespace: null, objectKind: null, name: id, labels });
export const nodeSubject = (cluster: string, name: string): Subject => ({ kind: 'NODE', cluster, namespace: null, objectKind: null, name, labels: {} });
export const clusterSubject = (name: string): Subject => ({ kind: 'CLUSTER', cluster: name, namespace: null, objectKind: null, name, labels: {} });
export const namespaceSubject = (cluster: string, name: string): Subject => ({ kind: 'NAMESPACE', cluster, namespace: name, objectKind: null, name, labels: {} });
export const workloadSubject = (cluster: string, namespace: string, objectKind: string, name: string): Subject => ({ kind: 'WORKLOAD', cluster, namespace, objectKind, name, labels: {} });

/** Where an evidence item resolves to in the graph: the raw record it was read from. */
export type EvidenceReference =
  | { kind: 'SECURITY_EVENT'; securityEventId: string }
  | { kind: 'HOST_FACT'; hostId: string; fact: 'probeStatus' | 'users' | 'listeningPorts' | 'firewall' | 'packages'; key: string | null }
  | { kind: 'AUDIT_QUERY'; query: string; from: string; to: string }
  | { kind: 'CLUSTER_SOURCE'; cluster: string; source: string };

export interface EvidenceItem {
  /** Where the fact came from, e.g. cluster.securityEvents (KUBE_BENCH). */
  source: string;
  summary: string;
  satisfied: boolean;
  /** What was observed, e.g. "FAIL", "uid 0: root, toor". */
  observed: string | null;
  /** What the control expects, e.g. "PASS", "uid 0: root only". */
  expected: string | null;
  hostId: string | null;
  observedAt: string | null;
  reference: EvidenceReference | null;
}

/** One control's outcome for one subject. */
export interface SubjectResult {
  /** null: the result is about the control as a whole (not applicable anywhere, or no evidence at all). */
  subject: Subject | null;
  status: ResultStatus;
  evidence: EvidenceItem[];
  /** How severe a regression of this result is (the finding's own severity when it comes from one). */
  severity: Severity;
}

/** A stored result: a subject result of a control, with when it took its status. */
export interface StoredResult extends SubjectResult {
  framework: FrameworkId;
  controlId: string;
  /** The control's title (imported controls exist only through their results). */
  controlTitle: string;
  /** When the result took this status (write-on-change: the time of the change). */
  since: string;
}

/** The key of a whole-control result (subject null). */
export const CONTROL_SUBJECT_KEY = '*';

export const keyOfSubject = (subject: Subject | null): string => (subject === null ? CONTROL_SUBJECT_KEY : subjectKey(subject));

/** The host a result is about: a HOST subject, or a NODE whose name is a host id. */
export const hostOf = (s: Subject | null): string | null => (s?.kind === 'HOST' || s?.kind === 'NODE' ? s.name : null);

export const resultKey = (framework: string, controlId: string, subject: Subject | null | string): string =>
  `${framework}|${controlId}|${typeof subject === 'string' ? subject : keyOfSubject(subject)}`;

/** What makes a result "changed" for the history: status and the identity of its evidence, not times in summaries. */
export function resultFingerprint(result: SubjectResult): string {
  return JSON.stringify([result.status, result.evidence.map((e) => [e.source, e.satisfied, e.observed, e.expected, e.reference])]);
}
