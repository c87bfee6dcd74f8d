import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitForPort } from './free-port.js';

const run = promisify(execFile);

const SSHD = '/usr/sbin/sshd';

export interface KeyPair {
  privateKeyPath: string;
  /** `type base64`, without comment. */
  publicKey: string;
}

export interface SshdInstance {
  host: '127.0.0.1';
  port: number;
  user: string;
  /** An authorised client key. */
  clientKeyPath: string;
  /** The server's ed25519 host key, `ssh-ed25519 AAAA…`. */
  hostPublicKey: string;
  /** A known_hosts line for this server (`[127.0.0.1]:port …`), hashed by `ssh-keygen -H` when asked. */
  knownHostsLine(hashed?: boolean): string;
  /** Writes a known_hosts file in the instance's temp dir and returns its path. */
  writeKnownHosts(lines: string[]): Promise<string>;
  /** A fresh ed25519 key pair in the instance's temp dir, authorised nowhere. */
  generateKeyPair(name: string): Promise<KeyPair>;
  /** What sshd wrote to stderr so far (its log, at the configured LogLevel). */
  logs(): string;
  stop(): Promise<void>;
}

export interface SshdOptions {
  /**
   * VERBOSE makes sshd log accepted keys and every session it starts, which lets a test observe what a
   * client did on the server side. @default 'ERROR'
   */
  logLevel?: 'ERROR' | 'INFO' | 'VERBOSE';
  /**
   * Environment for every session, as sshd_config `SetEnv` (OpenSSH >= 7.8), which overrides sshd's
   * defaults: `{ PATH: dir }` makes a host on which only the tools linked into `dir` exist. Names are
   * `[A-Za-z_][A-Za-z0-9_]*`, values without whitespace, quotes or backslashes. @default {}
   */
  env?: Readonly<Record<string, string>>;
}

