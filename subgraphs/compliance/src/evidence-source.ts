import type { Severity } from '@vigil/lib/alerts/alert';
import { describeError } from '@vigil/lib/errors';
import {
  ComplianceAuditCoverageDocument,
  ComplianceClusterEvidenceDocument,
  ComplianceHostEvidenceDocument,
  ComplianceSecurityEventsDocument,
  ComplianceVulnerabilityHostsDocument,
  type ComplianceHostEvidenceQuery,
  type ComplianceSecurityEventsQuery,
  type ComplianceVulnerabilityHostsQuery,
  type SecurityEventFilter,
  type VigilClient,
} from '@vigil/sdk/index';
import type { EventDetails, EvidenceSnapshot, Gathered, HostEvidence, HostVulnerabilityEvidence, SecurityEventEvidence } from './evidence.js';

/** Where compliance gets its evidence. */
export interface EvidenceSource {
  gather(now: Date): Promise<EvidenceSnapshot>;
}

export interface GraphEvidenceOptions {
  /** How far back Falco events are read to know the nodes (SI-4) and the mapped rules' detections. @default 7 */
  lookBackDays?: number;
  /** At most this many vulnerabilities are asked for their affected hosts per evaluation. @default 500 */
  maxVulnerabilities?: number;
}

const PAGE = 500;
/**
 * Security events carry their details: at 500 a page estimates about 125,000, over the gateway's
 * default maxCost (100,000), so they are read 200 at a time.
 */
const EVENT_PAGE = 200;
// Bounded: 200 pages of 500 is far beyond any inventory or report volume Vigil is sized for.
const MAX_PAGES = 200;

async function gathered<T>(work: () => Promise<T>): Promise<Gathered<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
}

type EventNode = ComplianceSecurityEventsQuery['securityEvents']['edges'][number]['node'];

function detailsOf(node: EventNode): EventDetails {
  const d = node.details;
  switch (d.__typename) {
    case 'KubeBenchDetails':
      return { kind: 'KUBE_BENCH', testNumber: d.testNumber, description: d.description, status: d.status, scored: d.scored, version: d.version, nodeType: d.nodeType, remediation: d.remediation ?? null };
    case 'KyvernoPolicyDetails':
      return { kind: 'KYVERNO', policy: d.policy, rule: d.kyvernoRule ?? null, result: d.result, category: d.category ?? null, message: d.message ?? null };
    case 'TrivyComplianceDetails':
      return { kind: 'TRIVY_COMPLIANCE', specId: d.specId, specTitle: d.specTitle ?? null, controlId: d.controlId, controlName: d.controlName, manual: d.manual, totalFail: d.totalFail ?? null };
    case 'TrivyVulnerabilityDetails':
      return { kind: 'TRIVY_VULNERABILITY', vulnerabilityId: d.vulnerabilityId, pkgName: d.pkgName, installedVersion: d.installedVersion, fixedVersion: d.fixedVersion ?? null };
    case 'FalcoDetails':
      return { kind: 'FALCO', rule: d.rule, priority: d.priority, tags: d.tags };
    default:
      return { kind: 'OTHER' };
  }
}

/** The federated graph itself, through the typed SDK, as the compliance service's own (viewer) identity. */
export class GraphEvidenceSource implements EvidenceSource {
  /** A provider, because the gateway's URL may be known only after this subgraph starts. */
  constructor(
    private readonly client: () => VigilClient,
    private readonly options: GraphEvidenceOptions = {},
  ) {}

  async gather(now: Date): Promise<EvidenceSnapshot> {
    const lookBack = new Date(now.getTime() - (this.options.lookBackDays ?? 7) * 86_400_000).toISOString();
    const [hosts, clusters, events, auditCoverage] = await Promise.all([
      gathered(() => this.hosts()),
      gathered(async () => (await this.client().query(ComplianceClusterEvidenceDocument, {})).clusters.map((c) => ({ name: c.name, sources: c.sources.map((s) => ({ name: s.name, installed: s.installed, lastSync: s.lastSync ?? null, error: s.error ?? null })) }))),
      gathered(async () => {
        const lists = await Promise.all([
          this.events({ sources: ['KUBE_BENCH'] }),
          this.events({ sources: ['KYVERNO'] }),
          this.events({ sources: ['TRIVY'] }),
          this.events({ sources: ['FALCO'], from: lookBack }),
        ]);
        return lists.flat();
      }),
      gathered(async () => {
        const data = await this.client().query(ComplianceAuditCoverageDocument, {});
        const c = data.auditPolicyCoverage;
        return { from: c.from, to: c.to, clusters: c.clusters.map((cl) => ({ cluster: cl.cluster, expected: cl.expected, total: cl.total, satisfied: cl.satisfied, findings: cl.groups.flatMap((g) => g.findings.map((f) => ({ kind: f.kind, group: f.group ?? null, message: f.message }))) })) };
      }),
    ]);
    const hostVulnerabilities: Gathered<HostVulnerabilityEvidence[]> = events.ok ? await gathered(() => this.hostVulnerabilities(events.value)) : { ok: false, error: events.error };
    return { gatheredAt: now.toISOString(), hosts, clusters, events, hostVulnerabilities, auditCoverage };
  }

