import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv } from '../../../test/support/clean-env.js';
import { correlationConfig } from '../src/correlation/correlation-config.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vigil-correlation-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const good = {
  name: 'exec-then-rbac',
  title: 'Pod exec then an RBAC change by the same user',
  windowSeconds: 300,
  joinOn: 'user',
  first: { labels: { auditRule: 'podExec' } },
  second: { labels: { auditRule: 'rbacChange' } },
};

function messages(input: unknown): string[] {
  const result = correlationConfig.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('correlation rules config', () => {
  it('ships the two example rules, enabled, and accepts a rule list that replaces them', () => {
    const defaults = correlationConfig.parse({});
    expect(defaults.enabled).toBe(true);
    expect(defaults.rules.map((r) => [r.name, r.enabled, r.windowSeconds, r.joinOn, r.order])).toEqual([
      ['secret-read-then-critical-falco', true, 600, 'namespace', 'sequence'],
      ['listening-port-near-package-change', true, 300, 'host', 'any'],
    ]);
    expect(correlationConfig.parse({ rules: [good] }).rules.map((r) => [r.name, r.order, r.subjectFrom])).toEqual([['exec-then-rbac', 'sequence', 'second']]);
  });

  it('names the rule in every problem: a bad window, an unknown join, an empty part, a duplicate', () => {
    expect(messages({ rules: [good, { ...good, name: 'too-long', windowSeconds: 0 }] })).toEqual([expect.stringMatching(/^rules\.1\.windowSeconds: correlation rule "too-long": /)]);
    expect(messages({ rules: [{ ...good, joinOn: 'pod' }] })).toEqual([expect.stringMatching(/^rules\.0\.joinOn: correlation rule "exec-then-rbac": /)]);
    expect(messages({ rules: [{ ...good, second: {} }] })).toEqual([expect.stringMatching(/^rules\.0\.second: correlation rule "exec-then-rbac": a part needs at least one condition/)]);
    expect(messages({ rules: [good, good] })).toEqual(['rules.1.name: correlation rule "exec-then-rbac" is defined twice']);
    expect(messages({ rules: [{ title: 'no name' }] })[0]).toMatch(/^rules\.0\.name: correlation rule #1: /);
  });

  it('stops the process at start with exit 1, naming the bad rule', { timeout: 90_000 }, async () => {
    const file = join(dir, 'vigil.yaml');
    writeFileSync(
      file,
      ['alerts:', '  correlation:', '    rules:', '      - name: exec-then-rbac', '        title: t', '        windowSeconds: -5', '        joinOn: user', '        first: { sources: [AUDIT] }', '        second: { sources: [AUDIT] }', ''].join('\n'),
    );
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/src/stack-main.ts'], { cwd: root, env: cleanEnv({ VIGIL_CONFIG: file }), stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
      child.once('error', reject);
      child.once('close', (exit) => resolve({ code: exit, stderr: err }));
    });
    expect(code, stderr).toBe(1);
    expect(stderr).toMatch(/alerts\.correlation\.rules\.0\.windowSeconds\b.*correlation rule "exec-then-rbac"/);
  });
});
