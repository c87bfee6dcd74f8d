import { describe, expect, it } from 'vitest';
import { evaluateInventoryProbed, type HostProbeEvidence } from '../src/evaluators/inventory-probed.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const HOUR = 3_600_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();

function host(id: string, lastSuccessAt: string | null, probeState = 'OK', message: string | null = null): HostProbeEvidence {
  return { id, probeState, message, lastAttemptAt: ago(HOUR / 2), lastSuccessAt, labels: {} };
}

describe('evaluateInventoryProbed (CM-8 / A.8.1)', () => {
  it('passes when every host was probed successfully within the window', () => {
    const evaluation = evaluateInventoryProbed([host('a', ago(HOUR)), host('b', ago(23 * HOUR))], NOW, 24);
    expect(evaluation.status).toBe('PASS');
    expect(evaluation.failingHostIds).toEqual([]);
    expect(evaluation.evaluatedAt).toBe(NOW.toISOString());
    expect(evaluation.evidence.map((e) => [e.hostId, e.satisfied, e.source])).toEqual([
      ['a', true, 'hosts.probeStatus'],
      ['b', true, 'hosts.probeStatus'],
    ]);
    expect(evaluation.evidence[0]?.summary).toBe(`a was probed successfully at ${ago(HOUR)}.`);
    expect(evaluation.evidence[0]?.observedAt).toBe(ago(HOUR / 2));
  });

  it('fails listing exactly the stale host, with its last failure in the evidence', () => {
    const evaluation = evaluateInventoryProbed(
      [host('fresh', ago(HOUR)), host('stale', ago(25 * HOUR), 'AUTH_FAILED', 'the server refused the key'), host('also-fresh', ago(2 * HOUR))],
      NOW,
      24,
    );
    expect(evaluation.status).toBe('FAIL');
    expect(evaluation.failingHostIds).toEqual(['stale']);
    const stale = evaluation.evidence.find((e) => e.hostId === 'stale');
    expect(stale?.satisfied).toBe(false);
    expect(stale?.summary).toBe(`stale was last probed successfully at ${ago(25 * HOUR)}, more than 24 h ago; last attempt: AUTH_FAILED (the server refused the key).`);
  });

  it('fails a host that was never probed successfully, saying why', () => {
    const evaluation = evaluateInventoryProbed(
      [host('ok', ago(HOUR)), host('new', null, 'NEVER_PROBED'), host('down', null, 'UNREACHABLE', 'connection refused')],
      NOW,
      24,
    );
    expect(evaluation.status).toBe('FAIL');
    expect(evaluation.failingHostIds).toEqual(['new', 'down']);
    expect(evaluation.evidence.find((e) => e.hostId === 'new')?.summary).toBe('new has never been probed successfully (not probed yet).');
    expect(evaluation.evidence.find((e) => e.hostId === 'down')?.summary).toBe('down has never been probed successfully; last attempt: UNREACHABLE (connection refused).');
  });

  it('an unparsable lastSuccessAt counts as not probed, never as fresh', () => {
    const evaluation = evaluateInventoryProbed([host('garbled', 'yesterday-ish')], NOW, 24);
    expect(evaluation.status).toBe('FAIL');
    expect(evaluation.failingHostIds).toEqual(['garbled']);
  });

  it('an empty inventory fails: no inventory is not an inventory', () => {
    const evaluation = evaluateInventoryProbed([], NOW, 24);
    expect(evaluation.status).toBe('FAIL');
    expect(evaluation.failingHostIds).toEqual([]);
    expect(evaluation.evidence).toEqual([{ source: 'hosts', summary: 'The host inventory is empty.', satisfied: false, hostId: null, observedAt: null }]);
  });

  it('the boundary: exactly 24 h ago passes, one millisecond more fails', () => {
    expect(evaluateInventoryProbed([host('edge', ago(24 * HOUR))], NOW, 24).status).toBe('PASS');
    const past = evaluateInventoryProbed([host('edge', ago(24 * HOUR + 1))], NOW, 24);
    expect(past.status).toBe('FAIL');
    expect(past.failingHostIds).toEqual(['edge']);
  });

  it('honours a configured window other than 24 h', () => {
    const hosts = [host('six-hours', ago(6 * HOUR))];
    expect(evaluateInventoryProbed(hosts, NOW, 12).status).toBe('PASS');
    expect(evaluateInventoryProbed(hosts, NOW, 4).status).toBe('FAIL');
    expect(evaluateInventoryProbed(hosts, NOW, 4).evidence[0]?.summary).toContain('more than 4 h ago');
  });
});
