import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Identity as Caller } from '@vigil/lib/identity';
import { entitiesOf, executeSubgraph } from '../../../test/support/execute-subgraph.js';
import { falcoAlert } from '../src/http/falco-ingest.js';
import { createClusterSubgraph } from '../src/server.js';
import { parseFalcoBody } from '../src/sources/falco/falco-event.js';
import { normaliseFalcoEvent, type NormalisedFalcoEvent } from '../src/sources/falco/normalise.js';
import { kubernetesUserOf } from '../src/sources/identity.js';
import { auditEventSchema } from '../src/sources/k8s-audit/audit-event.js';
import { normaliseAuditEvent } from '../src/sources/k8s-audit/normalise.js';
import { MemorySecurityEventStore } from '../src/store/memory-security-event-store.js';
import type { NormalisedSecurityEvent, SecurityEvent } from '../src/store/security-event-store.js';

// Which security events name a Kubernetes identity, read from the real records in ./fixtures: Falco's
// Kubernetes audit plugins (k8saudit-eks, k8saudit-ovh) carry `ka.user.name`, the audit webhook
// `user.username`; Falco's syscall rules carry `user.name`, a Unix account, which is never taken for
// one. Then Identity.securityEvents through `_entities`: batched, per tenant, narrowed by source.

const fixture = (path: string) => readFileSync(new URL(`./fixtures/${path}`, import.meta.url), 'utf8');

function falco(name: string, cluster = 'prod'): NormalisedFalcoEvent {
  const parsed = parseFalcoBody(fixture(`falco/${name}`), 'application/json');
  if (!parsed.ok || !parsed.events[0]) throw new Error(`fixture ${name}: ${parsed.ok ? 'empty' : parsed.reason}`);
  return normaliseFalcoEvent(parsed.events[0], { cluster });
}

function webhook(name: string, cluster = 'prod'): NormalisedSecurityEvent {
  const event = normaliseAuditEvent(auditEventSchema.parse(JSON.parse(fixture(`k8s-audit/${name}`))), { cluster });
  if (!event) throw new Error(`fixture ${name} is no event of interest`);
  return event;
}

describe('kubernetesUserOf: only exact Kubernetes identities', () => {
  it.each([
    ['k8saudit_attach_exec_pod_v034.json', 'kubernetes-admin'],
    ['k8saudit_attach_exec_pod_v040.json', 'kubernetes-admin'],
    ['k8saudit_disallowed_user_resp403.json', 'yacht'],
    ['k8saudit_serviceaccount_created.json', 'system:node:ip-192-168-34-135.ec2.internal'],
  ])('Falco k8s_audit %s: ka.user.name = %s', (name, user) => {
    expect(kubernetesUserOf(falco(name))).toBe(user);
  });

  it.each(['terminal_shell_in_container.json', 'read_sensitive_file_untrusted.json', 'write_below_binary_dir_docs.json', 'contact_k8s_api_server_from_container_v029.json'])(
    'Falco syscall %s: its user.name (a Unix account) is no identity',
    (name) => {
      const event = falco(name);
      expect(kubernetesUserOf(event)).toBeNull();
    },
  );

  it('the audit webhook: the user who made the request', () => {
    const event = webhook('event_secret_get_serviceaccount.json');
    const raw = JSON.parse(fixture('k8s-audit/event_secret_get_serviceaccount.json')) as { user: { username: string } };
    expect(kubernetesUserOf(event)).toBe(raw.user.username);
  });

  it('a Falco alert carries the identity as its user label only when the event names one', () => {
    const store = (event: NormalisedSecurityEvent) => ({ ...event, id: 'x', firstSeen: event.occurredAt, lastSeen: event.occurredAt, count: 1, resolvedAt: null });
    const audit = falco('k8saudit_attach_exec_pod_v040.json');
    expect(falcoAlert(audit, store(audit)).labels?.['user']).toBe('kubernetes-admin');
    const shell = falco('terminal_shell_in_container.json');
    expect(falcoAlert(shell, store(shell)).labels).not.toHaveProperty('user');
  });
});

