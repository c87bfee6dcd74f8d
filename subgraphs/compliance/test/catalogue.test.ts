import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CATALOGUE_PATH, EVALUATORS, loadCatalogue } from '../src/catalogue.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-catalogue-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
function catalogueFile(yaml: string): string {
  const path = join(dir, `controls-${++counter}.yaml`);
  writeFileSync(path, yaml);
  return path;
}

function loadError(path: string): string {
  try {
    loadCatalogue(path);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error(`${path} was accepted`);
}

const control = (fields: string) => `
  - framework: NIST_800_53
    id: CM-8
    title: System Component Inventory
    description: Inventory.
    evaluator: inventory-probed-within-24h
${fields}`;

describe('control catalogue', () => {
  it('the shipped catalogue loads: unique controls, known evaluators, CM-8 and A.8.1 related both ways', () => {
    const catalogue = loadCatalogue();
    expect(DEFAULT_CATALOGUE_PATH).toMatch(/subgraphs\/compliance\/catalogue\/controls\.yaml$/);
    expect(catalogue.version).toMatch(/\S/);
    const keys = catalogue.controls.map((c) => `${c.framework}/${c.id}`);
    expect(keys).toContain('NIST_800_53/CM-8');
    expect(keys).toContain('ISO_27001/A.8.1');
    expect(new Set(keys).size).toBe(keys.length);
    for (const c of catalogue.controls) {
      if (c.evaluator !== null) expect(EVALUATORS).toContain(c.evaluator);
    }
    const cm8 = catalogue.controls.find((c) => c.id === 'CM-8');
    expect(cm8?.related).toEqual([{ framework: 'ISO_27001', id: 'A.8.1' }]);
    expect(catalogue.controls.find((c) => c.id === 'A.8.1')?.related).toEqual([{ framework: 'NIST_800_53', id: 'CM-8' }]);
  });

  it('a control without related controls gets an empty list', () => {
    const catalogue = loadCatalogue(catalogueFile(`version: "1"\ncontrols:${control('')}`));
    expect(catalogue.controls[0]?.related).toEqual([]);
  });

  it('rejects an unknown evaluator, naming the file and the field', () => {
    const path = catalogueFile(`version: "1"\ncontrols:${control('').replace('inventory-probed-within-24h', 'packages-patched-within-30d')}`);
    const message = loadError(path);
    expect(message).toContain(path);
    expect(message).toContain('controls.0.evaluator');
    expect(message).toContain('inventory-probed-within-24h');
  });

  it('rejects a control listed twice, naming it', () => {
    const message = loadError(catalogueFile(`version: "1"\ncontrols:${control('')}${control('')}`));
    expect(message).toContain('NIST_800_53/CM-8');
    expect(message).toContain('listed twice');
  });

  it('rejects a missing field and an unknown one, naming each', () => {
    const path = catalogueFile(`version: "1"
controls:
  - framework: NIST_800_53
    id: CM-8
    description: Inventory.
    evaluator: null
    severity: high
`);
    const message = loadError(path);
    expect(message).toContain('controls.0.title');
    expect(message).toContain('severity');
  });

  it('rejects an unknown framework and a catalogue without a version', () => {
    const message = loadError(catalogueFile(`controls:${control('').replace('NIST_800_53', 'SOC_2')}`));
    expect(message).toContain('version');
    expect(message).toContain('controls.0.framework');
  });

  it('a YAML syntax error names the file', () => {
    const path = catalogueFile('version: "1"\ncontrols: [\n  - framework: NIST_800_53\n');
    expect(loadError(path)).toContain(path);
  });

  it('a missing file fails with its path', () => {
    expect(() => loadCatalogue(join(dir, 'absent.yaml'))).toThrow(join(dir, 'absent.yaml'));
  });
});
