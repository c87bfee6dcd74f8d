import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SEVERITIES } from '@vigil/lib/alerts/alert';
import { parse } from 'yaml';
import { z } from 'zod';
import { controlEvaluator, EVALUATORS, importEvaluator } from './evaluators/registry.js';
import { FRAMEWORKS, type FrameworkId } from './frameworks.js';

export { FRAMEWORKS, type FrameworkId } from './frameworks.js';

const controlRef = z.object({ framework: z.enum(FRAMEWORKS), id: z.string().min(1) }).strict();
export type ControlRef = z.infer<typeof controlRef>;

const controlEntry = z
  .object({
    framework: z.enum(FRAMEWORKS),
    id: z.string().min(1),
    title: z.string().min(1),
    description: z.string().min(1),
    /** The evaluator that scores it; exactly one of evaluator / mapsTo. */
    evaluator: z.string().min(1).optional(),
    /** Its evaluator's parameters (checked against the evaluator's own model). */
    params: z.record(z.string(), z.unknown()).default({}),
    /** A mapping: scored by these evaluated controls' results (worst per subject), not by a copy. */
    mapsTo: z.array(controlRef).min(1).optional(),
    /** Severity of a regression alert when the evidence carries none of its own. */
    severity: z.enum(SEVERITIES).default('MEDIUM'),
    related: z.array(controlRef).default([]),
  })
  .strict();

const importEntry = z
  .object({
    framework: z.enum(FRAMEWORKS),
    evaluator: z.string().min(1),
    description: z.string().min(1),
  })
  .strict();

const frameworkEntry = z.object({ id: z.enum(FRAMEWORKS), title: z.string().min(1), version: z.string().min(1) }).strict();

const catalogueSchema = z
  .object({
    version: z.string().min(1),
    frameworks: z.array(frameworkEntry).default([]),
    controls: z.array(controlEntry),
    imports: z.array(importEntry).default([]),
  })
  .strict();

type RawControl = z.infer<typeof controlEntry>;

/** A catalogue control, validated: either evaluated (evaluator + parsed params) or a mapping. */
export type CatalogueControl = Omit<RawControl, 'evaluator' | 'mapsTo'> & ({ evaluator: string; mapsTo: null } | { evaluator: null; mapsTo: ControlRef[] });

export interface Catalogue {
  version: string;
  frameworks: z.infer<typeof frameworkEntry>[];
  controls: CatalogueControl[];
  imports: z.infer<typeof importEntry>[];
}

export const DEFAULT_CATALOGUE_PATH = fileURLToPath(new URL('../catalogue/controls.yaml', import.meta.url));

export const controlKey = (framework: string, id: string) => `${framework}/${id}`;

export function loadCatalogue(path = DEFAULT_CATALOGUE_PATH): Catalogue {
  let document: unknown;
  try {
    document = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`control catalogue ${path} cannot be read: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`, { cause: error });
  }
  const result = catalogueSchema.safeParse(document);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`control catalogue ${path} is invalid:\n  - ${problems.join('\n  - ')}`);
  }
  const problems: string[] = [];
  const controls: CatalogueControl[] = [];
  const byKey = new Map<string, RawControl>();
  result.data.controls.forEach((control, index) => {
    const where = `controls.${index} (${controlKey(control.framework, control.id)})`;
    const key = controlKey(control.framework, control.id);
    if (byKey.has(key)) problems.push(`${where}: ${key} is listed twice`);
    byKey.set(key, control);
  });
  result.data.controls.forEach((control, index) => {
    const where = `controls.${index} (${controlKey(control.framework, control.id)})`;
    if ((control.evaluator === undefined) === (control.mapsTo === undefined)) {
      problems.push(`${where}: needs exactly one of evaluator (it is scored) or mapsTo (it maps onto scored controls)`);
      return;
    }
    if (control.evaluator !== undefined) {
      const evaluator = controlEvaluator(control.evaluator);
      if (!evaluator) {
        problems.push(`${where}.evaluator: unknown evaluator ${JSON.stringify(control.evaluator)}${EVALUATORS.has(control.evaluator) ? ' (it imports a whole framework: list it under imports)' : ''}; known: ${[...EVALUATORS.values()].filter((e) => e.kind === 'control').map((e) => e.name).join(', ')}`);
        return;
      }
      const params = evaluator.params.safeParse(control.params);
      if (!params.success) {
        problems.push(...params.error.issues.map((i) => `${where}.params${i.path.length ? `.${i.path.join('.')}` : ''}: ${i.message}`));
        return;
      }
      controls.push({ ...control, evaluator: control.evaluator, mapsTo: null, params: params.data as Record<string, unknown> });
      return;
    }
    const targets = control.mapsTo ?? [];
    for (const target of targets) {
      const mapped = byKey.get(controlKey(target.framework, target.id));
      if (!mapped) problems.push(`${where}.mapsTo: ${controlKey(target.framework, target.id)} is not a control of the catalogue`);
      else if (mapped.evaluator === undefined) problems.push(`${where}.mapsTo: ${controlKey(target.framework, target.id)} is itself a mapping; map onto evaluated controls`);
    }
    const { evaluator: _evaluator, mapsTo: _mapsTo, ...rest } = control;
    controls.push({ ...rest, evaluator: null, mapsTo: targets });
  });
  result.data.imports.forEach((entry, index) => {
    if (!importEvaluator(entry.evaluator)) problems.push(`imports.${index} (${entry.framework}).evaluator: ${JSON.stringify(entry.evaluator)} is not an importing evaluator; known: ${[...EVALUATORS.values()].filter((e) => e.kind === 'import').map((e) => e.name).join(', ')}`);
  });
  for (const control of controls) {
    control.related.forEach((ref, i) => {
      if (!byKey.has(controlKey(ref.framework, ref.id))) problems.push(`controls (${controlKey(control.framework, control.id)}).related.${i}: ${controlKey(ref.framework, ref.id)} is not a control of the catalogue`);
    });
  }
  if (problems.length > 0) throw new Error(`control catalogue ${path} is invalid:\n  - ${problems.join('\n  - ')}`);
  return { version: result.data.version, frameworks: result.data.frameworks, controls, imports: result.data.imports };
}

/** The frameworks whose controls are imported from a tool (any id is a potential control). */
export function importedFrameworks(catalogue: Catalogue): Set<FrameworkId> {
  return new Set(catalogue.imports.map((i) => i.framework));
}
