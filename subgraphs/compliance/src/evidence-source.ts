import { InventoryProbeEvidenceDocument, type InventoryProbeEvidenceQuery, type VigilClient } from '@vigil/sdk/index';
import type { HostProbeEvidence } from './evaluators/inventory-probed.js';

/** Where compliance gets its evidence: the federated graph itself, through the typed SDK. */
export interface EvidenceSource {
  hostProbeEvidence(): Promise<HostProbeEvidence[]>;
}

export class GraphEvidenceSource implements EvidenceSource {
  /** A provider, because the gateway's URL may be known only after this subgraph starts. */
  constructor(private readonly client: () => VigilClient) {}

  async hostProbeEvidence(): Promise<HostProbeEvidence[]> {
    const hosts: HostProbeEvidence[] = [];
    let after: string | null = null;
    // Bounded: 200 pages of 500 is far beyond any inventory Vigil is sized for.
    for (let page = 0; page < 200; page++) {
      const data: InventoryProbeEvidenceQuery = await this.client().query(InventoryProbeEvidenceDocument, { first: 500, after });
      for (const { node } of data.hosts.edges) {
        hosts.push({
          id: node.id,
          probeState: node.probeStatus.state,
          message: node.probeStatus.message ?? null,
          lastAttemptAt: node.probeStatus.lastAttemptAt ?? null,
          lastSuccessAt: node.probeStatus.lastSuccessAt ?? null,
          labels: Object.fromEntries(node.labels.map((label) => [label.key, label.value])),
        });
      }
      if (!data.hosts.pageInfo.hasNextPage) break;
      after = data.hosts.pageInfo.endCursor ?? null;
    }
    return hosts;
  }
}
