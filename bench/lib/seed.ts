import { readFileSync } from 'node:fs';
import type { AlertSubject, NewAlert } from '@vigil/lib/alerts/alert';

// Falco's documented JSON output for "Terminal shell in container" (provenance in gateway/test/fixtures/README.md).
const FALCO_FIXTURE = new URL('../../gateway/test/fixtures/terminal_shell_in_container.json', import.meta.url);

export type KubeSubject = Extract<AlertSubject, { type: 'KubeObject' }>;
export type HostSubject = Extract<AlertSubject, { type: 'Host' }>;

export function hostSubject(hostId: string): HostSubject {
  return { type: 'Host', hostId, displayName: hostId };
}

export function podSubject(name: string): KubeSubject {
  return { type: 'KubeObject', cluster: 'default', namespace: 'default', kind: 'Pod', name, displayName: `default/${name}` };
}

/**
 * Posts `eventsPerPod` distinct Falco events (different commands) for each of `pods` pods to the
 * cluster subgraph's intake, timed now so retention keeps them; KubeObject.securityEvents then has
 * data for those pods. Each (Critical) event also raises an alert, as in production. `token`: the
 * stack's cluster.falco.token, when it has one.
 */
export async function seedFalcoEvents(clusterGraphqlUrl: string, pods: number, eventsPerPod: number, token?: string): Promise<KubeSubject[]> {
  const template = JSON.parse(readFileSync(FALCO_FIXTURE, 'utf8')) as { output_fields: Record<string, unknown> } & Record<string, unknown>;
  const url = clusterGraphqlUrl.replace(/\/graphql$/, '/ingest/falco');
  const subjects: KubeSubject[] = [];
  for (let p = 0; p < pods; p++) {
    const pod = `bench-pod-${p}`;
    for (let c = 0; c < eventsPerPod; c++) {
      const event = {
        ...template,
        time: new Date().toISOString(),
        output_fields: { ...template.output_fields, 'k8s.pod.name': pod, 'proc.cmdline': `sh -c bench-command-${c}` },
      };
      const headers: Record<string, string> = { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) };
      const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(event) });
      if (response.status !== 202) throw new Error(`Falco intake answered ${response.status}: ${await response.text()}`);
    }
    subjects.push(podSubject(pod));
  }
  return subjects;
}

/** `count` alerts alternating between the given subjects (for the overhead benchmark's page of alerts). */
export function seedAlerts(count: number, subjects: readonly AlertSubject[]): NewAlert[] {
  return Array.from({ length: count }, (_, i) => {
    const subject = subjects[i % subjects.length];
    if (!subject) throw new Error('seedAlerts needs at least one subject');
    return {
      source: subject.type === 'Host' ? 'HOSTS' : 'CLUSTER',
      severity: (['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const)[i % 4] ?? 'HIGH',
      title: `Seeded alert ${i} about ${subject.displayName}`,
      rule: 'bench-seed',
      subject,
      labels: { bench: 'seed' },
    };
  });
}
