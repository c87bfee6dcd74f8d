/**
 * A fleet of simulated SSH hosts for the `fleet` benchmark: ONE ssh2 `Server` on one loopback port,
 * where each simulated host is a user name (`h0001` …); every host has the same ed25519 host key and
 * accepts the same client key (public-key auth, signature verified). A host answers the probe's batch
 * (`exec /bin/sh -s` and the script on stdin, see subgraphs/hosts/src/sources/probe/batch-script.ts) as
 * the captured Debian 12 machine would (subgraphs/hosts/test/fixtures/debian-12-captured/, taken as
 * root): the script is parsed here (it is our own protocol; this parser is written independently of
 * the client's), each command is looked up by its rendered argv, and its section is written after a
 * per-command delay that stands in for the time a real host takes to run it. A command the table does
 * not know (rpm and apk on this Debian host) is the shell's 127. A lone rendered argv as the exec
 * command (the runner's per-command `run`) is answered the same way.
 *
 * Runs in a child process (`FleetDoubleProcess`), so the probing process's CPU and memory are
 * measured without the server's; the child reports its own CPU time and peak RSS.
 *
 * Faulty hosts (`faultShare`, chosen from the host's index by `fleetFault`, so every run and every
 * process agrees which hosts they are):
 * - `hang-after-auth`: accepts the key, then never answers the session request (the TCP connection
 *   and SSH keepalives stay up, so only a timeout on the session can notice);
 * - `drop-mid-command`: runs half of the batch, then destroys the TCP connection mid-command;
 * - `slow-banner` and `changed-host-key` happen before the client names its user, so they cannot be
 *   per user: they are two more listeners (`slowBannerPort`, `changedKeyPort`) that the faulty
 *   hosts' targets point at. The first waits `slowBannerMs` before sending the SSH banner; the second
 *   presents another host key than the one known_hosts lists (it must be refused before auth).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import ssh2, { type AuthContext, type ClientInfo, type Connection, type ServerChannel } from 'ssh2';
import { ALLOWED_COMMANDS, SUDO_PREFIX, renderShellCommand, type AllowedCommandName } from '@vigil/subgraph-hosts/sources/probe/allowlist';
import { BATCH_SHELL } from '@vigil/subgraph-hosts/sources/probe/batch-script';

export interface FleetDoubleOptions {
  /** The host private key (OpenSSH format), the same for every simulated host. */
  hostKey: string;
  /** The one client public key every host authorises (`ssh-ed25519 AAAA…`). */
  clientPublicKey: string;
  /** Simulated hosts are the users `${userPrefix}${1..hosts, zero-padded to 4}`. */
  userPrefix: string;
  hosts: number;
  /** How long each command "runs" before its output is written. */
  delayMsPerCommand: number;
  /** Share of the hosts that are faulty (see fleetFault). @default 0 */
  faultShare?: number;
  /** How long the slow-banner listener waits before its SSH banner. @default 0 */
  slowBannerMs?: number;
  /** The host private key the changed-host-key listener presents instead of hostKey. */
  changedHostKey?: string;
}

export const FAULT_KINDS = ['hang-after-auth', 'drop-mid-command', 'slow-banner', 'changed-host-key'] as const;
export type FleetFault = (typeof FAULT_KINDS)[number];

/**
 * The fault of host `index` (1-based), or null for a healthy host: every (1/share)-th host is faulty,
 * the kinds taking turns, so faulty hosts are spread evenly through the fleet and its schedule.
 */
export function fleetFault(index: number, share: number): FleetFault | null {
  if (!(share > 0)) return null;
  const every = Math.max(1, Math.round(1 / share));
  if (index % every !== 0) return null;
  return FAULT_KINDS[(index / every - 1) % FAULT_KINDS.length] ?? null;
}

