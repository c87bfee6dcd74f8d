import { badInput } from '@vigil/lib/errors';
import { asOfArg } from './as-of.js';
import type { QueryResolvers } from '../__generated__/resolvers-types.js';
import { complianceCsv, CSV_MEDIA_TYPE } from '../export/csv.js';
import { collectExport } from '../export/export-results.js';
import { exportScope, scopeSlug } from '../export/export-scope.js';
import { OSCAL_MEDIA_TYPE, oscalAssessmentResults } from '../export/oscal-assessment-results.js';

/**
 * complianceExport: read from the results the engine stored (never an evaluation per query), through
 * the caller's view, so tenants and waivers apply exactly as in `controls`. The JSON is compact: a
 * framework over a thousand hosts is some ten megabytes that way, twice that indented (`jq .` indents).
 */
export const complianceExport: NonNullable<QueryResolvers['complianceExport']> = async (_parent, { framework, format, scope, asOf }, { view, waivers, deps }) => {
  const at = asOfArg(asOf, deps.clock());
  const v = await view(at);
  // Nothing stored at asOf is a question the history cannot answer; before the first evaluation the
  // export says so, as `controls` does (every control ERROR, "not evaluated yet"), dated by the clock.
  if (v.evaluatedAt === null && at !== null) throw badInput(`asOf: no compliance results were stored at or before ${at}`, { argument: 'asOf' });
  const evaluatedAt = v.evaluatedAt ?? deps.clock().toISOString();
  const input = collectExport(v, deps.catalogue, framework, exportScope(scope, v), evaluatedAt, await waivers());
  const stamp = evaluatedAt.replace(/[-:]/g, '').replace(/\.\d+/, '');
  const base = `vigil-${framework.toLowerCase()}-${scopeSlug(input.scope)}-${stamp}`;
  const common = { format, evaluatedAt: v.evaluatedAt, controls: input.controls.length, results: input.results.length };
  if (format === 'CSV') return { ...common, mediaType: CSV_MEDIA_TYPE, filename: `${base}.csv`, content: complianceCsv(input) };
  return { ...common, mediaType: OSCAL_MEDIA_TYPE, filename: `${base}.oscal-ar.json`, content: `${JSON.stringify(oscalAssessmentResults(input))}\n` };
};
