import { execFile, type ChildProcess } from 'node:child_process';
import { describeError } from '@vigil/lib/errors';
import { argvFor, programLabel, type AllowedCommandName, type RunOptions } from './allowlist.js';
import { ProbeFailure } from './probe-failure.js';
import { COMMAND_NOT_FOUND, MAX_OUTPUT_BYTES, type CommandOutput, type CommandRunner } from './transport.js';

export interface LocalRunnerOptions {
  commandTimeoutMs: number;
  /** @default MAX_OUTPUT_BYTES */
  maxOutputBytes?: number;
}

/** Runs allow-listed commands on the machine Vigil runs on: execFile with the argv, never a shell. */
export function createLocalRunner(options: LocalRunnerOptions): CommandRunner {
  const maxOutputBytes = options.maxOutputBytes ?? MAX_OUTPUT_BYTES;
  const running = new Set<ChildProcess>();
  let closed = false;

  return {
    run(name: AllowedCommandName, runOptions?: RunOptions): Promise<CommandOutput> {
      return new Promise((resolve, reject) => {
        // Resolved first, so a name off the list is refused even by a closed runner.
        const [program, ...args] = argvFor(name, runOptions);
        const label = programLabel(name, runOptions);
        if (closed) return reject(new ProbeFailure('ERROR', 'the local runner is already closed'));
        const child = execFile(
          program,
          args,
          { timeout: options.commandTimeoutMs, killSignal: 'SIGKILL', maxBuffer: maxOutputBytes, encoding: 'utf8', windowsHide: true },
          (error, stdout, stderr) => {
            running.delete(child);
            if (closed) return reject(new ProbeFailure('ERROR', `${label} was stopped: the probe was closed`));
            if (error === null) return resolve({ stdout, stderr, exitCode: 0 });
            if (error.code === 'ENOENT') {
              return resolve({ stdout: '', stderr: `${program}: command not found`, exitCode: COMMAND_NOT_FOUND });
            }
            if (error.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
              return reject(new ProbeFailure('ERROR', `${label} wrote more than ${maxOutputBytes} bytes`));
            }
            // execFile reports its own timeout as a kill with killSignal; we never kill otherwise.
            if (error.killed === true) {
              return reject(
                new ProbeFailure('TIMEOUT', `${label} did not finish within ${options.commandTimeoutMs} ms`),
              );
            }
            if (typeof error.code === 'number') return resolve({ stdout, stderr, exitCode: error.code });
            if (error.signal != null) return resolve({ stdout, stderr, exitCode: null });
            reject(new ProbeFailure('ERROR', `${label} failed: ${describeError(error)}`, { cause: error }));
          },
        );
        running.add(child);
      });
    },

    async close(): Promise<void> {
      closed = true;
      for (const child of running) child.kill('SIGKILL');
      running.clear();
    },
  };
}
