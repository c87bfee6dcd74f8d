import { compareAlertIds, type Alert, type AlertChange, type AlertChangeEvent, type AlertLogEvent, type NewAlert } from './alert.js';
import type { AlertLog } from './alert-log.js';
import { LiveFeed } from './live-feed.js';
import { MemoryConsumerGroups } from './memory-consumer-groups.js';

/** The embedded default: an array in this process, with the same id format and trimming as Redis. */
export class MemoryAlertLog implements AlertLog {
  private readonly entries: AlertLogEvent[] = [];
  private readonly byId = new Map<string, Alert>();
  private readonly feed = new LiveFeed<AlertLogEvent>();
  /** Consumer groups over this log, as Redis keeps them beside a stream (the router's delivery state). */
  readonly groups = new MemoryConsumerGroups(() => this.entries);
  private lastMs = 0;
  private seq = 0;

  constructor(private readonly options: { maxLength: number; now?: () => Date } = { maxLength: 100_000 }) {}

  async append(input: NewAlert): Promise<Alert> {
    const now = this.now();
    const id = this.nextId(now.getTime());
    const raisedAt = now.toISOString();
    const alert: Alert = { ...input, id, raisedAt, occurredAt: input.occurredAt ?? raisedAt };
    this.byId.set(id, alert);
    this.push({ id, type: 'raised', alert });
    return alert;
  }

  async appendChange(change: AlertChange): Promise<AlertChangeEvent> {
    const id = this.nextId(this.now().getTime());
    const event: AlertChangeEvent = { ...change, id };
    this.push({ id, type: 'changed', change: event });
    return event;
  }

  async listNewestFirst({ before, limit }: { before?: string; limit: number }): Promise<Alert[]> {
    const out: Alert[] = [];
    for (let i = this.entries.length - 1; i >= 0 && out.length < limit; i--) {
      const entry = this.entries[i];
      if (entry?.type !== 'raised') continue;
      if (before !== undefined && compareAlertIds(entry.id, before) >= 0) continue;
      out.push(entry.alert);
    }
    return out;
  }

  async get(ids: readonly string[]): Promise<(Alert | null)[]> {
    return ids.map((id) => this.byId.get(id) ?? null);
  }

  async lastId(): Promise<string | null> {
    return this.entries.at(-1)?.id ?? null;
  }

  tail(after: string | null, options: { signal: AbortSignal; maxBuffered?: number }): AsyncIterable<Alert> {
    const events = this.tailEvents(after, options);
    return (async function* () {
      for await (const event of events) if (event.type === 'raised') yield event.alert;
    })();
  }

  tailEvents(after: string | null, options: { signal: AbortSignal; maxBuffered?: number }): AsyncIterable<AlertLogEvent> {
    const replay = async function* (this: MemoryAlertLog, from: string | null) {
      // Snapshot: entries appended during replay arrive through the live feed instead.
      const snapshot = this.entries.filter((e) => from === null || compareAlertIds(e.id, from) > 0);
      yield* snapshot;
    }.bind(this);
    return this.feed.tail(after, replay, options);
  }

  async close(): Promise<void> {
    this.feed.endAll();
    this.groups.close();
  }

  private push(entry: AlertLogEvent): void {
    this.entries.push(entry);
    while (this.entries.length > this.options.maxLength) {
      const dropped = this.entries.shift();
      if (dropped?.type === 'raised') this.byId.delete(dropped.id);
    }
    this.feed.publish(entry);
    this.groups.notify();
  }

  private now(): Date {
    return (this.options.now ?? (() => new Date()))();
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
