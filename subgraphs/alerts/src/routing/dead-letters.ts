import type { Redis } from 'ioredis';
import type { Delivery } from './payloads.js';

/** A delivery an output never took: after the last try, or refused for good (the answer recorded). */
export interface DeadLetter {
  /** The alert log entry (a raise or a change). */
  entryId: string;
  output: string;
  kind: Delivery['kind'];
  alertId: string;
  attempts: number;
  /** The last failure: the output's answer (status and the start of its body) or why there was none. */
  reason: string;
  at: string;
}

/** Per-output dead-letter lists, newest first, each capped (oldest dropped). Memory or Redis. */
export interface DeadLetterStore {
  /** Adds one; returns the list's new length. */
  add(letter: DeadLetter, max: number): Promise<number>;
  list(output: string, limit: number): Promise<DeadLetter[]>;
  length(output: string): Promise<number>;
}

export class MemoryDeadLetterStore implements DeadLetterStore {
  private readonly lists = new Map<string, DeadLetter[]>();

  async add(letter: DeadLetter, max: number): Promise<number> {
    const list = this.lists.get(letter.output) ?? [];
    list.unshift(letter);
    list.length = Math.min(list.length, max);
    this.lists.set(letter.output, list);
    return list.length;
  }

  async list(output: string, limit: number): Promise<DeadLetter[]> {
    return (this.lists.get(output) ?? []).slice(0, limit);
  }

  async length(output: string): Promise<number> {
    return this.lists.get(output)?.length ?? 0;
  }
}

/** `<prefix>dead-letters:<output>`: a list, newest first, trimmed to `max` on every add. */
export class RedisDeadLetterStore implements DeadLetterStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async add(letter: DeadLetter, max: number): Promise<number> {
    const key = this.key(letter.output);
    const results = await this.redis.multi().lpush(key, JSON.stringify(letter)).ltrim(key, 0, max - 1).llen(key).exec();
    const length = results?.[2]?.[1];
    return typeof length === 'number' ? length : 0;
  }

  async list(output: string, limit: number): Promise<DeadLetter[]> {
    return (await this.redis.lrange(this.key(output), 0, limit - 1)).map((json) => JSON.parse(json) as DeadLetter);
  }

  async length(output: string): Promise<number> {
    return this.redis.llen(this.key(output));
  }

  private key(output: string): string {
    return `${this.prefix}dead-letters:${output}`;
  }
}
