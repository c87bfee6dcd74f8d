import type { AllowedCommandName, RunOptions } from './allowlist.js';
import type { BatchCommand, BatchOutcome, CommandOutput, CommandRunner } from './transport.js';

/**
 * Commands a probe runs at once with `run`, one process or channel each: on the local machine, and
 * over SSH for a command outside the probe's batch (see `prefetch`). OpenSSH allows 10 sessions per
 * connection (MaxSessions); 4 overlaps a probe's commands without crowding a host that lowered that
 * limit, or starting many processes at once on a small one.
 * @default 4
 */
export const DEFAULT_PROBE_CONCURRENCY = 4;

/**
 * The commands of one probe, on one runner: each command (with or without sudo) run at most once,
 * however many collectors ask for it (df and /proc/meminfo serve two collectors each).
 */
export interface CommandBatch {
  run(name: AllowedCommandName, options: RunOptions): Promise<CommandOutput>;
  /**
   * Starts these commands now as ONE `runBatch` of the runner, when it has one; `run` then answers
   * them from it. Commands already asked for are left out. Without `runBatch` (the local runner) this
   * does nothing and `run` starts each command when asked, at most `concurrency` at a time.
   */
  prefetch(commands: readonly BatchCommand[]): void;
  /** What was asked of the runner so far, in order, e.g. `sudo:diskFree`, for tests and logs. */
  started(): readonly string[];
  /**
   * Why a prefetched `runBatch` failed as a whole (its session never opened), once it has; null
   * otherwise. Then no command of the probe ran: a failure of the host, not of one collector.
   */
  failure(): unknown;
}

const keyOf = (name: AllowedCommandName, options: RunOptions | undefined) => `${options?.sudo === true ? 'sudo:' : ''}${name}`;

export function createCommandBatch(runner: CommandRunner, concurrency = DEFAULT_PROBE_CONCURRENCY): CommandBatch {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('probe concurrency must be a positive integer');
  const results = new Map<string, Promise<CommandOutput>>();
  const started: string[] = [];
  const waiting: (() => void)[] = [];
  let running = 0;
  let batchFailure: unknown = null;

  const slot = async (): Promise<void> => {
    if (running < concurrency) {
      running++;
      return;
    }
    // The finishing command hands its slot straight to the next in line, so `running` never dips.
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = () => {
    const next = waiting.shift();
    if (next === undefined) running--;
    else next();
  };

  return {
    prefetch(commands) {
      const runBatch = runner.runBatch?.bind(runner);
      if (runBatch === undefined) return;
      const fresh = new Map<string, BatchCommand>();
      for (const command of commands) {
        const key = keyOf(command.name, command.options);
        if (!results.has(key)) fresh.set(key, command);
      }
      if (fresh.size === 0) return;
      let outcomes: Promise<BatchOutcome[]>;
      try {
        outcomes = runBatch([...fresh.values()]);
      } catch (error) {
        outcomes = Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      outcomes.catch((error: unknown) => {
        batchFailure ??= error;
      });
      [...fresh.keys()].forEach((key, index) => {
        started.push(key);
        const result = outcomes.then((all) => {
          const outcome = all[index];
          if (outcome === undefined) throw new Error(`the command batch returned no outcome for ${key}`);
          if (!outcome.ok) throw outcome.failure;
          return outcome.output;
        });
        // A command run ahead may never be asked for (a fallback the host did not need): its failure
        // must not surface as an unhandled rejection. Whoever asks still gets the rejection.
        result.catch(() => undefined);
        results.set(key, result);
      });
    },
    run(name, options) {
      const key = keyOf(name, options);
      let result = results.get(key);
      if (result === undefined) {
        result = slot().then(async () => {
          started.push(key);
          try {
            return await runner.run(name, options);
          } finally {
            release();
          }
        });
        results.set(key, result);
      }
      return result;
    },
    started: () => [...started],
    failure: () => batchFailure,
  };
}
