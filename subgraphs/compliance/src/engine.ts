import type { NewAlert } from '@vigil/lib/alerts/alert';
import type { AlertPublisher } from '@vigil/lib/alerts/publisher';
import type { Clock } from '@vigil/lib/clock';
import { describeError } from '@vigil/lib/errors';
import type { Logger } from '@vigil/lib/logger';
import type { Identity } from '@vigil/lib/identity';
import { tenantFilter } from '@vigil/lib/tenancy';
import type { Catalogue } from './catalogue.js';
import { evaluateCatalogue } from './evaluate.js';
import type { EvidenceSource } from './evidence-source.js';
import { FRAMEWORKS } from './frameworks.js';
import { ResultIndex } from './result-index.js';
import { resultFingerprint, resultKey, keyOfSubject, type StoredResult } from './results.js';
import type { ResultChange, ResultStore, ScorePoint } from './store/result-store.js';
import { frameworkResults, NO_WAIVERS, ResultsView, scoreOf } from './view.js';

export interface EngineOptions {
  catalogue: Catalogue;
  evidence: EvidenceSource;
  store: ResultStore;
  publisher: AlertPublisher;
  logger: Logger;
  clock: Clock;
  /** A framework score falling by more than this (0..1) between evaluations raises an alert. */
  scoreDropThreshold: number;
}

/** What the last evaluation did. */
export interface EvaluationStatus {
  lastRunAt: string | null;
  lastChangeAt: string | null;
  changed: number;
  errors: string[];
}

/**
 * Evaluates the catalogue off the query path: on a schedule and on demand, never per query. Each run
 * gathers the evidence once, scores every control, and writes only what changed (with the time of the
 * change) to the store, so the history answers `asOf`. A result going PASS → FAIL, or a framework's
 * score dropping by more than the threshold, raises an alert through the shared publisher. Runs never
 * overlap: a request during a run waits for that run.
 */
export class ComplianceEngine {
  private current = new Map<string, StoredResult>();
  /** The current results indexed for queries: rebuilt when results are written, never per query. */
  private currentIndex = new ResultIndex([]);
  private running: Promise<void> | null = null;
  private loaded: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastScores = new Map<string, number | null>();
  status: EvaluationStatus = { lastRunAt: null, lastChangeAt: null, changed: 0, errors: [] };

  constructor(private readonly options: EngineOptions) {}

  /** Loads the stored state (a restart keeps history and does not re-alert on unchanged results). */
  async load(): Promise<void> {
    this.current = await this.options.store.current();
    this.currentIndex = new ResultIndex(this.current.values());
    for (const [framework, point] of await this.options.store.latestScores()) this.lastScores.set(framework, point.score);
    if (this.current.size > 0) this.status = { ...this.status, lastRunAt: [...this.current.values()].reduce((a, r) => (r.since > a ? r.since : a), '') };
  }

  index(): ResultIndex {
    return this.currentIndex;
  }

  /** The current results as the store holds them (this engine is their one writer). */
  currentResults(): ReadonlyMap<string, StoredResult> {
    return this.current;
  }

  private loadOnce(): Promise<void> {
    this.loaded ??= this.load().catch((error: unknown) => {
      this.loaded = null;
      throw error;
    });
    return this.loaded;
  }

