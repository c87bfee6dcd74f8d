import { compareAlertIds, type AlertLogEvent } from './alert.js';
import type { AlertLogConsumerGroups } from './alert-log.js';

interface Group {
  /** The newest entry id the group has read ('0-0' before any). */
  lastRead: string;
  pending: Map<string, { consumer: string; readAt: number }>;
}

/**
 * The memory log's consumer groups, with Redis Streams' semantics: read entries stay pending until
 * acknowledged; pending entries can be claimed by another consumer once idle. Lives only as long as
 * the process (the embedded stack's memory log does too).
 */
export class MemoryConsumerGroups implements AlertLogConsumerGroups {
  private readonly groups = new Map<string, Group>();
  private waiters = new Set<() => void>();

  constructor(private readonly entries: () => readonly AlertLogEvent[]) {}

  async ensure(group: string): Promise<void> {
    if (!this.groups.has(group)) this.groups.set(group, { lastRead: this.entries().at(-1)?.id ?? '0-0', pending: new Map() });
  }

  async claimPending(group: string, consumer: string, { minIdleMs, count }: { minIdleMs: number; count: number }): Promise<AlertLogEvent[]> {
    const state = this.group(group);
    const now = performance.now();
    const byId = new Map(this.entries().map((entry) => [entry.id, entry]));
    const out: AlertLogEvent[] = [];
    for (const [id, pending] of [...state.pending].sort(([a], [b]) => compareAlertIds(a, b))) {
      if (out.length >= count) break;
      if (now - pending.readAt < minIdleMs) continue;
      const entry = byId.get(id);
      // Trimmed out of the log while pending: Redis drops it from the pending list the same way.
      if (!entry) {
        state.pending.delete(id);
        continue;
      }
      state.pending.set(id, { consumer, readAt: now });
      out.push(entry);
    }
    return out;
  }

  async readNew(group: string, consumer: string, { count, blockMs }: { count: number; blockMs: number }): Promise<AlertLogEvent[]> {
    const state = this.group(group);
    let found = this.unread(state, count);
    if (found.length === 0 && blockMs > 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, blockMs);
        this.waiters.add(done);
      });
      found = this.unread(state, count);
    }
    const now = performance.now();
    for (const entry of found) state.pending.set(entry.id, { consumer, readAt: now });
    const last = found.at(-1);
    if (last) state.lastRead = last.id;
    return found;
  }

  async ack(group: string, ids: readonly string[]): Promise<void> {
    const state = this.group(group);
    for (const id of ids) state.pending.delete(id);
  }

  async pendingCount(group: string): Promise<number> {
    return this.group(group).pending.size;
  }

  /** Wakes blocked readers: the log appended an entry. */
  notify(): void {
    for (const wake of [...this.waiters]) wake();
  }

  close(): void {
    this.notify();
  }

  private unread(state: Group, count: number): AlertLogEvent[] {
    const out: AlertLogEvent[] = [];
    for (const entry of this.entries()) {
      if (out.length >= count) break;
      if (compareAlertIds(entry.id, state.lastRead) > 0) out.push(entry);
    }
    return out;
  }

  private group(name: string): Group {
    const state = this.groups.get(name);
    if (!state) throw new Error(`no consumer group ${name} (call ensure first)`);
    return state;
  }
}
