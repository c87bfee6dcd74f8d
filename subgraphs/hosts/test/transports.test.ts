import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { BATCH_SHELL } from '../src/sources/probe/batch-script.js';
import { createLocalRunner } from '../src/sources/probe/local-transport.js';
import { ProbeFailure } from '../src/sources/probe/probe-failure.js';
import { createSshCommandRunner, type ExecChannel, type SshSession } from '../src/sources/probe/ssh-transport.js';

/** A scripted exec channel: what a real sshd sends is replayed by `script` once exec returns. */
class FakeChannel extends EventEmitter {
  readonly stderr = new EventEmitter();
  readonly signals: string[] = [];
  /** What the client wrote to stdin (a batch's script). */
  input: string | null = null;
  closed = false;
  end(data: string): void {
    this.input = data;
  }
  signal(name: string): void {
    this.signals.push(name);
  }
  close(): void {
    this.closed = true;
  }
}

function sessionWith(script: (channel: FakeChannel) => void) {
  const channels: FakeChannel[] = [];
  const commands: string[] = [];
  let ends = 0;
  const session: SshSession = {
    async exec(command) {
      commands.push(command);
      const channel = new FakeChannel();
      channels.push(channel);
      setImmediate(() => script(channel));
      const port: ExecChannel = channel;
      return port;
    },
    end: async () => {
      ends++;
    },
  };
  return { session, channels, commands, ends: () => ends };
}

/** What /bin/sh prints for one batch section, given the nonce the client put in the script. */
interface Section {
  stdout?: string | Buffer;
  stderr?: string;
  exitCode: number;
}

/** The nonce and command count of the script a batch channel received. */
function scriptOf(channel: FakeChannel): { nonce: string; count: number } {
  const lines = (channel.input ?? '').split('\n').filter((line) => line !== '');
  const nonce = /^printf '\\n%s %d B\\n' ([0-9a-f]{32}) 0;/.exec(lines[0] ?? '')?.[1];
  if (nonce === undefined) throw new Error(`no batch script: ${channel.input}`);
  return { nonce, count: lines.length };
}

/** Answers a batch as the remote shell would: framing and output per section, each stream on its own. */
function framed(nonce: string, sections: readonly Section[], from = 0): { stdout: Buffer; stderr: Buffer } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  sections.forEach((section, offset) => {
    const index = from + offset;
    out.push(Buffer.from(`\n${nonce} ${index} B\n`), Buffer.from(section.stdout ?? ''), Buffer.from(`\n${nonce} ${index} E ${section.exitCode}\n`));
    err.push(Buffer.from(`\n${nonce} ${index} B\n`), Buffer.from(section.stderr ?? ''), Buffer.from(`\n${nonce} ${index} E\n`));
  });
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
}

/** Emits a buffer in chunks of `size` bytes, so markers and characters are split across chunks. */
function emitChunked(emit: (chunk: Buffer) => void, data: Buffer, size: number): void {
  for (let at = 0; at < data.length; at += size) emit(data.subarray(at, at + size));
}

