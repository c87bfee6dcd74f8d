import type { Catalogue } from '../catalogue.js';
import type { FrameworkId } from '../frameworks.js';
import { resultsOf } from '../resolvers/control.js';
import { keyOfSubject, type EvidenceReference } from '../results.js';
import type { Waiver } from '../store/waiver-store.js';
import type { ResultsView, ViewControl, ViewResult } from '../view.js';
import { inScope, type ExportScope } from './export-scope.js';

/** One control × subject result as exported, with the waiver that covers it when it is WAIVED. */
export interface ExportedResult {
  control: ViewControl;
  result: ViewResult;
  waiver: Waiver | null;
}

/** What both export formats are built from: a framework's results in one scope, at one time. */
export interface ExportInput {
  framework: FrameworkId;
  /** The framework's title and version as the catalogue states them. */
  frameworkTitle: string;
  frameworkVersion: string | null;
  catalogueVersion: string;
  scope: ExportScope;
  /** When the results were evaluated (the last evaluation, or the asOf time). */
  evaluatedAt: string;
  /** Every control of the framework the caller can see, in id order (the reviewed controls). */
  controls: ViewControl[];
  /** Control × subject results in the scope, by control id then subject key. */
  results: ExportedResult[];
}

/**
 * The framework's results the caller can see, in the scope, in a stable order (so exporting the same
 * results twice gives the same bytes). Every control is listed as reviewed; a whole-control result
 * (nothing applies, or no evidence at all) is exported only when the scope is every subject.
 */
export function collectExport(view: ResultsView, catalogue: Catalogue, framework: FrameworkId, scope: ExportScope, evaluatedAt: string, waivers: readonly Waiver[]): ExportInput {
  const byId = new Map(waivers.map((w) => [w.id, w]));
  const controls = [...view.controls(framework)].sort((a, b) => compare(a.id, b.id));
  const results: ExportedResult[] = [];
  for (const control of controls) {
    const own = resultsOf({ control, view })
      // Before the first evaluation the "not evaluated yet" results carry no time of their own.
      .map((r) => (view.evaluatedAt === null ? { ...r, since: evaluatedAt } : r))
      .filter((r) => (r.subject === null ? scope.kind === 'ALL' : inScope(scope, r.subject)))
      .sort((a, b) => compare(keyOfSubject(a.subject), keyOfSubject(b.subject)));
    for (const result of own) results.push({ control, result, waiver: result.waiverId ? (byId.get(result.waiverId) ?? null) : null });
  }
  const entry = catalogue.frameworks.find((f) => f.id === framework);
  return { framework, frameworkTitle: entry?.title ?? framework, frameworkVersion: entry?.version ?? null, catalogueVersion: catalogue.version, scope, evaluatedAt, controls, results };
}

/** Code-point order: independent of the process locale. */
export const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * An evidence reference as a URI naming the graph record it resolves to. Vigil's graph has no URL per
 * record, so this is a URN in Vigil's own namespace (not resolvable by itself): the reader resolves it
 * through `control(framework, id) { results { evidence { reference { … } } } }`, as the description says.
 */
export function referenceUri(ref: EvidenceReference): string {
  const e = encodeURIComponent;
  switch (ref.kind) {
    case 'SECURITY_EVENT':
      return `urn:vigil:security-event:${e(ref.securityEventId)}`;
    case 'HOST_FACT':
      return `urn:vigil:host:${e(ref.hostId)}:${e(ref.fact)}${ref.key !== null ? `:${e(ref.key)}` : ''}`;
    case 'AUDIT_QUERY':
      return `urn:vigil:audit-query:${e(ref.query)}?from=${e(ref.from)}&to=${e(ref.to)}`;
    case 'CLUSTER_SOURCE':
      return `urn:vigil:cluster:${e(ref.cluster)}:source:${e(ref.source)}`;
  }
}

/** The reference in words: which graph field holds the raw record. */
export function describeReference(ref: EvidenceReference): string {
  switch (ref.kind) {
    case 'SECURITY_EVENT':
      return `SecurityEvent ${ref.securityEventId} (its raw report: SecurityEvent.raw)`;
    case 'HOST_FACT':
      return `Host ${ref.hostId}, field ${ref.fact}${ref.key !== null ? ` (${ref.key})` : ''}`;
    case 'AUDIT_QUERY':
      return `audit query ${ref.query} from ${ref.from} to ${ref.to}`;
    case 'CLUSTER_SOURCE':
      return `Cluster ${ref.cluster}, source ${ref.source} (Cluster.sources)`;
  }
}
