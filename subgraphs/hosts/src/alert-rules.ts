import type { NewAlert } from '@vigil/lib/alerts/alert';
import type { ProbeStatusCode } from './sources/probe/types.js';
import type { FactChange, FactType, Firewall, ListeningPort, User } from './facts/types.js';

/** What the rules see of one saved probe. */
export interface ProbeOutcome {
  hostId: string;
  /** Status of this probe and of the one before (null: first probe since the store was empty). */
  status: ProbeStatusCode;
  previousStatus: ProbeStatusCode | null;
  message: string | null;
  consecutiveFailures: number;
  /** The changes this probe wrote. */
  changes: readonly FactChange[];
  /** Fact types collected successfully at least once before this probe: only those can "change". */
  previouslyCollected: ReadonlySet<FactType>;
  at: string;
}

export interface AlertRuleSettings {
  /** Raise "unreachable" when this many probes in a row could not reach the host. @default 3 */
  unreachableAfter: number;
}

const UNREACHABLE: ReadonlySet<ProbeStatusCode> = new Set(['UNREACHABLE', 'TIMEOUT']);

/**
 * The host alert rules. Pure: given what a probe changed, the alerts to raise. A fact seen for
 * the first time is a baseline, not a change, so a newly added host raises nothing.
 */
export function hostAlerts(outcome: ProbeOutcome, settings: AlertRuleSettings): NewAlert[] {
  const subject = { type: 'Host' as const, hostId: outcome.hostId, displayName: outcome.hostId };
  const base = { source: 'HOSTS' as const, subject, occurredAt: outcome.at };
  const alerts: NewAlert[] = [];

  if (outcome.status === 'HOST_KEY_MISMATCH' && outcome.previousStatus !== 'HOST_KEY_MISMATCH') {
    alerts.push({
      ...base,
      severity: 'CRITICAL',
      rule: 'host-key-changed',
      title: `Host key of ${outcome.hostId} changed: probes refused`,
      ...(outcome.message ? { description: outcome.message } : {}),
    });
  }
  if (UNREACHABLE.has(outcome.status) && outcome.consecutiveFailures === settings.unreachableAfter) {
    alerts.push({
      ...base,
      severity: 'HIGH',
      rule: 'host-unreachable',
      title: `${outcome.hostId} unreachable for ${outcome.consecutiveFailures} probes in a row`,
      ...(outcome.message ? { description: outcome.message } : {}),
    });
  }

  const packageChanges = outcome.previouslyCollected.has('packages') ? outcome.changes.filter((c) => c.type === 'packages') : [];
  if (packageChanges.length > 0) {
    // INFO, one per probe: a package change is routine on its own, but it is one part of the
    // correlation rule "a listening port appeared near a package change" (alerts subgraph).
    const names = [...new Set(packageChanges.map((c) => c.key))].sort();
    const count = (kind: FactChange['change']) => packageChanges.filter((c) => c.change === kind).length;
    const [added, changed, removed] = [count('ADDED'), count('CHANGED'), count('REMOVED')];
    alerts.push({
      ...base,
      severity: 'INFO',
      rule: 'packages-changed',
      title: `Packages changed on ${outcome.hostId}: ${added} added, ${changed} changed, ${removed} removed`,
      description: names.length > 20 ? `${names.slice(0, 20).join(', ')} and ${names.length - 20} more` : names.join(', '),
      labels: { added: String(added), changed: String(changed), removed: String(removed) },
    });
  }

  for (const change of outcome.changes) {
    if (!outcome.previouslyCollected.has(change.type)) continue;
    switch (change.type) {
      case 'listeningPorts': {
        if (change.change !== 'ADDED') break;
        const port = change.after as ListeningPort;
        alerts.push({
          ...base,
          severity: 'MEDIUM',
          rule: 'new-listening-port',
          title: `New listening port on ${outcome.hostId}: ${port.protocol}/${port.port} on ${port.address}`,
          labels: { protocol: port.protocol, port: String(port.port), address: port.address, ...(port.process ? { process: port.process } : {}) },
        });
        break;
      }
      case 'users': {
        const after = change.after as User | null;
        const before = change.before as User | null;
        if (after?.uid === 0 && before?.uid !== 0) {
          alerts.push({
            ...base,
            severity: 'CRITICAL',
            rule: 'new-uid-0-user',
            title: `User ${after.name} on ${outcome.hostId} has uid 0 (root privileges)`,
            description: before ? `uid changed from ${before.uid} to 0` : 'a new account with uid 0',
            labels: { user: after.name },
          });
        }
        break;
      }
      case 'firewall': {
        if (change.change !== 'CHANGED') break;
        const before = change.before as Firewall;
        const after = change.after as Firewall;
        alerts.push({
          ...base,
          severity: 'HIGH',
          rule: 'firewall-changed',
          title: `Firewall ruleset changed on ${outcome.hostId}`,
          description: `${before.backend} ${before.ruleCount} rules → ${after.backend} ${after.ruleCount} rules (digest ${before.digest.slice(0, 12)} → ${after.digest.slice(0, 12)})`,
        });
        break;
      }
      default:
        break;
    }
  }
  return alerts;
}
