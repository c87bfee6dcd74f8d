import { readFile, stat } from 'node:fs/promises';
import { Client, type ConnectConfig, type ServerHostKeyAlgorithm } from 'ssh2';
import { describeError } from '@vigil/lib/errors';
import { argvFor, programLabel, renderShellCommand, type AllowedCommandName, type RunOptions } from './allowlist.js';
import { BATCH_SHELL, batchScriptFor, newBatchNonce, parseBatchOutput } from './batch-script.js';
import {
  fingerprintSha256,
  knownKeyTypesFor,
  KnownHosts,
  parseKnownHosts,
  publicKeyType,
  verifyHostKey,
  type HostKeyVerdict,
} from './known-hosts.js';
import { ProbeFailure } from './probe-failure.js';
import { MAX_OUTPUT_BYTES, type BatchCommand, type BatchOutcome, type CommandOutput, type CommandRunner } from './transport.js';
import type { SshHostTarget } from './types.js';

/** Dead peers are noticed within about 3 × this during a long command. */
const KEEPALIVE_INTERVAL_MS = 5_000;
const KEEPALIVE_COUNT_MAX = 3;
const CLOSE_GRACE_MS = 2_000;

/**
 * The part of an ssh2 exec channel the runner uses; a port so the runner can be tested without a
 * server, and so nothing but `exec` of a rendered allow-listed command can be asked of the connection.
 */
export interface ExecChannel {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'exit', listener: (code: number | null, signal?: string) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  readonly stderr: { on(event: 'data', listener: (chunk: Buffer) => void): unknown };
  /** Writes the remote command's stdin and closes it (the batch script, see batch-script.ts). */
  end(data: string): unknown;
  signal(name: string): unknown;
  close(): unknown;
}

export interface SshSession {
  exec(command: string): Promise<ExecChannel>;
  end(): Promise<void>;
  /** True once the connection itself is gone (the peer dropped it), so a cut batch can say so. */
  lost?(): boolean;
}

export interface SshRunnerOptions {
  /** The limit for one `run`, and for a whole `runBatch`: all its commands together. */
  commandTimeoutMs: number;
  /** Per `run`, and per `runBatch` for all its commands' output together. @default MAX_OUTPUT_BYTES */
  maxOutputBytes?: number;
}

/**
 * Commands on the probe's one session. `runBatch` runs many as ONE exec channel (batch-script.ts):
 * sshd's session setup, the expensive part of a small command, is paid once per probe. `run` opens a
 * channel per command, for anything asked outside a batch.
 *
 * A batch's commands run one after another under one deadline, `commandTimeoutMs`, for all of them:
 * when it passes the remote shell is killed and the channel closed; the commands that had finished keep
 * their output, the one running and those not reached are TIMEOUT. So a command that hangs (df on a
 * dead NFS mount) costs the commands after it, not the ones before: the probe orders cheap, reliable
 * commands first (probe-report.ts).
 */
