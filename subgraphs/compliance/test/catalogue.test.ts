import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CATALOGUE_PATH, loadCatalogue } from '../src/catalogue.js';
import { EVALUATORS } from '../src/evaluators/registry.js';

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
  it('the shipped catalogue loads: unique controls, each scored by a known evaluator or mapped onto scored controls', () => {
    const catalogue = loadCatalogue();
    expect(DEFAULT_CATALOGUE_PATH).toMatch(/subgraphs\/compliance\/catalogue\/controls\.yaml$/);
    expect(catalogue.version).toMatch(/\S/);
    const keys = catalogue.controls.map((c) => `${c.framework}/${c.id}`);
    for (const key of ['NIST_800_53/CM-8', 'NIST_800_53/RA-5', 'NIST_800_53/SI-2', 'NIST_800_53/SI-4', 'NIST_800_53/AU-2', 'NIST_800_53/AU-12', 'NIST_800_53/AC-6', 'NIST_800_53/CM-6', 'NIST_800_53/CM-7', 'CIS_KUBERNETES/4.2.1', 'ISO_27001/A.5.9', 'ISO_27001/A.8.1', 'ISO_27001/A.8.8', 'ISO_27001/A.8.9', 'ISO_27001/A.8.15', 'ISO_27001/A.8.16', 'FEDRAMP_MODERATE/CM-8', 'CMMC_L2/3.12.4', 'OWASP_LLM/LLM04', 'OWASP_LLM/LLM10'])
      expect(keys).toContain(key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const c of catalogue.controls) {
      if (c.evaluator !== null) expect(EVALUATORS.get(c.evaluator)?.kind).toBe('control');
      else for (const target of c.mapsTo) expect(catalogue.controls.find((t) => t.framework === target.framework && t.id === target.id)?.evaluator).toBeTruthy();
    }
    // Mappings, not copies: ISO, FedRAMP and CMMC have no evaluator of their own.
    expect(catalogue.controls.filter((c) => ['ISO_27001', 'FEDRAMP_MODERATE', 'CMMC_L2'].includes(c.framework)).every((c) => c.evaluator === null)).toBe(true);
    expect(catalogue.imports.map((i) => i.framework)).toEqual(['CIS_KUBERNETES', 'KUBERNETES_POLICY', 'TRIVY_COMPLIANCE']);
  });

  it('rejects a mapping onto a control that does not exist, naming the entry', () => {
    const path = catalogueFile(`version: "1"\ncontrols:${control('')}
  - { framework: ISO_27001, id: A.5.9, title: Inventory, description: Mapped., mapsTo: [{ framework: NIST_800_53, id: CM-99 }] }`);
    const message = loadError(path);
    expect(message).toContain('controls.1 (ISO_27001/A.5.9).mapsTo: NIST_800_53/CM-99 is not a control of the catalogue');
  });

  it('rejects bad evaluator params and an importer used as a control evaluator, naming the entry', () => {
    expect(loadError(catalogueFile(`version: "1"\ncontrols:${control('    params: { maxProbeAgeHours: -1 }')}`))).toContain('controls.0 (NIST_800_53/CM-8).params.maxProbeAgeHours');
    expect(loadError(catalogueFile(`version: "1"\ncontrols:${control('').replace('inventory-probed-within-24h', 'kube-bench-checks')}`))).toContain('list it under imports');
  });

  it('a control without related controls gets an empty list', () => {
    const catalogue = loadCatalogue(catalogueFile(`version: "1"\ncontrols:${control('')}`));
    expect(catalogue.controls[0]?.related).toEqual([]);
  });

  it('rejects an unknown evaluator, naming the file and the field', () => {
    const path = catalogueFile(`version: "1"\ncontrols:${control('').replace('inventory-probed-within-24h', 'packages-patched-within-30d')}`);
    const message = loadError(path);
    expect(message).toContain(path);
    expect(message).toContain('controls.0 (NIST_800_53/CM-8).evaluator: unknown evaluator "packages-patched-within-30d"');
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
