import { z } from 'zod';
import type { SecurityEventEvidence } from '../evidence.js';
import { isFramework, type FrameworkId } from '../frameworks.js';
import { nodeSubject, type SubjectResult } from '../results.js';
import { kyvernoResults, policySubject, type KyvernoEvent } from './policy-imports.js';
import { item, notApplicable, type ControlEvaluator } from './types.js';

/**
 * Control ids an organisation attaches to its own policies and rules, as `<FRAMEWORK>:<control id>`
 * (e.g. `OWASP_LLM:LLM04`, `NIST_800_53:SI-4`): in a Kyverno policy's `policies.kyverno.io/category`
 * annotation (which Kyverno copies into each PolicyReport result's category; several separated by
 * commas), or as a Falco rule tag. Anything else in a category or tag list is ignored.
 */
export function controlTokens(values: readonly string[]): { framework: FrameworkId; id: string }[] {
  const out: { framework: FrameworkId; id: string }[] = [];
  for (const value of values) {
    for (const part of value.split(',')) {
      const match = /^\s*([A-Za-z0-9_]+):([A-Za-z0-9][A-Za-z0-9._-]*)\s*$/.exec(part);
      const framework = match?.[1]?.toUpperCase();
      if (match && framework && isFramework(framework)) out.push({ framework, id: match[2]! });
    }
  }
  return out;
}

export function mapsTo(event: SecurityEventEvidence, framework: FrameworkId, id: string): boolean {
  const values = event.details.kind === 'KYVERNO' ? (event.details.category ? [event.details.category] : []) : event.details.kind === 'FALCO' ? event.details.tags : [];
  return controlTokens(values).some((t) => t.framework === framework && t.id === id);
}

/**
 * Results of one control from the organisation's own mappings: the Kyverno policies whose category
 * names it (per workload and namespace, as kyverno-policy-results scores them) and the Falco rules
 * tagged with it (a detection within `windowHours` fails its workload or node: the behaviour the
 * rule guards against happened; an older one passes).
 */
export function organisationResults(events: readonly SecurityEventEvidence[], framework: FrameworkId, id: string, now: Date, windowHours: number): SubjectResult[] {
  const mapped = events.filter((e) => (e.details.kind === 'KYVERNO' || e.details.kind === 'FALCO') && mapsTo(e, framework, id));
  const kyverno = mapped.filter((e): e is KyvernoEvent => e.details.kind === 'KYVERNO');
  const results = kyvernoResults(kyverno, `Kyverno (mapped to ${framework}:${id})`);
  const cutoff = new Date(now.getTime() - windowHours * 3_600_000).toISOString();
  const bySubject = new Map<string, SecurityEventEvidence[]>();
  for (const e of mapped) {
    if (e.details.kind !== 'FALCO') continue;
    const subject = e.resource ? policySubject(e) : nodeSubject(e.cluster, e.hostname ?? 'unknown');
    const key = JSON.stringify(subject);
    bySubject.set(key, [...(bySubject.get(key) ?? []), e]);
  }
  for (const [key, subjectEvents] of bySubject) {
    const subject = JSON.parse(key) as SubjectResult['subject'];
    const recent = subjectEvents.filter((e) => e.lastSeen >= cutoff);
    const shown = (recent.length > 0 ? recent : subjectEvents).slice(0, 20);
    results.push({
      subject,
      status: recent.length > 0 ? 'FAIL' : 'PASS',
      severity: shown[0]?.severity ?? 'MEDIUM',
      evidence: shown.map((e) =>
        item({
          source: 'cluster.securityEvents (FALCO)',
          summary: `Falco rule ${e.details.kind === 'FALCO' ? e.details.rule : e.eventType} (tagged ${framework}:${id}) fired, last at ${e.lastSeen}${e.lastSeen >= cutoff ? '' : `, more than ${windowHours} h ago`}.`,
          satisfied: e.lastSeen < cutoff,
          observed: `detection at ${e.lastSeen}`,
          expected: `no detection within ${windowHours} h`,
          hostId: e.hostname,
          observedAt: e.lastSeen,
          reference: { kind: 'SECURITY_EVENT', securityEventId: e.id },
        }),
      ),
    });
  }
  return results;
}

const params = z.object({ windowHours: z.number().positive().default(24) }).strict();

/** A control scored only by the organisation's own mappings (e.g. the OWASP Top 10 for LLM Applications). */
export const organisationMapping: ControlEvaluator<z.infer<typeof params>> = {
  kind: 'control',
  name: 'organisation-mapping',
  subjectKinds: ['WORKLOAD', 'NAMESPACE', 'NODE', 'CLUSTER'],
  params,
  evaluate({ evidence, control, now, params: p }) {
    if (!evidence.events.ok) return [{ ...notApplicable('cluster.securityEvents', '', control.severity), status: 'ERROR', evidence: [item({ source: 'cluster.securityEvents', summary: `Evidence could not be gathered: ${evidence.events.error}`, satisfied: false })] }];
    const results = organisationResults(evidence.events.value, control.framework, control.id, now, p.windowHours);
    if (results.length > 0) return results;
    return [notApplicable('organisation mappings', `No Kyverno policy (category) or Falco rule (tag) is mapped to ${control.framework}:${control.id}, or none has reported.`, control.severity)];
  },
};
