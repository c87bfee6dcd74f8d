import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';

export const FRAMEWORKS = ['NIST_800_53', 'ISO_27001', 'CIS_KUBERNETES'] as const;
export type FrameworkId = (typeof FRAMEWORKS)[number];

/** Evaluators that exist. A catalogue naming any other is rejected at start, not at query time. */
export const EVALUATORS = ['inventory-probed-within-24h'] as const;
export type EvaluatorName = (typeof EVALUATORS)[number];

const controlRef = z.object({ framework: z.enum(FRAMEWORKS), id: z.string().min(1) }).strict();
const catalogueSchema = z
  .object({
    version: z.string().min(1),
    controls: z.array(
      z
        .object({
          framework: z.enum(FRAMEWORKS),
          id: z.string().min(1),
          title: z.string().min(1),
          description: z.string().min(1),
          evaluator: z.enum(EVALUATORS).nullable(),
          related: z.array(controlRef).default([]),
        })
        .strict(),
    ),
  })
  .strict();

export type Catalogue = z.infer<typeof catalogueSchema>;
export type CatalogueControl = Catalogue['controls'][number];

export const DEFAULT_CATALOGUE_PATH = fileURLToPath(new URL('../catalogue/controls.yaml', import.meta.url));

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
  const seen = new Set<string>();
  for (const control of result.data.controls) {
    const key = `${control.framework}/${control.id}`;
    if (seen.has(key)) throw new Error(`control catalogue ${path}: ${key} is listed twice`);
    seen.add(key);
  }
  return result.data;
}
