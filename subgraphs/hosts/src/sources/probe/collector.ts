import { isRecord } from '@vigil/lib/is-record';
import { describeError } from '@vigil/lib/errors';
import type { CollectorStatus } from '../../facts/types.js';
import { ALLOWED_COMMANDS, CommandNotAllowedError, commandLabel, type AllowedCommandName, type RunOptions } from './allowlist.js';
import { ProbeFailure } from './probe-failure.js';
import { COMMAND_NOT_FOUND, type CommandOutput, type CommandSource } from './transport.js';

export type CollectorFailureStatus = Exclude<CollectorStatus, 'OK'>;

/**
 * Why a collector produced nothing. The message names the command and gives a short reason: at most
 * the first line of stderr, never command output beyond it, never secrets.
 */
export class CollectorFailure extends Error {
  readonly status: CollectorFailureStatus;

  constructor(status: CollectorFailureStatus, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'CollectorFailure';
    this.status = status;
  }
}

/** A parser's complaint about output it cannot read; the collector adds which command printed it. */
export class OutputFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputFormatError';
  }
}

/**
 * What a collector is given: allow-listed names, and whether the operator let it use `sudo -n` (which
 * the probe applies to every command the collector runs; the collector cannot choose).
 */
export interface CollectorContext extends CommandSource {
  readonly sudo: boolean;
}

/** Messages carry at most this much of a stderr line. */
const MAX_DETAIL = 200;

export function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.trim().slice(0, MAX_DETAIL);
}

/**
 * English messages for "not allowed": errno texts (EACCES, EPERM), sudo -n without a password rule,
 * iptables' own wording, and D-Bus/polkit refusals. Commands run in the remote user's locale, so a host
 * with a translated locale reports FAILED with the translated first line instead of DENIED.
 */
const DENIED =
  /permission denied|operation not permitted|a password is required|a terminal is required|not allowed to execute|not in the sudoers file|may not run sudo|you must be root|must be run as root|access denied/i;

/** sudo's own "no such program" (exit 1), as opposed to the shell's 127 for a missing sudo. */
const SUDO_COMMAND_NOT_FOUND = /^sudo: .*: command not found$/m;

/**
 * Classifies a finished command: null when it succeeded (exit 0), otherwise the failure. Exit 127 is
 * the shell's "command not found" (the local transport maps ENOENT to it): the tool is not installed,
 * UNSUPPORTED. Under sudo a 127 means sudo itself is missing, which is a privilege the operator asked
 * for and cannot have: DENIED.
 */
export function failureOf(name: AllowedCommandName, output: CommandOutput, options: RunOptions = {}): CollectorFailure | null {
  if (output.exitCode === 0) return null;
  const sudo = options.sudo === true;
  const label = commandLabel(name, options);
  const program = ALLOWED_COMMANDS[name][0];
  const detail = firstLine(output.stderr);
  const because = detail === '' ? '' : `: ${detail}`;
  if (output.exitCode === COMMAND_NOT_FOUND) {
    return sudo
      ? new CollectorFailure('DENIED', `${label}: sudo is not installed on the host`)
      : new CollectorFailure('UNSUPPORTED', `${program} is not installed on the host`);
  }
  if (sudo && SUDO_COMMAND_NOT_FOUND.test(output.stderr)) {
    return new CollectorFailure('UNSUPPORTED', `${program} is not installed on the host`);
  }
  if (DENIED.test(output.stderr)) return new CollectorFailure('DENIED', `${label} was denied${because}`);
  if (output.exitCode === null) return new CollectorFailure('FAILED', `${label} was killed by a signal`);
  return new CollectorFailure('FAILED', `${label} exited with ${output.exitCode}${because}`);
}

export type Attempt = { ok: true; output: CommandOutput } | { ok: false; output: CommandOutput; failure: CollectorFailure };

/** Runs a command and classifies it, for collectors that fall back to another command on failure. */
export async function attempt(context: CollectorContext, name: AllowedCommandName): Promise<Attempt> {
  const output = await context.run(name);
  const failure = failureOf(name, output, { sudo: context.sudo });
  return failure === null ? { ok: true, output } : { ok: false, output, failure };
}

/** The stdout of a command that must succeed; otherwise throws its classified CollectorFailure. */
export async function read(context: CollectorContext, name: AllowedCommandName): Promise<string> {
  const result = await attempt(context, name);
  if (!result.ok) throw result.failure;
  return result.output.stdout;
}

/** Applies a pure parser, turning its complaints into a FAILED outcome that names the command. */
export function parseOutput<I, T>(context: CollectorContext, name: AllowedCommandName, parse: (input: I) => T, input: I): T {
  try {
    return parse(input);
  } catch (error) {
    const reason = error instanceof OutputFormatError ? error.message : 'unexpected output';
    throw new CollectorFailure('FAILED', `could not parse the output of ${commandLabel(name, { sudo: context.sudo })}: ${reason}`, { cause: error });
  }
}

/**
 * JSON.parse without its error text: V8 quotes the input around the bad token, and a message must not
 * carry command output.
 */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new OutputFormatError('not valid JSON');
  }
}

/** Maps whatever a collector threw to its outcome. */
export function outcomeOfError(error: unknown): { status: CollectorFailureStatus; message: string } {
  if (error instanceof CollectorFailure) return { status: error.status, message: error.message };
  if (error instanceof ProbeFailure) return { status: error.status === 'TIMEOUT' ? 'TIMEOUT' : 'FAILED', message: error.message };
  if (error instanceof CommandNotAllowedError) return { status: 'FAILED', message: error.message };
  // A bug in a collector, not a property of the host; the detail is ours, not command output.
  return { status: 'FAILED', message: `unexpected collector error: ${describeError(error).slice(0, MAX_DETAIL)}` };
}

/** Splits text into lines without a trailing `\r`, dropping blank lines. */
export function lines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.trim() !== '');
}

/** A non-negative decimal integer, or null. */
export function integer(text: string | undefined): number | null {
  if (text === undefined || !/^\d+$/.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}

export { isRecord };

export function stringField(record: Record<string, unknown>, key: string): string | null {
  const value = record[key];
  return typeof value === 'string' ? value : null;
}

export function numberField(record: Record<string, unknown>, key: string): number | null {
  const value = record[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
