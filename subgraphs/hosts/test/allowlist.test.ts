import type * as childProcess from 'node:child_process';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { afterAll, afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import {
  ALLOWED_COMMAND_NAMES,
  ALLOWED_COMMANDS,
  FORBIDDEN_PATTERNS,
  SUDO_PREFIX,
  argvFor,
  isAllowedCommandName,
  renderShellCommand,
  shellCommandFor,
  type AllowedCommandName,
  type RunOptions,
} from '../src/sources/probe/allowlist.js';
import { BATCH_SHELL, batchScriptFor, newBatchNonce, parseBatchOutput, renderBatchScript } from '../src/sources/probe/batch-script.js';
import { createLocalRunner } from '../src/sources/probe/local-transport.js';
import { createSshCommandRunner, type ExecChannel, type SshSession } from '../src/sources/probe/ssh-transport.js';
import type { BatchCommand, CommandRunner } from '../src/sources/probe/transport.js';

/**
 * Every process the local transport starts goes through execFile; this records each one and, while
 * `fake` is set, answers without starting anything, so every allow-listed command can be "run" with
 * and without sudo in a test. Otherwise it passes through to the real execFile.
 */
const spawned = vi.hoisted(() => ({ calls: [] as string[][], fake: false }));
vi.mock('node:child_process', async (importOriginal) => {
  const actual = await importOriginal<typeof childProcess>();
  type Callback = (error: Error | null, stdout: string, stderr: string) => void;
  return {
    ...actual,
    execFile(file: string, args: readonly string[], options: object, callback: Callback): unknown {
      spawned.calls.push([file, ...args]);
      if (!spawned.fake) return Reflect.apply(actual.execFile, undefined, [file, args, options, callback]);
      setImmediate(() => callback(null, 'ok\n', ''));
      return Object.assign(new EventEmitter(), { kill: () => true });
    },
  };
});
afterEach(() => {
  spawned.calls.length = 0;
  spawned.fake = false;
});

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

  it('never contains sudo: privilege is the fixed prefix applied by argvFor, which the charter would refuse as an argv', () => {
    expect([...SUDO_PREFIX]).toEqual(['sudo', '-n']);
    expect(Object.isFrozen(SUDO_PREFIX)).toBe(true);
    expect(FORBIDDEN_PATTERNS.some(({ pattern }) => pattern.test(SUDO_PREFIX[0]))).toBe(true);
    for (const [name, argv] of allCommands) {
      expect(argv.some((word) => /sudo|doas|pkexec|\bsu\b/.test(word)), name).toBe(false);
    }
  });

  it('puts exactly SUDO_PREFIX in front of the allow-listed argv, and only for sudo: true', () => {
    for (const name of ALLOWED_COMMAND_NAMES) {
      const argv = ALLOWED_COMMANDS[name];
      expect(argvFor(name)).toBe(argv);
      expect(argvFor(name, {})).toBe(argv);
      expect(argvFor(name, { sudo: false })).toBe(argv);
      const privileged = argvFor(name, { sudo: true });
      expect(privileged, name).toEqual(['sudo', '-n', ...argv]);
      expect(Object.isFrozen(privileged)).toBe(true);
      const output = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${shellCommandFor(name, { sudo: true })}`], { encoding: 'utf8' });
      expect(output.split('\0').slice(0, -1), name).toEqual(['sudo', '-n', ...argv]);
    }
  });

  it('refuses run options that are not a plain sudo boolean, and ignores an inherited sudo', () => {
    for (const hostile of [{ sudo: 'true' }, { sudo: 1 }, { sudo: ['sudo', '-u', 'root'] }, null, 'sudo', 1]) {
      expect(() => argvFor('kernelRelease', launderOptions(hostile)), JSON.stringify(hostile)).toThrow(/not on the probe allow-list/);
    }
    expect(argvFor('kernelRelease', launderOptions(Object.create({ sudo: true }) as object))).toEqual(['uname', '-r']);
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

/** The same for run options. */
function launderOptions(value: unknown): RunOptions {
  return value as RunOptions;
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
  /** What was written to each channel's stdin: the script, for a batch. */
  const inputs: string[] = [];
  const session: SshSession = {
    async exec(command) {
      executed.push(command);
      const channel = Object.assign(new EventEmitter(), {
        stderr: new EventEmitter(),
        signal: () => undefined,
        close: () => undefined,
        end: (data: string) => inputs.push(data),
      });
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
  return { session, executed, inputs };
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

/** The only argv either transport may ever start: each allow-listed argv, alone or after SUDO_PREFIX. */
const PERMITTED = new Set(ALLOWED_COMMAND_NAMES.flatMap((name) => [renderShellCommand(ALLOWED_COMMANDS[name]), renderShellCommand([...SUDO_PREFIX, ...ALLOWED_COMMANDS[name]])]));

const HOSTILE_NAMES = ['cat /etc/shadow', "uname -r; cat /etc/shadow", 'constructor', '__proto__', 'toString', '', 'sudo'];
const HOSTILE_OPTIONS: unknown[] = [{ sudo: 'yes' }, { sudo: 1 }, { sudo: ['-u', 'root'] }, null, 'sudo -i'];

describe('nothing outside ALLOWED_COMMANDS can be run, with or without the sudo prefix', () => {
  it('types: a runner takes an allow-listed name and at most { sudo?: boolean }', () => {
    expectTypeOf<Parameters<CommandRunner['run']>>().toEqualTypeOf<[name: AllowedCommandName, options?: RunOptions]>();
    expectTypeOf<RunOptions>().toEqualTypeOf<{ readonly sudo?: boolean }>();
    expectTypeOf<string>().not.toMatchTypeOf<AllowedCommandName>();
    const runner = createSshCommandRunner(recordingSession().session, { commandTimeoutMs: 1_000 });
    const never = (attempt: () => Promise<unknown>) => void attempt().catch(() => undefined);
    // Each line below must fail to compile: no command lines, no extra argv, no other prefix.
    // @ts-expect-error a command line is not a command name
    never(() => runner.run('sudo cat /etc/shadow', { sudo: true }));
    // @ts-expect-error sudo is a boolean, not a user or a command
    never(() => runner.run('kernelRelease', { sudo: 'root' }));
    // @ts-expect-error there is no way to pass extra arguments
    never(() => runner.run('kernelRelease', { sudo: true, argv: ['/etc/shadow'] }));
    // @ts-expect-error nor another privilege wrapper
    never(() => runner.run('kernelRelease', { prefix: ['doas'] }));
  });

  it('ssh: every name, with and without sudo, execs exactly its permitted command line; anything else execs nothing', async () => {
    const { session, executed } = recordingSession();
    const runner = createSshCommandRunner(session, { commandTimeoutMs: 1_000 });
    for (const name of ALLOWED_COMMAND_NAMES) {
      await runner.run(name);
      await runner.run(name, { sudo: true });
      // Extra keys do not reach the command line.
      await runner.run(name, launderOptions({ sudo: false, argv: ['/etc/shadow'] }));
    }
    expect(executed).toHaveLength(ALLOWED_COMMAND_NAMES.length * 3);
    expect(new Set(executed)).toEqual(PERMITTED);

    const before = executed.length;
    for (const hostile of HOSTILE_NAMES) {
      await expect(runner.run(launder(hostile))).rejects.toThrow(/not on the probe allow-list/);
      await expect(runner.run(launder(hostile), { sudo: true })).rejects.toThrow(/not on the probe allow-list/);
    }
    for (const options of HOSTILE_OPTIONS) {
      await expect(runner.run('kernelRelease', launderOptions(options))).rejects.toThrow(/not on the probe allow-list/);
    }
    expect(executed).toHaveLength(before);
  });

  it('local: every name, with and without sudo, starts exactly its permitted argv; anything else starts nothing', async () => {
    spawned.fake = true;
    const runner = createLocalRunner({ commandTimeoutMs: 1_000 });
    for (const name of ALLOWED_COMMAND_NAMES) {
      await runner.run(name);
      await runner.run(name, { sudo: true });
      await runner.run(name, launderOptions({ sudo: false, argv: ['/etc/shadow'] }));
    }
    expect(spawned.calls).toHaveLength(ALLOWED_COMMAND_NAMES.length * 3);
    expect(new Set(spawned.calls.map((argv) => renderShellCommand(argv)))).toEqual(PERMITTED);

    const before = spawned.calls.length;
    for (const hostile of HOSTILE_NAMES) {
      await expect(runner.run(launder(hostile))).rejects.toThrow(/not on the probe allow-list/);
      await expect(runner.run(launder(hostile), { sudo: true })).rejects.toThrow(/not on the probe allow-list/);
    }
    for (const options of HOSTILE_OPTIONS) {
      await expect(runner.run('kernelRelease', launderOptions(options))).rejects.toThrow(/not on the probe allow-list/);
    }
    expect(spawned.calls).toHaveLength(before);
    await runner.close();
  });
});

/**
 * The framing of one batch line, written out here by hand: the only shell code a probe sends besides
 * the rendered allow-listed argv. Any change to the framing in batch-script.ts must be made here too,
 * where review sees it.
 */
const framedLine = (nonce: string, index: number, command: string) =>
  `printf '\\n%s %d B\\n' ${nonce} ${index}; printf '\\n%s %d B\\n' ${nonce} ${index} >&2; ${command} </dev/null; ` +
  `printf '\\n%s %d E %d\\n' ${nonce} ${index} $?; printf '\\n%s %d E\\n' ${nonce} ${index} >&2`;

/** The same, as a pattern that takes a line apart: nonce, index, and the command between the framing. */
const FRAMED_LINE =
  /^printf '\\n%s %d B\\n' ([0-9a-f]{32}) (\d+); printf '\\n%s %d B\\n' \1 \2 >&2; (.+) <\/dev\/null; printf '\\n%s %d E %d\\n' \1 \2 \$\?; printf '\\n%s %d E\\n' \1 \2 >&2$/;

/** Every allow-listed command, without and with sudo: the largest batch there can be. */
const EVERY_COMMAND: BatchCommand[] = ALLOWED_COMMAND_NAMES.flatMap((name) => [{ name }, { name, options: { sudo: true } }]);

/** Runs a batch script as the remote side does (`/bin/sh -s`, the script on stdin), in `cwd`. */
function runScript(script: string, cwd?: string): { stdout: Buffer; stderr: Buffer; status: number | null } {
  const result = spawnSync('/bin/sh', ['-s'], { input: script, cwd, maxBuffer: 64 * 1024 * 1024 });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

describe('the batch script: constant framing around allow-listed commands, nothing else', () => {
  it('is exactly the hand-written framing around each rendered allow-listed argv, rebuilt here from the list', () => {
    const nonce = newBatchNonce();
    expect(nonce).toMatch(/^[0-9a-f]{32}$/);
    expect(newBatchNonce()).not.toBe(nonce);
    const script = batchScriptFor(nonce, EVERY_COMMAND);
    const expected = EVERY_COMMAND.map(({ name, options }, index) => `${framedLine(nonce, index, renderShellCommand(argvFor(name, options)))}\n`).join('');
    expect(script).toBe(expected);
  });

  it('takes apart into framing lines whose commands are all permitted, under the one nonce, in order', () => {
    const nonce = newBatchNonce();
    const lines = batchScriptFor(nonce, EVERY_COMMAND).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(EVERY_COMMAND.length);
    lines.forEach((line, index) => {
      const match = FRAMED_LINE.exec(line);
      expect(match, line).not.toBeNull();
      expect(match?.[1]).toBe(nonce);
      expect(match?.[2]).toBe(String(index));
      expect(PERMITTED.has(match?.[3] ?? ''), match?.[3]).toBe(true);
    });
  });

  it('refuses names and options off the list, and nonces that are not 128-bit hex', () => {
    const nonce = newBatchNonce();
    for (const hostile of HOSTILE_NAMES) {
      expect(() => batchScriptFor(nonce, [{ name: 'kernelRelease' }, { name: launder(hostile) }]), hostile).toThrow(/not on the probe allow-list/);
    }
    for (const options of HOSTILE_OPTIONS) {
      expect(() => batchScriptFor(nonce, [{ name: 'kernelRelease', options: launderOptions(options) }])).toThrow(/not on the probe allow-list/);
    }
    for (const bad of ['', 'x; rm -rf /', `${nonce}0`, nonce.toUpperCase(), '$(id)'.padEnd(32, '0')]) {
      expect(() => renderBatchScript(bad, [['uname', '-r']]), bad).toThrow(/nonce/);
    }
  });

  it('ssh: a batch execs only the constant BATCH_SHELL and writes a script of permitted commands; a bad name execs nothing', async () => {
    const { session, executed, inputs } = recordingSession();
    const runner = createSshCommandRunner(session, { commandTimeoutMs: 1_000 });
    await runner.runBatch?.(EVERY_COMMAND);
    expect(executed).toEqual([BATCH_SHELL]);
    expect(BATCH_SHELL).toBe('exec /bin/sh -s');
    expect(inputs).toHaveLength(1);
    const commands = (inputs[0] ?? '').split('\n').slice(0, -1).map((line) => FRAMED_LINE.exec(line)?.[3]);
    expect(commands).toEqual(EVERY_COMMAND.map(({ name, options }) => shellCommandFor(name, options)));

    for (const hostile of HOSTILE_NAMES) {
      await expect(runner.runBatch?.([{ name: 'kernelRelease' }, { name: launder(hostile) }])).rejects.toThrow(/not on the probe allow-list/);
    }
    for (const options of HOSTILE_OPTIONS) {
      await expect(runner.runBatch?.([{ name: 'kernelRelease', options: launderOptions(options) }])).rejects.toThrow(/not on the probe allow-list/);
    }
    expect(executed).toEqual([BATCH_SHELL]);
    expect(inputs).toHaveLength(1);
  });
});

describe('the batch script through /bin/sh', () => {
  const canaryDir = mkdtempSync(join(tmpdir(), 'vigil-batch-'));
  const canary = join(canaryDir, 'pwned');
  afterAll(() => rmSync(canaryDir, { recursive: true, force: true }));

  const hostile = [
    "it's",
    "'",
    '',
    `$(touch ${canary})`,
    `\`touch ${canary}\``,
    `; touch ${canary}`,
    `&& touch ${canary} #`,
    `| touch ${canary}`,
    `>${canary}`,
    '$HOME ${PATH} $? $0 $@',
    '*',
    '~',
    '\\',
    'line\nbreak',
    '\n',
    '</dev/null',
    "printf '\\n%s %d E %d\\n' 0 0 $?",
    '-f=${Package}\\t${Version}\\n',
    'ünïcødé ✓',
  ];

  it('passes hostile arguments byte for byte, executes nothing, and splits every section back exactly', () => {
    const nonce = newBatchNonce();
    const argvs = [
      ['printf', '%s\\0', ...hostile],
      // Output without a final newline, and output that is only newlines, come back as they are.
      ['printf', 'no newline'],
      ['printf', '\\n\\n'],
      ['true'],
      // stdin is /dev/null: cat ends at once instead of swallowing the rest of the script.
      ['cat'],
      // A program that is not installed: the shell's 127 in its own section, and the batch goes on.
      ['vigil-no-such-program'],
      ['sh', '-c', 'printf out; printf "err\\n" >&2; exit 3'],
      ['uname', '-m'],
    ];
    const { stdout, stderr, status } = runScript(renderBatchScript(nonce, argvs), canaryDir);
    expect(status).toBe(0);
    expect(existsSync(canary)).toBe(false);
    const sections = parseBatchOutput(nonce, argvs.length, stdout, stderr).map((section) => section.result);
    expect(sections[0]).toEqual({ stdout: hostile.map((word) => `${word}\0`).join(''), stderr: '', exitCode: 0 });
    expect(sections[1]).toEqual({ stdout: 'no newline', stderr: '', exitCode: 0 });
    expect(sections[2]).toEqual({ stdout: '\n\n', stderr: '', exitCode: 0 });
    expect(sections[3]).toEqual({ stdout: '', stderr: '', exitCode: 0 });
    expect(sections[4]).toEqual({ stdout: '', stderr: '', exitCode: 0 });
    expect(sections[5]).toMatchObject({ stdout: '', exitCode: 127 });
    expect(sections[5]?.stderr).toMatch(/vigil-no-such-program: (?:command )?not found\n$/);
    expect(sections[6]).toEqual({ stdout: 'out', stderr: 'err\n', exitCode: 3 });
    expect(sections[7]).toEqual({ stdout: `${execFileSync('uname', ['-m'], { encoding: 'utf8' })}`, stderr: '', exitCode: 0 });
  });

  it('runs every allow-listed command so the shell sees exactly its argv, sudo prefix included', () => {
    // printf in front of each argv prints the words the shell parsed instead of running them.
    const nonce = newBatchNonce();
    const argvs = EVERY_COMMAND.map(({ name, options }) => argvFor(name, options));
    const script = renderBatchScript(nonce, argvs.map((argv) => ['printf', '%s\\0', ...argv]));
    const { stdout, stderr } = runScript(script);
    const sections = parseBatchOutput(nonce, argvs.length, stdout, stderr);
    expect(sections.map((section) => section.result?.stdout.split('\0').slice(0, -1))).toEqual(argvs.map((argv) => [...argv]));
  });

  it('keeps the sections that finished when the output is cut short, and says which command had started', () => {
    const nonce = newBatchNonce();
    const { stdout, stderr } = runScript(renderBatchScript(nonce, [['printf', 'a'], ['printf', 'b'], ['printf', 'c']]));
    // Cut inside the second section's stdout: the first is whole, the second started, the third not.
    const cut = stdout.subarray(0, stdout.indexOf(Buffer.from(`\n${nonce} 1 E`)));
    const sections = parseBatchOutput(nonce, 3, cut, stderr);
    expect(sections).toEqual([
      { started: true, result: { stdout: 'a', stderr: '', exitCode: 0 } },
      { started: true, result: null },
      { started: false, result: null },
    ]);
    // Startup noise from a login shell, outside every section, is ignored; another nonce finds nothing.
    const noisy = Buffer.concat([Buffer.from('motd\nbashrc says hi'), stdout]);
    expect(parseBatchOutput(nonce, 3, noisy, Buffer.concat([Buffer.from('warning\n'), stderr])).map((s) => s.result?.stdout)).toEqual(['a', 'b', 'c']);
    expect(parseBatchOutput(newBatchNonce(), 3, stdout, stderr).every((section) => section.result === null && !section.started)).toBe(true);
  });
});
