import type { Redis } from 'ioredis';
import type { Alert, NewAlert } from './alert.js';
import type { AlertLog } from './alert-log.js';
import { LiveFeed } from './live-feed.js';
import type { Logger } from '../logger.js';

type StreamEntry = [id: string, fields: string[]];

/**
 * The alert log as a Redis Stream (`<prefix>alerts`), trimmed to about `maxLength` entries.
 * Readers in this process share one blocking XREAD loop on a connection of its own, so a hundred
 * subscribers cost one Redis connection, not a hundred.
 */
export class RedisAlertLog implements AlertLog {
  private readonly key: string;
  private readonly feed = new LiveFeed();
  private loop: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly redis: Redis,
    /** A second connection, used only for blocking reads. */
    private readonly blocking: Redis,
    private readonly options: {
      prefix: string;
      maxLength: number;
      logger: Logger;
      blockMs?: number;
      /** close() also quits `redis` (set when this log created it). @default false */
      ownsConnection?: boolean;
    },
  ) {
    this.key = `${options.prefix}alerts`;
  }

  async append(input: NewAlert): Promise<Alert> {
    const id = await this.redis.xadd(this.key, 'MAXLEN', '~', String(this.options.maxLength), '*', 'a', JSON.stringify(input));
    if (id === null) throw new Error('XADD returned no id');
    return toAlert(id, input);
  }

  async listNewestFirst({ before, limit }: { before?: string; limit: number }): Promise<Alert[]> {
    const end = before === undefined ? '+' : `(${before}`;
    const entries = (await this.redis.xrevrange(this.key, end, '-', 'COUNT', limit)) as StreamEntry[];
    return entries.map(parseEntry);
  }

  async get(ids: readonly string[]): Promise<(Alert | null)[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.xrange(this.key, id, id);
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, value]) => {
      if (error) throw error;
      const entry = (value as StreamEntry[])[0];
      return entry ? parseEntry(entry) : null;
    });
  }

  async lastId(): Promise<string | null> {
    const entries = (await this.redis.xrevrange(this.key, '+', '-', 'COUNT', 1)) as StreamEntry[];
    return entries[0]?.[0] ?? null;
  }

  tail(after: string | null, options: { signal: AbortSignal; maxBuffered?: number }): AsyncIterable<Alert> {
    return this.feed.tail(after, (from) => this.replay(from), options, () => this.ensureLoop());
  }

  async close(): Promise<void> {
    this.closed = true;
    this.feed.endAll();
    this.blocking.disconnect();
    await this.loop?.catch(() => undefined);
    if (this.options.ownsConnection) await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private async *replay(after: string | null): AsyncGenerator<Alert> {
    let start = after === null ? '-' : `(${after}`;
    for (;;) {
      const entries = (await this.redis.xrange(this.key, start, '+', 'COUNT', 500)) as StreamEntry[];
      for (const entry of entries) yield parseEntry(entry);
      const last = entries.at(-1);
      if (!last || entries.length < 500) return;
      start = `(${last[0]}`;
    }
  }

  private ensureLoop(): void {
    if (this.loop || this.closed) return;
    this.loop = this.readLoop().finally(() => {
      this.loop = null;
      // A reader may have arrived just as the loop decided to stop.
      if (this.feed.readerCount > 0 && !this.closed) this.ensureLoop();
    });
  }

  private async readLoop(): Promise<void> {
    let lastSeen = (await this.lastId()) ?? '0-0';
    while (!this.closed && this.feed.readerCount > 0) {
      try {
        const result = (await this.blocking.xread('COUNT', 500, 'BLOCK', this.options.blockMs ?? 1000, 'STREAMS', this.key, lastSeen)) as
          | [key: string, entries: StreamEntry[]][]
          | null;
        for (const [, entries] of result ?? []) {
          for (const entry of entries) {
            lastSeen = entry[0];
            this.feed.publish(parseEntry(entry));
          }
        }
      } catch (error) {
        if (this.closed) return;
        this.options.logger.warn({ err: (error as Error).message }, 'alert stream read failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }
}

function parseEntry([id, fields]: StreamEntry): Alert {
  const index = fields.indexOf('a');
  const json = index >= 0 ? fields[index + 1] : undefined;
  if (json === undefined) throw new Error(`alert stream entry ${id} has no payload`);
  return toAlert(id, JSON.parse(json) as NewAlert);
}

function toAlert(id: string, input: NewAlert): Alert {
  const raisedAt = new Date(Number(id.split('-')[0])).toISOString();
  return { ...input, id, raisedAt, occurredAt: input.occurredAt ?? raisedAt };
}
