import type { Redis } from './redis.js';
import { createRedis, keyPrefix } from './redis.js';
import type { Logger } from './logger.js';

/**
 * What the hosts subgraph publishes about each inventory host so that the cluster subgraph can tell
 * which Kubernetes Node a host is (Node ↔ Host by evidence) and put the host on node-level alerts.
 * A published contract between the two, not the hosts subgraph's fact storage: only identifying
 * evidence and the inventory labels tenants select hosts by. Nothing in it is secret (machine-id(5)
 * is a random identifier, not a credential).
 */
export interface HostIdentity {
  /** The inventory name: the Host entity key. */
  hostId: string;
  /** Inventory labels (tenants select hosts by them). */
  labels: Record<string, string>;
  /** /etc/machine-id, 32 lowercase hex digits; null until a probe read it. */
  machineId: string | null;
  /** The SMBIOS system UUID (/sys/class/dmi/id/product_uuid, lowercase); null when unreadable (root only). */
  systemUuid: string | null;
  /** The kernel's host name (uname -n); null until a probe read it. */
  hostname: string | null;
  /** The inventory address, then the host's global interface addresses. */
  addresses: string[];
}

/** A partial update: fields left out keep what was published before. */
export type HostIdentityUpdate = Pick<HostIdentity, 'hostId'> & Partial<Omit<HostIdentity, 'hostId'>>;

export interface HostDirectory {
  /** Merges the update into the host's record (created with empty evidence when absent). */
  publish(update: HostIdentityUpdate): Promise<void>;
  /** Drops every host not in `hostIds` (hosts removed from the inventory). */
  retain(hostIds: readonly string[]): Promise<void>;
  /** Every published host, sorted by id. */
  list(): Promise<HostIdentity[]>;
  close(): Promise<void>;
}

function merged(previous: HostIdentity | undefined, update: HostIdentityUpdate): HostIdentity {
  const base: HostIdentity = previous ?? { hostId: update.hostId, labels: {}, machineId: null, systemUuid: null, hostname: null, addresses: [] };
  return {
    hostId: update.hostId,
    labels: update.labels ?? base.labels,
    machineId: update.machineId === undefined ? base.machineId : update.machineId,
    systemUuid: update.systemUuid === undefined ? base.systemUuid : update.systemUuid,
    hostname: update.hostname === undefined ? base.hostname : update.hostname,
    addresses: update.addresses ?? base.addresses,
  };
}

/** The embedded (one-process) directory; the stack shares one instance between hosts and cluster. */
export class MemoryHostDirectory implements HostDirectory {
  private readonly hosts = new Map<string, HostIdentity>();

  publish(update: HostIdentityUpdate): Promise<void> {
    this.hosts.set(update.hostId, merged(this.hosts.get(update.hostId), update));
    return Promise.resolve();
  }

  retain(hostIds: readonly string[]): Promise<void> {
    const keep = new Set(hostIds);
    for (const id of this.hosts.keys()) if (!keep.has(id)) this.hosts.delete(id);
    return Promise.resolve();
  }

  list(): Promise<HostIdentity[]> {
    return Promise.resolve([...this.hosts.values()].sort((a, b) => (a.hostId < b.hostId ? -1 : a.hostId > b.hostId ? 1 : 0)).map((h) => structuredClone(h)));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * One Redis hash under the hosts subgraph's prefix (`<namespace>:hosts:identity`), host id → JSON.
 * Small (one entry per inventory host), bounded by the inventory, so it needs no TTL: `retain` drops
 * hosts that left the inventory at each start of the hosts subgraph.
 */
export class RedisHostDirectory implements HostDirectory {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    namespace: string,
    private readonly owned: boolean,
  ) {
    this.key = `${keyPrefix(namespace, 'hosts')}identity`;
  }

  async publish(update: HostIdentityUpdate): Promise<void> {
    // Read-merge-write: one writer per host (the hosts subgraph's scheduler runs one probe per host at a time).
    const raw = await this.redis.hget(this.key, update.hostId);
    await this.redis.hset(this.key, update.hostId, JSON.stringify(merged(raw === null ? undefined : parse(raw), update)));
  }

  async retain(hostIds: readonly string[]): Promise<void> {
    const keep = new Set(hostIds);
    const gone = (await this.redis.hkeys(this.key)).filter((id) => !keep.has(id));
    if (gone.length > 0) await this.redis.hdel(this.key, ...gone);
  }

  async list(): Promise<HostIdentity[]> {
    const all = await this.redis.hgetall(this.key);
    return Object.keys(all)
      .sort()
      .flatMap((id) => {
        const value = all[id];
        return value === undefined ? [] : [parse(value)];
      });
  }

  async close(): Promise<void> {
    if (this.owned) await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

function parse(raw: string): HostIdentity {
  const value = JSON.parse(raw) as HostIdentity;
  return { ...value, labels: value.labels ?? {}, addresses: value.addresses ?? [] };
}

/** Redis when configured (hosts and cluster may be separate processes), else in memory. */
export function createHostDirectory(options: { redisUrl: string | undefined; namespace: string; logger: Logger }): HostDirectory {
  return options.redisUrl ? new RedisHostDirectory(createRedis(options.redisUrl, options.logger, 'host-directory'), options.namespace, true) : new MemoryHostDirectory();
}
