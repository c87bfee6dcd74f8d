/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** Why a host is affected by a vulnerability. */
export type AffectedStatus =
  /** Its installed version is older than the fixed version. */
  | 'OLDER_THAN_FIX'
  /** No fixed version exists (Trivy lists none): every installed version is affected until one does. */
  | 'UNFIXED';

/** Narrows alerts; all given conditions must hold. */
export type AlertFilter = {
  /** Only alerts about this host, including node-level findings about objects on the Kubernetes Node it was matched to. */
  hostId?: string | number | null | undefined;
  /** Only alerts at least this severe. */
  minSeverity?: Severity | null | undefined;
  /** Only alerts raised by these sources. */
  sources?: Array<AlertSource> | null | undefined;
  /** Only alerts about this kind of subject. */
  subjectType?: AlertSubjectType | null | undefined;
};

/** Where an alert came from. */
export type AlertSource =
  /** Raised by live audit-log rules (the audit subgraph). */
  | 'AUDIT'
  /** Raised by Kubernetes security tools (the cluster subgraph). */
  | 'CLUSTER'
  /** Raised by compliance regressions (the compliance subgraph). */
  | 'COMPLIANCE'
  /** Raised by a correlation rule joining two alerts of other sources within a time window (the alerts subgraph); `correlatedAlerts` names the parts. */
  | 'CORRELATION'
  /** Raised by host probes (the hosts subgraph). */
  | 'HOSTS';

/** Where an alert is in its lifecycle. */
export type AlertStatus =
  /** Someone acknowledged it and is on it; repeats still fold into it. */
  | 'ACKNOWLEDGED'
  /** Raised, nobody has acknowledged or resolved it. */
  | 'OPEN'
  /** Resolved; the next repeat of its rule on its subject raises a new alert. */
  | 'RESOLVED';

/** What kind of entity an alert is about. */
export type AlertSubjectType =
  /** The subject is an inventory host. */
  | 'HOST'
  /** The subject is a Kubernetes object (pod, node, workload, …). */
  | 'KUBE_OBJECT';

/** Kinds of audit-coverage findings. */
export type AuditCoverageFindingKind =
  /** A cluster sent records, but none of a group expected to occur every day: the policy likely drops it (level None). */
  | 'GROUP_NOT_RECORDED'
  /** Records of a group above its maximum level, e.g. secrets at Request: their data reaches the audit trail. */
  | 'LEVEL_ABOVE_MAXIMUM'
  /** Records of a group below its minimum level, e.g. RBAC writes at Metadata: the trail lacks the request body (who was granted what). */
  | 'LEVEL_BELOW_MINIMUM'
  /** An expected cluster sent no audit record at all in the range: its API server does not audit, or the records do not arrive. */
  | 'NO_EVENTS';

/**
 * Narrows audit events; every condition given must hold. A list matches an event whose value is any one
 * of its entries, and must hold 1 to 100 entries. Every value is matched exactly and case-sensitively (it
 * is quoted as a LogsQL string, never interpreted as query syntax); only userAgentPrefixes match a
 * beginning. A value that cannot occur in its field (a namespace that is not an RFC 1123 label, a source
 * IP that is not an IP address, ...) is refused with BAD_USER_INPUT naming it.
 */
export type AuditEventFilter = {
  /**
   * API groups (objectRef.apiGroup), e.g. rbac.authorization.k8s.io, apps. The core group (pods, secrets,
   * configmaps) has no name and is not recorded: narrow those by resources.
   */
  apiGroups?: Array<string> | null | undefined;
  /** Clusters the events were recorded in (AuditEvent.cluster). */
  clusters?: Array<string> | null | undefined;
  /** Leaves out requests made by service accounts (usernames starting system:serviceaccount:). */
  excludeServiceAccounts?: boolean | null | undefined;
  /** Only events at or after this time. */
  from?: string | null | undefined;
  /** Users the request impersonated (impersonatedUser.username). */
  impersonatedUsers?: Array<string> | null | undefined;
  /** Audit policy levels. */
  levels?: Array<AuditLevel> | null | undefined;
  /** Object names. */
  names?: Array<string> | null | undefined;
  /** Namespaces (RFC 1123 labels). */
  namespaces?: Array<string> | null | undefined;
  /** Resource types, e.g. secrets, pods, clusterrolebindings. */
  resources?: Array<string> | null | undefined;
  /** Classes of HTTP status codes, e.g. [CLIENT_ERROR, SERVER_ERROR] for every failure. */
  responseCodeClasses?: Array<ResponseCodeClass> | null | undefined;
  /** HTTP status codes, e.g. 403. With responseCodeClasses, a code in either one matches. */
  responseCodes?: Array<number> | null | undefined;
  /** Client addresses (IPv4 or IPv6): any address of the request's sourceIps. */
  sourceIps?: Array<string> | null | undefined;
  /**
   * Stages. Each request is recorded once per stage its policy keeps: [RESPONSE_COMPLETE, PANIC]
   * counts each finished request once.
   */
  stages?: Array<AuditStage> | null | undefined;
  /** Subresources, e.g. exec, attach, portforward, log, status. */
  subresources?: Array<string> | null | undefined;
  /** Only events before this time. */
  to?: string | null | undefined;
  /** Beginnings of the user agent, e.g. kubectl/ or curl/; a whole user agent matches itself. */
  userAgentPrefixes?: Array<string> | null | undefined;
  /** Groups the requesting user belonged to (any one of them), e.g. system:masters. */
  userGroups?: Array<string> | null | undefined;
  /** Requesting users (user.username), e.g. kubernetes-admin, system:serviceaccount:kube-system:coredns. */
  users?: Array<string> | null | undefined;
  /** API verbs, lower case: get, list, watch, create, update, patch, delete, deletecollection. */
  verbs?: Array<string> | null | undefined;
};

/** What audit events can be grouped by (auditStats). */
export type AuditGroupField =
  /** objectRef.apiGroup */
  | 'API_GROUP'
  /** Group by cluster. */
  | 'CLUSTER'
  /** Group by audit level. */
  | 'LEVEL'
  /** objectRef.name */
  | 'NAME'
  /** objectRef.namespace */
  | 'NAMESPACE'
  /** objectRef.resource */
  | 'RESOURCE'
  /** responseStatus.code */
  | 'RESPONSE_CODE'
  /** Each address of sourceIPs: an event with two addresses counts once under each. */
  | 'SOURCE_IP'
  /** objectRef.subresource */
  | 'SUBRESOURCE'
  /** user.username */
  | 'USER'
  /** Group by the client's User-Agent. */
  | 'USER_AGENT'
  /** Group by API verb. */
  | 'VERB';

/** Audit policy levels at which an event can be recorded (None records nothing). */
export type AuditLevel =
  /** Request metadata only (user, time, resource, verb), no bodies. */
  | 'METADATA'
  /** Metadata and the request body. */
  | 'REQUEST'
  /** Metadata, request and response bodies. */
  | 'REQUEST_RESPONSE';

/** The stage of a request an audit event was recorded at. */
export type AuditStage =
  /** The request handler panicked. */
  | 'PANIC'
  /** As soon as the API server received the request. */
  | 'REQUEST_RECEIVED'
  /** The response is complete. */
  | 'RESPONSE_COMPLETE'
  /** Headers sent, body not yet: long-running requests only (watch, exec, port-forward). */
  | 'RESPONSE_STARTED';

/** How an item changed. */
export type ChangeKind =
  /** The item appeared. */
  | 'ADDED'
  /** The item is still there with different values. */
  | 'CHANGED'
  /** The item disappeared. */
  | 'REMOVED';

/** What a collector gathers: a fact type, or the metrics snapshot. */
export type Collector =
  /** Collects mounted filesystems. */
  | 'DISKS'
  /** Collects the firewall ruleset. */
  | 'FIREWALL'
  /** Collects local groups. */
  | 'GROUPS'
  /** Collects CPU and hardware. */
  | 'HARDWARE'
  /** Collects network interfaces. */
  | 'INTERFACES'
  /** Collects listening sockets. */
  | 'LISTENING_PORTS'
  /** Collects load, memory, swap, uptime and disk usage. */
  | 'METRICS'
  /** Collects the operating system release and kernel. */
  | 'OS'
  /** Collects installed packages. */
  | 'PACKAGES'
  /** Collects the routing table. */
  | 'ROUTES'
  /** Collects systemd services. */
  | 'SERVICES'
  /** Collects local users. */
  | 'USERS';

/** Whether a collector's fact is current. */
export type CollectorState =
  /** The host refused (permissions; consider sudo -n for this collector). */
  | 'DENIED'
  /** The command failed or its output could not be parsed. */
  | 'FAILED'
  /** Not attempted yet. */
  | 'NEVER'
  /** Collected by the last probe. */
  | 'OK'
  /** The command did not finish within the command timeout. */
  | 'TIMEOUT'
  /** The host does not have what the collector needs (e.g. no systemd, no nft or iptables). */
  | 'UNSUPPORTED';

