import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createLocalRunner } from '../src/sources/probe/local-transport.js';
import { ProbeFailure } from '../src/sources/probe/probe-failure.js';
import { createSshCommandRunner, type ExecChannel, type SshSession } from '../src/sources/probe/ssh-transport.js';

/** A scripted exec channel: what a real sshd sends is replayed by `script` once exec returns. */
class FakeChannel extends EventEmitter {
  readonly stderr = new EventEmitter();
  readonly signals: string[] = [];
  closed = false;
  signal(name: string): void {
    this.signals.push(name);
  }
  close(): void {
    this.closed = true;
  }
}

function sessionWith(script: (channel: FakeChannel) => void) {
  const channels: FakeChannel[] = [];
  let ends = 0;
  const session: SshSession = {
    async exec() {
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
  return { session, channels, ends: () => ends };
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
