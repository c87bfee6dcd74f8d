import { describe, expect, it } from 'vitest';
import { falcoEvent } from './security-events.js';
import { clusterOf, nodeNameOf } from './simulated-nodes.js';

const now = Date.parse('2026-01-15T12:00:00Z');

describe('falcoEvent', () => {
  it('puts event i on the Node of host i % hosts, within the window before now', () => {
    const events = Array.from({ length: 40 }, (_, i) => falcoEvent(i, now, { hosts: 7, withinMinutes: 60, criticalEvery: 0 }));
    for (const [i, event] of events.entries()) {
      expect(event.hostname).toBe(nodeNameOf(i % 7));
      expect(event.cluster).toBe(clusterOf(i % 7));
      const age = now - Date.parse(event.occurredAt);
      expect(age).toBeGreaterThanOrEqual(0);
      expect(age).toBeLessThan(60 * 60_000);
    }
    expect(new Set(events.map((event) => event.dedupKey)).size).toBe(40);
    expect(events.every((event) => event.severity === 'MEDIUM')).toBe(true);
  });

  it('makes every criticalEvery-th event a Critical terminal shell', () => {
    const critical = Array.from({ length: 30 }, (_, i) => falcoEvent(i, now, { hosts: 100, withinMinutes: 1440, criticalEvery: 10 }))
      .map((event, i) => [i, event] as const)
      .filter(([, event]) => event.severity === 'CRITICAL');
    expect(critical.map(([i]) => i)).toEqual([0, 10, 20]);
    expect(critical.every(([, event]) => event.eventType === 'Terminal shell in container' && 'priority' in event.details && event.details.priority === 'Critical')).toBe(true);
  });
});
