import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { auditEventSchema } from '@vigil/lib/k8s-audit/audit-event';
import { auditDetails } from '@vigil/lib/k8s-audit/details';
import { auditConfig } from '../src/config.js';
import { VIGIL_LAYOUT, type AuditLayout } from '../src/sources/victorialogs/layout.js';
import { decodeCheckpoint, encodeCheckpoint } from '../src/sources/victorialogs/tail-checkpoint.js';
import { advance } from '../src/sources/victorialogs/tail-follower.js';
import { tailRecordOf, type TailRecord } from '../src/sources/victorialogs/tail-record.js';

// The pure parts of the live tail: a VictoriaLogs row back to the details the rules read, the
// checkpoint, and the config. The tail itself runs against a real VictoriaLogs in live-rules-tail.int.test.ts.

const FLUENT_BIT: AuditLayout = { streamFilter: { stream: 'audit.kube-apiserver' }, time: 'stageTimestamp', timeSkewMs: 86_400_000, cluster: { field: 'cluster' } };
const execLine = readFileSync(new URL('./fixtures/audit-log_minikube_k8s-1.29.jsonl', import.meta.url), 'utf8').split('\n')[5] ?? '';
const exec = auditEventSchema.parse(JSON.parse(execLine));

/** The row VictoriaLogs prints for `exec` stored in `layout`: flattened, arrays as JSON text, every value a string. */
function row(layout: 'vigil' | 'fluent-bit'): Record<string, string> {
  const flat: Record<string, string> = {};
  const walk = (value: unknown, path: string) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) walk(inner, path === '' ? key : `${path}.${key}`);
    } else if (value !== undefined && value !== null && value !== '') {
      flat[path] = Array.isArray(value) ? JSON.stringify(value) : String(value as string | number);
    }
  };
  walk(exec, '');
  if (layout === 'vigil') {
    const { stageTimestamp: _stage, requestURI, ...rest } = flat;
    return { ...rest, _time: '2024-12-22T12:33:27.1234Z', _msg: requestURI ?? '', cluster: 'prod', _stream: '{cluster="prod"}' };
  }
  return { ...flat, _time: '2024-12-22T12:33:28.5Z', stream: 'audit.kube-apiserver', date: '1734870808.5' };
}

describe('tailRecordOf', () => {
  it('rebuilds the details the webhook reads, in both layouts', () => {
    const expected = auditDetails(exec);
    const fluent = tailRecordOf(row('fluent-bit'), FLUENT_BIT, 'own');
    expect(fluent.ok && fluent.record.details).toEqual(expected);
    expect(fluent.ok && fluent.record).toMatchObject({ cluster: 'own', key: `${exec.auditID}/ResponseStarted`, tailTimeNs: 1734870808500000000n });
    expect(fluent.ok && fluent.record.eventTimeMs).toBe(Date.parse(exec.stageTimestamp.slice(0, 23) + 'Z'));
    const vigil = tailRecordOf(row('vigil'), VIGIL_LAYOUT, 'own');
    // Vigil's layout keeps the stage time as _time, printed by VictoriaLogs with its own digits.
    expect(vigil.ok && { ...vigil.record.details, stageAt: exec.stageTimestamp }).toEqual(expected);
    expect(vigil.ok && vigil.record.cluster).toBe('prod');
  });

  it('refuses rows that are not audit records, with the reason', () => {
    expect(tailRecordOf({ _time: '2024-12-22T12:33:28Z', _msg: 'hello' }, VIGIL_LAYOUT, 'own')).toEqual({ ok: false, reason: 'VictoriaLogs row is not an audit event: no "auditID"' });
    const noLevel = row('fluent-bit');
    delete noLevel['level'];
    expect(tailRecordOf(noLevel, FLUENT_BIT, 'own').ok).toBe(false);
  });
});

describe('checkpoint', () => {
  const record = (ns: bigint, key: string) => ({ tailTimeNs: ns, key }) as TailRecord;

  it('moves to the newest _time, keeping every key done at that instant, never back', () => {
    let cp = advance(null, [record(5n, 'a/RequestReceived'), record(7n, 'b/ResponseComplete'), record(7n, 'c/ResponseComplete')]);
    expect(cp).toEqual({ timeNs: 7n, keys: ['b/ResponseComplete', 'c/ResponseComplete'] });
    // A late row of another stream (older _time) does not move it; one more at the same instant is added.
    cp = advance(cp, [record(6n, 'd/ResponseComplete'), record(7n, 'e/ResponseComplete')]);
    expect(cp).toEqual({ timeNs: 7n, keys: ['b/ResponseComplete', 'c/ResponseComplete', 'e/ResponseComplete'] });
    expect(advance(cp, [record(8n, 'f/ResponseComplete')])).toEqual({ timeNs: 8n, keys: ['f/ResponseComplete'] });
  });

  it('round-trips, and anything unreadable is no checkpoint', () => {
    const cp = { timeNs: 1734870808500000123n, keys: ['a/ResponseComplete'] };
    expect(decodeCheckpoint(encodeCheckpoint(cp))).toEqual(cp);
    for (const text of ['', 'null', '{"t":1,"k":[]}', '{"t":"-1","k":[]}', '{"t":"1","k":[1]}', '{']) expect(decodeCheckpoint(text)).toBeNull();
  });
});

describe('audit.liveRules config', () => {
  it('is off by default, with the webhook rules’ defaults', () => {
    const { liveRules } = auditConfig.parse({});
    expect(liveRules).toMatchObject({ enabled: false, tenants: [], offsetSeconds: 5, refreshIntervalSeconds: 1, maxCatchUpMinutes: 60, redeliveryWindowSeconds: 3600 });
    expect(liveRules.rules.apiFailureRate).toEqual({ enabled: true, severity: 'MEDIUM', threshold: 20, windowSeconds: 300 });
  });

  it('names the key of every problem', () => {
    const result = auditConfig.safeParse({ liveRules: { enabled: true, tenants: [{ accountId: 1 }, { accountId: 1, projectId: 0 }], backoff: { initialMs: 1000, maxMs: 100 }, rules: { silence: { minutes: 0 } } } });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((issue) => issue.path.join('.')).sort();
    expect(paths).toEqual(['liveRules.backoff.maxMs', 'liveRules.enabled', 'liveRules.rules.silence.minutes', 'liveRules.tenants.1.accountId']);
    // Without a URL the tail has nothing to read.
    const noUrl = auditConfig.safeParse({ liveRules: { enabled: true } });
    expect(noUrl.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['liveRules.enabled', 'needs audit.victoriaLogs.url (or env VICTORIALOGS_URL): the tail reads VictoriaLogs'],
    ]);
  });
});