export interface FleetDoubleStats {
  connections: number;
  authenticated: number;
  authRejected: number;
  batches: number;
  singleExecs: number;
  commands: number;
  /** Commands answered 127 because the table does not know them (rpm, apk on this Debian host). */
  notFound: number;
  /** Script lines that are not the batch framing: must stay 0. */
  protocolErrors: number;
  connectionErrors: number;
  /** Session requests left unanswered (hang-after-auth hosts). */
  hungSessions: number;
  /** Connections destroyed mid-batch (drop-mid-command hosts). */
  dropped: number;
  /** Connections to the slow-banner listener, and to the changed-key one. */
  slowBannerConnections: number;
  changedKeyConnections: number;
  /** Authentications on the changed-key listener: must stay 0 (the client refuses the key first). */
  changedKeyAuthenticated: number;
}

export interface FleetDoubleFigures {
  stats: FleetDoubleStats;
  cpuUserMs: number;
  cpuSystemMs: number;
  /** Peak resident set size of the double's process (getrusage), bytes. */
  maxRssBytes: number;
}

export const hostUser = (prefix: string, index: number): string => `${prefix}${String(index).padStart(4, '0')}`;

const FIXTURES = new URL('../../subgraphs/hosts/test/fixtures/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');
const captured = (name: string) => fixture(`debian-12-captured/${name}`);

interface Answer {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * The captured Debian 12 machine, command by command (as the probe tests script it): uname's words come
 * from the captured `uname -a` line, `id -u` is 0 because the captures were taken as root. rpm and apk
 * are absent.
 */
function debian12(): Partial<Record<AllowedCommandName, string>> {
  return {
    osRelease: fixture('os-release_debian12_captured'),
    osReleaseFallback: fixture('os-release_debian12_captured'),
    kernelRelease: '6.18.44-fc-v669\n',
    machineArch: 'x86_64\n',
    dpkgPackages: fixture('dpkg-query_debian-12.tsv'),
    systemdUnits: captured('systemctl_list-units_service_all_plain_no-legend.txt'),
    systemdUnitFiles: captured('systemctl_list-unit-files_service_no-legend.txt'),
    passwdEntries: captured('getent_passwd.txt'),
    groupEntries: captured('getent_group.txt'),
    ipAddresses: captured('ip_-j_addr.json'),
    ipRoutes: captured('ip_-j_route.json'),
    ip6Routes: captured('ip_-j_-6_route.json'),
    listeningSockets: captured('ss_-H_-tuln.txt'),
    listeningSocketsWithProcesses: captured('ss_-H_-tulpn.txt'),
    effectiveUid: '0\n',
    nftRuleset: captured('nft_-j_list_ruleset.json'),
    iptablesRules: captured('iptables-save.txt'),
    ip6tablesRules: captured('ip6tables-save.txt'),
    cpuTopology: captured('lscpu_-J.json'),
    cpuInfo: captured('proc_cpuinfo_cpu0.txt'),
    memInfo: captured('proc_meminfo.txt'),
    loadAverage: captured('proc_loadavg.txt'),
    uptime: captured('proc_uptime.txt'),
    diskFree: captured('df_-P_-k.txt'),
  };
}

/** Rendered command line → answer, for every known command with and without `sudo -n` (sudo allowed). */
function answerTable(): Map<string, Answer> {
  const outputs = debian12();
  const table = new Map<string, Answer>();
  for (const [name, argv] of Object.entries(ALLOWED_COMMANDS)) {
    const stdout = outputs[name as AllowedCommandName];
    if (stdout === undefined) continue;
    const answer = { stdout, stderr: '', exitCode: 0 };
    table.set(renderShellCommand(argv), answer);
    table.set(renderShellCommand([...SUDO_PREFIX, ...argv]), answer);
  }
  return table;
}

/**
 * One line of the batch script, as the client writes it:
 * `printf '\n%s %d B\n' NONCE I; printf '\n%s %d B\n' NONCE I >&2; CMD </dev/null; printf '\n%s %d E %d\n' NONCE I $?; printf '\n%s %d E\n' NONCE I >&2`.
 */
const SCRIPT_LINE =
  /^printf '\\n%s %d B\\n' ([0-9a-f]{32}) (\d+); printf '\\n%s %d B\\n' \1 \2 >&2; (.+) <\/dev\/null; printf '\\n%s %d E %d\\n' \1 \2 \$\?; printf '\\n%s %d E\\n' \1 \2 >&2$/;

/** The program of a rendered command line, for dash's "not found" message. */
function programOf(command: string): string {
  return /^'([^']*)'/.exec(command)?.[1] ?? command;
}