/** What an export covers: one cluster (optionally one of its namespaces), or one host; give host alone, or cluster with an optional namespace. */
export type ComplianceScopeInput = {
  /** A cluster name: its nodes, namespaces, workloads and the cluster itself. */
  cluster?: string | null | undefined;
  /** A host id: its host results and its node results. */
  host?: string | null | undefined;
  /** A namespace of `cluster`: the namespace and its workloads. */
  namespace?: string | null | undefined;
};

/** Outcome of a control for a subject. */
export type ControlStatus =
  /** Evidence could not be gathered or decided; see the evidence entries. */
  | 'ERROR'
  /** The evidence shows the control is not met. */
  | 'FAIL'
  /** The control does not apply (see the evidence for why). */
  | 'NOT_APPLICABLE'
  /** The evidence meets the control. */
  | 'PASS'
  /** A FAIL covered by an active waiver: not counted as a failure until the waiver expires. */
  | 'WAIVED';

/** The file formats of complianceExport. */
export type ExportFormat =
  /** RFC 4180 CSV, one row per control × subject, formula-like cells prefixed with a quote. */
  | 'CSV'
  /** OSCAL Assessment Results (1.0.6) JSON. */
  | 'OSCAL_JSON';

/** A kind of host fact. */
export type FactType =
  /** Mounted filesystems. */
  | 'DISKS'
  /** Firewall ruleset. */
  | 'FIREWALL'
  /** Local groups. */
  | 'GROUPS'
  /** CPU and hardware. */
  | 'HARDWARE'
  /** Network interfaces and addresses. */
  | 'INTERFACES'
  /** Listening sockets. */
  | 'LISTENING_PORTS'
  /** Operating system release and kernel. */
  | 'OS'
  /** Installed packages. */
  | 'PACKAGES'
  /** The routing table. */
  | 'ROUTES'
  /** systemd services. */
  | 'SERVICES'
  /** Local users. */
  | 'USERS';

/** A compliance framework. */
export type Framework =
  /** CIS Kubernetes Benchmark: every check kube-bench reports, per node, with its benchmark version. */
  | 'CIS_KUBERNETES'
  /** CMMC Level 2 (3.12.4 and the practices the same evidence supports), mapped onto the NIST evaluations. */
  | 'CMMC_L2'
  /** FedRAMP Moderate: its NIST controls Vigil evaluates, mapped onto the NIST evaluations. */
  | 'FEDRAMP_MODERATE'
  /** ISO/IEC 27001:2022 Annex A (A.5.9, A.8.8, A.8.9, A.8.15, A.8.16; A.8.1 kept in 2013 numbering), mapped onto the NIST evaluations. */
  | 'ISO_27001'
  /** Kubernetes workload policies: every Kyverno policy with results, per workload and namespace. */
  | 'KUBERNETES_POLICY'
  /** NIST SP 800-53 Rev. 5: the controls Vigil evaluates from evidence. */
  | 'NIST_800_53'
  /** OWASP Top 10 for LLM Applications (2025), filled by the organisation's own mappings (Kyverno category, Falco tags). */
  | 'OWASP_LLM'
  /** Trivy Operator ClusterComplianceReports (NSA/CISA, CIS, Pod Security Standards): each control as Trivy reports it, id <spec>/<control>. */
  | 'TRIVY_COMPLIANCE';

/** How a host is reached. */
export type HostTransport =
  /** The machine Vigil itself runs on, read without a network hop. */
  | 'LOCAL'
  /** SSH with strict host-key checking against a known_hosts file. */
  | 'SSH';

/** A key=value pair to match. */
export type LabelInput = {
  /** The label's name. */
  key: string;
  /** The value it must have, exactly. */
  value: string;
};

/** Narrows a package list. */
export type PackageFilter = {
  /** Exact package name. */
  name?: string | null | undefined;
  /** Case-insensitive substring of the package name. */
  nameContains?: string | null | undefined;
};

/** A package database format. */
export type PackageManager =
  /** Alpine Linux (apk). */
  | 'APK'
  /** Debian, Ubuntu and derivatives (dpkg-query). */
  | 'DPKG'
  /** RHEL, Fedora, SUSE, Amazon Linux, Azure Linux (rpm -qa). */
  | 'RPM';

/** Outcome of a probe. */
export type ProbeState =
  /** The SSH server refused the configured key or agent. */
  | 'AUTH_FAILED'
  /** Anything else; see message. */
  | 'ERROR'
  /** The host presented a key that differs from known_hosts: refused, possibly an attack. */
  | 'HOST_KEY_MISMATCH'
  /** known_hosts has no entry for the host: refused until an operator adds one. */
  | 'HOST_KEY_UNKNOWN'
  /** Not probed yet since Vigil started with an empty store. */
  | 'NEVER_PROBED'
  /** Every collector ran. */
  | 'OK'
  /** The host did not answer within the connect or command timeout. */
  | 'TIMEOUT'
  /** The connection was refused, or the name did not resolve, or no route. */
  | 'UNREACHABLE';

/** What happened to a refresh request. */
export type RefreshStatus =
  /** A probe of this host is already queued; it will include facts. */
  | 'ALREADY_QUEUED'
  /** A facts probe was queued to run now. */
  | 'QUEUED'
  /**
   * Facts were probed moments ago (within the refresh debounce window); nothing was queued, and the
   * host's probeStatus is already current.
   */
  | 'RECENTLY_PROBED'
  /** A probe of this host is running now. */
  | 'RUNNING'
  /** No host has that id. */
  | 'UNKNOWN_HOST';

/** Classes of HTTP status codes. */
export type ResponseCodeClass =
  /** 4xx: 401 unauthenticated, 403 forbidden, 404, 409 conflict, 422 invalid, 429 throttled. */
  | 'CLIENT_ERROR'
  /** 1xx, e.g. 101 Switching Protocols (exec, attach, port-forward). */
  | 'INFORMATIONAL'
  /** 3xx. */
  | 'REDIRECTION'
  /** 5xx. */
  | 'SERVER_ERROR'
  /** 2xx. */
  | 'SUCCESS';

/** What kind of finding a security event is. */
export type SecurityEventCategory =
  /** Kubernetes API audit findings. */
  | 'AUDIT'
  /** CIS benchmark results (kube-bench, Trivy compliance). */
  | 'BENCHMARK'
  /** Configuration audits (Trivy, Checkov). */
  | 'MISCONFIGURATION'
  /** Policy results (Kyverno). */
  | 'POLICY'
  /** Runtime detections (Falco). */
  | 'RUNTIME'
  /** Vulnerabilities in images (Trivy). */
  | 'VULNERABILITY';

/**
 * Narrows a list of security events. All given conditions must hold. Applied in the store: the
 * source, severity, cluster, object, hostname and vulnerability conditions select the index read
 * (Redis sorted sets); the others filter that walk.
 */
export type SecurityEventFilter = {
  /** Only events of these categories. */
  categories?: Array<SecurityEventCategory> | null | undefined;
  /** Only events of this cluster (configured name). */
  cluster?: string | null | undefined;
  /** Only events of this type, exactly as the source names it (the Falco rule, an audit event type such as SECRET_READ_BY_PERSON…). */
  eventType?: string | null | undefined;
  /** Only events last seen at or after this time. */
  from?: string | null | undefined;
  /** Only events whose source reported this node or host name. */
  hostname?: string | null | undefined;
  /**
   * Only events about this image: [registry/]repository without tag or digest (Trivy findings, and Falco
   * events with container.image.repository). Docker Hub names compare as one (alpine =
   * docker.io/library/alpine = index.docker.io/library/alpine). A malformed name is BAD_USER_INPUT.
   */
  image?: string | null | undefined;
  /** Only events at least this severe. */
  minSeverity?: Severity | null | undefined;
  /** Only events about objects in this namespace. */
  namespace?: string | null | undefined;
  /** true: only resolved findings; false: only open ones; omitted: both. */
  resolved?: boolean | null | undefined;
  /** Only events about objects of this kind, e.g. Pod. */
  resourceKind?: string | null | undefined;
  /** Only events about objects of this name. */
  resourceName?: string | null | undefined;
  /**
   * Only events whose rule or check is this, exactly: the Falco rule; the Kyverno policy, its rule, or
   * policy/rule; the kube-bench test number; the Trivy config-audit or Checkov check id; the Trivy
   * compliance control id. Trivy vulnerabilities and audit-webhook events have none (use
   * vulnerabilityId or eventType).
   */
  rule?: string | null | undefined;
  /** Only events of these sources. */
  sources?: Array<SecurityEventSource> | null | undefined;
  /** Only events about an image with this tag (with image, that image at that tag). */
  tag?: string | null | undefined;
  /** Only events last seen at or before this time. */
  to?: string | null | undefined;
  /** Only Trivy vulnerability findings of this CVE or GHSA id. */
  vulnerabilityId?: string | null | undefined;
};

