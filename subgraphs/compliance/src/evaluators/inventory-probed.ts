/** One host as the evidence query returns it. */
export interface HostProbeEvidence {
  id: string;
  probeState: string;
  message: string | null;
  lastAttemptAt: string | null;
  lastSuccessAt: string | null;
  /** Inventory labels: tenants select hosts by them. */
  labels: Record<string, string>;
}

export interface EvidenceItem {
  source: string;
  summary: string;
  satisfied: boolean;
  hostId: string | null;
  observedAt: string | null;
}

export interface Evaluation {
  status: 'PASS' | 'FAIL' | 'ERROR';
  evaluatedAt: string;
  evidence: EvidenceItem[];
  failingHostIds: string[];
}

/**
 * NIST 800-53 CM-8 / ISO 27001 A.8.1: every host in the inventory was probed successfully within
 * `maxAgeHours`. An empty inventory fails: the control asks for an inventory, and none is not one.
 */
export function evaluateInventoryProbed(hosts: readonly HostProbeEvidence[], now: Date, maxAgeHours: number): Evaluation {
  const evaluatedAt = now.toISOString();
  if (hosts.length === 0) {
    return {
      status: 'FAIL',
      evaluatedAt,
      failingHostIds: [],
      evidence: [{ source: 'hosts', summary: 'The host inventory is empty.', satisfied: false, hostId: null, observedAt: null }],
    };
  }
  const cutoff = now.getTime() - maxAgeHours * 3_600_000;
  const evidence = hosts.map((host): EvidenceItem => {
    const last = host.lastSuccessAt ? Date.parse(host.lastSuccessAt) : Number.NaN;
    const fresh = !Number.isNaN(last) && last >= cutoff;
    let summary: string;
    if (fresh) summary = `${host.id} was probed successfully at ${host.lastSuccessAt}.`;
    else if (host.lastSuccessAt) summary = `${host.id} was last probed successfully at ${host.lastSuccessAt}, more than ${maxAgeHours} h ago${failureNote(host)}.`;
    else summary = `${host.id} has never been probed successfully${failureNote(host)}.`;
    return { source: 'hosts.probeStatus', summary, satisfied: fresh, hostId: host.id, observedAt: host.lastAttemptAt };
  });
  const failingHostIds = evidence.filter((e) => !e.satisfied).map((e) => e.hostId as string);
  return { status: failingHostIds.length === 0 ? 'PASS' : 'FAIL', evaluatedAt, evidence, failingHostIds };
}

function failureNote(host: HostProbeEvidence): string {
  if (host.probeState === 'OK' || host.probeState === 'NEVER_PROBED') return host.probeState === 'NEVER_PROBED' ? ' (not probed yet)' : '';
  return `; last attempt: ${host.probeState}${host.message ? ` (${host.message})` : ''}`;
}