export function createSshCommandRunner(session: SshSession, options: SshRunnerOptions): CommandRunner {
  let closing: Promise<void> | null = null;
  return {
    async runBatch(commands: readonly BatchCommand[]): Promise<BatchOutcome[]> {
      // Resolved before touching the connection: one name off the list and nothing is exec'd.
      const nonce = newBatchNonce();
      const script = batchScriptFor(nonce, commands);
      const labels = commands.map(({ name, options: runOptions }) => programLabel(name, runOptions));
      if (closing !== null) throw new ProbeFailure('ERROR', 'the SSH connection is already closed');
      if (commands.length === 0) return [];
      let channel: ExecChannel;
      const started = Date.now();
      try {
        channel = await openWithin(session.exec(BATCH_SHELL), options.commandTimeoutMs);
      } catch (error) {
        if (error === OPEN_TIMED_OUT) {
          // A host that authenticates and then never answers the session request (a wedged sshd, a
          // full process table) would otherwise hold a scheduler slot until the probe's overall deadline.
          throw new ProbeFailure('TIMEOUT', `the host accepted the probe's login but did not open its session within ${options.commandTimeoutMs} ms (hangs after authentication)`);
        }
        throw new ProbeFailure('ERROR', `could not start the probe's command batch (${commands.length} commands): ${describeError(error)}`, { cause: error });
      }
      // One deadline for the whole batch, channel opening included.
      const ended = await collectBatch(channel, script, { ...options, commandTimeoutMs: Math.max(1, options.commandTimeoutMs - (Date.now() - started)) });
      if (ended.how === 'close' && session.lost?.() === true) ended.connectionLost = true;
      const sections = parseBatchOutput(nonce, commands.length, ended.stdout, ended.stderr);
      let cut: string | null = null;
      return sections.map((section, index): BatchOutcome => {
        const label = labels[index] ?? 'command';
        if (section.result !== null) return { ok: true, output: section.result };
        const failure = unfinished(label, section.started, cut, ended, options);
        cut ??= label;
        return { ok: false, failure };
      });
    },
    async run(name: AllowedCommandName, runOptions?: RunOptions): Promise<CommandOutput> {
      // Resolve the argv before touching the connection: a name off the list never reaches exec.
      const argv = argvFor(name, runOptions);
      const label = programLabel(name, runOptions);
      if (closing !== null) throw new ProbeFailure('ERROR', 'the SSH connection is already closed');
      let channel: ExecChannel;
      try {
        channel = await session.exec(renderShellCommand(argv));
      } catch (error) {
        throw new ProbeFailure('ERROR', `could not start ${label}: ${describeError(error)}`, { cause: error });
      }
      return collectChannel(channel, label, options);
    },
    close(): Promise<void> {
      closing ??= session.end();
      return closing;
    },
  };
}

interface BatchEnd {
  stdout: Buffer;
  stderr: Buffer;
  /** close: the channel closed (the script ran to its end, or the remote shell died); the others: we stopped it. */
  how: 'close' | 'timeout' | 'overflow' | 'error';
  exitCode: number | null;
  error: Error | null;
  /** The connection dropped under the channel (not just the remote shell ending). */
  connectionLost?: boolean;
}

const OPEN_TIMED_OUT = Symbol('channel open timed out');