  /**
   * Loads the stored state, then evaluates every `intervalMs`, the first run after `firstDelayMs`.
   * Queries before the load finishes see no results (evaluatedAt null), never a partial state.
   */
  start(intervalMs: number, firstDelayMs = 1000): void {
    this.loadOnce().catch((error: unknown) => this.options.logger.error({ err: describeError(error) }, 'stored compliance results could not be loaded; evaluations wait for them'));
    const run = () => void this.evaluate().catch((error: unknown) => this.options.logger.error({ err: describeError(error) }, 'compliance evaluation failed'));
    this.timer = setTimeout(function tick(this: ComplianceEngine) {
      run();
      this.timer = setTimeout(tick.bind(this), intervalMs);
      this.timer.unref();
    }.bind(this), firstDelayMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  evaluate(): Promise<void> {
    this.running ??= this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async run(): Promise<void> {
    // A restart compares against what was stored: unchanged results write no history and raise nothing.
    // Until the store answers, no evaluation runs (it would rewrite every result as a change).
    await this.loadOnce();
    const { catalogue, clock, store } = this.options;
    const now = clock();
    const at = now.toISOString();
    const evidence = await this.options.evidence.gather(now);
    const evaluation = evaluateCatalogue(catalogue, evidence, now);
    const next = new Map<string, StoredResult>();
    const changes: ResultChange[] = [];
    const regressions: StoredResult[] = [];
    for (const control of evaluation.controls) {
      for (const r of control.results) {
        const key = resultKey(control.framework, control.id, r.subject);
        const prior = this.current.get(key);
        const changed = !prior || resultFingerprint(prior) !== resultFingerprint(r);
        const stored: StoredResult = { ...r, framework: control.framework, controlId: control.id, controlTitle: control.title, since: changed && prior?.status !== r.status ? at : (prior?.since ?? at) };
        // Unchanged: the stored result stays as it was written, so what queries read is what the store holds.
        next.set(key, changed || !prior ? stored : prior);
        if (changed) changes.push({ key, result: stored });
        if (prior?.status === 'PASS' && r.status === 'FAIL') regressions.push(stored);
      }
    }
    // An importer that failed keeps its framework's previous results rather than dropping them as gone.
    const failedImports = new Set(catalogue.imports.filter((i) => evaluation.errors.some((e) => e.startsWith(`${i.framework} `))).map((i) => i.framework));
    for (const [key, prior] of this.current) {
      if (next.has(key)) continue;
      if (failedImports.has(prior.framework)) next.set(key, prior);
      else changes.push({ key, result: null });
    }
    if (changes.length > 0) await store.applyChanges(changes, at);
    this.current = next;
    // Rebuilt only when something was written: an unchanged evaluation leaves queries' index as it was.
    if (changes.length > 0) this.currentIndex = new ResultIndex(next.values(), this.currentIndex);
    this.status = { lastRunAt: at, lastChangeAt: changes.length > 0 ? at : this.status.lastChangeAt, changed: changes.length, errors: evaluation.errors };
    for (const error of evaluation.errors) this.options.logger.warn({ error }, 'compliance import failed; previous results kept');
    await this.recordScores(at, regressions);
  }

  private async recordScores(at: string, regressions: StoredResult[]): Promise<void> {
    const view = new ResultsView(this.options.catalogue, this.currentIndex, tenantFilter(ENGINE_IDENTITY), NO_WAIVERS, at);
    const points: ScorePoint[] = [];
    const drops: { framework: string; from: number; to: number }[] = [];
    for (const framework of FRAMEWORKS) {
      const s = scoreOf(frameworkResults(view, framework).flatMap((c) => c.results));
      const prior = this.lastScores.get(framework);
      if (prior === undefined || prior !== s.score) {
        points.push({ framework, at, score: s.score, passed: s.passed, failed: s.failed });
        if (prior != null && s.score !== null && prior - s.score > this.options.scoreDropThreshold) drops.push({ framework, from: prior, to: s.score });
      }
      this.lastScores.set(framework, s.score);
    }
    if (points.length > 0) await this.options.store.appendScores(points);
    for (const r of regressions) await this.raise(regressionAlert(r, at));
    for (const d of drops) {
      await this.raise({
        source: 'COMPLIANCE',
        // A drop of twice the threshold is a broad regression, not one control.
        severity: d.from - d.to > 2 * this.options.scoreDropThreshold ? 'HIGH' : 'MEDIUM',
        rule: 'compliance-score-drop',
        title: `${d.framework} compliance score fell from ${pct(d.from)} to ${pct(d.to)}`,
        occurredAt: at,
        labels: { framework: d.framework },
      });
    }
  }

  private async raise(alert: NewAlert): Promise<void> {
    try {
      await this.options.publisher.raise(alert);
    } catch (error) {
      this.options.logger.error({ err: describeError(error), rule: alert.rule }, 'compliance alert could not be raised');
    }
  }
}

/** The engine scores everything: scores and alerts are about the whole organisation. */
const ENGINE_IDENTITY: Identity = { subject: 'compliance-engine', kind: 'service', roles: ['viewer'], tenants: null, expiresAt: null };

const pct = (n: number) => `${Math.round(n * 1000) / 10}%`;

/** PASS → FAIL of one control for one subject; the severity is the failing finding's own (or the control's). */
export function regressionAlert(r: StoredResult, at: string): NewAlert {
  const s = r.subject;
  const subject: NewAlert['subject'] =
    s === null
      ? undefined
      : s.kind === 'HOST'
        ? { type: 'Host', hostId: s.name, displayName: s.name, hostLabels: s.labels }
        : s.kind === 'NODE'
          ? { type: 'KubeObject', cluster: s.cluster ?? '', namespace: '', kind: 'Node', name: s.name, displayName: s.name }
          : s.kind === 'WORKLOAD'
            ? { type: 'KubeObject', cluster: s.cluster ?? '', namespace: s.namespace ?? '', kind: s.objectKind ?? '', name: s.name, displayName: `${s.namespace}/${s.name}` }
            : s.kind === 'NAMESPACE'
              ? { type: 'KubeObject', cluster: s.cluster ?? '', namespace: '', kind: 'Namespace', name: s.name, displayName: s.name }
              : undefined;
  return {
    source: 'COMPLIANCE',
    severity: r.severity,
    rule: 'compliance-regression',
    title: `${r.framework} ${r.controlId} now fails for ${keyOfSubject(s)}: ${r.controlTitle}`.slice(0, 500),
    ...(r.evidence[0] ? { description: r.evidence[0].summary.slice(0, 2000) } : {}),
    ...(subject ? { subject } : {}),
    occurredAt: at,
    labels: { framework: r.framework, control: r.controlId, ...(s?.cluster ? { cluster: s.cluster } : {}) },
  };
}
