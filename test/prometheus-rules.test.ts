import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

// deploy/prometheus: the alert rules checked and unit-tested by the real promtool (Debian package
// prometheus), and the example scrape config checked.

const PROMTOOL = '/usr/bin/promtool';
const dir = new URL('../deploy/prometheus/', import.meta.url).pathname;

async function promtool(args: string[], cwd = dir): Promise<{ ok: boolean; output: string }> {
  return promisify(execFile)(PROMTOOL, args, { cwd }).then(
    ({ stdout, stderr }) => ({ ok: true, output: stdout + stderr }),
    (error: { stdout?: string; stderr?: string }) => ({ ok: false, output: (error.stdout ?? '') + (error.stderr ?? '') }),
  );
}

describe('Prometheus alert rules', () => {
  it('has the four rules the on-call needs', () => {
    const rules = parseYaml(readFileSync(join(dir, 'vigil-rules.yml'), 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
    expect(rules.groups.flatMap((g) => g.rules.map((r) => r.alert))).toEqual(['VigilDown', 'VigilIntakeRejecting', 'VigilProbesFailingFleetWide', 'VigilRouteDeadLettersGrowing']);
  });

  it('pass promtool check rules', async () => {
    const result = await promtool(['check', 'rules', 'vigil-rules.yml']);
    expect(result.output).toContain('SUCCESS: 4 rules found');
    expect(result.ok).toBe(true);
  });

  it('pass promtool test rules (each alert fires when it should and not before)', async () => {
    const result = await promtool(['test', 'rules', 'vigil-rules.test.yml']);
    expect(result.output).toContain('SUCCESS');
    expect(result.ok).toBe(true);
  });

  it('the example scrape config passes promtool check config', async () => {
    const result = await promtool(['check', 'config', 'prometheus.yml']);
    expect(result.ok, result.output).toBe(true);
  });

  it('a rule that no longer matches its test fails promtool test rules (the test above can fail)', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'vigil-rules-'));
    try {
      copyFileSync(join(dir, 'vigil-rules.test.yml'), join(tmp, 'vigil-rules.test.yml'));
      // VigilDown waiting 10 minutes instead of 2: the test expects it at minute 5.
      writeFileSync(join(tmp, 'vigil-rules.yml'), readFileSync(join(dir, 'vigil-rules.yml'), 'utf8').replace('for: 2m', 'for: 10m'));
      const result = await promtool(['test', 'rules', 'vigil-rules.test.yml'], tmp);
      expect(result.ok).toBe(false);
      expect(result.output).toContain('VigilDown');
      writeFileSync(join(tmp, 'broken.yml'), 'groups:\n  - name: x\n    rules:\n      - alert: X\n        expr: sum by (job (up)\n');
      expect((await promtool(['check', 'rules', 'broken.yml'], tmp)).ok).toBe(false);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
