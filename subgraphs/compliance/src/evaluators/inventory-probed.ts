import { z } from 'zod';
import type { HostEvidence } from '../evidence.js';
import { hostSubject, type SubjectResult } from '../results.js';
import { gatherError, item, type ControlEvaluator } from './types.js';

const params = z.object({ maxProbeAgeHours: z.number().positive().default(24) }).strict();

/**
 * NIST 800-53 CM-8 (and what maps onto it): every host in the inventory was probed successfully
 * within `maxProbeAgeHours`, so the recorded components (OS, installed packages) are current. An
 * empty inventory fails: the control asks for an inventory, and none is not one.
 */
export const inventoryProbed: ControlEvaluator<z.infer<typeof params>> = {
  kind: 'control',
  name: 'inventory-probed-within-24h',
  subjectKinds: ['HOST'],
  params,
  evaluate({ evidence, params: { maxProbeAgeHours }, now, control }) {
    if (!evidence.hosts.ok) return [gatherError('hosts', evidence.hosts, control.severity)];
    const hosts = evidence.hosts.value;
    if (hosts.length === 0) {
      return [{ subject: null, status: 'FAIL', severity: control.severity, evidence: [item({ source: 'hosts', summary: 'The host inventory is empty.', satisfied: false, observed: '0 hosts', expected: 'every system component in the inventory' })] }];
    }
    const cutoff = now.getTime() - maxProbeAgeHours * 3_600_000;
    return hosts.map((host): SubjectResult => {
      const last = host.lastSuccessAt ? Date.parse(host.lastSuccessAt) : Number.NaN;
      const fresh = !Number.isNaN(last) && last >= cutoff;
      let summary: string;
      if (fresh) summary = `${host.id} was probed successfully at ${host.lastSuccessAt}.`;
      else if (host.lastSuccessAt) summary = `${host.id} was last probed successfully at ${host.lastSuccessAt}, more than ${maxProbeAgeHours} h ago${failureNote(host)}.`;
      else summary = `${host.id} has never been probed successfully${failureNote(host)}.`;
      return {
        subject: hostSubject(host.id, host.labels),
        status: fresh ? 'PASS' : 'FAIL',
        severity: control.severity,
        evidence: [
          item({
            source: 'hosts.probeStatus',
            summary,
            satisfied: fresh,
            observed: fresh ? 'probed within the window' : host.lastSuccessAt ? `last success ${host.lastSuccessAt}` : 'never probed successfully',
            expected: `a successful probe within ${maxProbeAgeHours} h`,
            hostId: host.id,
            observedAt: host.lastAttemptAt,
            reference: { kind: 'HOST_FACT', hostId: host.id, fact: 'probeStatus', key: null },
          }),
        ],
      };
    });
  },
};

function failureNote(host: HostEvidence): string {
  if (host.probeState === 'OK' || host.probeState === 'NEVER_PROBED') return host.probeState === 'NEVER_PROBED' ? ' (not probed yet)' : '';
  return `; last attempt: ${host.probeState}${host.message ? ` (${host.message})` : ''}`;
}