  private async hosts(): Promise<HostEvidence[]> {
    const hosts: HostEvidence[] = [];
    let after: string | null = null;
    for (let page = 0; page < MAX_PAGES; page++) {
      const data: ComplianceHostEvidenceQuery = await this.client().query(ComplianceHostEvidenceDocument, { first: PAGE, after });
      for (const { node } of data.hosts.edges) {
        hosts.push({
          id: node.id,
          labels: Object.fromEntries(node.labels.map((l) => [l.key, l.value])),
          probeState: node.probeStatus.state,
          message: node.probeStatus.message ?? null,
          lastAttemptAt: node.probeStatus.lastAttemptAt ?? null,
          lastSuccessAt: node.probeStatus.lastSuccessAt ?? null,
          users: node.users.map((u) => ({ name: u.name, uid: u.uid })),
          listeningPorts: node.listeningPorts.map((p) => ({ protocol: p.protocol, address: p.address, port: p.port, process: p.process ?? null })),
          firewall: node.firewall ? { backend: node.firewall.backend, policies: node.firewall.policies.map((p) => ({ family: p.family, table: p.table, chain: p.chain, hook: p.hook ?? null, policy: p.policy })) } : null,
        });
      }
      if (!data.hosts.pageInfo.hasNextPage) break;
      after = data.hosts.pageInfo.endCursor ?? null;
    }
    return hosts;
  }

  private async events(filter: SecurityEventFilter): Promise<SecurityEventEvidence[]> {
    const out: SecurityEventEvidence[] = [];
    let after: string | null = null;
    for (let page = 0; page < MAX_PAGES; page++) {
      const data: ComplianceSecurityEventsQuery = await this.client().query(ComplianceSecurityEventsDocument, { filter, first: EVENT_PAGE, after });
      for (const { node } of data.securityEvents.edges) {
        out.push({
          id: node.id,
          source: node.source,
          severity: node.severity as Severity,
          eventType: node.eventType,
          title: node.title,
          cluster: node.cluster,
          resource: node.resource ? { cluster: node.resource.cluster, namespace: node.resource.namespace, kind: node.resource.kind, name: node.resource.name } : null,
          hostname: node.hostname ?? null,
          firstSeen: node.firstSeen,
          lastSeen: node.lastSeen,
          resolvedAt: node.resolvedAt ?? null,
          details: detailsOf(node),
        });
      }
      if (!data.securityEvents.pageInfo.hasNextPage) break;
      after = data.securityEvents.pageInfo.endCursor ?? null;
    }
    return out;
  }

  /** For each vulnerability with a fix (open Trivy findings), the hosts it affects; the fix known since its first finding. */
  private async hostVulnerabilities(events: readonly SecurityEventEvidence[]): Promise<HostVulnerabilityEvidence[]> {
    const fixKnownSince = new Map<string, string>();
    for (const e of events) {
      if (e.details.kind !== 'TRIVY_VULNERABILITY' || e.details.fixedVersion === null) continue;
      const known = fixKnownSince.get(e.details.vulnerabilityId);
      if (!known || e.firstSeen < known) fixKnownSince.set(e.details.vulnerabilityId, e.firstSeen);
    }
    const ids = [...fixKnownSince.keys()].slice(0, this.options.maxVulnerabilities ?? 500);
    const out: HostVulnerabilityEvidence[] = [];
    // A few at a time: each is one gateway request fanning out to cluster and hosts.
    for (let i = 0; i < ids.length; i += 8) {
      const batch = await Promise.all(ids.slice(i, i + 8).map((id) => this.affectedHosts(id)));
      for (const found of batch) {
        if (!found) continue;
        const { vulnerability, affected } = found;
        for (const host of affected) {
          if (host.fixedVersion == null) continue;
          out.push({ vulnerabilityId: vulnerability.id, severity: vulnerability.severity as Severity, hostId: host.host.id, packageName: host.package.name, installedVersion: host.package.version, fixedVersion: host.fixedVersion, fixKnownSince: fixKnownSince.get(vulnerability.id) ?? '' });
        }
      }
    }
    return out;
  }

  /** Every page of a vulnerability's affected hosts; null when no open finding has it. */
  private async affectedHosts(id: string): Promise<{ vulnerability: VulnerabilityHosts; affected: AffectedHostEvidence[] } | null> {
    const affected: AffectedHostEvidence[] = [];
    let vulnerability: VulnerabilityHosts | null = null;
    let after: string | null = null;
    for (let page = 0; page < MAX_PAGES; page++) {
      const data: ComplianceVulnerabilityHostsQuery = await this.client().query(ComplianceVulnerabilityHostsDocument, { id, first: PAGE, after });
      if (!data.vulnerability) break;
      vulnerability = data.vulnerability;
      affected.push(...data.vulnerability.affectedHosts.edges.map((edge) => edge.node));
      if (!data.vulnerability.affectedHosts.pageInfo.hasNextPage) break;
      after = data.vulnerability.affectedHosts.pageInfo.endCursor ?? null;
    }
    return vulnerability && { vulnerability, affected };
  }
}

type VulnerabilityHosts = NonNullable<ComplianceVulnerabilityHostsQuery['vulnerability']>;
type AffectedHostEvidence = VulnerabilityHosts['affectedHosts']['edges'][number]['node'];