/** The channel, or OPEN_TIMED_OUT thrown once `ms` pass; a channel that opens later is closed. */
function openWithin(opening: Promise<ExecChannel>, ms: number): Promise<ExecChannel> {
  return new Promise((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(OPEN_TIMED_OUT);
    }, ms);
    opening.then(
      (channel) => {
        clearTimeout(timer);
        if (!late) return resolve(channel);
        try {
          channel.close();
        } catch {
          // Already gone: nothing to release.
        }
      },
      (error: unknown) => {
        clearTimeout(timer);
        if (!late) reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** Feeds the script to the batch channel and gathers both streams until it closes or is stopped. */
function collectBatch(channel: ExecChannel, script: string, options: SshRunnerOptions): Promise<BatchEnd> {
  const maxOutputBytes = options.maxOutputBytes ?? MAX_OUTPUT_BYTES;
  return new Promise((resolve) => {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let bytes = 0;
    let exitCode: number | null = null;
    let settled = false;

    const finish = (how: BatchEnd['how'], error: Error | null = null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (how !== 'close') {
        try {
          // The remote shell, which runs the rest of the script: killing it starts nothing further.
          channel.signal('KILL');
          channel.close();
        } catch {
          // The channel may already be gone; what was received so far is what counts.
        }
      }
      resolve({ stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr), how, exitCode, error });
    };
    const timer = setTimeout(() => finish('timeout'), options.commandTimeoutMs);
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      if (settled) return;
      bytes += chunk.length;
      if (bytes > maxOutputBytes) return finish('overflow');
      into.push(chunk);
    };

    channel.on('data', collect(stdout));
    channel.stderr.on('data', collect(stderr));
    channel.on('exit', (code) => {
      exitCode = typeof code === 'number' ? code : null;
    });
    channel.on('error', (error) => finish('error', error));
    channel.on('close', () => finish('close'));
    try {
      channel.end(script);
    } catch (error) {
      finish('error', error instanceof Error ? error : new Error(String(error)));
    }
  });
}

/**
 * Why a batched command has no output. `cut` is the label of the first command without one, when this
 * is a later command: that one was running when the batch stopped, this one never started.
 */
function unfinished(label: string, started: boolean, cut: string | null, end: BatchEnd, options: SshRunnerOptions): ProbeFailure {
  const running = cut === null && started;
  switch (end.how) {
    case 'timeout':
      return running
        ? new ProbeFailure('TIMEOUT', `${label} did not finish within ${options.commandTimeoutMs} ms (the deadline of the probe's command batch)`)
        : new ProbeFailure('TIMEOUT', `${label} did not start: the probe's command batch passed its ${options.commandTimeoutMs} ms deadline${cut === null ? '' : ` while ${cut} ran`}`);
    case 'overflow': {
      const limit = options.maxOutputBytes ?? MAX_OUTPUT_BYTES;
      return running
        ? new ProbeFailure('ERROR', `${label} wrote more than ${limit} bytes`)
        : new ProbeFailure('ERROR', `${label} did not run: the probe's command batch wrote more than ${limit} bytes`);
    }
    case 'error':
      return new ProbeFailure('ERROR', `${label} failed: ${describeError(end.error)}`);
    case 'close':
      return new ProbeFailure(
        'ERROR',
        `${label} did not ${running ? 'finish' : 'run'}: the probe's command batch ended early (${
          end.connectionLost === true ? 'the host dropped the connection mid-command' : end.exitCode === null ? 'the remote shell was killed or the connection closed' : `the remote shell exited with ${end.exitCode}`
        })`,
      );
  }
}

function collectChannel(channel: ExecChannel, program: string, options: SshRunnerOptions): Promise<CommandOutput> {
  const maxOutputBytes = options.maxOutputBytes ?? MAX_OUTPUT_BYTES;
  return new Promise((resolve, reject) => {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let bytes = 0;
    let exitCode: number | null = null;
    let settled = false;

    const fail = (failure: ProbeFailure) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        // Ask the remote side to stop too (OpenSSH >= 7.9 honours signal requests), then drop the channel.
        channel.signal('KILL');
        channel.close();
      } catch {
        // The channel may already be gone; the failure being reported is the one that matters.
      }
      reject(failure);
    };
    const timer = setTimeout(
      () => fail(new ProbeFailure('TIMEOUT', `${program} did not finish within ${options.commandTimeoutMs} ms`)),
      options.commandTimeoutMs,
    );
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxOutputBytes) {
        fail(new ProbeFailure('ERROR', `${program} wrote more than ${maxOutputBytes} bytes`));
        return;
      }
      into.push(chunk);
    };

    channel.on('data', collect(stdout));
    channel.stderr.on('data', collect(stderr));
    channel.on('exit', (code) => {
      exitCode = typeof code === 'number' ? code : null;
    });
    channel.on('error', (error) => fail(new ProbeFailure('ERROR', `${program} failed: ${describeError(error)}`)));
    channel.on('close', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Decoded once at the end so a multi-byte character split across chunks stays intact.
      resolve({ stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8'), exitCode });
    });
  });
}

