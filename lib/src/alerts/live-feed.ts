import { compareAlertIds } from './alert.js';
import { DEFAULT_MAX_BUFFERED, SlowConsumerError } from './alert-log.js';

/**
 * Fans appended alerts out to in-process readers, and joins a reader's replay of history with the
 * live feed without gaps or repeats: the reader registers for live alerts first, then replays from
 * its cursor, then drains what arrived meanwhile, skipping ids it has already yielded.
 */
export class LiveFeed<T extends { id: string }> {
  private readonly readers = new Set<Reader<T>>();

  get readerCount(): number {
    return this.readers.size;
  }

  publish(alert: T): void {
    for (const reader of this.readers) reader.push(alert);
  }

  async *tail(
    after: string | null,
    replay: (after: string | null) => AsyncIterable<T>,
    options: { signal: AbortSignal; maxBuffered?: number },
    onFirstReader?: () => void,
  ): AsyncGenerator<T> {
    const reader = new Reader<T>(options.maxBuffered ?? DEFAULT_MAX_BUFFERED);
    this.readers.add(reader);
    if (this.readers.size === 1) onFirstReader?.();
    const onAbort = () => reader.end();
    options.signal.addEventListener('abort', onAbort, { once: true });
    try {
      let cursor = after;
      for await (const alert of replay(after)) {
        if (options.signal.aborted) return;
        yield alert;
        cursor = alert.id;
      }
      for (;;) {
        const next = await reader.next();
        if (next === null) return;
        if (cursor !== null && compareAlertIds(next.id, cursor) <= 0) continue;
        cursor = next.id;
        yield next;
      }
    } finally {
      options.signal.removeEventListener('abort', onAbort);
      this.readers.delete(reader);
    }
  }

  endAll(): void {
    for (const reader of this.readers) reader.end();
  }
}

class Reader<T> {
  private readonly queue: T[] = [];
  private waiting: ((alert: T | null) => void) | null = null;
  private ended = false;
  private failure: Error | null = null;

  constructor(private readonly maxBuffered: number) {}

  push(alert: T): void {
    if (this.ended) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve(alert);
      return;
    }
    if (this.queue.length >= this.maxBuffered) {
      this.failure = new SlowConsumerError(this.queue.length);
      this.queue.length = 0;
      this.end();
      return;
    }
    this.queue.push(alert);
  }

  end(): void {
    this.ended = true;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve(null);
    }
  }

  next(): Promise<T | null> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => (this.waiting = resolve));
  }
}
