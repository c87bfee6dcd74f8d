import type { Redis } from 'ioredis';
import type { AlertLogEvent } from './alert.js';
import type { AlertLogConsumerGroups } from './alert-log.js';
import type { Logger } from '../logger.js';

type StreamEntry = [id: string, fields: string[]];

/**
 * Consumer groups on the alert stream. The group's position and pending list live in Redis beside
 * the stream, so an output's delivery state survives a restart of every Vigil process. Blocking reads
 * use a connection per group (a blocked connection serves no other command).
 */
export class RedisConsumerGroups implements AlertLogConsumerGroups {
  private readonly blocking = new Map<string, Redis>();
  private closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly logger: Logger,
    private readonly parse: (entry: StreamEntry) => AlertLogEvent,
  ) {}

  async ensure(group: string): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.key, group, '$', 'MKSTREAM');
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('BUSYGROUP')) throw error;
    }
  }

  async claimPending(group: string, consumer: string, { minIdleMs, count }: { minIdleMs: number; count: number }): Promise<AlertLogEvent[]> {
    const out: AlertLogEvent[] = [];
    let start = '0-0';
    // XAUTOCLAIM pages through the pending list; entries trimmed from the stream meanwhile are
    // dropped from it by Redis (third element) and are gone for every reader alike.
    for (;;) {
      const [next, entries] = (await this.redis.xautoclaim(this.key, group, consumer, minIdleMs, start, 'COUNT', count - out.length)) as [string, StreamEntry[], string[]];
      for (const entry of entries) out.push(this.parse(entry));
      if (next === '0-0' || out.length >= count) return out;
      start = next;
    }
  }

  async readNew(group: string, consumer: string, { count, blockMs }: { count: number; blockMs: number }): Promise<AlertLogEvent[]> {
    const connection = blockMs > 0 ? this.blockingConnection(group) : this.redis;
    const args: (string | number)[] = ['GROUP', group, consumer, 'COUNT', count];
    if (blockMs > 0) args.push('BLOCK', blockMs);
    const result = (await connection.call('XREADGROUP', ...args, 'STREAMS', this.key, '>')) as [key: string, entries: StreamEntry[]][] | null;
    return (result?.[0]?.[1] ?? []).map((entry) => this.parse(entry));
  }

  async ack(group: string, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.redis.xack(this.key, group, ...ids);
  }

  async pendingCount(group: string): Promise<number> {
    const summary = (await this.redis.xpending(this.key, group)) as [count: number, ...rest: unknown[]];
    return Number(summary[0]);
  }

  close(): void {
    this.closed = true;
    for (const connection of this.blocking.values()) connection.disconnect();
    this.blocking.clear();
  }

  private blockingConnection(group: string): Redis {
    let connection = this.blocking.get(group);
    if (!connection) {
      if (this.closed) throw new Error('alert log closed');
      connection = this.redis.duplicate({ connectionName: `vigil:alerts-group-${group}` });
      let lastLogged = 0;
      connection.on('error', (error: Error) => {
        const now = Date.now();
        if (now - lastLogged > 10_000) {
          lastLogged = now;
          this.logger.error({ err: error.message, purpose: `alerts-group-${group}` }, 'redis connection error');
        }
      });
      this.blocking.set(group, connection);
    }
    return connection;
  }
}