export interface FleetDouble {
  port: number;
  /** Where slow-banner hosts listen (the same hosts, a banner `slowBannerMs` late). */
  slowBannerPort: number;
  /** Where changed-host-key hosts listen (presenting `changedHostKey`). */
  changedKeyPort: number;
  stats(): FleetDoubleStats;
  close(): Promise<void>;
}

/** Starts the double in this process on 127.0.0.1, on a free port. */
export async function startFleetDouble(options: FleetDoubleOptions): Promise<FleetDouble> {
  const table = answerTable();
  const users = new Set(Array.from({ length: options.hosts }, (_, i) => hostUser(options.userPrefix, i + 1)));
  const faults = new Map<string, FleetFault>();
  for (let index = 1; index <= options.hosts; index++) {
    const fault = fleetFault(index, options.faultShare ?? 0);
    if (fault !== null) faults.set(hostUser(options.userPrefix, index), fault);
  }
  const clientKey = ssh2.utils.parseKey(options.clientPublicKey);
  if (clientKey instanceof Error) throw clientKey;
  const clientKeyBlob = clientKey.getPublicSSH();
  const stats: FleetDoubleStats = { connections: 0, authenticated: 0, authRejected: 0, batches: 0, singleExecs: 0, commands: 0, notFound: 0, protocolErrors: 0, connectionErrors: 0, hungSessions: 0, dropped: 0, slowBannerConnections: 0, changedKeyConnections: 0, changedKeyAuthenticated: 0 };

  const answer = (command: string): Answer => {
    stats.commands++;
    const known = table.get(command);
    if (known !== undefined) return known;
    stats.notFound++;
    return { stdout: '', stderr: `sh: 1: ${programOf(command)}: not found\n`, exitCode: 127 };
  };

  const runBatch = async (channel: ServerChannel, script: string, drop: (() => void) | null) => {
    const lines = script.split('\n');
    if (lines.pop() !== '') stats.protocolErrors++;
    const dropAt = drop === null ? -1 : Math.floor(lines.length / 2);
    for (const [at, line] of lines.entries()) {
      const match = SCRIPT_LINE.exec(line);
      const [nonce, index, command] = [match?.[1], match?.[2], match?.[3]];
      if (nonce === undefined || index === undefined || command === undefined) {
        stats.protocolErrors++;
        channel.stderr.write('fleet double: a script line that is not the batch framing\n');
        channel.exit(2);
        channel.end();
        return;
      }
      channel.write(`\n${nonce} ${index} B\n`);
      channel.stderr.write(`\n${nonce} ${index} B\n`);
      await sleep(options.delayMsPerCommand);
      if (at === dropAt && drop !== null) {
        stats.dropped++;
        drop();
        return;
      }
      const { stdout, stderr, exitCode } = answer(command);
      channel.write(`${stdout}\n${nonce} ${index} E ${exitCode}\n`);
      channel.stderr.write(`${stderr}\n${nonce} ${index} E\n`);
    }
    channel.exit(0);
    channel.end();
  };

  const onExec = (channel: ServerChannel, command: string, drop: (() => void) | null) => {
    if (command === BATCH_SHELL) {
      stats.batches++;
      const chunks: Buffer[] = [];
      channel.on('data', (chunk: Buffer) => chunks.push(chunk));
      channel.on('end', () => void runBatch(channel, Buffer.concat(chunks).toString('utf8'), drop).catch(() => stats.connectionErrors++));
      return;
    }
    stats.singleExecs++;
    void (async () => {
      await sleep(options.delayMsPerCommand);
      const { stdout, stderr, exitCode } = answer(command);
      channel.write(stdout);
      channel.stderr.write(stderr);
      channel.exit(exitCode);
      channel.end();
    })().catch(() => stats.connectionErrors++);
  };

  const authenticate = (ctx: AuthContext, onAuthenticated: (user: string) => void) => {
    if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
    const known = users.has(ctx.username) && ctx.key.algo === 'ssh-ed25519' && ctx.key.data.equals(clientKeyBlob);
    // Without a signature the client only asks whether the key would do.
    if (known && ctx.signature === undefined) return ctx.accept();
    if (known && ctx.signature !== undefined && ctx.blob !== undefined && clientKey.verify(ctx.blob, ctx.signature, ctx.hashAlgo)) {
      onAuthenticated(ctx.username);
      return ctx.accept();
    }
    stats.authRejected++;
    return ctx.reject(['publickey']);
  };

  // Client port → its socket, so a drop-mid-command host can destroy its TCP connection outright.
  const sockets = new Map<number, Socket>();
  const serve = (hostKey: string, onAuthenticated: () => void) =>
    new ssh2.Server({ hostKeys: [hostKey] }, (client: Connection, info: ClientInfo) => {
      stats.connections++;
      let user = '';
      client.on('error', () => stats.connectionErrors++);
      client.on('authentication', (ctx) =>
        authenticate(ctx, (name) => {
          user = name;
          onAuthenticated();
        }),
      );
      client.on('ready', () => {
        const fault = faults.get(user);
        client.on('session', (accept) => {
          if (fault === 'hang-after-auth') {
            // Neither accepted nor rejected: the client's session request waits for ever.
            stats.hungSessions++;
            return;
          }
          const socket = sockets.get(info.port);
          const drop = fault === 'drop-mid-command' && socket !== undefined ? () => socket.destroy() : null;
          const session = accept();
          session.on('exec', (acceptExec, _reject, execInfo) => onExec(acceptExec(), execInfo.command, drop));
        });
      });
    });
  const healthy = serve(options.hostKey, () => stats.authenticated++);
  const changed = serve(options.changedHostKey ?? options.hostKey, () => stats.changedKeyAuthenticated++);

  // Sockets with TCP_NODELAY, handed to the SSH server: ssh2 writes each packet on its own, and a
  // Nagle stall (waiting for the client's delayed ACK) after each would make the double, not the
  // simulated command time, what the benchmark measures.
  const listen = async (onSocket: (socket: Socket) => void) => {
    const listener = createServer({ noDelay: true }, (socket) => {
      const port = socket.remotePort;
      if (port !== undefined) {
        sockets.set(port, socket);
        socket.once('close', () => sockets.delete(port));
      }
      socket.on('error', () => undefined);
      onSocket(socket);
    });
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(0, '127.0.0.1', () => resolve());
    });
    const address = listener.address();
    if (address === null || typeof address === 'string') throw new Error('the fleet double has no port');
    return { listener, port: address.port };
  };
  const main = await listen((socket) => healthy.injectSocket(socket));
  const slowBanner = await listen((socket) => {
    stats.slowBannerConnections++;
    const timer = setTimeout(() => healthy.injectSocket(socket), options.slowBannerMs ?? 0);
    socket.once('close', () => clearTimeout(timer));
  });
  const changedKey = await listen((socket) => {
    stats.changedKeyConnections++;
    changed.injectSocket(socket);
  });
  const listeners = [main, slowBanner, changedKey];
  return {
    port: main.port,
    slowBannerPort: slowBanner.port,
    changedKeyPort: changedKey.port,
    stats: () => ({ ...stats }),
    close: async () => {
      for (const socket of sockets.values()) socket.destroy();
      await Promise.all(listeners.map(({ listener }) => new Promise<void>((resolve) => listener.close(() => resolve()))));
    },
  };
}