/** Opens the probe's one SSH connection, verifying the host key strictly; throws ProbeFailure. */
export async function connectSsh(target: SshHostTarget): Promise<CommandRunner> {
  const label = `${target.address}:${target.port}`;
  const knownHosts = await loadKnownHosts(target.knownHostsPath, label);
  const credentials = await loadCredentials(target, label);
  const client = new Client();
  let verdict: HostKeyVerdict | null = null;
  let presentedKey: Buffer | null = null;

  const config: ConnectConfig = {
    host: target.address,
    port: target.port,
    username: target.user,
    ...credentials,
    readyTimeout: target.connectTimeoutMs,
    keepaliveInterval: KEEPALIVE_INTERVAL_MS,
    keepaliveCountMax: KEEPALIVE_COUNT_MAX,
    algorithms: { serverHostKey: hostKeyAlgorithmsFor(knownKeyTypesFor(knownHosts.file, target.address, target.port)) },
    // Without a verifier ssh2 accepts any host key; this one trusts only a known_hosts entry.
    hostVerifier: (key: Buffer): boolean => {
      presentedKey = key;
      verdict = verifyHostKey(knownHosts.file, target.address, target.port, key);
      return verdict.kind === 'trusted';
    },
  };

  let closed = false;
  /** We closed it (end), as opposed to the peer dropping it. */
  let ending = false;
  client.on('close', () => {
    closed = true;
  });
  let rejectConnect: ((failure: ProbeFailure) => void) | null = null;
  // Permanent: ssh2 can emit a second error after the first (e.g. "Connection lost before handshake"
  // once the socket closes), and an 'error' event without a listener would crash the process. Errors
  // after the handshake surface through the channels they break.
  client.on('error', (error) => {
    rejectConnect?.(classifyConnectError(error, { verdict, presentedKey, label, target, knownHostsMissing: knownHosts.missing }));
    rejectConnect = null;
  });

  try {
    await new Promise<void>((resolve, reject) => {
      rejectConnect = reject;
      client.once('ready', () => {
        rejectConnect = null;
        resolve();
      });
      client.once('close', () => {
        rejectConnect?.(new ProbeFailure('ERROR', `${label} closed the connection before authentication completed`));
        rejectConnect = null;
      });
      try {
        client.connect(config);
        // TCP_NODELAY: the handshake, authentication and channel requests are small writes that
        // each wait for an answer; with Nagle's algorithm against the peer's delayed ACKs, many of
        // them stalled ~40 ms, which made up most of a probe's time on a fast link.
        client.setNoDelay(true);
      } catch (error) {
        // ssh2 throws synchronously for unusable settings, e.g. an encrypted or malformed private key.
        rejectConnect = null;
        reject(new ProbeFailure('ERROR', `could not start SSH to ${label}: ${describeError(error)}`, { cause: error }));
      }
    });
  } catch (error) {
    client.destroy();
    throw error;
  }

  const session: SshSession = {
    lost: () => closed && !ending,
    exec: (command) =>
      new Promise((resolve, reject) => {
        client.exec(command, (error, channel) => (error ? reject(error) : resolve(channel)));
      }),
    end: () =>
      new Promise((resolve) => {
        ending = true;
        if (closed) return resolve();
        const timer = setTimeout(() => {
          client.destroy();
          resolve();
        }, CLOSE_GRACE_MS);
        client.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        client.end();
      }),
  };
  return createSshCommandRunner(session, { commandTimeoutMs: target.commandTimeoutMs });
}

/**
 * Parsed known_hosts files, by path. A fleet shares one file of a line per host, and re-parsing it
 * for every probe was a measurable share of probing CPU at 1,000 hosts; a stat per probe is enough to
 * see an edit (a key rotated or revoked) before the next connection uses the file.
 */
const knownHostsCache = new Map<string, { version: string; file: KnownHosts }>();

