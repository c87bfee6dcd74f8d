import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  ALLOWED_COMMAND_NAMES,
  ALLOWED_COMMANDS,
  FORBIDDEN_PATTERNS,
  argvFor,
  isAllowedCommandName,
  renderShellCommand,
  shellCommandFor,
  type AllowedCommandName,
} from '../src/sources/probe/allowlist.js';
import { createLocalRunner } from '../src/sources/probe/local-transport.js';
import { createSshCommandRunner, type ExecChannel, type SshSession } from '../src/sources/probe/ssh-transport.js';
import type { CommandRunner } from '../src/sources/probe/transport.js';

const allCommands = Object.entries(ALLOWED_COMMANDS);

describe('the allow-list', () => {
  it('is a frozen table of fixed argv arrays', () => {
    expect(allCommands.length).toBeGreaterThan(0);
    expect(Object.isFrozen(ALLOWED_COMMANDS)).toBe(true);
    expect(ALLOWED_COMMAND_NAMES).toEqual(Object.keys(ALLOWED_COMMANDS));
    for (const [name, argv] of allCommands) {
      expect(Object.isFrozen(argv), name).toBe(true);
      expect(() => Reflect.apply(Array.prototype.push, argv, ['--extra']), name).toThrow(TypeError);
      expect(Reflect.set(argv, 0, 'rm'), name).toBe(false);
      // A bare program name: no path tricks, no shell syntax, resolved through the remote PATH.
      expect(argv[0], name).toMatch(/^[a-z][a-z0-9-]*$/);
      for (const word of argv) {
        expect(typeof word, name).toBe('string');
        expect(word.length, name).toBeGreaterThan(0);
        // Real control characters would be a sign of an argument assembled at runtime.
        expect([...word].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f), name).toBe(false);
      }
    }
  });

  it('has no command touching what the privacy charter forbids', () => {
    for (const [name, argv] of allCommands) {
      for (const word of [...argv, argv.join(' '), renderShellCommand(argv)]) {
        for (const { pattern, reason } of FORBIDDEN_PATTERNS) {
          expect(pattern.test(word), `${name}: "${word}" matches ${pattern} (${reason})`).toBe(false);
        }
      }
    }
  });

  it('has forbidden patterns that do catch what the charter names', () => {
    const offenders = [
      ['cat', '/root/.bash_history'],
      ['cat', '/home/a/.local/share/fish/fish_history'],
      ['cat', '/proc/1/cmdline'],
      ['cat', '/proc/self/environ'],
      ['ps', 'auxww'],
      ['tail', '/var/log/auth.log'],
      ['journalctl', '-n', '100'],
      ['cat', '/etc/shadow'],
      ['cat', '/etc/gshadow'],
      ['cat', '/root/.ssh/id_ed25519'],
      ['sh', '-c', 'id'],
      ['env'],
    ];
    for (const argv of offenders) {
      const caught = argv.some((word) => FORBIDDEN_PATTERNS.some(({ pattern }) => pattern.test(word)));
      expect(caught, argv.join(' ')).toBe(true);
    }
  });

  it('checks names at runtime, not only at compile time', () => {
    expect(isAllowedCommandName('kernelRelease')).toBe(true);
    for (const hostile of ['cat /etc/shadow', 'constructor', '__proto__', 'toString', 'hasOwnProperty', '', 'KERNELRELEASE']) {
      expect(isAllowedCommandName(hostile), hostile).toBe(false);
      expect(() => argvFor(launder(hostile)), hostile).toThrow(/not on the probe allow-list/);
    }
  });
});

/** What a caller would have to do to smuggle a string past the type system. */
function launder(value: string): AllowedCommandName {
  return value as AllowedCommandName;
}

