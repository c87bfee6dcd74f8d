import type { Catalogue } from './catalogue.js';
import { controlEvaluator, importEvaluator } from './evaluators/registry.js';
import { organisationResults } from './evaluators/organisation-mapping.js';
import type { EvidenceSnapshot } from './evidence.js';
import type { FrameworkId } from './frameworks.js';
import { keyOfSubject, type SubjectResult } from './results.js';

/** One control's results from one evaluation. */
export interface EvaluatedControl {
  framework: FrameworkId;
  id: string;
  title: string;
  results: SubjectResult[];
}

export interface CatalogueEvaluation {
  controls: EvaluatedControl[];
  /** Importers that could not run (their frameworks keep no results this round), in words. */
  errors: string[];
}

/** Organisation mappings (Falco tags) count detections within this window, unless the control's own params say otherwise. */
const MAPPING_WINDOW_HOURS = 24;

/**
 * Scores the whole catalogue from one evidence snapshot. Pure. Mapping controls are not evaluated:
 * they are read through the controls they map onto (view.ts). A subject that both a control's own
 * evaluator and an organisation mapping score keeps the evaluator's result and gains the mapping's evidence.
 */
export function evaluateCatalogue(catalogue: Catalogue, evidence: EvidenceSnapshot, now: Date): CatalogueEvaluation {
  const controls: EvaluatedControl[] = [];
  const errors: string[] = [];
  const listed = new Set<string>();
  for (const control of catalogue.controls) {
    listed.add(`${control.framework}/${control.id}`);
    if (control.evaluator === null) continue;
    const evaluator = controlEvaluator(control.evaluator);
    if (!evaluator) continue; // the catalogue loader refused it at start
    const results = evaluator.evaluate({ control: { framework: control.framework, id: control.id, title: control.title, severity: control.severity }, evidence, params: control.params, now });
    if (control.evaluator !== 'organisation-mapping' && evidence.events.ok) {
      merge(results, organisationResults(evidence.events.value, control.framework, control.id, now, MAPPING_WINDOW_HOURS));
    }
    controls.push({ framework: control.framework, id: control.id, title: control.title, results: dedupe(results) });
  }
  for (const entry of catalogue.imports) {
    const importer = importEvaluator(entry.evaluator);
    if (!importer) continue;
    const imported = importer.evaluate(evidence, now);
    if (!Array.isArray(imported)) {
      errors.push(`${entry.framework} (${entry.evaluator}): ${imported.error}`);
      continue;
    }
    for (const c of imported) {
      if (listed.has(`${entry.framework}/${c.id}`)) continue; // the catalogue's own entry scores it
      controls.push({ framework: entry.framework, id: c.id, title: c.version ? `${c.title} (${c.version})` : c.title, results: dedupe(c.results) });
    }
  }
  return { controls, errors };
}

function merge(into: SubjectResult[], extra: SubjectResult[]): void {
  const byKey = new Map(into.map((r) => [keyOfSubject(r.subject), r]));
  for (const r of extra) {
    const own = byKey.get(keyOfSubject(r.subject));
    if (own) own.evidence.push(...r.evidence);
    else into.push(r);
  }
  // A whole-control NOT_APPLICABLE is void once a mapping gave the control subjects.
  if (into.some((r) => r.subject !== null)) {
    const na = into.findIndex((r) => r.subject === null && r.status === 'NOT_APPLICABLE');
    if (na >= 0) into.splice(na, 1);
  }
}

/** One result per subject (the first wins); evaluators should not repeat one, this makes sure. */
function dedupe(results: SubjectResult[]): SubjectResult[] {
  const seen = new Set<string>();
  return results.filter((r) => {
    const key = keyOfSubject(r.subject);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
