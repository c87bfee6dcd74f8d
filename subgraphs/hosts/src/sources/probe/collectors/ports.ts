import type { ListeningPort } from '../../../facts/types.js';
import { attempt, integer, lines, parseOutput, read, type CollectorContext } from '../collector.js';

/**
 * A local address as ss prints it (iproute2 misc/ss.c, inet_addr_print + sock_addr_print): IPv4 as
 * is (`0.0.0.0`, `127.0.0.1`); numeric IPv6 in brackets (`[::1]`, `[::]` for a v6-only wildcard);
 * `*` for a dual-stack wildcard; an interface binding (SO_BINDTODEVICE) as `%ifname` after the address
 * (`127.0.0.53%lo`, `[fe80::1]%eth0`); then `:port`, `*` when the port is 0. Returns the address
 * without brackets, or null for anything else.
 */
export function splitSocketAddress(text: string): { address: string; port: number } | null {
  const at = text.lastIndexOf(':');
  if (at <= 0) return null;
  const port = integer(text.slice(at + 1));
  if (port === null || port > 65_535) return null;
  const host = text.slice(0, at);
  const bracketed = /^\[([^\]]+)\](%\S+)?$/.exec(host);
  return { address: bracketed === null ? host : `${bracketed[1]}${bracketed[2] ?? ''}`, port };
}

/**
 * The names in ss's process column, `users:(("sshd",pid=812,fd=3),("sshd",pid=1,fd=3))`, and nothing
 * else: pids and fds identify processes over time, which is activity, not inventory.
 */
export function processNames(column: string): string[] {
  return [...column.matchAll(/\("(.*?)",pid=\d+,fd=\d+\)/g)].flatMap((match) => (match[1] === undefined ? [] : [match[1]]));
}

/**
 * Lines of `ss -H -tuln` or `ss -H -tulpn`: `Netid State Recv-Q Send-Q Local:Port Peer:Port [Process]`,
 * some with trailing spaces. A header (an ss without -H support prints one anyway) and lines for other
 * protocols are skipped. One socket per address and port is kept: SO_REUSEPORT listeners (nginx
 * workers) appear several times, and their process names are merged. Names are only read when
 * `withProcesses` is set: see collectListeningPorts for when that is.
 */
export function parseSs(text: string, withProcesses: boolean): ListeningPort[] {
  const ports = new Map<string, { port: ListeningPort; names: Set<string> }>();
  for (const line of lines(text)) {
    const [netid, , , , local, , ...rest] = line.trim().split(/\s+/);
    if ((netid !== 'tcp' && netid !== 'udp') || local === undefined) continue;
    const split = splitSocketAddress(local);
    if (split === null) continue;
    const key = `${netid} ${split.address} ${split.port}`;
    const entry = ports.get(key) ?? { port: { protocol: netid, ...split, process: null }, names: new Set<string>() };
    ports.set(key, entry);
    if (withProcesses) for (const name of processNames(rest.join(' '))) entry.names.add(name);
  }
  return [...ports.values()].map(({ port, names }) => ({ ...port, process: names.size === 0 ? null : [...names].sort().join(',') }));
}

/**
 * Process names need `ss -p`, which as an ordinary user shows only that user's own processes: names
 * would be missing for most ports and appear or vanish with the probe user's sessions. So -p is run
 * only when it sees everything: when the operator enabled sudo for this collector, or when the probe
 * user is uid 0, asked of the host itself (`id -u`) rather than guessed from the configured user name.
 * Otherwise `ss -H -tuln` runs and every process is null.
 */
export async function collectListeningPorts(context: CollectorContext): Promise<ListeningPort[]> {
  if (context.sudo || (await runsAsRoot(context))) {
    return parseOutput(context, 'listeningSocketsWithProcesses', (text) => parseSs(text, true), await read(context, 'listeningSocketsWithProcesses'));
  }
  return parseOutput(context, 'listeningSockets', (text) => parseSs(text, false), await read(context, 'listeningSockets'));
}

async function runsAsRoot(context: CollectorContext): Promise<boolean> {
  const uid = await attempt(context, 'effectiveUid');
  return uid.ok && uid.output.stdout.trim() === '0';
}
