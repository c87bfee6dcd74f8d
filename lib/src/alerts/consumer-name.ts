import { hostname } from 'node:os';

/**
 * The default name of this process in a consumer group on the alert log. Two replicas sharing a
 * name would share one pending list: at start each claims what the other is still working on and
 * both deliver it. Host name plus pid is unique per process on one machine and, in a container
 * (pid 1, host name = pod name), per replica; a restarted replica's leftovers are taken over once
 * idle (the router's `claimIdleMs`, correlation's stale-claim time).
 */
export function defaultConsumerName(host: string = hostname(), pid: number = process.pid): string {
  const name = `${host.replace(/[^A-Za-z0-9_.-]/g, '-')}-${pid}`;
  return name.length <= 64 ? name : name.slice(name.length - 64);
}
