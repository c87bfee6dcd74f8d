import type { ChildProcess } from 'node:child_process';

/**
 * Ends a server started by a test: SIGTERM, then resolves once it has exited (at once if it already
 * has, by an exit code or a signal — a process killed by a signal has no exit code).
 */
export function terminate(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
