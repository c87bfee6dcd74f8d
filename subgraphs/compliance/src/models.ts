import type { CatalogueControl } from './catalogue.js';
import type { Evaluation, EvidenceItem } from './evaluators/inventory-probed.js';

/** A catalogue control with its evaluation (null when it has no evaluator). */
export interface ControlRecord {
  control: CatalogueControl;
  evaluation: Evaluation | null;
}
export type EvidenceRecord = EvidenceItem;
export interface HostRef {
  id: string;
}
