import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv } from '../../../test/support/clean-env.js';
import { freePort } from '../../../test/support/free-port.js';

// A catalogue with a bad evaluator name or mapping stops the process at start: exit 1, one message
// on stderr naming the entry, no stack trace around it. Both ways production starts compliance: its
// own service (subgraphs/compliance/src/index.ts, docker-compose) and the one-process stack (npm start).

const root = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vigil-catalogue-exit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runToExit(entry: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    // A process that started anyway would never exit: the timeout ends it and the test fails on its code.
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const catalogue = (evaluatorLine: string, mapping: string) => `version: "test-1"
controls:
  - framework: NIST_800_53
    id: CM-8
    title: System Component Inventory
    description: Inventory.
    ${evaluatorLine}
  - framework: ISO_27001
    id: A.5.9
    title: Inventory of information
    description: Mapped.
    mapsTo: [{ framework: NIST_800_53, id: ${mapping} }]
`;

async function configWith(name: string, yaml: string): Promise<string> {
  const cataloguePath = join(dir, `${name}.yaml`);
  writeFileSync(cataloguePath, yaml);
  const configPath = join(dir, `${name}-vigil.yaml`);
  const ports = await Promise.all(['gateway', 'hosts', 'cluster', 'audit', 'compliance', 'alerts'].map(async (s) => `${s}:\n  port: ${await freePort()}\n`));
  writeFileSync(configPath, `log:\n  format: json\n${ports.join('').replace('compliance:\n', `compliance:\n  cataloguePath: ${cataloguePath}\n`).replace('hosts:\n', 'hosts:\n  local:\n    enabled: false\n')}`);
  return configPath;
}

describe.each([
  ['the compliance service', 'subgraphs/compliance/src/index.ts', 'vigil compliance: '],
  ['the one-process stack', 'gateway/src/stack-main.ts', 'vigil: '],
])('%s with a bad catalogue', (_name, entry, prefix) => {
  it('exits 1 naming an unknown evaluator and its entry, without a stack trace', async () => {
    const config = await configWith(`evaluator-${prefix.length}`, catalogue('evaluator: packages-patched-within-30d', 'CM-8'));
    const { code, stderr } = await runToExit(entry, cleanEnv({ VIGIL_CONFIG: config }));
    expect(code, stderr).toBe(1);
    expect(stderr).toContain(`${prefix}control catalogue ${join(dir, `evaluator-${prefix.length}.yaml`)} is invalid`);
    expect(stderr).toContain('controls.0 (NIST_800_53/CM-8).evaluator: unknown evaluator "packages-patched-within-30d"');
    expect(stderr).not.toMatch(/^\s+at /m);
  }, 120_000);

  it('exits 1 naming a mapping onto a control that does not exist', async () => {
    const config = await configWith(`mapping-${prefix.length}`, catalogue('evaluator: inventory-probed-within-24h', 'CM-99'));
    const { code, stderr } = await runToExit(entry, cleanEnv({ VIGIL_CONFIG: config }));
    expect(code, stderr).toBe(1);
    expect(stderr).toContain('controls.1 (ISO_27001/A.5.9).mapsTo: NIST_800_53/CM-99 is not a control of the catalogue');
    expect(stderr).not.toMatch(/^\s+at /m);
  }, 120_000);
});
