import type { Redis } from 'ioredis';
import type { Alert, AlertChange, AlertChangeEvent, AlertLogEvent, NewAlert } from './alert.js';
import type { AlertLog } from './alert-log.js';
import { LiveFeed } from './live-feed.js';
import type { Logger } from '../logger.js';
import { RedisConsumerGroups } from './redis-consumer-groups.js';

export type StreamEntry = [id: string, fields: string[]];

/**
 * The alert log as a Redis Stream (`<prefix>alerts`), trimmed to about `maxLength` entries. An entry
 * holds a raised alert (field `a`) or a change to one (field `c`).
 * Readers in this process share one blocking XREAD loop on a connection of its own, so a hundred
 * subscribers cost one Redis connection, not a hundred.
 */
export class RedisAlertLog implements AlertLog {
  private readonly key: string;
  private readonly feed = new LiveFeed<AlertLogEvent>();
  readonly groups: RedisConsumerGroups;
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
    this.groups = new RedisConsumerGroups(redis, this.key, options.logger, parseEntry);
  }

  async append(input: NewAlert): Promise<Alert> {
    const id = await this.redis.xadd(this.key, 'MAXLEN', '~', String(this.options.maxLength), '*', 'a', JSON.stringify(input));
    if (id === null) throw new Error('XADD returned no id');
    return toAlert(id, input);
  }

  async appendChange(change: AlertChange): Promise<AlertChangeEvent> {
    const id = await this.redis.xadd(this.key, 'MAXLEN', '~', String(this.options.maxLength), '*', 'c', JSON.stringify(change));
    if (id === null) throw new Error('XADD returned no id');
    return { ...change, id };
  }

  async listNewestFirst({ before, limit }: { before?: string; limit: number }): Promise<Alert[]> {
    // Change entries are interleaved: read on until `limit` alerts or the start of the stream.
    const out: Alert[] = [];
    let end = before === undefined ? '+' : `(${before}`;
    for (;;) {
      const entries = (await this.redis.xrevrange(this.key, end, '-', 'COUNT', limit)) as StreamEntry[];
      for (const entry of entries) {
        const event = parseEntry(entry);
        if (event.type === 'raised') out.push(event.alert);
        if (out.length === limit) return out;
      }
      const last = entries.at(-1);
      if (!last || entries.length < limit) return out;
      end = `(${last[0]}`;
    }
  }

  async get(ids: readonly string[]): Promise<(Alert | null)[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.xrange(this.key, id, id);
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, value]) => {
      if (error) throw error;
      const entry = (value as StreamEntry[])[0];
      const event = entry ? parseEntry(entry) : null;
      return event?.type === 'raised' ? event.alert : null;
    });
  }

  async lastId(): Promise<string | null> {
    const entries = (await this.redis.xrevrange(this.key, '+', '-', 'COUNT', 1)) as StreamEntry[];
    return entries[0]?.[0] ?? null;
  }

  tail(after: string | null, options: { signal: AbortSignal; maxBuffered?: number }): AsyncIterable<Alert> {
    const events = this.tailEvents(after, options);
    return (async function* () {
      for await (const event of events) if (event.type === 'raised') yield event.alert;
    })();
  }

  tailEvents(after: string | null, options: { signal: AbortSignal; maxBuffered?: number }): AsyncIterable<AlertLogEvent> {
    return this.feed.tail(after, (from) => this.replay(from), options, () => this.ensureLoop());
  }

  async close(): Promise<void> {
    this.closed = true;
    this.feed.endAll();
    this.groups.close();
    this.blocking.disconnect();
    await this.loop?.catch(() => undefined);
    if (this.options.ownsConnection) await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private async *replay(after: string | null): AsyncGenerator<AlertLogEvent> {
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

export function parseEntry([id, fields]: StreamEntry): AlertLogEvent {
  const alert = fieldValue(fields, 'a');
  if (alert !== undefined) return { id, type: 'raised', alert: toAlert(id, JSON.parse(alert) as NewAlert) };
  const change = fieldValue(fields, 'c');
  if (change !== undefined) return { id, type: 'changed', change: { ...(JSON.parse(change) as AlertChange), id } };
  throw new Error(`alert stream entry ${id} has no payload`);
}

/** A field's value in a stream entry's flat [field, value, ...] list (fields only at even positions). */
function fieldValue(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

function toAlert(id: string, input: NewAlert): Alert {
  const raisedAt = new Date(Number(id.split('-')[0])).toISOString();
  return { ...input, id, raisedAt, occurredAt: input.occurredAt ?? raisedAt };
}
