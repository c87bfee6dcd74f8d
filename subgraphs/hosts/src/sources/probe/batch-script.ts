import { randomBytes } from 'node:crypto';
import { argvFor, renderShellCommand } from './allowlist.js';
import type { BatchCommand } from './transport.js';

/**
 * The batch protocol: every command of a probe in ONE exec on the probe's one SSH connection.
 *
 * The exec request is the constant `BATCH_SHELL` (whatever the remote user's login shell, it starts
 * `/bin/sh` reading a script from its standard input); the client then writes the script and closes
 * that input. The script is one line per command and nothing else:
 *
 *     printf '\n%s %d B\n' NONCE I; printf '\n%s %d B\n' NONCE I >&2; <argv> </dev/null; printf '\n%s %d E %d\n' NONCE I $?; printf '\n%s %d E\n' NONCE I >&2
 *
 * where `<argv>` is an allow-listed argv (with the `sudo -n` prefix when asked) rendered by
 * `renderShellCommand`, I its index and NONCE 128 random bits in hex, new for every batch. Everything
 * else is constant framing: no configuration, inventory or client value ever reaches the script.
 *
 * - Both streams get a begin marker before each command, because SSH carries stdout and stderr
 *   separately and each must be split on its own; stdout gets the exit status after it, stderr an end
 *   marker. Each marker starts with a newline of its own, so it is found even after output without a
 *   final newline; the parser strips exactly those framing newlines, so output comes back byte for byte.
 * - A command cannot forge a marker: it would need the nonce, which is in no argv or environment (the
 *   script arrives on the shell's stdin, not its command line).
 * - `</dev/null` keeps each command's stdin closed, and from reading the rest of the script.
 * - A program that is not installed is the shell's exit 127 in its own section; the next line runs
 *   regardless (no `set -e`), so one missing tool costs nothing else.
 * - A command killed by a signal reports 128+N, as the shell sees it (an exec per command reported null).
 * - Commands run one after another: a batch has one deadline for all of them (see createSshCommandRunner).
 */
export const BATCH_SHELL = 'exec /bin/sh -s';

const NONCE = /^[0-9a-f]{32}$/;

/** 128 random bits, hex: the markers of one batch. */
export function newBatchNonce(): string {
  return randomBytes(16).toString('hex');
}

/** The script line for command `index`; `command` is an already rendered allow-listed argv. */
function scriptLine(nonce: string, index: number, command: string): string {
  return (
    `printf '\\n%s %d B\\n' ${nonce} ${index}; printf '\\n%s %d B\\n' ${nonce} ${index} >&2; ` +
    `${command} </dev/null; ` +
    `printf '\\n%s %d E %d\\n' ${nonce} ${index} $?; printf '\\n%s %d E\\n' ${nonce} ${index} >&2\n`
  );
}

/**
 * The script for argv arrays the caller already resolved through `argvFor`. Exported for tests (which
 * run hostile argv through /bin/sh with it); transports use `batchScriptFor`, which takes names only.
 */
export function renderBatchScript(nonce: string, argvs: readonly (readonly string[])[]): string {
  if (!NONCE.test(nonce)) throw new Error('a batch nonce is 32 lowercase hex digits');
  return argvs.map((argv, index) => scriptLine(nonce, index, renderShellCommand(argv))).join('');
}

/** The batch script for allow-listed commands: refuses (CommandNotAllowedError) any name off the list. */
export function batchScriptFor(nonce: string, commands: readonly BatchCommand[]): string {
  return renderBatchScript(
    nonce,
    commands.map(({ name, options }) => argvFor(name, options)),
  );
}

/** One command's section of a batch's output. */
export interface BatchSection {
  /** Whether the begin marker arrived on stdout: the command was started. */
  started: boolean;
  /** null until both the exit status (stdout) and the end marker (stderr) arrived. */
  result: { stdout: string; stderr: string; exitCode: number } | null;
}

/**
 * Splits a batch's stdout and stderr back into `count` sections. Bytes outside the sections (a login
 * shell's startup noise) are ignored. A section missing either end (the batch was cut short) has a
 * null result, and so has every section after it.
 */
export function parseBatchOutput(nonce: string, count: number, stdout: Buffer, stderr: Buffer): BatchSection[] {
  const out = splitStream(nonce, count, stdout, true);
  const err = splitStream(nonce, count, stderr, false);
  const sections: BatchSection[] = [];
  let complete = true;
  for (let index = 0; index < count; index++) {
    const o = out[index];
    const e = err[index];
    let result: BatchSection['result'] = null;
    if (complete && o?.content !== undefined && o.exitCode !== undefined && e?.content !== undefined) {
      result = { stdout: o.content.toString('utf8'), stderr: e.content.toString('utf8'), exitCode: o.exitCode };
    }
    complete = result !== null;
    sections.push({ started: o !== undefined, result });
  }
  return sections;
}

interface StreamSection {
  /** Set once the end marker was found. */
  content?: Buffer;
  /** stdout only. */
  exitCode?: number;
}

/** Sections of one stream, in order, up to the first incomplete one (included, without content). */
function splitStream(nonce: string, count: number, data: Buffer, withStatus: boolean): StreamSection[] {
  const sections: StreamSection[] = [];
  let position = 0;
  for (let index = 0; index < count; index++) {
    const begin = Buffer.from(`\n${nonce} ${index} B\n`);
    const beginAt = data.indexOf(begin, position);
    if (beginAt === -1) break;
    const start = beginAt + begin.length;
    const end = Buffer.from(withStatus ? `\n${nonce} ${index} E ` : `\n${nonce} ${index} E\n`);
    const endAt = data.indexOf(end, start);
    if (endAt === -1) {
      sections.push({});
      break;
    }
    let after = endAt + end.length;
    let exitCode: number | undefined;
    if (withStatus) {
      const newline = data.indexOf(0x0a, after);
      const status = newline === -1 ? null : /^\d{1,3}$/.exec(data.subarray(after, newline).toString('latin1'));
      if (newline === -1 || status === null) {
        sections.push({});
        break;
      }
      exitCode = Number(status[0]);
      after = newline + 1;
    }
    sections.push({ content: data.subarray(start, endAt), ...(exitCode === undefined ? {} : { exitCode }) });
    position = after;
  }
  return sections;
}
