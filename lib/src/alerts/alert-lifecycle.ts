import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Alert, AlertChange, AlertChangeEvent, NewAlert } from './alert.js';
import type { AlertLog } from './alert-log.js';
import type { AlertAction, AlertState, AlertStateStore } from './alert-state.js';
import type { RoutingMetrics } from './routing-metrics.js';
import { silenceFor } from './silence-match.js';

/**
 * What makes two alerts "the same" for folding: the same source and rule on the same subject. An
 * alert without a rule never folds (nothing says what "again" would be).
 */
export function foldKeyOf(alert: NewAlert): string | null {
  if (alert.rule === undefined || alert.rule === '') return null;
  const subject = alert.subject;
  const ref = !subject ? '-' : subject.type === 'Host' ? `host:${subject.hostId}` : `kube:${subject.cluster}/${subject.namespace}/${subject.kind}/${subject.name}`;
  return JSON.stringify([alert.source, alert.rule, ref]);
}

/** The state after a change: what a reader sees even if it reads the store a moment before the change lands there. */
export function applyChange(state: AlertState, change: AlertChange): AlertState {
  const action: AlertAction = { by: change.by ?? '', at: change.at, comment: change.comment ?? null };
  switch (change.kind) {
    case 'ACKNOWLEDGED':
      return state.acknowledged ? state : { ...state, acknowledged: action };
    case 'RESOLVED':
      return state.resolved ? state : { ...state, resolved: action };
    case 'REPEATED':
      return change.count !== undefined && change.count > state.count ? { ...state, count: change.count, lastSeen: change.at } : state;
  }
}

/**
 * Acknowledge, resolve and fold. Each change is appended to the alert log before the state store is
 * updated: a crash between the two leaves a change that readers (the router, alertChanged) saw and
 * the caller can repeat, never a state change that was not streamed.
 */
export class AlertLifecycle {
  /** Folds of one key run one after another in this process, so two repeats cannot both miss the window. */
  private readonly folding = new Map<string, Promise<unknown>>();

  constructor(
    readonly log: AlertLog,
    readonly store: AlertStateStore,
    private readonly options: { clock: Clock; foldWindowMs: number; logger: Logger; metrics?: RoutingMetrics },
  ) {}

  /** Appends a new alert, or folds a repeat into the open one; returns the alert raised or folded into. */
  raise(input: NewAlert): Promise<{ alert: Alert; folded: boolean }> {
    const key = this.options.foldWindowMs > 0 ? foldKeyOf(input) : null;
    if (key === null) return this.appendNew(input, null);
    const previous = this.folding.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.foldOrAppend(input, key));
    this.folding.set(key, next);
    void next.finally(() => {
      if (this.folding.get(key) === next) this.folding.delete(key);
    }).catch(() => undefined);
    return next;
  }

  async acknowledge(alertId: string, by: string, comment: string | null): Promise<AlertState> {
    const at = this.options.clock().toISOString();
    await this.log.appendChange({ kind: 'ACKNOWLEDGED', alertId, at, by, ...(comment === null ? {} : { comment }) });
    return this.store.acknowledge(alertId, { by, at, comment });
  }

  async resolve(alertId: string, by: string, comment: string | null): Promise<AlertState> {
    const at = this.options.clock().toISOString();
    await this.log.appendChange({ kind: 'RESOLVED', alertId, at, by, ...(comment === null ? {} : { comment }) });
    return this.store.resolve(alertId, { by, at, comment });
  }

  private async foldOrAppend(input: NewAlert, key: string): Promise<{ alert: Alert; folded: boolean }> {
    const now = this.options.clock();
    const folded = await this.store.fold(key, now, this.options.foldWindowMs);
    if (folded) {
      const [original] = await this.log.get([folded.alertId]);
      // Trimmed from the log meanwhile: there is nothing left to fold into, so it is new again.
      if (original) {
        const change: AlertChangeEvent = await this.log.appendChange({ kind: 'REPEATED', alertId: folded.alertId, at: now.toISOString(), by: null, count: folded.count });
        this.options.metrics?.folded.inc();
        this.options.logger.debug({ alertId: original.id, count: change.count, rule: original.rule }, 'alert repeat folded');
        return { alert: original, folded: true };
      }
    }
    return this.appendNew(input, key);
  }

  private async appendNew(input: NewAlert, key: string | null): Promise<{ alert: Alert; folded: boolean }> {
    const stored = await this.log.append(input);
    const now = this.options.clock();
    if (key !== null) await this.store.openFold(key, stored.id, now, this.options.foldWindowMs);
    if (this.options.metrics && silenceFor(await this.store.silences(), stored, now)) this.options.metrics.silenced.inc();
    return { alert: stored, folded: false };
  }
}
