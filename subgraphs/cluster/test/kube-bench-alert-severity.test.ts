import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MemoryAlertLog } from '@vigil/lib/alerts/memory-alert-log';
import { AlertPublisher } from '@vigil/lib/alerts/publisher';
import { systemClock } from '@vigil/lib/clock';
import { createLogger } from '@vigil/lib/logger';
import { createReportIngest } from '../src/report-ingest.js';
import { MemorySecurityEventStore } from '../src/store/memory-security-event-store.js';

// kube-bench `--json` of a worker node (CIS 1.6), see fixtures/kube-bench/README.md for its source.
const nodeReport = JSON.parse(readFileSync(new URL('./fixtures/kube-bench/kube-bench_cis-1.6_node_trimmed.json', import.meta.url), 'utf8')) as {
  Controls: { tests: { results: { test_number: string; status: string; scored: boolean }[] }[] }[];
};

/** The node run with 4.2.1 made an unscored check (CIS marks some checks Manual), still FAIL. */
function reportWithUnscored421(): string {
  const report = structuredClone(nodeReport);
  for (const target of report.Controls) for (const group of target.tests) for (const check of group.results) if (check.test_number === '4.2.1') check.scored = false;
  return JSON.stringify(report);
}

describe('kube-bench FAIL alerts carry the event severity', () => {
  it('raises MEDIUM for an unscored FAIL (a MEDIUM event) and HIGH for a scored one', async () => {
    const log = new MemoryAlertLog();
    const store = new MemorySecurityEventStore({ retentionDays: 30 });
    const ingest = createReportIngest({ store, publisher: new AlertPublisher(log, createLogger('test', { level: 'silent' }), systemClock), logger: createLogger('test', { level: 'silent' }) });
    await ingest('prod', 'kube-bench', {
      type: 'upsert',
      object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-bench-node-a', namespace: 'kube-bench', uid: 'u1', resourceVersion: '1', labels: { node: 'node-a' } }, data: { 'result.json': reportWithUnscored421() } },
    });
    const alerts = await log.listNewestFirst({ limit: 100 });
    const byTest = new Map(alerts.map((a) => [a.title.split(' ')[1], a.severity]));
    const { events } = await store.list({ sources: ['KUBE_BENCH'] }, { first: 100 });
    const eventSeverity = new Map(events.map((e) => [e.eventType, e.severity]));
    expect(eventSeverity.get('4.2.1')).toBe('MEDIUM');
    expect(byTest.get('4.2.1')).toBe('MEDIUM');
    expect(byTest.get('4.2.2')).toBe('HIGH');
    for (const [test, severity] of byTest) expect(severity, test).toBe(eventSeverity.get(test!));
  });
});