describe('Identity.securityEvents through _entities', () => {
  const IDENTITY = 'query ($representations: [_Any!]!, $sources: [SecurityEventSource!]) { _entities(representations: $representations) { ... on Identity { username securityEvents(first: 10, sources: $sources) { source cluster eventType } } } }';
  const identities = (...names: string[]) => names.map((username) => ({ __typename: 'Identity', username }));

  /** The memory store, recording the identity batches asked of it. */
  class CountingStore extends MemorySecurityEventStore {
    readonly calls: { usernames: string[]; limit: number }[] = [];
    override forIdentities(usernames: readonly string[], limit: number): Promise<SecurityEvent[][]> {
      this.calls.push({ usernames: [...usernames], limit });
      return super.forIdentities(usernames, limit);
    }
  }

  async function subgraph() {
    // The fixtures' own times (2019-2025), kept whatever today's date.
    const store = new CountingStore({ retentionDays: 100_000 });
    await store.record(falco('k8saudit_attach_exec_pod_v034.json', 'prod'));
    await store.record(falco('k8saudit_attach_exec_pod_v040.json', 'staging'));
    await store.record(falco('k8saudit_disallowed_user_resp403.json', 'prod'));
    await store.record(falco('terminal_shell_in_container.json', 'prod'));
    await store.record(webhook('event_secret_get_serviceaccount.json', 'prod'));
    return { definition: createClusterSubgraph({ store, clusterNames: ['prod', 'staging'], sourceStates: () => [] }), calls: store.calls };
  }

  it('N identities in one store call, newest first; a Unix user of the same name gets nothing', async () => {
    const { definition, calls } = await subgraph();
    const sa = (JSON.parse(fixture('k8s-audit/event_secret_get_serviceaccount.json')) as { user: { username: string } }).user.username;
    const result = await executeSubgraph(definition, IDENTITY, { representations: identities('kubernetes-admin', 'yacht', 'root', sa) });
    expect(entitiesOf<{ username: string; securityEvents: { source: string; cluster: string; eventType: string }[] }>(result)).toEqual([
      {
        username: 'kubernetes-admin',
        securityEvents: [
          { source: 'FALCO', cluster: 'staging', eventType: 'Attach/Exec Pod' },
          { source: 'FALCO', cluster: 'prod', eventType: 'Attach/Exec Pod' },
        ],
      },
      { username: 'yacht', securityEvents: [{ source: 'FALCO', cluster: 'prod', eventType: 'Disallowed K8s User' }] },
      // terminal_shell_in_container.json: user.name=root, a Unix account.
      { username: 'root', securityEvents: [] },
      { username: sa, securityEvents: [{ source: 'K8S_AUDIT', cluster: 'prod', eventType: expect.any(String) as string }] },
    ]);
    expect(calls).toEqual([{ usernames: ['kubernetes-admin', 'yacht', 'root', sa], limit: 10 }]);
  });

  it('a tenant sees only its clusters’ events; sources narrow them', async () => {
    const { definition } = await subgraph();
    const stagingOnly: Caller = { subject: 't', kind: 'user', roles: ['analyst'], tenants: [{ name: 'staging', clusters: ['staging'], hostLabels: null, victoriaLogs: null }], expiresAt: null };
    const scoped = await executeSubgraph(definition, IDENTITY, { representations: identities('kubernetes-admin', 'yacht') }, stagingOnly);
    expect(entitiesOf<{ securityEvents: { cluster: string }[] }>(scoped).map((i) => i.securityEvents.map((e) => e.cluster))).toEqual([['staging'], []]);
    const onlyWebhook = await executeSubgraph(definition, IDENTITY, { representations: identities('kubernetes-admin'), sources: ['K8S_AUDIT'] });
    expect(entitiesOf<{ securityEvents: unknown[] }>(onlyWebhook)[0]?.securityEvents).toEqual([]);
  });

  it('a page size out of range is BAD_USER_INPUT and never reaches the store', async () => {
    const { definition, calls } = await subgraph();
    const result = await executeSubgraph(definition, 'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Identity { securityEvents(first: 0) { id } } } }', {
      representations: identities('yacht'),
    });
    expect(result.errors?.map((e) => e.extensions?.['code'])).toEqual(['BAD_USER_INPUT']);
    expect(calls).toEqual([]);
  });
});