/** A tool that reports security events. */
export type SecurityEventSource =
  /** Checkov JSON results in ConfigMaps labelled app=checkov. */
  | 'CHECKOV'
  /** Falco runtime detections, pushed to POST /ingest/falco. */
  | 'FALCO'
  /** The Kubernetes API server's audit webhook, pushed to POST /ingest/k8s-audit (events of interest only). */
  | 'K8S_AUDIT'
  /** kube-bench JSON results in ConfigMaps labelled app=kube-bench. */
  | 'KUBE_BENCH'
  /** PolicyReport / ClusterPolicyReport (wgpolicyk8s.io), as Kyverno writes them. */
  | 'KYVERNO'
  /** Trivy Operator VulnerabilityReport, ConfigAuditReport and ClusterComplianceReport, read through the Kubernetes API. */
  | 'TRIVY';

/** Vigil's common severity scale, most severe first. */
export type Severity =
  /** Act now: an attack in progress or an exploitable flaw exposed. */
  | 'CRITICAL'
  /** Act today. */
  | 'HIGH'
  /** For the record; no action expected. */
  | 'INFO'
  /** Fix when convenient. */
  | 'LOW'
  /** Plan a fix. */
  | 'MEDIUM';

/** A new silence. At least one matcher; an expiry in the future; a comment. */
export type SilenceInput = {
  /** Why; required, shown to everyone who sees the silence. */
  comment: string;
  /** When the silence ends; must be in the future. */
  expiresAt: string;
  /** Only alerts carrying all of these labels. */
  labels?: Array<LabelInput> | null | undefined;
  /** Only alerts of these rules (exact names). */
  rules?: Array<string> | null | undefined;
  /** Only alerts of these severities. */
  severities?: Array<Severity> | null | undefined;
  /** Only alerts from these sources. */
  sources?: Array<AlertSource> | null | undefined;
  /** Only alerts about these subjects: host ids or display names, exactly. */
  subjects?: Array<string> | null | undefined;
};

/** Where a timeline entry comes from. */
export type TimelineSource =
  /** An alert (the alerts subgraph); `alert` is set. */
  | 'ALERT'
  /** A Kubernetes API audit event (the audit subgraph, analysts only); `auditEvent` is set. */
  | 'AUDIT_EVENT'
  /** A change of a host's facts (the hosts subgraph); `hostChange` is set. */
  | 'HOST_CHANGE'
  /** A security event of a cluster's tools (the cluster subgraph); `securityEvent` is set. */
  | 'SECURITY_EVENT';

/**
 * A version range; all given bounds must hold. Versions are compared by the host's own package
 * manager rules: dpkg (Debian policy), rpm (rpmvercmp) or apk (apk-tools).
 */
export type VersionRange = {
  /** Exactly this version. */
  eq?: string | null | undefined;
  /** Versions newer than this. */
  gt?: string | null | undefined;
  /** Versions newer than or equal to this. */
  gte?: string | null | undefined;
  /** Versions older than this. */
  lt?: string | null | undefined;
  /** Versions older than or equal to this. */
  lte?: string | null | undefined;
};