/** Starts a real OpenSSH sshd on a free loopback port, with its own host key and one authorised client key. */
export async function startSshd(options: SshdOptions = {}): Promise<SshdInstance> {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-sshd-'));
  try {
    // sshd refuses to start without its privilege-separation directory.
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
    const hostKey = await generateKey(join(dir, 'ssh_host_ed25519_key'));
    const client = await generateKey(join(dir, 'client_ed25519'));
    const authorizedKeys = join(dir, 'authorized_keys');
    await writeFile(authorizedKeys, `${client.publicKey}\n`, { mode: 0o600 });

    // A port can be taken between freePort() and sshd's bind; retry a few times rather than flake.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const configPath = join(dir, 'sshd_config');
      await writeFile(
        configPath,
        sshdConfig({ port, hostKeyPath: hostKey.privateKeyPath, authorizedKeys, logLevel: options.logLevel ?? 'ERROR', env: options.env ?? {} }),
      );
      const started = await launch(configPath, port);
      if (started.ok) return instance(dir, port, hostKey, client, started.process, started.logs);
      if (attempt >= 3) throw new Error(`sshd did not start: ${started.logs()}`);
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

function sshdConfig(settings: { port: number; hostKeyPath: string; authorizedKeys: string; logLevel: string; env: Readonly<Record<string, string>> }): string {
  const setEnv = Object.entries(settings.env).map(([name, value]) => {
    // sshd_config splits on whitespace and honours quotes; refusing both keeps each entry one word.
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || !/^[^\s"'\\]*$/.test(value)) throw new Error(`unusable sshd SetEnv entry ${name}`);
    return `SetEnv ${name}=${value}`;
  });
  return [
    ...setEnv,
    'ListenAddress 127.0.0.1',
    `Port ${settings.port}`,
    `HostKey ${settings.hostKeyPath}`,
    `AuthorizedKeysFile ${settings.authorizedKeys}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'PidFile none',
    'PermitRootLogin prohibit-password',
    'UseDNS no',
    'PrintMotd no',
    'X11Forwarding no',
    'AllowTcpForwarding no',
    'AllowAgentForwarding no',
    `LogLevel ${settings.logLevel}`,
    '',
  ].join('\n');
}

type Launch = { ok: true; process: ChildProcess; logs: () => string } | { ok: false; logs: () => string };

async function launch(configPath: string, port: number): Promise<Launch> {
  const child = spawn(SSHD, ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    log += chunk;
  });
  const logs = () => log;
  const exited = once(child, 'exit').then(() => 'exited' as const);
  const listening = waitForPort(port, 10_000).then(() => 'listening' as const);
  const first = await Promise.race([exited, listening.catch(() => 'timeout' as const)]);
  // Something else may have taken the port and answered while sshd failed to bind it.
  if (first === 'listening' && child.exitCode === null) return { ok: true, process: child, logs };
  if (first === 'timeout') await stopProcess(child);
  return { ok: false, logs };
}

async function instance(
  dir: string,
  port: number,
  hostKey: KeyPair,
  client: KeyPair,
  child: ChildProcess,
  logs: () => string,
): Promise<SshdInstance> {
  const plainLine = `[127.0.0.1]:${port} ${hostKey.publicKey}`;
  const hashedLine = await hashWithSshKeygen(dir, plainLine);
  let knownHostsFiles = 0;
  return {
    host: '127.0.0.1',
    port,
    user: userInfo().username,
    clientKeyPath: client.privateKeyPath,
    hostPublicKey: hostKey.publicKey,
    knownHostsLine: (hashed = false) => (hashed ? hashedLine : plainLine),
    async writeKnownHosts(lines: string[]) {
      const path = join(dir, `known_hosts.${++knownHostsFiles}`);
      await writeFile(path, lines.map((line) => `${line}\n`).join(''));
      return path;
    },
    generateKeyPair: (name: string) => generateKey(join(dir, name.replace(/[^A-Za-z0-9_-]/g, '_'))),
    logs,
    async stop() {
      await stopProcess(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Hashes with OpenSSH itself, so tests check our HMAC code against the reference implementation. */
async function hashWithSshKeygen(dir: string, line: string): Promise<string> {
  const path = join(dir, 'known_hosts.to-hash');
  await writeFile(path, `${line}\n`);
  await run('ssh-keygen', ['-q', '-H', '-f', path]);
  const hashed = (await readFile(path, 'utf8')).split('\n').find((l) => l.startsWith('|1|'));
  if (hashed === undefined) throw new Error('ssh-keygen -H produced no hashed line');
  await rm(path, { force: true });
  await rm(`${path}.old`, { force: true });
  return hashed.trim();
}

async function generateKey(path: string): Promise<KeyPair> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', path]);
  const [type, base64] = (await readFile(`${path}.pub`, 'utf8')).trim().split(/\s+/);
  if (type === undefined || base64 === undefined) throw new Error(`ssh-keygen wrote no public key to ${path}.pub`);
  return { privateKeyPath: path, publicKey: `${type} ${base64}` };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

export interface SilentListener {
  port: number;
  /** Connections accepted so far. */
  connections(): number;
  stop(): Promise<void>;
}

/** Accepts TCP connections and never says a word: an SSH client must time out waiting for the banner. */
export async function startSilentListener(): Promise<SilentListener> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('silent listener has no port');
  return {
    port: address.port,
    connections: () => accepted,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port nothing listens on (connections are refused). */
export function closedPort(): Promise<number> {
  return freePort();
}

export interface SshAgent {
  socketPath: string;
  stop(): Promise<void>;
}

/** A real ssh-agent holding the given keys, on a socket in its own temp dir. */
export async function startSshAgent(privateKeyPaths: string[]): Promise<SshAgent> {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-agent-'));
  const socketPath = join(dir, 'agent.sock');
  const agent = spawn('ssh-agent', ['-D', '-a', socketPath], { stdio: 'ignore' });
  const stop = async () => {
    await stopProcess(agent);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const listed = await run('ssh-add', ['-l'], { env: { ...process.env, SSH_AUTH_SOCK: socketPath } }).then(
        () => true,
        // Exit 1 ("no identities") means the agent answers; 2 means it is not up yet.
        (error: unknown) => typeof error === 'object' && error !== null && 'code' in error && error.code === 1,
      );
      if (listed) break;
      if (Date.now() > deadline) throw new Error('ssh-agent did not start');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const path of privateKeyPaths) {
      await run('ssh-add', ['-q', path], { env: { ...process.env, SSH_AUTH_SOCK: socketPath } });
    }
    return { socketPath, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
