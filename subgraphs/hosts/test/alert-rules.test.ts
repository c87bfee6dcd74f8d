import { describe, expect, it } from 'vitest';
import { hostAlerts, type ProbeOutcome } from '../src/alert-rules.js';
import type { FactChange, FactType } from '../src/facts/types.js';

const at = '2026-11-22T10:00:00.000Z';
const outcome = (over: Partial<ProbeOutcome>): ProbeOutcome => ({
  hostId: 'web-1',
  status: 'OK',
  previousStatus: 'OK',
  message: null,
  consecutiveFailures: 0,
  changes: [],
  previouslyCollected: new Set<FactType>(['listeningPorts', 'users', 'firewall', 'packages']),
  at,
  ...over,
});
const change = (c: Partial<FactChange> & Pick<FactChange, 'type' | 'change'>): FactChange => ({ key: 'k', before: null, after: null, at, ...c });
const settings = { unreachableAfter: 3 };

describe('host alert rules', () => {
  it('alerts once when a host key starts to mismatch, not on every later probe', () => {
    const first = hostAlerts(outcome({ status: 'HOST_KEY_MISMATCH', previousStatus: 'OK', message: 'key differs' }), settings);
    expect(first.map((a) => [a.rule, a.severity])).toEqual([['host-key-changed', 'CRITICAL']]);
    expect(first[0]?.subject).toEqual({ type: 'Host', hostId: 'web-1', displayName: 'web-1' });
    expect(hostAlerts(outcome({ status: 'HOST_KEY_MISMATCH', previousStatus: 'HOST_KEY_MISMATCH' }), settings)).toEqual([]);
  });

  it('alerts when a host has been unreachable for exactly N probes in a row', () => {
    expect(hostAlerts(outcome({ status: 'UNREACHABLE', consecutiveFailures: 2 }), settings)).toEqual([]);
    expect(hostAlerts(outcome({ status: 'TIMEOUT', consecutiveFailures: 3 }), settings).map((a) => a.rule)).toEqual(['host-unreachable']);
    expect(hostAlerts(outcome({ status: 'UNREACHABLE', consecutiveFailures: 4 }), settings)).toEqual([]);
    expect(hostAlerts(outcome({ status: 'AUTH_FAILED', consecutiveFailures: 3 }), settings)).toEqual([]);
  });

  it('alerts on a new listening port, with its protocol, port and address', () => {
    const alerts = hostAlerts(
      outcome({ changes: [change({ type: 'listeningPorts', change: 'ADDED', after: { protocol: 'tcp', address: '0.0.0.0', port: 8080, process: null } })] }),
      settings,
    );
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ rule: 'new-listening-port', severity: 'MEDIUM', labels: { protocol: 'tcp', port: '8080', address: '0.0.0.0' } });
    // A port that went away is not an alert.
    expect(hostAlerts(outcome({ changes: [change({ type: 'listeningPorts', change: 'REMOVED', before: { protocol: 'tcp', address: '0.0.0.0', port: 8080, process: null } })] }), settings)).toEqual([]);
  });

  it('alerts on a new uid 0 account and on an account changed to uid 0, not on root itself staying root', () => {
    const root2 = { name: 'toor', uid: 0, gid: 0, gecos: '', home: '/root', shell: '/bin/sh' };
    expect(hostAlerts(outcome({ changes: [change({ type: 'users', change: 'ADDED', after: root2 })] }), settings).map((a) => a.rule)).toEqual(['new-uid-0-user']);
    const bob = { name: 'bob', uid: 1000, gid: 1000, gecos: '', home: '/home/bob', shell: '/bin/bash' };
    const promoted = hostAlerts(outcome({ changes: [change({ type: 'users', change: 'CHANGED', before: bob, after: { ...bob, uid: 0 } })] }), settings);
    expect(promoted[0]?.description).toBe('uid changed from 1000 to 0');
    const root = { name: 'root', uid: 0, gid: 0, gecos: 'root', home: '/root', shell: '/bin/bash' };
    expect(hostAlerts(outcome({ changes: [change({ type: 'users', change: 'CHANGED', before: root, after: { ...root, shell: '/bin/zsh' } })] }), settings)).toEqual([]);
    expect(hostAlerts(outcome({ changes: [change({ type: 'users', change: 'ADDED', after: bob })] }), settings)).toEqual([]);
  });

  it('alerts when the firewall ruleset digest changes', () => {
    const fw = { backend: 'nftables' as const, ruleCount: 10, chainCount: 3, policies: [], digest: 'a'.repeat(64) };
    const alerts = hostAlerts(outcome({ changes: [change({ type: 'firewall', change: 'CHANGED', before: fw, after: { ...fw, ruleCount: 11, digest: 'b'.repeat(64) } })] }), settings);
    expect(alerts.map((a) => [a.rule, a.severity])).toEqual([['firewall-changed', 'HIGH']]);
    expect(alerts[0]?.description).toContain('10 rules → nftables 11 rules');
  });

  it('raises one INFO alert per probe that changed packages, counting what changed, and none for the baseline', () => {
    const pkg = (name: string, version: string) => ({ name, version, arch: 'amd64' });
    const changes = [
      change({ type: 'packages', key: 'openssl:amd64', change: 'CHANGED', before: pkg('openssl', '3.0.1'), after: pkg('openssl', '3.0.2') }),
      change({ type: 'packages', key: 'nginx:amd64', change: 'ADDED', after: pkg('nginx', '1.24') }),
    ];
    const alerts = hostAlerts(outcome({ changes }), settings);
    expect(alerts.map((a) => [a.rule, a.severity, a.labels])).toEqual([['packages-changed', 'INFO', { added: '1', changed: '1', removed: '0' }]]);
    expect(alerts[0]?.description).toBe('nginx:amd64, openssl:amd64');
    expect(hostAlerts(outcome({ changes, previouslyCollected: new Set<FactType>(['listeningPorts']) }), settings)).toEqual([]);
  });

  it('treats the first collection of a fact as a baseline: a new host raises nothing', () => {
    const firstProbe = outcome({
      previousStatus: null,
      previouslyCollected: new Set(),
      changes: [
        change({ type: 'listeningPorts', change: 'ADDED', after: { protocol: 'tcp', address: '0.0.0.0', port: 22, process: null } }),
        change({ type: 'users', change: 'ADDED', after: { name: 'root', uid: 0, gid: 0, gecos: '', home: '/root', shell: '/bin/bash' } }),
      ],
    });
    expect(hostAlerts(firstProbe, settings)).toEqual([]);
  });
});
