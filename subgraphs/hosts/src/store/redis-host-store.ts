import type { Redis } from '@vigil/lib/redis';
import type { InstalledPackage, ProbeResult } from '../sources/probe/types.js';
import { attemptOf, comparePackages, successOf, type HostState, type HostStore } from './host-store.js';

/**
 * Host state in Redis: a hash per host (`<prefix>host:<id>`, fields `attempt` and `success`) and
 * the package list as one JSON value (`<prefix>packages:<id>`). A failed probe writes only the
 * `attempt` field, so it never needs to read and rewrite what the last success stored.
 */
export class RedisHostStore implements HostStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async saveProbe(result: ProbeResult): Promise<void> {
    const hostKey = `${this.prefix}host:${result.hostId}`;
    const multi = this.redis.multi().hset(hostKey, 'attempt', JSON.stringify(attemptOf(result)));
    if (result.status === 'OK') {
      multi
        .hset(hostKey, 'success', JSON.stringify(successOf(result)))
        .set(`${this.prefix}packages:${result.hostId}`, JSON.stringify([...(result.packages ?? [])].sort(comparePackages)));
    }
    const replies = await multi.exec();
    const failed = replies?.find(([error]) => error);
    if (!replies || failed) throw failed?.[0] ?? new Error('host state transaction was discarded');
  }

  async getStates(hostIds: readonly string[]): Promise<(HostState | null)[]> {
    if (hostIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of hostIds) pipeline.hmget(`${this.prefix}host:${id}`, 'attempt', 'success');
    const replies = (await pipeline.exec()) ?? [];
    return hostIds.map((hostId, index) => {
      const [error, value] = replies[index] ?? [new Error('missing reply'), null];
      if (error) throw error;
      const [attempt, success] = value as [string | null, string | null];
      if (attempt === null) return null;
      return {
        hostId,
        lastAttempt: JSON.parse(attempt) as HostState['lastAttempt'],
        lastSuccess: success === null ? null : (JSON.parse(success) as HostState['lastSuccess']),
      };
    });
  }

  async getPackages(hostIds: readonly string[]): Promise<(InstalledPackage[] | null)[]> {
    if (hostIds.length === 0) return [];
    const values = await this.redis.mget(hostIds.map((id) => `${this.prefix}packages:${id}`));
    return values.map((value) => (value === null ? null : (JSON.parse(value) as InstalledPackage[])));
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