export type RecentAlertsQueryVariables = Exact<{
  filter?: AlertFilter | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type RecentAlertsQuery = { alerts: { edges: Array<{ cursor: string, node: { id: string, raisedAt: string, occurredAt: string, severity: Severity, source: AlertSource, title: string, description: string | null, rule: string | null, subjectRef: { type: AlertSubjectType, displayName: string, hostId: string | null, cluster: string | null, namespace: string | null, kind: string | null, name: string | null } | null } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type AlertRaisedSubscriptionVariables = Exact<{
  filter?: AlertFilter | null | undefined;
  after?: string | number | null | undefined;
}>;


export type AlertRaisedSubscription = { alertRaised: { id: string, raisedAt: string, occurredAt: string, severity: Severity, source: AlertSource, title: string, rule: string | null, subjectRef: { type: AlertSubjectType, displayName: string, hostId: string | null, cluster: string | null, namespace: string | null, kind: string | null, name: string | null } | null } };

export type AlertRaisedWithSubjectSubscriptionVariables = Exact<{
  filter?: AlertFilter | null | undefined;
  after?: string | number | null | undefined;
}>;


export type AlertRaisedWithSubjectSubscription = { alertRaised: { id: string, severity: Severity, source: AlertSource, title: string, rule: string | null, subjectRef: { type: AlertSubjectType, displayName: string } | null, subject:
      | { __typename: 'Host', id: string, name: string, transport: HostTransport, os: { prettyName: string } | null, probeStatus: { state: ProbeState } }
      | { __typename: 'KubeObject', cluster: string, namespace: string, kind: string, name: string, securityEvents: { totalCount: number, edges: Array<{ node: { id: string, title: string, count: number } }> } }
     | null } };

export type IdentitiesQueryVariables = Exact<{
  filter?: AuditEventFilter | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type IdentitiesQuery = { identities: { totalCount: number, totalEvents: number, from: string, to: string, edges: Array<{ cursor: string, count: number, firstSeen: string, lastSeen: string, node: { username: string, isServiceAccount: boolean } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type IdentityProfileQueryVariables = Exact<{
  username: string | number;
  from?: string | null | undefined;
  to?: string | null | undefined;
  first?: number | null | undefined;
}>;


export type IdentityProfileQuery = { identity: { username: string, isServiceAccount: boolean, activity: { from: string, to: string, total: number, firstSeen: string | null, lastSeen: string | null, byVerb: Array<{ verb: string, count: number }>, byResource: Array<{ apiGroup: string | null, resource: string | null, subresource: string | null, count: number }> }, securityEvents: Array<{ id: string, source: SecurityEventSource, severity: Severity, eventType: string, title: string, cluster: string, lastSeen: string, count: number }>, alerts: { edges: Array<{ node: { id: string, title: string, severity: Severity, source: AlertSource, rule: string | null, raisedAt: string } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } } };

export type AuditPolicyCoverageQueryVariables = Exact<{
  from?: string | null | undefined;
  to?: string | null | undefined;
}>;


export type AuditPolicyCoverageQuery = { auditPolicyCoverage: { from: string, to: string, satisfied: boolean, findings: Array<{ kind: AuditCoverageFindingKind, cluster: string, group: string | null, count: number, message: string }>, clusters: Array<{ cluster: string, expected: boolean, total: number, satisfied: boolean, groups: Array<{ group: string, total: number, satisfied: boolean, levels: Array<{ level: AuditLevel | null, count: number }> }> }>, expectations: Array<{ group: string, description: string, minimumLevel: AuditLevel, maximumLevel: AuditLevel | null, expectEvents: boolean }> } };

export type HostChangesQueryVariables = Exact<{
  id: string | number;
  since: string;
  types?: Array<FactType> | FactType | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
  includeBaseline?: boolean | null | undefined;
}>;


export type HostChangesQuery = { host: { id: string, name: string, changes: { totalCount: number, edges: Array<{ node: { type: FactType, key: string, change: ChangeKind, before: unknown, after: unknown, at: string, baseline: boolean } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } } | null };

export type AcknowledgeAlertMutationVariables = Exact<{
  id: string | number;
  comment?: string | null | undefined;
}>;


export type AcknowledgeAlertMutation = { acknowledgeAlert: { id: string, title: string, status: AlertStatus, acknowledged: { by: string, at: string, comment: string | null } | null } };

export type ResolveAlertMutationVariables = Exact<{
  id: string | number;
  comment?: string | null | undefined;
}>;


export type ResolveAlertMutation = { resolveAlert: { id: string, title: string, status: AlertStatus, resolved: { by: string, at: string, comment: string | null } | null } };

export type SilenceAlertsMutationVariables = Exact<{
  input: SilenceInput;
}>;


export type SilenceAlertsMutation = { silenceAlerts: { id: string, comment: string, createdBy: string, createdAt: string, expiresAt: string, active: boolean } };

export type FrameworkControlsQueryVariables = Exact<{
  framework?: Framework | null | undefined;
  asOf?: string | null | undefined;
}>;


export type FrameworkControlsQuery = { controls: Array<{ framework: Framework, id: string, title: string, status: ControlStatus, evaluatedAt: string | null, score: { passed: number, failed: number, waived: number, errors: number, notApplicable: number, score: number | null } }> };

export type ComplianceExportQueryVariables = Exact<{
  framework: Framework;
  format: ExportFormat;
  scope?: ComplianceScopeInput | null | undefined;
  asOf?: string | null | undefined;
}>;


export type ComplianceExportQuery = { complianceExport: { format: ExportFormat, mediaType: string, filename: string, evaluatedAt: string | null, controls: number, results: number, content: string } };

export type SecurityEventsQueryVariables = Exact<{
  filter?: SecurityEventFilter | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type SecurityEventsQuery = { securityEvents: { edges: Array<{ cursor: string, node: { id: string, source: SecurityEventSource, category: SecurityEventCategory, severity: Severity, eventType: string, title: string, cluster: string, hostname: string | null, firstSeen: string, lastSeen: string, count: number, resource: { cluster: string, namespace: string, kind: string, name: string } | null, details:
          | { priority: string, rule: string, output: string, falcoSource: string | null, tags: Array<string> }
          | Record<PropertyKey, never>
         } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type AuditEventsQueryVariables = Exact<{
  filter?: AuditEventFilter | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type AuditEventsQuery = { auditEvents: { edges: Array<{ cursor: string, node: { auditId: string, time: string, stage: string, level: AuditLevel | null, cluster: string | null, verb: string, userGroups: Array<string>, sourceIps: Array<string>, userAgent: string | null, apiGroup: string | null, resource: string | null, subresource: string | null, namespace: string | null, name: string | null, requestUri: string, responseCode: number | null, user: { username: string, isServiceAccount: boolean }, impersonatedUser: { username: string } | null } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type AuditStatsQueryVariables = Exact<{
  filter?: AuditEventFilter | null | undefined;
  groupBy: Array<AuditGroupField> | AuditGroupField;
  top?: number | null | undefined;
}>;


export type AuditStatsQuery = { auditStats: { groupBy: Array<AuditGroupField>, total: number, groups: Array<{ count: number, verb: string | null, resource: string | null, subresource: string | null, apiGroup: string | null, namespace: string | null, name: string | null, responseCode: number | null, sourceIp: string | null, userAgent: string | null, cluster: string | null, level: AuditLevel | null, user: { username: string, isServiceAccount: boolean } | null }> } };

export type AuditHistogramQueryVariables = Exact<{
  filter?: AuditEventFilter | null | undefined;
  step: string;
}>;


export type AuditHistogramQuery = { auditHistogram: { from: string, to: string, stepSeconds: number, total: number, buckets: Array<{ start: string, count: number }> } };

export type ControlsQueryVariables = Exact<{
  framework?: Framework | null | undefined;
}>;


export type ControlsQuery = { controls: Array<{ framework: Framework, id: string, title: string, status: ControlStatus, evaluatedAt: string | null, evidence: Array<{ source: string, summary: string, satisfied: boolean, observedAt: string | null, host: { id: string } | null }>, failingHosts: { totalCount: number, edges: Array<{ node: { id: string, name: string, probeStatus: { state: ProbeState, message: string | null } } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } }, relatedControls: Array<{ framework: Framework, id: string }> }> };

export type ComplianceHostEvidenceQueryVariables = Exact<{
  first: number;
  after?: string | null | undefined;
}>;


export type ComplianceHostEvidenceQuery = { hosts: { edges: Array<{ node: { id: string, labels: Array<{ key: string, value: string }>, probeStatus: { state: ProbeState, message: string | null, lastAttemptAt: string | null, lastSuccessAt: string | null }, users: Array<{ name: string, uid: number }>, listeningPorts: Array<{ protocol: string, address: string, port: number, process: string | null }>, firewall: { backend: string, policies: Array<{ family: string, table: string, chain: string, hook: string | null, policy: string }> } | null } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type ComplianceClusterEvidenceQueryVariables = Exact<{ [key: string]: never; }>;


export type ComplianceClusterEvidenceQuery = { clusters: Array<{ name: string, sources: Array<{ name: string, installed: boolean, lastSync: string | null, error: string | null }> }> };

export type ComplianceSecurityEventsQueryVariables = Exact<{
  filter?: SecurityEventFilter | null | undefined;
  first: number;
  after?: string | null | undefined;
}>;


export type ComplianceSecurityEventsQuery = { securityEvents: { edges: Array<{ node: { id: string, source: SecurityEventSource, severity: Severity, eventType: string, title: string, cluster: string, hostname: string | null, firstSeen: string, lastSeen: string, resolvedAt: string | null, resource: { cluster: string, namespace: string, kind: string, name: string } | null, details:
          | { __typename: 'AuditDetails' }
          | { __typename: 'CheckovDetails' }
          | { __typename: 'FalcoDetails', rule: string, priority: string, tags: Array<string> }
          | { __typename: 'KubeBenchDetails', testNumber: string, description: string, status: string, scored: boolean, version: string, nodeType: string, remediation: string | null }
          | { __typename: 'KyvernoPolicyDetails', policy: string, result: string, category: string | null, message: string | null, kyvernoRule: string | null }
          | { __typename: 'TrivyComplianceDetails', specId: string, specTitle: string | null, controlId: string, controlName: string, manual: boolean, totalFail: number | null }
          | { __typename: 'TrivyConfigAuditDetails' }
          | { __typename: 'TrivyVulnerabilityDetails', vulnerabilityId: string, pkgName: string, installedVersion: string, fixedVersion: string | null }
         } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type ComplianceVulnerabilityHostsQueryVariables = Exact<{
  id: string | number;
  first: number;
  after?: string | null | undefined;
}>;


export type ComplianceVulnerabilityHostsQuery = { vulnerability: { id: string, severity: Severity, affectedHosts: { edges: Array<{ node: { fixedVersion: string | null, host: { id: string }, package: { name: string, version: string } } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } } | null };

export type ComplianceAuditCoverageQueryVariables = Exact<{
  from?: string | null | undefined;
  to?: string | null | undefined;
}>;


export type ComplianceAuditCoverageQuery = { auditPolicyCoverage: { from: string, to: string, clusters: Array<{ cluster: string, expected: boolean, total: number, satisfied: boolean, groups: Array<{ findings: Array<{ kind: AuditCoverageFindingKind, group: string | null, message: string }> }> }> } };

export type HostPackagesQueryVariables = Exact<{
  id: string | number;
  filter?: PackageFilter | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type HostPackagesQuery = { host: { id: string, name: string, packageManager: PackageManager | null, os: { id: string, prettyName: string, versionId: string | null } | null, probeStatus: { state: ProbeState, message: string | null, lastAttemptAt: string | null, lastSuccessAt: string | null }, packages: { totalCount: number, edges: Array<{ node: { name: string, version: string, arch: string | null } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } } | null };

export type InventoryProbeEvidenceQueryVariables = Exact<{
  first: number;
  after?: string | null | undefined;
}>;


export type InventoryProbeEvidenceQuery = { hosts: { edges: Array<{ node: { id: string, name: string, transport: HostTransport, labels: Array<{ key: string, value: string }>, probeStatus: { state: ProbeState, message: string | null, lastAttemptAt: string | null, lastSuccessAt: string | null } } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type HostsWithPackageQueryVariables = Exact<{
  name: string;
  version?: VersionRange | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type HostsWithPackageQuery = { hostsWithPackage: { totalCount: number, edges: Array<{ node: { packageManager: PackageManager | null, host: { id: string, name: string, labels: Array<{ key: string, value: string }> }, package: { name: string, version: string, arch: string | null } } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type HostHistoryQueryVariables = Exact<{
  id: string | number;
  since: string;
  types?: Array<FactType> | FactType | null | undefined;
}>;


export type HostHistoryQuery = { host: { id: string, changes: { totalCount: number, edges: Array<{ node: { type: FactType, key: string, change: ChangeKind, before: unknown, after: unknown, at: string } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } }, asOf: { packages: { totalCount: number, edges: Array<{ node: { name: string, version: string } }> } }, freshness: Array<{ collector: Collector, state: CollectorState, message: string | null, lastSuccessAt: string | null }> } | null };

export type RefreshHostMutationVariables = Exact<{
  id: string | number;
}>;


export type RefreshHostMutation = { refreshHost: { status: RefreshStatus, message: string, host: { id: string, probeStatus: { state: ProbeState, lastAttemptAt: string | null } } | null } };

export type SecurityOverviewQueryVariables = Exact<{
  hosts?: number | null | undefined;
  events?: number | null | undefined;
}>;


export type SecurityOverviewQuery = { hosts: { totalCount: number, edges: Array<{ node: { id: string, name: string, transport: HostTransport, packageManager: PackageManager | null, os: { prettyName: string, kernel: string | null } | null, packages: { totalCount: number }, probeStatus: { state: ProbeState, message: string | null, lastSuccessAt: string | null }, failedControls: Array<{ framework: Framework, id: string, title: string }>, securityEvents: { edges: Array<{ node: { id: string, title: string, severity: Severity } }>, pageInfo: { hasNextPage: boolean } } } }> }, securityEvents: { edges: Array<{ node: { id: string, title: string, severity: Severity, count: number, lastSeen: string, resource: { cluster: string, namespace: string, kind: string, name: string } | null } }> }, auditEvents: { edges: Array<{ node: { auditId: string, time: string, verb: string, resource: string | null, namespace: string | null, name: string | null, responseCode: number | null, user: { username: string, isServiceAccount: boolean } } }> }, controls: Array<{ framework: Framework, id: string, title: string, status: ControlStatus }>, alerts: { edges: Array<{ node: { id: string, title: string, severity: Severity, source: AlertSource, subjectRef: { type: AlertSubjectType, displayName: string } | null, subject:
          | { __typename: 'Host', id: string, name: string, os: { prettyName: string } | null }
          | { __typename: 'KubeObject', cluster: string, namespace: string, kind: string, name: string }
         | null } }> } };

export type HostTimelineQueryVariables = Exact<{
  id: string | number;
  from?: string | null | undefined;
  to?: string | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type HostTimelineQuery = { host: { id: string, timeline: { from: string, to: string, omitted: Array<TimelineSource>, edges: Array<{ cursor: string, node: { at: string, source: TimelineSource, id: string, summary: string, severity: Severity | null, alert: { id: string, title: string, rule: string | null } | null, securityEvent: { id: string } | null, hostChange: { hostId: string, type: string, key: string, change: string } | null } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null }, unavailable: Array<{ source: TimelineSource, message: string }> } } | null };

export type VulnerabilityImpactQueryVariables = Exact<{
  id: string | number;
  hosts?: number | null | undefined;
  hostsAfter?: string | null | undefined;
}>;


export type VulnerabilityImpactQuery = { vulnerability: { id: string, severity: Severity, title: string | null, primaryLink: string | null, packages: Array<{ name: string, fixedVersion: string | null, osFamily: string | null }>, images: Array<{ registry: string | null, repository: string, tag: string | null }>, workloads: { totalCount: number, edges: Array<{ node: { cluster: string, namespace: string, kind: string, name: string } }> }, affectedHosts: { totalCount: number, edges: Array<{ node: { fixedVersion: string | null, status: AffectedStatus, host: { id: string, name: string, os: { prettyName: string } | null }, package: { name: string, version: string } } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } } | null };


export const RecentAlertsDocument = {"__meta__":{"hash":"sha256:7ee733c60f8017379a5174459f65b0338a9819f07b9abc24862112c189886187"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"RecentAlerts"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"AlertFilter"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"alerts"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"raisedAt"}},{"kind":"Field","name":{"kind":"Name","value":"occurredAt"}},{"kind":"Field","name":{"kind":"Name","value":"severity"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"rule"}},{"kind":"Field","name":{"kind":"Name","value":"subjectRef"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}},{"kind":"Field","name":{"kind":"Name","value":"hostId"}},{"kind":"Field","name":{"kind":"Name","value":"cluster"}},{"kind":"Field","name":{"kind":"Name","value":"namespace"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<RecentAlertsQuery, RecentAlertsQueryVariables>;
export const AlertRaisedDocument = {"__meta__":{"hash":"sha256:e6f067e6c1aa8a521a2e02a15d88d2ddec28425aeb8af2dd809c6449e70ca300"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"AlertRaised"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"AlertFilter"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"alertRaised"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"raisedAt"}},{"kind":"Field","name":{"kind":"Name","value":"occurredAt"}},{"kind":"Field","name":{"kind":"Name","value":"severity"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"rule"}},{"kind":"Field","name":{"kind":"Name","value":"subjectRef"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}},{"kind":"Field","name":{"kind":"Name","value":"hostId"}},{"kind":"Field","name":{"kind":"Name","value":"cluster"}},{"kind":"Field","name":{"kind":"Name","value":"namespace"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]} as unknown as DocumentNode<AlertRaisedSubscription, AlertRaisedSubscriptionVariables>;
export const AlertRaisedWithSubjectDocument = {"__meta__":{"hash":"sha256:a07167115d300869374216ff46a16c55a3ec9f300f34f346bbef9ea7633b6b88"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"AlertRaisedWithSubject"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"AlertFilter"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"alertRaised"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"severity"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"rule"}},{"kind":"Field","name":{"kind":"Name","value":"subjectRef"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}}]}},{"kind":"Field","name":{"kind":"Name","value":"subject"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Host"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"transport"}},{"kind":"Field","name":{"kind":"Name","value":"os"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"prettyName"}}]}},{"kind":"Field","name":{"kind":"Name","value":"probeStatus"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"state"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"KubeObject"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cluster"}},{"kind":"Field","name":{"kind":"Name","value":"namespace"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"securityEvents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"5"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"count"}}]}}]}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<AlertRaisedWithSubjectSubscription, AlertRaisedWithSubjectSubscriptionVariables>;
export const IdentitiesDocument = {"__meta__":{"hash":"sha256:98325badaa26b06e39dc4a794ff922592fea4cfa7ff7d15f036c5ac1c54c4a7e"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Identities"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"AuditEventFilter"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}},"defaultValue":{"kind":"IntValue","value":"50"}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"identities"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"totalEvents"}},{"kind":"Field","name":{"kind":"Name","value":"from"}},{"kind":"Field","name":{"kind":"Name","value":"to"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"count"}},{"kind":"Field","name":{"kind":"Name","value":"firstSeen"}},{"kind":"Field","name":{"kind":"Name","value":"lastSeen"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"username"}},{"kind":"Field","name":{"kind":"Name","value":"isServiceAccount"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<IdentitiesQuery, IdentitiesQueryVariables>;
export const IdentityProfileDocument = {"__meta__":{"hash":"sha256:e81cf5ca9e772470f3dc429ec0d368df00dca81e6d3dfe5504b8a6ddb6d65ab3"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"IdentityProfile"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"username"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"from"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"to"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}},"defaultValue":{"kind":"IntValue","value":"20"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"identity"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"username"},"value":{"kind":"Variable","name":{"kind":"Name","value":"username"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"username"}},{"kind":"Field","name":{"kind":"Name","value":"isServiceAccount"}},{"kind":"Field","name":{"kind":"Name","value":"activity"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"from"},"value":{"kind":"Variable","name":{"kind":"Name","value":"from"}}},{"kind":"Argument","name":{"kind":"Name","value":"to"},"value":{"kind":"Variable","name":{"kind":"Name","value":"to"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"from"}},{"kind":"Field","name":{"kind":"Name","value":"to"}},{"kind":"Field","name":{"kind":"Name","value":"total"}},{"kind":"Field","name":{"kind":"Name","value":"firstSeen"}},{"kind":"Field","name":{"kind":"Name","value":"lastSeen"}},{"kind":"Field","name":{"kind":"Name","value":"byVerb"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"verb"}},{"kind":"Field","name":{"kind":"Name","value":"count"}}]}},{"kind":"Field","name":{"kind":"Name","value":"byResource"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"top"},"value":{"kind":"IntValue","value":"20"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"apiGroup"}},{"kind":"Field","name":{"kind":"Name","value":"resource"}},{"kind":"Field","name":{"kind":"Name","value":"subresource"}},{"kind":"Field","name":{"kind":"Name","value":"count"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"securityEvents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"severity"}},{"kind":"Field","name":{"kind":"Name","value":"eventType"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"cluster"}},{"kind":"Field","name":{"kind":"Name","value":"lastSeen"}},{"kind":"Field","name":{"kind":"Name","value":"count"}}]}},{"kind":"Field","name":{"kind":"Name","value":"alerts"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"severity"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"rule"}},{"kind":"Field","name":{"kind":"Name","value":"raisedAt"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]}}]} as unknown as DocumentNode<IdentityProfileQuery, IdentityProfileQueryVariables>;
export const AuditPolicyCoverageDocument = {"__meta__":{"hash":"sha256:4b6cf7012d4671c2250c2aed2f3e61302281e52ee2af3380088821bf1cc85ace"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AuditPolicyCoverage"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"from"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"to"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"auditPolicyCoverage"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"from"},"value":{"kind":"Variable","name":{"kind":"Name","value":"from"}}},{"kind":"Argument","name":{"kind":"Name","value":"to"},"value":{"kind":"Variable","name":{"kind":"Name","value":"to"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"from"}},{"kind":"Field","name":{"kind":"Name","value":"to"}},{"kind":"Field","name":{"kind":"Name","value":"satisfied"}},{"kind":"Field","name":{"kind":"Name","value":"findings"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"cluster"}},{"kind":"Field","name":{"kind":"Name","value":"group"}},{"kind":"Field","name":{"kind":"Name","value":"count"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}},{"kind":"Field","name":{"kind":"Name","value":"clusters"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cluster"}},{"kind":"Field","name":{"kind":"Name","value":"expected"}},{"kind":"Field","name":{"kind":"Name","value":"total"}},{"kind":"Field","name":{"kind":"Name","value":"satisfied"}},{"kind":"Field","name":{"kind":"Name","value":"groups"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"group"}},{"kind":"Field","name":{"kind":"Name","value":"total"}},{"kind":"Field","name":{"kind":"Name","value":"satisfied"}},{"kind":"Field","name":{"kind":"Name","value":"levels"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"level"}},{"kind":"Field","name":{"kind":"Name","value":"count"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"expectations"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"group"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"minimumLevel"}},{"kind":"Field","name":{"kind":"Name","value":"maximumLevel"}},{"kind":"Field","name":{"kind":"Name","value":"expectEvents"}}]}}]}}]}}]} as unknown as DocumentNode<AuditPolicyCoverageQuery, AuditPolicyCoverageQueryVariables>;
export const HostChangesDocument = {"__meta__":{"hash":"sha256:41ef5f591e908c8730d42d4eedeaf9c022242afefdd3120848e23da4d6126a40"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"HostChanges"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"since"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"types"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"FactType"}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}},"defaultValue":{"kind":"IntValue","value":"500"}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"includeBaseline"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Boolean"}},"defaultValue":{"kind":"BooleanValue","value":false}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"host"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"changes"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"since"},"value":{"kind":"Variable","name":{"kind":"Name","value":"since"}}},{"kind":"Argument","name":{"kind":"Name","value":"types"},"value":{"kind":"Variable","name":{"kind":"Name","value":"types"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"includeBaseline"},"value":{"kind":"Variable","name":{"kind":"Name","value":"includeBaseline"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"change"}},{"kind":"Field","name":{"kind":"Name","value":"before"}},{"kind":"Field","name":{"kind":"Name","value":"after"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"baseline"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]}}]} as unknown as DocumentNode<HostChangesQuery, HostChangesQueryVariables>;
export const AcknowledgeAlertDocument = {"__meta__":{"hash":"sha256:25256f78a8011d21ba39becbcd085e0403f39c410882ab46fc2c62c97bdd9b80"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AcknowledgeAlert"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"comment"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"acknowledgeAlert"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"comment"},"value":{"kind":"Variable","name":{"kind":"Name","value":"comment"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"acknowledged"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"by"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"comment"}}]}}]}}]}}]} as unknown as DocumentNode<AcknowledgeAlertMutation, AcknowledgeAlertMutationVariables>;
export const ResolveAlertDocument = {"__meta__":{"hash":"sha256:f0763339c8e1b4caee7163aec82061b476f17c3208fef8c91ac847dc21cf7b13"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ResolveAlert"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"comment"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"resolveAlert"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"comment"},"value":{"kind":"Variable","name":{"kind":"Name","value":"comment"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"resolved"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"by"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"comment"}}]}}]}}]}}]} as unknown as DocumentNode<ResolveAlertMutation, ResolveAlertMutationVariables>;
export const SilenceAlertsDocument = {"__meta__":{"hash":"sha256:b473299dd6fbafe9323f0183f25c8e0f19ad9c3a3b3601cd80cdd14b4705ed46"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SilenceAlerts"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SilenceInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"silenceAlerts"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"comment"}},{"kind":"Field","name":{"kind":"Name","value":"createdBy"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"active"}}]}}]}}]} as unknown as DocumentNode<SilenceAlertsMutation, SilenceAlertsMutationVariables>;
export const FrameworkControlsDocument = {"__meta__":{"hash":"sha256:8f66a18e8f55cedc0739bc2c8ff5b9e7858714778e707e41f525b26a4a7dffde"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"FrameworkControls"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"framework"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Framework"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"asOf"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"controls"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"framework"},"value":{"kind":"Variable","name":{"kind":"Name","value":"framework"}}},{"kind":"Argument","name":{"kind":"Name","value":"asOf"},"value":{"kind":"Variable","name":{"kind":"Name","value":"asOf"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"framework"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"evaluatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"score"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"passed"}},{"kind":"Field","name":{"kind":"Name","value":"failed"}},{"kind":"Field","name":{"kind":"Name","value":"waived"}},{"kind":"Field","name":{"kind":"Name","value":"errors"}},{"kind":"Field","name":{"kind":"Name","value":"notApplicable"}},{"kind":"Field","name":{"kind":"Name","value":"score"}}]}}]}}]}}]} as unknown as DocumentNode<FrameworkControlsQuery, FrameworkControlsQueryVariables>;
export const ComplianceExportDocument = {"__meta__":{"hash":"sha256:5ec104eb9196289d7f92c6fa79546abc1eafa290b00f244646ef04718fbac816"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ComplianceExport"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"framework"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Framework"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"format"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ExportFormat"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"scope"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ComplianceScopeInput"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"asOf"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"complianceExport"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"framework"},"value":{"kind":"Variable","name":{"kind":"Name","value":"framework"}}},{"kind":"Argument","name":{"kind":"Name","value":"format"},"value":{"kind":"Variable","name":{"kind":"Name","value":"format"}}},{"kind":"Argument","name":{"kind":"Name","value":"scope"},"value":{"kind":"Variable","name":{"kind":"Name","value":"scope"}}},{"kind":"Argument","name":{"kind":"Name","value":"asOf"},"value":{"kind":"Variable","name":{"kind":"Name","value":"asOf"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"format"}},{"kind":"Field","name":{"kind":"Name","value":"mediaType"}},{"kind":"Field","name":{"kind":"Name","value":"filename"}},{"kind":"Field","name":{"kind":"Name","value":"evaluatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"controls"}},{"kind":"Field","name":{"kind":"Name","value":"results"}},{"kind":"Field","name":{"kind":"Name","value":"content"}}]}}]}}]} as unknown as DocumentNode<ComplianceExportQuery, ComplianceExportQueryVariables>;
export const SecurityEventsDocument = {"__meta__":{"hash":"sha256:58a9502bfb96d5a963a517d60886985ce891db853094502fbffbcdcfbd379764"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SecurityEvents"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"SecurityEventFilter"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}},"defaultValue":{"kind":"IntValue","value":"20"}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"securityEvents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"category"}},{"kind":"Field","name":{"kind":"Name","value":"severity"}},{"kind":"Field","name":{"kind":"Name","value":"eventType"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"cluster"}},{"kind":"Field","name":{"kind":"Name","value":"hostname"}},{"kind":"Field","name":{"kind":"Name","value":"firstSeen"}},{"kind":"Field","name":{"kind":"Name","value":"lastSeen"}},{"kind":"Field","name":{"kind":"Name","value":"count"}},{"kind":"Field","name":{"kind":"Name","value":"resource"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cluster"}},{"kind":"Field","name":{"kind":"Name","value":"namespace"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"details"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"FalcoDetails"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"priority"}},{"kind":"Field","name":{"kind":"Name","value":"rule"}},{"kind":"Field","name":{"kind":"Name","value":"output"}},{"kind":"Field","name":{"kind":"Name","value":"falcoSource"}},{"kind":"Field","name":{"kind":"Name","value":"tags"}}]}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<SecurityEventsQuery, SecurityEventsQueryVariables>;
export const AuditEventsDocument = {"__meta__":{"hash":"sha256:7821b552fba318e8d7469d791378e27f4dc07135e78455fc0662468db6442ab3"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AuditEvents"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"AuditEventFilter"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}},"defaultValue":{"kind":"IntValue","value":"50"}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"auditEvents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"auditId"}},{"kind":"Field","name":{"kind":"Name","value":"time"}},{"kind":"Field","name":{"kind":"Name","value":"stage"}},{"kind":"Field","name":{"kind":"Name","value":"level"}},{"kind":"Field","name":{"kind":"Name","value":"cluster"}},{"kind":"Field","name":{"kind":"Name","value":"verb"}},{"kind":"Field","name":{"kind":"Name","value":"user"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"username"}},{"kind":"Field","name":{"kind":"Name","value":"isServiceAccount"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userGroups"}},{"kind":"Field","name":{"kind":"Name","value":"impersonatedUser"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"username"}}]}},{"kind":"Field","name":{"kind":"Name","value":"sourceIps"}},{"kind":"Field","name":{"kind":"Name","value":"userAgent"}},{"kind":"Field","name":{"kind":"Name","value":"apiGroup"}},{"kind":"Field","name":{"kind":"Name","value":"resource"}},{"kind":"Field","name":{"kind":"Name","value":"subresource"}},{"kind":"Field","name":{"kind":"Name","value":"namespace"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"requestUri"}},{"kind":"Field","name":{"kind":"Name","value":"responseCode"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<AuditEventsQuery, AuditEventsQueryVariables>;
export const AuditStatsDocument = {"__meta__":{"hash":"sha256:c32db7a37ee9b13bcddf7211cd564ed65a6d81dbdab23ee21b7dc83efaef44a5"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AuditStats"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"AuditEventFilter"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"groupBy"}},"type":{"kind":"NonNullType","type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"AuditGroupField"}}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"top"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}},"defaultValue":{"kind":"IntValue","value":"10"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"auditStats"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}},{"kind":"Argument","name":{"kind":"Name","value":"groupBy"},"value":{"kind":"Variable","name":{"kind":"Name","value":"groupBy"}}},{"kind":"Argument","name":{"kind":"Name","value":"top"},"value":{"kind":"Variable","name":{"kind":"Name","value":"top"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"groupBy"}},{"kind":"Field","name":{"kind":"Name","value":"total"}},{"kind":"Field","name":{"kind":"Name","value":"groups"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"count"}},{"kind":"Field","name":{"kind":"Name","value":"user"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"username"}},{"kind":"Field","name":{"kind":"Name","value":"isServiceAccount"}}]}},{"kind":"Field","name":{"kind":"Name","value":"verb"}},{"kind":"Field","name":{"kind":"Name","value":"resource"}},{"kind":"Field","name":{"kind":"Name","value":"subresource"}},{"kind":"Field","name":{"kind":"Name","value":"apiGroup"}},{"kind":"Field","name":{"kind":"Name","value":"namespace"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"responseCode"}},{"kind":"Field","name":{"kind":"Name","value":"sourceIp"}},{"kind":"Field","name":{"kind":"Name","value":"userAgent"}},{"kind":"Field","name":{"kind":"Name","value":"cluster"}},{"kind":"Field","name":{"kind":"Name","value":"level"}}]}}]}}]}}]} as unknown as DocumentNode<AuditStatsQuery, AuditStatsQueryVariables>;
export const AuditHistogramDocument = {"__meta__":{"hash":"sha256:c6948920b3d0c0297f0866fef37b61b56d37e26953902c21cbf5b542933a037b"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AuditHistogram"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"AuditEventFilter"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"step"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"auditHistogram"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}},{"kind":"Argument","name":{"kind":"Name","value":"step"},"value":{"kind":"Variable","name":{"kind":"Name","value":"step"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"from"}},{"kind":"Field","name":{"kind":"Name","value":"to"}},{"kind":"Field","name":{"kind":"Name","value":"stepSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"total"}},{"kind":"Field","name":{"kind":"Name","value":"buckets"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"start"}},{"kind":"Field","name":{"kind":"Name","value":"count"}}]}}]}}]}}]} as unknown as DocumentNode<AuditHistogramQuery, AuditHistogramQueryVariables>;
export const ControlsDocument = {"__meta__":{"hash":"sha256:bacf0236c4bb1e7bbddd370647ae8a632a6a211c179ac89ee90e1f3e9a7a6c66"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Controls"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"framework"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Framework"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"controls"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"framework"},"value":{"kind":"Variable","name":{"kind":"Name","value":"framework"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"framework"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"evaluatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"evidence"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"summary"}},{"kind":"Field","name":{"kind":"Name","value":"satisfied"}},{"kind":"Field","name":{"kind":"Name","value":"observedAt"}},{"kind":"Field","name":{"kind":"Name","value":"host"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"failingHosts"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"100"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"probeStatus"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"relatedControls"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"framework"}},{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]}}]} as unknown as DocumentNode<ControlsQuery, ControlsQueryVariables>;
export const ComplianceHostEvidenceDocument = {"__meta__":{"hash":"sha256:03233280bda2d2c082a575920acc5cda82478e7148e3b96d794158095cb8af61"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ComplianceHostEvidence"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hosts"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"labels"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"value"}}]}},{"kind":"Field","name":{"kind":"Name","value":"probeStatus"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"lastAttemptAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastSuccessAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"users"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"uid"}}]}},{"kind":"Field","name":{"kind":"Name","value":"listeningPorts"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"protocol"}},{"kind":"Field","name":{"kind":"Name","value":"address"}},{"kind":"Field","name":{"kind":"Name","value":"port"}},{"kind":"Field","name":{"kind":"Name","value":"process"}}]}},{"kind":"Field","name":{"kind":"Name","value":"firewall"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"backend"}},{"kind":"Field","name":{"kind":"Name","value":"policies"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"family"}},{"kind":"Field","name":{"kind":"Name","value":"table"}},{"kind":"Field","name":{"kind":"Name","value":"chain"}},{"kind":"Field","name":{"kind":"Name","value":"hook"}},{"kind":"Field","name":{"kind":"Name","value":"policy"}}]}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<ComplianceHostEvidenceQuery, ComplianceHostEvidenceQueryVariables>;
export const ComplianceClusterEvidenceDocument = {"__meta__":{"hash":"sha256:166150da9d607c0c0c3a1cf4f0e3c2c266dfd618c703a92966e74353061d7958"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ComplianceClusterEvidence"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"clusters"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"sources"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"installed"}},{"kind":"Field","name":{"kind":"Name","value":"lastSync"}},{"kind":"Field","name":{"kind":"Name","value":"error"}}]}}]}}]}}]} as unknown as DocumentNode<ComplianceClusterEvidenceQuery, ComplianceClusterEvidenceQueryVariables>;
export const ComplianceSecurityEventsDocument = {"__meta__":{"hash":"sha256:411e9bb3496263c29b87d6882b72f2cc1a4889cb53d2891ebeb68dbb838e5403"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ComplianceSecurityEvents"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"SecurityEventFilter"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"securityEvents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"severity"}},{"kind":"Field","name":{"kind":"Name","value":"eventType"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"cluster"}},{"kind":"Field","name":{"kind":"Name","value":"hostname"}},{"kind":"Field","name":{"kind":"Name","value":"firstSeen"}},{"kind":"Field","name":{"kind":"Name","value":"lastSeen"}},{"kind":"Field","name":{"kind":"Name","value":"resolvedAt"}},{"kind":"Field","name":{"kind":"Name","value":"resource"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cluster"}},{"kind":"Field","name":{"kind":"Name","value":"namespace"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"details"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"KubeBenchDetails"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"testNumber"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"scored"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"nodeType"}},{"kind":"Field","name":{"kind":"Name","value":"remediation"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"KyvernoPolicyDetails"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"policy"}},{"kind":"Field","alias":{"kind":"Name","value":"kyvernoRule"},"name":{"kind":"Name","value":"rule"}},{"kind":"Field","name":{"kind":"Name","value":"result"}},{"kind":"Field","name":{"kind":"Name","value":"category"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"TrivyComplianceDetails"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"specId"}},{"kind":"Field","name":{"kind":"Name","value":"specTitle"}},{"kind":"Field","name":{"kind":"Name","value":"controlId"}},{"kind":"Field","name":{"kind":"Name","value":"controlName"}},{"kind":"Field","name":{"kind":"Name","value":"manual"}},{"kind":"Field","name":{"kind":"Name","value":"totalFail"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"TrivyVulnerabilityDetails"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"vulnerabilityId"}},{"kind":"Field","name":{"kind":"Name","value":"pkgName"}},{"kind":"Field","name":{"kind":"Name","value":"installedVersion"}},{"kind":"Field","name":{"kind":"Name","value":"fixedVersion"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"FalcoDetails"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"rule"}},{"kind":"Field","name":{"kind":"Name","value":"priority"}},{"kind":"Field","name":{"kind":"Name","value":"tags"}}]}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<ComplianceSecurityEventsQuery, ComplianceSecurityEventsQueryVariables>;
export const ComplianceVulnerabilityHostsDocument = {"__meta__":{"hash":"sha256:cfbad88cf0238f59547a144e4ce76df9a6a07c625f493bd3cbb1ab81c869e68f"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ComplianceVulnerabilityHosts"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"vulnerability"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"severity"}},{"kind":"Field","name":{"kind":"Name","value":"affectedHosts"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"host"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"package"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"version"}}]}},{"kind":"Field","name":{"kind":"Name","value":"fixedVersion"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]}}]} as unknown as DocumentNode<ComplianceVulnerabilityHostsQuery, ComplianceVulnerabilityHostsQueryVariables>;
export const ComplianceAuditCoverageDocument = {"__meta__":{"hash":"sha256:973cc93f1902327b9b39e4781cc14e4659cdcd30d4dc31a5e1f11fec1cd0fc9e"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ComplianceAuditCoverage"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"from"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"to"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"auditPolicyCoverage"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"from"},"value":{"kind":"Variable","name":{"kind":"Name","value":"from"}}},{"kind":"Argument","name":{"kind":"Name","value":"to"},"value":{"kind":"Variable","name":{"kind":"Name","value":"to"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"from"}},{"kind":"Field","name":{"kind":"Name","value":"to"}},{"kind":"Field","name":{"kind":"Name","value":"clusters"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cluster"}},{"kind":"Field","name":{"kind":"Name","value":"expected"}},{"kind":"Field","name":{"kind":"Name","value":"total"}},{"kind":"Field","name":{"kind":"Name","value":"satisfied"}},{"kind":"Field","name":{"kind":"Name","value":"groups"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"findings"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"group"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<ComplianceAuditCoverageQuery, ComplianceAuditCoverageQueryVariables>;
export const HostPackagesDocument = {"__meta__":{"hash":"sha256:f2f62707e97c9274df9a58a8325142d1450792c9415b51dc24aed111b66de37d"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"HostPackages"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"PackageFilter"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}},"defaultValue":{"kind":"IntValue","value":"100"}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"host"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"os"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"prettyName"}},{"kind":"Field","name":{"kind":"Name","value":"versionId"}}]}},{"kind":"Field","name":{"kind":"Name","value":"packageManager"}},{"kind":"Field","name":{"kind":"Name","value":"probeStatus"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"lastAttemptAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastSuccessAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"packages"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"arch"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]}}]} as unknown as DocumentNode<HostPackagesQuery, HostPackagesQueryVariables>;
export const InventoryProbeEvidenceDocument = {"__meta__":{"hash":"sha256:b736c142393c91b5f2dc52ebf10251d773ad0d80cfb3b830f34f76544f329dae"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"InventoryProbeEvidence"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hosts"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"transport"}},{"kind":"Field","name":{"kind":"Name","value":"labels"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"value"}}]}},{"kind":"Field","name":{"kind":"Name","value":"probeStatus"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"lastAttemptAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastSuccessAt"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<InventoryProbeEvidenceQuery, InventoryProbeEvidenceQueryVariables>;
export const HostsWithPackageDocument = {"__meta__":{"hash":"sha256:b2393584bd7cd9878b7049a1064d68a3171b4e31e1973d21716914479a480a9f"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"HostsWithPackage"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"name"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"version"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"VersionRange"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}},"defaultValue":{"kind":"IntValue","value":"100"}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hostsWithPackage"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"name"},"value":{"kind":"Variable","name":{"kind":"Name","value":"name"}}},{"kind":"Argument","name":{"kind":"Name","value":"version"},"value":{"kind":"Variable","name":{"kind":"Name","value":"version"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"host"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"labels"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"value"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"package"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"arch"}}]}},{"kind":"Field","name":{"kind":"Name","value":"packageManager"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<HostsWithPackageQuery, HostsWithPackageQueryVariables>;
export const HostHistoryDocument = {"__meta__":{"hash":"sha256:0dbcff35f183210794164410adb4e18092cf36df60bef0d9308d76cb6d6ea26e"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"HostHistory"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"since"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"types"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"FactType"}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"host"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"changes"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"since"},"value":{"kind":"Variable","name":{"kind":"Name","value":"since"}}},{"kind":"Argument","name":{"kind":"Name","value":"types"},"value":{"kind":"Variable","name":{"kind":"Name","value":"types"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"500"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"change"}},{"kind":"Field","name":{"kind":"Name","value":"before"}},{"kind":"Field","name":{"kind":"Name","value":"after"}},{"kind":"Field","name":{"kind":"Name","value":"at"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"asOf"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"time"},"value":{"kind":"Variable","name":{"kind":"Name","value":"since"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"packages"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"1000"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"version"}}]}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"freshness"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"collector"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"lastSuccessAt"}}]}}]}}]}}]} as unknown as DocumentNode<HostHistoryQuery, HostHistoryQueryVariables>;
export const RefreshHostDocument = {"__meta__":{"hash":"sha256:6a710b29ab601606ea53d03091c0c5efa26683364fe973e159c6e77248025a7f"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RefreshHost"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"refreshHost"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"host"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"probeStatus"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"lastAttemptAt"}}]}}]}}]}}]}}]} as unknown as DocumentNode<RefreshHostMutation, RefreshHostMutationVariables>;
export const SecurityOverviewDocument = {"__meta__":{"hash":"sha256:e2a78f9005dd597786a1974caf70bfdd0e497fc16b75089faad423d79fc75290"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SecurityOverview"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"hosts"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}},"defaultValue":{"kind":"IntValue","value":"20"}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"events"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}},"defaultValue":{"kind":"IntValue","value":"10"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hosts"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"hosts"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"transport"}},{"kind":"Field","name":{"kind":"Name","value":"os"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"prettyName"}},{"kind":"Field","name":{"kind":"Name","value":"kernel"}}]}},{"kind":"Field","name":{"kind":"Name","value":"packageManager"}},{"kind":"Field","name":{"kind":"Name","value":"packages"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"1"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}}]}},{"kind":"Field","name":{"kind":"Name","value":"probeStatus"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"lastSuccessAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"failedControls"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"framework"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}}]}},{"kind":"Field","name":{"kind":"Name","value":"securityEvents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"5"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"severity"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}}]}}]}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"securityEvents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"events"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"severity"}},{"kind":"Field","name":{"kind":"Name","value":"count"}},{"kind":"Field","name":{"kind":"Name","value":"lastSeen"}},{"kind":"Field","name":{"kind":"Name","value":"resource"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cluster"}},{"kind":"Field","name":{"kind":"Name","value":"namespace"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"auditEvents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"events"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"auditId"}},{"kind":"Field","name":{"kind":"Name","value":"time"}},{"kind":"Field","name":{"kind":"Name","value":"verb"}},{"kind":"Field","name":{"kind":"Name","value":"resource"}},{"kind":"Field","name":{"kind":"Name","value":"namespace"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"responseCode"}},{"kind":"Field","name":{"kind":"Name","value":"user"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"username"}},{"kind":"Field","name":{"kind":"Name","value":"isServiceAccount"}}]}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"controls"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"framework"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}},{"kind":"Field","name":{"kind":"Name","value":"alerts"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"events"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"severity"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"subjectRef"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}}]}},{"kind":"Field","name":{"kind":"Name","value":"subject"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Host"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"os"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"prettyName"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"KubeObject"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cluster"}},{"kind":"Field","name":{"kind":"Name","value":"namespace"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<SecurityOverviewQuery, SecurityOverviewQueryVariables>;
export const HostTimelineDocument = {"__meta__":{"hash":"sha256:d947b788367c86c1248f0c14aa9d15b3ea6fc7db2db0acd301c04f89881b28ed"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"HostTimeline"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"from"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"to"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"host"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"timeline"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"from"},"value":{"kind":"Variable","name":{"kind":"Name","value":"from"}}},{"kind":"Argument","name":{"kind":"Name","value":"to"},"value":{"kind":"Variable","name":{"kind":"Name","value":"to"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"summary"}},{"kind":"Field","name":{"kind":"Name","value":"severity"}},{"kind":"Field","name":{"kind":"Name","value":"alert"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"rule"}}]}},{"kind":"Field","name":{"kind":"Name","value":"securityEvent"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"hostChange"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hostId"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"change"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"from"}},{"kind":"Field","name":{"kind":"Name","value":"to"}},{"kind":"Field","name":{"kind":"Name","value":"omitted"}},{"kind":"Field","name":{"kind":"Name","value":"unavailable"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]}}]} as unknown as DocumentNode<HostTimelineQuery, HostTimelineQueryVariables>;
export const VulnerabilityImpactDocument = {"__meta__":{"hash":"sha256:84e2b274c8bf05d8055b518dff8298913537de4a2ecc88eda69cb0165b3dd3dd"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"VulnerabilityImpact"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"hosts"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}},"defaultValue":{"kind":"IntValue","value":"100"}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"hostsAfter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"vulnerability"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"severity"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"primaryLink"}},{"kind":"Field","name":{"kind":"Name","value":"packages"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"fixedVersion"}},{"kind":"Field","name":{"kind":"Name","value":"osFamily"}}]}},{"kind":"Field","name":{"kind":"Name","value":"images"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"registry"}},{"kind":"Field","name":{"kind":"Name","value":"repository"}},{"kind":"Field","name":{"kind":"Name","value":"tag"}}]}},{"kind":"Field","name":{"kind":"Name","value":"workloads"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"100"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cluster"}},{"kind":"Field","name":{"kind":"Name","value":"namespace"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"affectedHosts"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"hosts"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"hostsAfter"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"host"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"os"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"prettyName"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"package"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"version"}}]}},{"kind":"Field","name":{"kind":"Name","value":"fixedVersion"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]}}]} as unknown as DocumentNode<VulnerabilityImpactQuery, VulnerabilityImpactQueryVariables>;