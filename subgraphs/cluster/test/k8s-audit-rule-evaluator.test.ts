import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { NewAlert } from '@vigil/lib/alerts/alert';
import { MemoryAlertLog } from '@vigil/lib/alerts/memory-alert-log';
import { AlertPublisher } from '@vigil/lib/alerts/publisher';
import { createLogger } from '@vigil/lib/logger';
import { auditRulesConfig } from '../src/config-audit.js';
import { parseAuditEventList, type AuditDetails } from '../src/sources/k8s-audit/audit-event.js';
import { auditDetails } from '../src/sources/k8s-audit/normalise.js';
import { AuditRuleEvaluator } from '../src/sources/k8s-audit/rule-evaluator.js';
import { MemoryAuditRuleState } from '../src/sources/k8s-audit/rule-state.js';
import { MINUTE, T0, manualClock } from './k8s-audit-rule-stores.contract.js';

// Samples: test/fixtures/k8s-audit/README.md. The 403 (secrets list by mayor-malware) and a 200 (pod get)
// of the minikube log, repeated with fresh auditIDs: each copy is another request.
const lines = readFileSync(new URL('./fixtures/k8s-audit/audit-log_minikube_k8s-1.29.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Record<string, unknown>);
const parsed = parseAuditEventList(JSON.stringify({ kind: 'EventList', items: lines }));
if (!parsed.ok) throw new Error(parsed.reason);
const forbidden = auditDetails(parsed.events[1] ?? parsed.events[0]!);
const allowed = auditDetails(parsed.events[4] ?? parsed.events[0]!);
let serial = 0;
const copies = (d: AuditDetails, n: number): AuditDetails[] => Array.from({ length: n }, () => ({ ...d, auditId: `${d.auditId}-${++serial}` }));

const logger = createLogger('test', { level: 'silent' });
const timers: AuditRuleEvaluator[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(timers.splice(0).map((e) => e.stop()));
});

function setup(config: Record<string, unknown> = {}, options: { failAlerts?: () => boolean } = {}) {
  const clock = manualClock();
  const log = new MemoryAlertLog({ maxLength: 1000, now: clock });
  const publisher = new AlertPublisher(log, logger, clock);
  const raise = publisher.raise.bind(publisher);
  publisher.raise = (alert: NewAlert) => (options.failAlerts?.() ? Promise.reject(new Error('alert log down')) : raise(alert));
  const evaluator = new AuditRuleEvaluator({ state: new MemoryAuditRuleState({ clock }), config: auditRulesConfig.parse(config), publisher, clock, logger });
  timers.push(evaluator);
  const alerts = async () => (await log.listNewestFirst({ limit: 100 })).reverse();
  return { clock, evaluator, alerts };
}

describe('failure-rate rule', () => {
  it('fires when 401/403 responses reach the threshold within the window, once per window', async () => {
    const { clock, evaluator, alerts } = setup();
    expect(await evaluator.observe('prod', [...copies(forbidden, 19), ...copies(allowed, 30)], clock().getTime())).toBe(0);
    clock.advance(MINUTE);
    expect(await evaluator.observe('prod', copies(forbidden, 1), clock().getTime())).toBe(1);
    clock.advance(MINUTE);
    expect(await evaluator.observe('prod', copies(forbidden, 50), clock().getTime())).toBe(0);
    // Another cluster counts on its own.
    expect(await evaluator.observe('staging', copies(forbidden, 19), clock().getTime())).toBe(0);
    expect(await alerts()).toMatchObject([
      {
        source: 'AUDIT',
        severity: 'MEDIUM',
        rule: 'k8s-audit: API failure rate',
        title: 'API failure rate: 20 responses 401/403 in cluster prod within 5 min',
        labels: { cluster: 'prod', failures: '20', requests: '50', threshold: '20', windowSeconds: '300' },
      },
    ]);
    // Five minutes after it fired, the 50 are still in the window: it fires again, once.
    clock.advance(4 * MINUTE + 1);
    expect(await evaluator.observe('prod', copies(forbidden, 1), clock().getTime())).toBe(1);
    expect(await evaluator.observe('prod', copies(forbidden, 1), clock().getTime())).toBe(0);
    // Failures long gone: nothing.
    clock.advance(20 * MINUTE);
    expect(await evaluator.observe('prod', copies(forbidden, 19), clock().getTime())).toBe(0);
  });

  it('only counts final records, and follows its config', async () => {
    const { clock, evaluator } = setup({ apiFailureRate: { threshold: 2, windowSeconds: 60 } });
    const started = copies({ ...forbidden, stage: 'ResponseStarted' }, 5);
    expect(await evaluator.observe('prod', started, clock().getTime())).toBe(0);
    expect(await evaluator.observe('prod', copies(forbidden, 2), clock().getTime())).toBe(1);
    const off = setup({ apiFailureRate: { enabled: false } });
    expect(await off.evaluator.observe('prod', copies(forbidden, 500), off.clock().getTime())).toBe(0);
  });

  it('an alert that cannot be raised is raised by the next evaluation', async () => {
    let down = true;
    const { clock, evaluator, alerts } = setup({}, { failAlerts: () => down });
    expect(await evaluator.observe('prod', copies(forbidden, 20), clock().getTime())).toBe(0);
    down = false;
    expect(await evaluator.observe('prod', copies(allowed, 1), clock().getTime())).toBe(1);
    expect((await alerts()).map((a) => a.labels?.['failures'])).toEqual(['20']);
  });
});

describe('silence rule', () => {
  it('raises once when a cluster has been silent for N minutes, resolves when records arrive, then arms again', async () => {
    const { clock, evaluator, alerts } = setup();
    // Nothing heard yet: nothing to miss.
    clock.advance(60 * MINUTE);
    expect(await evaluator.checkSilence()).toBe(0);
    const start = clock().getTime();
    await evaluator.observe('prod', copies(allowed, 1), start);
    clock.advance(10 * MINUTE - 1);
    expect(await evaluator.checkSilence()).toBe(0);
    clock.advance(1);
    expect(await evaluator.checkSilence()).toBe(1);
    clock.advance(30 * MINUTE);
    expect(await evaluator.checkSilence()).toBe(0);
    expect(await evaluator.observe('prod', copies(allowed, 1), clock().getTime())).toBe(1);
    clock.advance(10 * MINUTE);
    expect(await evaluator.checkSilence()).toBe(1);
    const lastSeen = new Date(start).toISOString();
    expect((await alerts()).map((a) => [a.severity, a.title, a.labels?.['state']])).toEqual([
      ['HIGH', 'No audit events from cluster prod for 10 min: detection is blind', 'firing'],
      ['INFO', 'Audit events from cluster prod arrive again', 'resolved'],
      ['HIGH', 'No audit events from cluster prod for 10 min: detection is blind', 'firing'],
    ]);
    expect((await alerts())[0]).toMatchObject({ rule: 'k8s-audit: No audit events', occurredAt: lastSeen, labels: { cluster: 'prod', lastSeen } });
  });

  it('a silence alert that cannot be raised is raised at the next check; a resolution with the next records', async () => {
    let down = true;
    const { clock, evaluator, alerts } = setup({ silence: { minutes: 5 } }, { failAlerts: () => down });
    await evaluator.observe('prod', copies(allowed, 1), clock().getTime());
    clock.advance(5 * MINUTE);
    expect(await evaluator.checkSilence()).toBe(0);
    down = false;
    expect(await evaluator.checkSilence()).toBe(1);
    down = true;
    expect(await evaluator.observe('prod', copies(allowed, 1), clock().getTime())).toBe(0);
    down = false;
    expect(await evaluator.observe('prod', copies(allowed, 1), clock().getTime())).toBe(1);
    expect((await alerts()).map((a) => a.labels?.['state'])).toEqual(['firing', 'resolved']);
  });

  it('runs on a timer: every quarter of the silence period, at most a minute apart', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { clock, evaluator, alerts } = setup({ silence: { minutes: 2 } });
    await evaluator.observe('prod', copies(allowed, 1), T0);
    evaluator.start();
    clock.advance(2 * MINUTE);
    await vi.advanceTimersByTimeAsync(30_000);
    await evaluator.stop();
    expect((await alerts()).map((a) => a.labels?.['state'])).toEqual(['firing']);
  });
});