async function loadKnownHosts(path: string, label: string): Promise<{ file: KnownHosts; missing: boolean }> {
  try {
    const info = await stat(path, { bigint: true });
    const version = `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
    const cached = knownHostsCache.get(path);
    if (cached?.version === version) return { file: cached.file, missing: false };
    const file = parseKnownHosts(await readFile(path, 'utf8'));
    knownHostsCache.set(path, { version, file });
    return { file, missing: false };
  } catch (error) {
    knownHostsCache.delete(path);
    // A missing file means no host is known: the connection goes on so the message can show the key.
    if (errorCode(error) === 'ENOENT') return { file: new KnownHosts([]), missing: true };
    throw new ProbeFailure('ERROR', `cannot read known_hosts file ${path} for ${label} (${errorCode(error) ?? describeError(error)})`);
  }
}

async function loadCredentials(target: SshHostTarget, label: string): Promise<Pick<ConnectConfig, 'privateKey' | 'agent'>> {
  const credentials: Pick<ConnectConfig, 'privateKey' | 'agent'> = {};
  if (target.privateKeyPath !== undefined) {
    try {
      credentials.privateKey = await readFile(target.privateKeyPath);
    } catch (error) {
      throw new ProbeFailure(
        'ERROR',
        `cannot read private key file ${target.privateKeyPath} for ${label} (${errorCode(error) ?? 'unreadable'})`,
      );
    }
  }
  if (target.useAgent === true) {
    if (target.agentSocket === undefined || target.agentSocket === '') {
      throw new ProbeFailure('ERROR', `useAgent is set for ${label} but no agent socket (SSH_AUTH_SOCK) is configured`);
    }
    credentials.agent = target.agentSocket;
  }
  if (credentials.privateKey === undefined && credentials.agent === undefined) {
    throw new ProbeFailure('ERROR', `no private key file or agent is configured for ${label}`);
  }
  return credentials;
}

/**
 * Modern signature algorithms only: `ssh-rsa` (SHA-1 signatures) and `ssh-dss` are off by default in
 * OpenSSH since 8.8. RSA host keys still work through rsa-sha2-*.
 */
const HOST_KEY_ALGORITHMS: readonly ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
];

const KEY_TYPE_OF_ALGORITHM: Readonly<Record<ServerHostKeyAlgorithm, string>> = {
  'ssh-ed25519': 'ssh-ed25519',
  'ecdsa-sha2-nistp256': 'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384': 'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521': 'ecdsa-sha2-nistp521',
  'rsa-sha2-512': 'ssh-rsa',
  'rsa-sha2-256': 'ssh-rsa',
  'ssh-rsa': 'ssh-rsa',
  'ssh-dss': 'ssh-dss',
};

/**
 * Algorithms for key types known_hosts lists for this host go first, as OpenSSH orders them, so a
 * server with several host keys presents one we can check instead of failing as a mismatch.
 */
export function hostKeyAlgorithmsFor(knownKeyTypes: readonly string[]): ServerHostKeyAlgorithm[] {
  const preferred = HOST_KEY_ALGORITHMS.filter((algorithm) => knownKeyTypes.includes(KEY_TYPE_OF_ALGORITHM[algorithm]));
  return [...preferred, ...HOST_KEY_ALGORITHMS.filter((algorithm) => !preferred.includes(algorithm))];
}

interface ConnectContext {
  verdict: HostKeyVerdict | null;
  presentedKey: Buffer | null;
  label: string;
  target: SshHostTarget;
  knownHostsMissing: boolean;
}

function classifyConnectError(error: Error & { level?: string }, context: ConnectContext): ProbeFailure {
  const { verdict, presentedKey, label, target } = context;
  if (verdict !== null && verdict.kind !== 'trusted' && presentedKey !== null) {
    return hostKeyFailure(verdict, presentedKey, context);
  }
  const code = errorCode(error);
  if (error.level === 'client-authentication') {
    return new ProbeFailure('AUTH_FAILED', `${label} rejected the key(s) offered for user ${target.user}`);
  }
  if (error.level === 'client-timeout' || code === 'ETIMEDOUT') {
    return new ProbeFailure('TIMEOUT', `SSH handshake with ${label} did not complete within ${target.connectTimeoutMs} ms`);
  }
  if (code !== undefined && UNREACHABLE_CODES.has(code)) {
    return new ProbeFailure('UNREACHABLE', `cannot reach ${label} (${code})`);
  }
  if (error.level === 'client-dns') return new ProbeFailure('UNREACHABLE', `cannot resolve ${target.address}`);
  return new ProbeFailure('ERROR', `SSH to ${label} failed: ${describeError(error)}`, { cause: error });
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTDOWN']);

function hostKeyFailure(verdict: Exclude<HostKeyVerdict, { kind: 'trusted' }>, key: Buffer, context: ConnectContext): ProbeFailure {
  // Fingerprints are public (ssh prints them too) and let an operator check the key out of band.
  const presented = `${publicKeyType(key) ?? 'unknown-type'} key ${fingerprintSha256(key)}`;
  const file = context.target.knownHostsPath;
  switch (verdict.kind) {
    case 'revoked':
      return new ProbeFailure('HOST_KEY_MISMATCH', `${context.label} presented the revoked ${presented} (@revoked in ${file})`);
    case 'mismatch':
      return new ProbeFailure(
        'HOST_KEY_MISMATCH',
        `${context.label} presented ${presented}, not the ${verdict.knownKeyTypes.join('/')} key ${file} lists for it: the host key changed or the connection is intercepted`,
      );
    case 'unknown':
      return new ProbeFailure(
        'HOST_KEY_UNKNOWN',
        context.knownHostsMissing
          ? `known_hosts file ${file} does not exist; ${context.label} presented ${presented}`
          : `${context.label} is not listed in ${file}; it presented ${presented}`,
      );
  }
}

function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}
