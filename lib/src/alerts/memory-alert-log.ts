import { compareAlertIds, type Alert, type NewAlert } from './alert.js';
import type { AlertLog } from './alert-log.js';
import { LiveFeed } from './live-feed.js';

/** The embedded default: an array in this process, with the same id format and trimming as Redis. */
export class MemoryAlertLog implements AlertLog {
  private readonly alerts: Alert[] = [];
  private readonly byId = new Map<string, Alert>();
  private readonly feed = new LiveFeed();
  private lastMs = 0;
  private seq = 0;

  constructor(private readonly options: { maxLength: number; now?: () => Date } = { maxLength: 100_000 }) {}

  async append(input: NewAlert): Promise<Alert> {
    const now = (this.options.now ?? (() => new Date()))();
    const id = this.nextId(now.getTime());
    const raisedAt = now.toISOString();
    const alert: Alert = { ...input, id, raisedAt, occurredAt: input.occurredAt ?? raisedAt };
    this.alerts.push(alert);
    this.byId.set(id, alert);
    while (this.alerts.length > this.options.maxLength) {
      const dropped = this.alerts.shift();
      if (dropped) this.byId.delete(dropped.id);
    }
    this.feed.publish(alert);
    return alert;
  }

  async listNewestFirst({ before, limit }: { before?: string; limit: number }): Promise<Alert[]> {
    const out: Alert[] = [];
    for (let i = this.alerts.length - 1; i >= 0 && out.length < limit; i--) {
      const alert = this.alerts[i];
      if (!alert) continue;
      if (before !== undefined && compareAlertIds(alert.id, before) >= 0) continue;
      out.push(alert);
    }
    return out;
  }

  async get(ids: readonly string[]): Promise<(Alert | null)[]> {
    return ids.map((id) => this.byId.get(id) ?? null);
  }

  async lastId(): Promise<string | null> {
    return this.alerts.at(-1)?.id ?? null;
  }

  tail(after: string | null, options: { signal: AbortSignal; maxBuffered?: number }): AsyncIterable<Alert> {
    const replay = async function* (this: MemoryAlertLog, from: string | null) {
      // Snapshot: alerts appended during replay arrive through the live feed instead.
      const snapshot = this.alerts.filter((a) => from === null || compareAlertIds(a.id, from) > 0);
      yield* snapshot;
    }.bind(this);
    return this.feed.tail(after, replay, options);
  }

  async close(): Promise<void> {
    this.feed.endAll();
  }

  private nextId(ms: number): string {
    if (ms > this.lastMs) {
      this.lastMs = ms;
      this.seq = 0;
    } else {
      this.seq += 1;
    }
    return `${this.lastMs}-${this.seq}`;
  }
}