describe('ssh command runner', () => {
  it('collects stdout and stderr, decodes UTF-8 split across chunks, and reports the exit code', async () => {
    const bytes = Buffer.from('pkg\tversión ✓\n');
    const { session } = sessionWith((channel) => {
      channel.emit('data', bytes.subarray(0, 10)); // splits the two-byte "ó"
      channel.emit('data', bytes.subarray(10));
      channel.stderr.emit('data', Buffer.from('warning\n'));
      channel.emit('exit', 3);
      channel.emit('close');
    });
    const runner = createSshCommandRunner(session, { commandTimeoutMs: 1_000 });
    expect(await runner.run('dpkgPackages')).toEqual({ stdout: 'pkg\tversión ✓\n', stderr: 'warning\n', exitCode: 3 });
  });

  it('reports a null exit code when the remote command was killed by a signal', async () => {
    const { session } = sessionWith((channel) => {
      channel.emit('exit', null, 'KILL');
      channel.emit('close');
    });
    const runner = createSshCommandRunner(session, { commandTimeoutMs: 1_000 });
    expect((await runner.run('kernelRelease')).exitCode).toBeNull();
  });

  it('times a command out, asks the server to kill it and closes the channel', async () => {
    const { session, channels } = sessionWith(() => undefined);
    const runner = createSshCommandRunner(session, { commandTimeoutMs: 100 });
    const started = Date.now();
    const failure = await runner.run('dpkgPackages').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProbeFailure);
    expect(failure).toMatchObject({ status: 'TIMEOUT', message: 'dpkg-query did not finish within 100 ms' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(channels[0]?.signals).toEqual(['KILL']);
    expect(channels[0]?.closed).toBe(true);
  });

  it('stops reading when output exceeds the cap', async () => {
    const { session, channels } = sessionWith((channel) => {
      channel.emit('data', Buffer.alloc(600));
      channel.emit('data', Buffer.alloc(600));
    });
    const runner = createSshCommandRunner(session, { commandTimeoutMs: 1_000, maxOutputBytes: 1_000 });
    await expect(runner.run('dpkgPackages')).rejects.toMatchObject({ status: 'ERROR', message: 'dpkg-query wrote more than 1000 bytes' });
    expect(channels[0]?.closed).toBe(true);
  });

  it('closes the session once and runs nothing after close', async () => {
    const { session, channels, ends } = sessionWith((channel) => channel.emit('close'));
    const runner = createSshCommandRunner(session, { commandTimeoutMs: 1_000 });
    await Promise.all([runner.close(), runner.close()]);
    expect(ends()).toBe(1);
    await expect(runner.run('kernelRelease')).rejects.toThrow(/already closed/);
    expect(channels).toHaveLength(0);
  });
});

describe('ssh command runner: batches', () => {
  it('runs the batch as one exec and splits stdout, stderr and the exit status back per command, byte for byte', async () => {
    const sections: Section[] = [
      { stdout: 'pkg\tversión ✓\n', stderr: 'warning\n', exitCode: 0 },
      { stdout: 'no final newline', exitCode: 0 },
      { stdout: '', stderr: "bash: line 1: rpm: command not found\n", exitCode: 127 },
      { stdout: '\n\n', stderr: 'partial', exitCode: 1 },
    ];
    const { session, channels, commands } = sessionWith((channel) => {
      const { nonce, count } = scriptOf(channel);
      expect(count).toBe(4);
      const { stdout, stderr } = framed(nonce, sections);
      // Login-shell noise before the first marker, and 7-byte chunks that split markers and "ó".
      channel.emit('data', Buffer.from('Welcome!\n'));
      emitChunked((chunk) => channel.emit('data', chunk), stdout, 7);
      emitChunked((chunk) => channel.stderr.emit('data', chunk), stderr, 5);
      channel.emit('exit', 0);
      channel.emit('close');
    });
    const runner = createSshCommandRunner(session, { commandTimeoutMs: 1_000 });
    const outcomes = await runner.runBatch?.([{ name: 'dpkgPackages' }, { name: 'kernelRelease' }, { name: 'rpmPackages' }, { name: 'diskFree', options: { sudo: true } }]);
    expect(commands).toEqual([BATCH_SHELL]);
    expect(channels).toHaveLength(1);
    expect(outcomes).toEqual([
      { ok: true, output: { stdout: 'pkg\tversión ✓\n', stderr: 'warning\n', exitCode: 0 } },
      { ok: true, output: { stdout: 'no final newline', stderr: '', exitCode: 0 } },
      { ok: true, output: { stdout: '', stderr: 'bash: line 1: rpm: command not found\n', exitCode: 127 } },
      { ok: true, output: { stdout: '\n\n', stderr: 'partial', exitCode: 1 } },
    ]);
  });

  it('keeps what finished by the deadline: the running command and those after it are TIMEOUT, and the shell is killed', async () => {
    const { session, channels } = sessionWith((channel) => {
      const { nonce } = scriptOf(channel);
      const { stdout, stderr } = framed(nonce, [{ stdout: '6.1.0\n', exitCode: 0 }, { stdout: 'x86_64\n', exitCode: 0 }]);
      channel.emit('data', stdout);
      channel.stderr.emit('data', stderr);
      // The third command starts and never finishes.
      channel.emit('data', Buffer.from(`\n${nonce} 2 B\npartial output`));
    });
    const runner = createSshCommandRunner(session, { commandTimeoutMs: 100 });
    const started = Date.now();
    const outcomes = await runner.runBatch?.([{ name: 'kernelRelease' }, { name: 'machineArch' }, { name: 'diskFree' }, { name: 'memInfo' }]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(outcomes?.slice(0, 2)).toEqual([
      { ok: true, output: { stdout: '6.1.0\n', stderr: '', exitCode: 0 } },
      { ok: true, output: { stdout: 'x86_64\n', stderr: '', exitCode: 0 } },
    ]);
    expect(outcomes?.[2]).toMatchObject({ ok: false, failure: { status: 'TIMEOUT', message: "df did not finish within 100 ms (the deadline of the probe's command batch)" } });
    expect(outcomes?.[3]).toMatchObject({ ok: false, failure: { status: 'TIMEOUT', message: "cat did not start: the probe's command batch passed its 100 ms deadline while df ran" } });
    expect(outcomes?.[2]).toMatchObject({ failure: expect.any(ProbeFailure) });
    expect(channels[0]?.signals).toEqual(['KILL']);
    expect(channels[0]?.closed).toBe(true);
  });

  it('times out a batch whose session never opens (a host that hangs after authentication), and closes a channel that opens late', async () => {
    let opened: (channel: ExecChannel) => void = () => undefined;
    const late = new FakeChannel();
    const session: SshSession = {
      exec: () => new Promise((resolve) => (opened = resolve)),
      end: async () => undefined,
    };
    const runner = createSshCommandRunner(session, { commandTimeoutMs: 100 });
    const started = Date.now();
    const failure = await runner.runBatch?.([{ name: 'uptime' }]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProbeFailure);
    expect(failure).toMatchObject({ status: 'TIMEOUT', message: "the host accepted the probe's login but did not open its session within 100 ms (hangs after authentication)" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    opened(late);
    await new Promise((resolve) => setImmediate(resolve));
    expect(late.closed).toBe(true);
  });

  it('says the host dropped the connection when the batch channel closes with the connection gone', async () => {
    const dropped = sessionWith((channel) => {
      const { nonce } = scriptOf(channel);
      const { stdout, stderr } = framed(nonce, [{ stdout: '0\n', exitCode: 0 }]);
      channel.emit('data', stdout);
      channel.stderr.emit('data', stderr);
      channel.emit('close');
    });
    const outcomes = await createSshCommandRunner({ ...dropped.session, lost: () => true }, { commandTimeoutMs: 1_000 }).runBatch?.([{ name: 'effectiveUid' }, { name: 'uptime' }]);
    expect(outcomes?.[0]).toEqual({ ok: true, output: { stdout: '0\n', stderr: '', exitCode: 0 } });
    expect(outcomes?.[1]).toMatchObject({ ok: false, failure: { status: 'ERROR', message: "cat did not run: the probe's command batch ended early (the host dropped the connection mid-command)" } });
  });

  it('reports commands the batch never reached when the remote shell ends early, and output over the cap', async () => {
    const early = sessionWith((channel) => {
      const { nonce } = scriptOf(channel);
      const { stdout, stderr } = framed(nonce, [{ stdout: '0\n', exitCode: 0 }]);
      channel.emit('data', stdout);
      channel.stderr.emit('data', stderr);
      channel.emit('exit', null, 'KILL');
      channel.emit('close');
    });
    const outcomes = await createSshCommandRunner(early.session, { commandTimeoutMs: 1_000 }).runBatch?.([{ name: 'effectiveUid' }, { name: 'uptime' }]);
    expect(outcomes?.[0]).toEqual({ ok: true, output: { stdout: '0\n', stderr: '', exitCode: 0 } });
    expect(outcomes?.[1]).toMatchObject({ ok: false, failure: { status: 'ERROR', message: "cat did not run: the probe's command batch ended early (the remote shell was killed or the connection closed)" } });

    const flood = sessionWith((channel) => {
      const { nonce } = scriptOf(channel);
      channel.emit('data', Buffer.from(`\n${nonce} 0 B\n`));
      channel.emit('data', Buffer.alloc(600));
      channel.emit('data', Buffer.alloc(600));
    });
    const flooded = await createSshCommandRunner(flood.session, { commandTimeoutMs: 1_000, maxOutputBytes: 1_000 }).runBatch?.([{ name: 'dpkgPackages' }, { name: 'uptime' }]);
    expect(flooded?.map((outcome) => (outcome.ok ? 'ok' : outcome.failure.message))).toEqual([
      'dpkg-query wrote more than 1000 bytes',
      "cat did not run: the probe's command batch wrote more than 1000 bytes",
    ]);
    expect(flood.channels[0]?.closed).toBe(true);
  });

  it('runs no batch after close, and an empty batch execs nothing', async () => {
    const { session, channels } = sessionWith((channel) => channel.emit('close'));
    const runner = createSshCommandRunner(session, { commandTimeoutMs: 1_000 });
    await expect(runner.runBatch?.([])).resolves.toEqual([]);
    await runner.close();
    await expect(runner.runBatch?.([{ name: 'kernelRelease' }])).rejects.toThrow(/already closed/);
    expect(channels).toHaveLength(0);
  });
});

describe('local command runner', () => {
  it('reports a missing program as exit 127, like a shell, so detection moves on', async () => {
    // This test machine is Debian: rpm and apk are not installed.
    const runner = createLocalRunner({ commandTimeoutMs: 5_000 });
    expect(await runner.run('apkPackages')).toEqual({ stdout: '', stderr: 'apk: command not found', exitCode: 127 });
    await runner.close();
  });

  it('kills a command that outlives its timeout and reports TIMEOUT', async () => {
    const runner = createLocalRunner({ commandTimeoutMs: 1 });
    await expect(runner.run('dpkgPackages')).rejects.toMatchObject({ status: 'TIMEOUT' });
    await runner.close();
  });

  it('reports output over the cap as an error', async () => {
    const runner = createLocalRunner({ commandTimeoutMs: 5_000, maxOutputBytes: 100 });
    await expect(runner.run('dpkgPackages')).rejects.toMatchObject({ status: 'ERROR', message: 'dpkg-query wrote more than 100 bytes' });
    await runner.close();
  });
});
