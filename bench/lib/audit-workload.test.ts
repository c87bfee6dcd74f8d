import { describe, expect, it } from 'vitest';
import { parseAuditEventList, type AuditEvent } from '@vigil/subgraph-cluster/sources/k8s-audit/audit-event';
import { AuditWorkload, DANA, formatMicros, shapeProblems } from './audit-workload.js';

const FROM = new Date('2025-06-01T12:00:00Z');
const TO = new Date('2025-06-02T12:00:00Z');
const isSecretRead = (e: AuditEvent) => e.user.username === DANA && e.objectRef?.resource === 'secrets' && ['get', 'list', 'watch'].includes(e.verb);

function all(workload: AuditWorkload, perList = 400): AuditEvent[] {
  const out: AuditEvent[] = [];
  for (let list = workload.next(perList); list.length > 0; list = workload.next(perList)) out.push(...list);
  return out;
}

describe('AuditWorkload', () => {
  const records = 20_000;
  const workload = new AuditWorkload({ records, from: FROM, to: TO, seed: 7, probes: { secretReads: { matches: isSecretRead, keep: 5 } } });
  const events = all(workload);

  it('generates exactly the records asked for, in strictly increasing stage time, inside the window', () => {
    expect(events).toHaveLength(records);
    expect(workload.remaining).toBe(0);
    const times = events.map((e) => e.stageTimestamp);
    expect(times.every((time, i) => i === 0 || (times[i - 1] ?? '') < time)).toBe(true);
    expect((times[0] ?? '') >= formatMicros(FROM.getTime() * 1000)).toBe(true);
    expect((times.at(-1) ?? '') < formatMicros(TO.getTime() * 1000)).toBe(true);
  });

  it('is deterministic for a seed', () => {
    const again = all(new AuditWorkload({ records, from: FROM, to: TO, seed: 7 }), 1000);
    expect(again).toEqual(events);
  });

  it('makes records the audit webhook accepts, shaped like the fixture records', () => {
    const parsed = parseAuditEventList(JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: events }));
    expect(parsed.ok).toBe(true);
    expect(shapeProblems(events)).toEqual([]);
  });

  it('keeps every stage of a request under one auditID, a watch ending minutes after it started', () => {
    const byId = new Map<string, AuditEvent[]>();
    for (const event of events) byId.set(event.auditID, [...(byId.get(event.auditID) ?? []), event]);
    for (const stages of byId.values()) expect(new Set(stages.map((e) => e.stage)).size).toBe(stages.length);
    const finished = [...byId.values()].filter((stages) => stages[0]?.verb === 'watch' && stages.length === 2);
    expect(finished.length).toBeGreaterThan(0);
    for (const [started, complete] of finished) {
      expect(Date.parse(complete?.stageTimestamp ?? '') - Date.parse(started?.stageTimestamp ?? '')).toBeGreaterThanOrEqual(300_000);
    }
  });

  it('records the newest matches of a probe, newest first, and tallies every record', () => {
    const matches = events.filter(isSecretRead);
    const probe = workload.probe('secretReads');
    expect(probe.total).toBe(matches.length);
    expect(probe.newest).toEqual(matches.slice(-5).reverse());
    const users = [...workload.tallies.user.values()].reduce((sum, n) => sum + n, 0);
    expect(users).toBe(records);
    const [top] = workload.top('user', 1);
    expect(top?.[1]).toBe(events.filter((e) => (e.user.username ?? '') === top?.[0]).length);
  });

  it('varies what an audit query filters by', () => {
    const distinct = (f: (e: AuditEvent) => unknown) => new Set(events.map(f)).size;
    expect(distinct((e) => e.user.username)).toBeGreaterThan(80);
    expect(distinct((e) => e.verb)).toBe(7);
    expect(distinct((e) => e.objectRef?.resource)).toBeGreaterThan(20);
    expect(distinct((e) => e.objectRef?.namespace)).toBeGreaterThan(25);
    expect(distinct((e) => e.responseStatus?.code)).toBeGreaterThan(9);
    expect(distinct((e) => e.sourceIPs?.join(','))).toBeGreaterThan(50);
  });
});
