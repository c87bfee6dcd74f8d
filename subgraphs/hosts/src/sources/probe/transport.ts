import type { AllowedCommandName, RunOptions } from './allowlist.js';
import type { ProbeFailure } from './probe-failure.js';

export interface CommandOutput {
  stdout: string;
  stderr: string;
  /** null when the command was ended by a signal. */
  exitCode: number | null;
}

/** One command of a batch: a name from the allow-list and, at most, the sudo option. */
export interface BatchCommand {
  readonly name: AllowedCommandName;
  readonly options?: RunOptions;
}

/** A batched command's output, or why it has none (TIMEOUT when the batch deadline cut it, else ERROR). */
export type BatchOutcome = { readonly ok: true; readonly output: CommandOutput } | { readonly ok: false; readonly failure: ProbeFailure };

/**
 * Runs allow-listed commands on one host over one connection. The parameter is a command name, never
 * a command line: that is what keeps client input away from every shell. The only option is whether
 * the fixed `sudo -n` prefix goes in front (see allowlist.ts).
 */
export interface CommandRunner {
  run(name: AllowedCommandName, options?: RunOptions): Promise<CommandOutput>;
  /**
   * Runs several commands in one round trip (the SSH runner: one exec, see batch-script.ts), one after
   * another, and returns one outcome per command in the order given. Throws, having run nothing, when a
   * name is off the list or the batch cannot start. Optional: a runner without it (the local one) runs
   * each command with `run`.
   */
  runBatch?(commands: readonly BatchCommand[]): Promise<BatchOutcome[]>;
  close(): Promise<void>;
}

/**
 * What a collector is given: names only, no options. Whether a collector runs with sudo is the
 * operator's decision, applied by the probe, never the collector's own.
 */
export interface CommandSource {
  run(name: AllowedCommandName): Promise<CommandOutput>;
}

/** POSIX shells exit 127 for "command not found"; the local transport reports ENOENT the same way. */
export const COMMAND_NOT_FOUND = 127;

/**
 * Per command, and for a whole SSH batch together: far above a real package list (about 50 KB for 700
 * dpkg packages) or a whole probe's output (about 150 KB), low enough to bound memory.
 */
export const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;
