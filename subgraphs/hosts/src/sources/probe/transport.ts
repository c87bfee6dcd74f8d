import type { AllowedCommandName, RunOptions } from './allowlist.js';

export interface CommandOutput {
  stdout: string;
  stderr: string;
  /** null when the command was ended by a signal. */
  exitCode: number | null;
}

/**
 * Runs allow-listed commands on one host over one connection. The parameter is a command name, never
 * a command line: that is what keeps client input away from every shell. The only option is whether
 * the fixed `sudo -n` prefix goes in front (see allowlist.ts).
 */
export interface CommandRunner {
  run(name: AllowedCommandName, options?: RunOptions): Promise<CommandOutput>;
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

/** Far above a real package list (about 50 KB for 700 dpkg packages), low enough to bound memory. */
export const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;