describe('renderShellCommand', () => {
  const canaryDir = mkdtempSync(join(tmpdir(), 'vigil-quote-'));
  const canary = join(canaryDir, 'pwned');
  afterAll(() => rmSync(canaryDir, { recursive: true, force: true }));

  const hostile = [
    "it's",
    "'",
    "''",
    '',
    ' ',
    '$(touch ' + canary + ')',
    '`touch ' + canary + '`',
    '; touch ' + canary,
    '&& touch ' + canary + ' #',
    '| touch ' + canary,
    '$HOME ${PATH} $0 $@ $*',
    '*',
    '~',
    '~root',
    '-n',
    '--',
    '\\',
    '\\\\n',
    '"double" "quotes"',
    "mixed 'single' and \"double\"",
    'line\nbreak',
    'tab\there',
    '!!',
    '{a,b}',
    '>' + canary,
    'ünïcødé ✓',
    "a'b'c'd",
    '-f=${Package}\\t${Version}\\n',
  ];

  it('passes every hostile argument through /bin/sh byte for byte, executing nothing', () => {
    // printf '%s\0' prints each argument as the shell parsed it, NUL-separated so newlines survive.
    const line = `printf '%s\\0' ${renderShellCommand(hostile)}`;
    const output = execFileSync('/bin/sh', ['-c', line], { encoding: 'utf8', cwd: canaryDir });
    expect(output.split('\0').slice(0, -1)).toEqual(hostile);
    expect(existsSync(canary)).toBe(false);
  });

  it('renders each allow-listed command so the shell sees exactly its argv', () => {
    for (const name of ALLOWED_COMMAND_NAMES) {
      const output = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${shellCommandFor(name)}`], { encoding: 'utf8' });
      expect(output.split('\0').slice(0, -1), name).toEqual([...ALLOWED_COMMANDS[name]]);
    }
  });

  it('quotes with single quotes only and refuses what no argv can carry', () => {
    expect(renderShellCommand(['uname', '-r'])).toBe("'uname' '-r'");
    expect(renderShellCommand(["it's"])).toBe("'it'\\''s'");
    expect(() => renderShellCommand(['a\0b'])).toThrow(/NUL/);
    expect(() => renderShellCommand([])).toThrow(/empty/);
  });
});

/** An ssh2-like session that records what it was asked to exec and never opens anything itself. */
function recordingSession() {
  const executed: string[] = [];
  const session: SshSession = {
    async exec(command) {
      executed.push(command);
      const channel = Object.assign(new EventEmitter(), { stderr: new EventEmitter(), signal: () => undefined, close: () => undefined });
      setImmediate(() => {
        channel.emit('data', Buffer.from('ok\n'));
        channel.emit('exit', 0);
        channel.emit('close');
      });
      const port: ExecChannel = channel;
      return port;
    },
    end: async () => undefined,
  };
  return { session, executed };
}

describe('transports run names from the list, nothing else', () => {
  it('types the runner parameter as AllowedCommandName', () => {
    expectTypeOf<Parameters<CommandRunner['run']>[0]>().toEqualTypeOf<AllowedCommandName>();
    const runner = createSshCommandRunner(recordingSession().session, { commandTimeoutMs: 1_000 });
    // @ts-expect-error a command line is not a command name: this line must not compile
    void runner.run('cat /etc/shadow').catch(() => undefined);
  });

  it('ssh: sends exactly the rendered allow-listed command and refuses anything else before exec', async () => {
    const { session, executed } = recordingSession();
    const runner = createSshCommandRunner(session, { commandTimeoutMs: 1_000 });
    await expect(runner.run('kernelRelease')).resolves.toEqual({ stdout: 'ok\n', stderr: '', exitCode: 0 });
    expect(executed).toEqual(["'uname' '-r'"]);

    for (const hostile of ['cat /etc/shadow', "uname -r; cat /etc/shadow", 'constructor', '__proto__']) {
      await expect(runner.run(launder(hostile))).rejects.toThrow(/not on the probe allow-list/);
    }
    expect(executed).toEqual(["'uname' '-r'"]);
  });

  it('local: refuses names off the list too', async () => {
    const runner = createLocalRunner({ commandTimeoutMs: 5_000 });
    await expect(runner.run(launder('cat /etc/shadow'))).rejects.toThrow(/not on the probe allow-list/);
    const uname = await runner.run('machineArch');
    expect(uname.exitCode).toBe(0);
    expect(uname.stdout.trim()).toBe(execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim());
    await runner.close();
  });
});