export type FleetDoublePorts = Pick<FleetDouble, 'port' | 'slowBannerPort' | 'changedKeyPort'>;

type ParentMessage = { type: 'start'; options: FleetDoubleOptions } | { type: 'figures' } | { type: 'stop' };
type ChildMessage = { type: 'started'; ports: FleetDoublePorts } | { type: 'figures'; figures: FleetDoubleFigures } | { type: 'failed'; error: string };

/** The double in a child process of its own (this file, run under tsx), driven over IPC. */
export class FleetDoubleProcess {
  private readonly waiters = new Map<ChildMessage['type'], (message: ChildMessage) => void>();
  private failure: Error | null = null;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'failed') {
        this.failure = new Error(`fleet double: ${message.error}`);
        for (const waiter of this.waiters.values()) waiter(message);
        return;
      }
      this.waiters.get(message.type)?.(message);
    });
    child.once('exit', (code, signal) => {
      this.failure ??= new Error(`fleet double exited (code ${code}, signal ${signal})`);
      for (const waiter of this.waiters.values()) waiter({ type: 'failed', error: this.failure.message });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  static async launch(options: FleetDoubleOptions): Promise<{ double: FleetDoubleProcess } & FleetDoublePorts> {
    const tsx = import.meta.resolve('tsx');
    const child = fork(fileURLToPath(import.meta.url), [], {
      execArgv: ['--import', tsx],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    const double = new FleetDoubleProcess(child);
    try {
      const started = await double.request({ type: 'start', options }, 'started');
      return { double, ...started.ports };
    } catch (error) {
      double.kill();
      throw error;
    }
  }

  /** The double's counters, CPU time and peak RSS so far. */
  async figures(): Promise<FleetDoubleFigures> {
    return (await this.request({ type: 'figures' }, 'figures')).figures;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'stop' } satisfies ParentMessage);
    const timer = setTimeout(() => this.kill(), 5_000);
    await exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private request<T extends ChildMessage['type']>(message: ParentMessage, answer: T, timeoutMs = 30_000): Promise<Extract<ChildMessage, { type: T }>> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(answer);
        reject(new Error(`fleet double: no ${answer} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(answer, (reply) => {
        clearTimeout(timer);
        this.waiters.delete(answer);
        if (reply.type === answer) resolve(reply as Extract<ChildMessage, { type: T }>);
        else reject(this.failure ?? new Error(`fleet double: expected ${answer}, got ${reply.type}`));
      });
      this.child.send(message);
    });
  }
}

/** Child-process side: start on request, report figures, stop. */
function serveParent(): void {
  let double: FleetDouble | null = null;
  const reply = (message: ChildMessage) => process.send?.(message);
  process.on('message', (message: ParentMessage) => {
    void (async () => {
      switch (message.type) {
        case 'start':
          double = await startFleetDouble(message.options);
          reply({ type: 'started', ports: { port: double.port, slowBannerPort: double.slowBannerPort, changedKeyPort: double.changedKeyPort } });
          return;
        case 'figures': {
          const cpu = process.cpuUsage();
          const stats = double?.stats() ?? null;
          if (stats === null) throw new Error('not started');
          reply({ type: 'figures', figures: { stats, cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000, maxRssBytes: process.resourceUsage().maxRSS * 1024 } });
          return;
        }
        case 'stop':
          // No waiting for connections to drain: the probes are over, and the figures were taken.
          process.exit(0);
      }
    })().catch((error: unknown) => reply({ type: 'failed', error: error instanceof Error ? error.message : String(error) }));
  });
  // The parent gone means the benchmark is over, however it ended.
  process.on('disconnect', () => process.exit(0));
}

if (process.send !== undefined && process.argv[1] === fileURLToPath(import.meta.url)) serveParent();
