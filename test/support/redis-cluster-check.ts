import { Redis } from 'ioredis';

/**
 * Redis Cluster rules, checked on a one-node cluster (cluster mode, every slot on this node).
 * Redis itself then refuses what a real cluster refuses — a multi-key command or a MULTI/EXEC whose
 * keys are in several slots (CROSSSLOT) — except one thing a single node lets through: a Lua script
 * reaching keys of several slots. MONITOR shows each command a script runs (source "lua", right
 * after its EVAL/EVALSHA), so every script call's keys are collected here and their slots compared.
 */
export class ScriptSlotMonitor {
  readonly violations: string[] = [];
  private readonly keySpecs = new Map<string, Promise<{ first: number; last: number; step: number } | null>>();
  private readonly slots = new Map<string, Promise<number>>();
  private current: { script: string; commands: string[][] } | null = null;
  private pending: Promise<void> = Promise.resolve();
  private monitor: Redis | null = null;

  private constructor(private readonly admin: Redis) {}

  static async start(url: string): Promise<ScriptSlotMonitor> {
    const check = new ScriptSlotMonitor(new Redis(url, { lazyConnect: false }));
    const monitor = await new Redis(url).monitor();
    check.monitor = monitor;
    monitor.on('monitor', (_time: string, args: string[], source: string) => check.observe(args, source));
    return check;
  }

  /** Assigns every slot to this node and waits until the cluster says it is ok. */
  static async claimAllSlots(url: string): Promise<void> {
    const redis = new Redis(url);
    try {
      await redis.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
      const deadline = Date.now() + 10_000;
      while (!String(await redis.call('CLUSTER', 'INFO')).includes('cluster_state:ok')) {
        if (Date.now() > deadline) throw new Error('one-node Redis Cluster did not reach cluster_state:ok within 10 s');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      redis.disconnect();
    }
  }

  private observe(args: string[], source: string): void {
    const name = (args[0] ?? '').toLowerCase();
    if (source === 'lua') {
      this.current?.commands.push(args);
      return;
    }
    this.finish();
    if (name === 'eval' || name === 'evalsha' || name === 'fcall') this.current = { script: `${name} ${(args[1] ?? '').replace(/\s+/g, ' ').slice(0, 80)}`, commands: [] };
  }

  private finish(): void {
    const call = this.current;
    this.current = null;
    if (!call || call.commands.length === 0) return;
    this.pending = this.pending.then(() => this.checkCall(call)).catch((error: unknown) => {
      this.violations.push(`checking ${call.script}: ${String(error)}`);
    });
  }

  private async checkCall(call: { script: string; commands: string[][] }): Promise<void> {
    // Resolved after the fact: COMMAND INFO and CLUSTER KEYSLOT are round trips (cached).
    const keys: string[] = [];
    for (const args of call.commands) keys.push(...(await this.commandKeys(args)));
    const bySlot = new Map<number, string>();
    for (const key of keys) bySlot.set(await this.slotOf(key), key);
    if (bySlot.size > 1) this.violations.push(`${call.script}… touched ${bySlot.size} slots: ${[...bySlot.values()].join(', ')}`);
  }

  private async commandKeys(args: string[]): Promise<string[]> {
    const name = (args[0] ?? '').toLowerCase();
    let spec = this.keySpecs.get(name);
    if (!spec) {
      spec = this.admin.call('COMMAND', 'INFO', name).then((reply) => {
        const info = (reply as unknown[][])[0];
        return info ? { first: Number(info[3]), last: Number(info[4]), step: Number(info[5]) } : null;
      });
      this.keySpecs.set(name, spec);
    }
    const found = await spec;
    if (!found || found.first === 0) {
      // Keys at positions the legacy spec cannot give (e.g. XREAD): ask the server.
      return found ? ((await this.admin.call('COMMAND', 'GETKEYS', ...args)) as string[]) : [];
    }
    const last = found.last < 0 ? args.length + found.last : found.last;
    const keys: string[] = [];
    for (let i = found.first; i <= last && i < args.length; i += found.step) keys.push(args[i] as string);
    return keys;
  }

  private slotOf(key: string): Promise<number> {
    let slot = this.slots.get(key);
    if (!slot) {
      slot = this.admin.call('CLUSTER', 'KEYSLOT', key).then(Number);
      this.slots.set(key, slot);
    }
    return slot;
  }

  /** Every script call seen so far that reached several slots. */
  async settle(): Promise<string[]> {
    this.finish();
    // MONITOR lines may still be on their way: one round trip on the monitored server flushes them.
    await this.admin.ping();
    await new Promise((resolve) => setTimeout(resolve, 50));
    this.finish();
    await this.pending;
    return this.violations;
  }

  async stop(): Promise<string[]> {
    const violations = await this.settle();
    this.monitor?.disconnect();
    this.admin.disconnect();
    return violations;
  }
}
