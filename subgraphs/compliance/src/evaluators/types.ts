import type { Severity } from '@vigil/lib/alerts/alert';
import type { z } from 'zod';
import type { EvidenceSnapshot, Gathered } from '../evidence.js';
import type { FrameworkId, SubjectKind } from '../frameworks.js';
import type { EvidenceItem, SubjectResult } from '../results.js';

/** The control being evaluated, as the catalogue states it. */
export interface ControlUnderEvaluation {
  framework: FrameworkId;
  id: string;
  title: string;
  /** Severity of a regression of this control when the evidence carries none of its own. */
  severity: Severity;
}

export interface EvaluationInput<P> {
  control: ControlUnderEvaluation;
  evidence: EvidenceSnapshot;
  params: P;
  now: Date;
}

/**
 * Scores one catalogue control from the evidence. Pure: no I/O, time only from `now`. Returns one
 * result per subject, or a single whole-control result (subject null) when nothing applies or no
 * evidence could be gathered.
 */
export interface ControlEvaluator<P = unknown> {
  kind: 'control';
  name: string;
  /** The subjects its results are about; a waiver for another kind is refused. */
  subjectKinds: readonly SubjectKind[];
  params: z.ZodType<P>;
  evaluate(input: EvaluationInput<P>): SubjectResult[];
}

/** A control a tool defines (a kube-bench check, a Trivy compliance control, a Kyverno policy), imported as the tool reports it. */
export interface ImportedControl {
  id: string;
  title: string;
  description: string;
  /** The benchmark / spec version the tool reports, when it says. */
  version: string | null;
  results: SubjectResult[];
}

/** Imports every control of a framework a tool reports, with its results. */
export interface ImportEvaluator {
  kind: 'import';
  name: string;
  subjectKinds: readonly SubjectKind[];
  evaluate(evidence: EvidenceSnapshot, now: Date): ImportedControl[] | { error: string };
}

export type Evaluator = ControlEvaluator<unknown> | ImportEvaluator;

/** The whole-control ERROR when a part of the evidence could not be gathered. */
export function gatherError(source: string, gathered: Extract<Gathered<unknown>, { ok: false }>, severity: Severity): SubjectResult {
  return {
    subject: null,
    status: 'ERROR',
    severity,
    evidence: [{ source, summary: `Evidence could not be gathered: ${gathered.error}`, satisfied: false, observed: null, expected: null, hostId: null, observedAt: null, reference: null }],
  };
}

/** The whole-control NOT_APPLICABLE, with the reason as its only evidence. */
export function notApplicable(source: string, reason: string, severity: Severity): SubjectResult {
  return { subject: null, status: 'NOT_APPLICABLE', severity, evidence: [{ source, summary: reason, satisfied: true, observed: null, expected: null, hostId: null, observedAt: null, reference: null }] };
}

export function item(fields: Partial<EvidenceItem> & Pick<EvidenceItem, 'source' | 'summary' | 'satisfied'>): EvidenceItem {
  return { observed: null, expected: null, hostId: null, observedAt: null, reference: null, ...fields };
}
