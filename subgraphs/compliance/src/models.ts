import type { EvidenceItem, EvidenceReference, Subject } from './results.js';
import type { Waiver } from './store/waiver-store.js';
import type { ResultsView, Score, ViewControl, ViewResult, ViewStatus } from './view.js';

/** A control as one request sees it: the view it reads its results from. */
export interface ControlRecord {
  control: ViewControl;
  view: ResultsView;
}
export type ResultRecord = ViewResult & { view: ResultsView };
export type SubjectRecord = Subject;
export type EvidenceRecord = EvidenceItem;
export type ReferenceRecord = EvidenceReference;
export type WaiverRecord = Waiver;
export interface MatrixRowRecord {
  control: ControlRecord;
  cells: (ViewStatus | null)[];
  divergent: boolean;
}
export interface FrameworkScoresRecord {
  framework: ViewControl['framework'];
  evaluatedAt: string | null;
  overall: Score;
  clusters: { scope: string; score: Score }[];
  hosts: { scope: string; score: Score }[];
  namespaces: { scope: string; score: Score }[];
}
export interface HostRef {
  id: string;
}
