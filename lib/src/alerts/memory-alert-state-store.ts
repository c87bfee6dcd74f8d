import { INITIAL_STATE, type AlertAction, type AlertState, type AlertStateStore, type Silence } from './alert-state.js';
import { SILENCE_PURGE_AFTER_MS } from './redis-alert-state-store.js';

/** The embedded default: lifecycle state in this process's memory. */
export class MemoryAlertStateStore implements AlertStateStore {
  private readonly state = new Map<string, AlertState>();
  private readonly folds = new Map<string, { alertId: string; lastSeenMs: number }>();
  private readonly silenceList = new Map<string, Silence>();

  constructor(private readonly clock: () => Date = () => new Date()) {}

  async states(ids: readonly string[]): Promise<AlertState[]> {
    return ids.map((id) => this.state.get(id) ?? INITIAL_STATE);
  }

  async acknowledge(id: string, action: AlertAction): Promise<AlertState> {
    return this.update(id, { acknowledged: action });
  }

  async resolve(id: string, action: AlertAction): Promise<AlertState> {
    for (const [key, fold] of this.folds) if (fold.alertId === id) this.folds.delete(key);
    return this.update(id, { resolved: action });
  }

  async fold(key: string, at: Date, windowMs: number): Promise<{ alertId: string; count: number } | null> {
    const fold = this.folds.get(key);
    if (!fold || at.getTime() - fold.lastSeenMs > windowMs) return null;
    fold.lastSeenMs = at.getTime();
    const current = this.state.get(fold.alertId) ?? INITIAL_STATE;
    const next = this.update(fold.alertId, { count: current.count + 1, lastSeen: at.toISOString() });
    return { alertId: fold.alertId, count: next.count };
  }

  async openFold(key: string, alertId: string, at: Date): Promise<void> {
    this.folds.set(key, { alertId, lastSeenMs: at.getTime() });
  }

  async addSilence(silence: Silence): Promise<void> {
    this.silenceList.set(silence.id, silence);
  }

  async silences(): Promise<Silence[]> {
    const now = this.clock().getTime();
    for (const [id, silence] of this.silenceList) if (Date.parse(silence.expired?.at ?? silence.expiresAt) + SILENCE_PURGE_AFTER_MS < now) this.silenceList.delete(id);
    return [...this.silenceList.values()].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
  }

  async expireSilence(id: string, action: AlertAction): Promise<Silence | null> {
    const silence = this.silenceList.get(id);
    if (!silence) return null;
    const ended = { ...silence, expired: silence.expired ?? action };
    this.silenceList.set(id, ended);
    return ended;
  }

  async close(): Promise<void> {}

  private update(id: string, patch: Partial<AlertState>): AlertState {
    const next = { ...(this.state.get(id) ?? INITIAL_STATE), ...patch };
    this.state.set(id, next);
    return next;
  }
}
