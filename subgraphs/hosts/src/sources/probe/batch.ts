import type { AllowedCommandName, RunOptions } from './allowlist.js';
import type { CommandOutput, CommandRunner } from './transport.js';

/**
 * Channels a probe keeps open at once on its one connection. OpenSSH allows 10 sessions per connection
 * (MaxSessions); 4 overlaps the round trips of a probe's ~20 commands without crowding a host that
 * lowered that limit, or starting many processes at once on a small one.
 * @default 4
 */
export const DEFAULT_PROBE_CONCURRENCY = 4;

/**
 * The commands of one probe, on one runner: at most `concurrency` running at a time, and each command
 * (with or without sudo) run at most once, however many collectors ask for it (df and /proc/meminfo
 * serve two collectors each).
 */
export interface CommandBatch {
  run(name: AllowedCommandName, options: RunOptions): Promise<CommandOutput>;
  /** What was asked of the runner so far, in order, e.g. `sudo:diskFree`, for tests and logs. */
  started(): readonly string[];
}

export function createCommandBatch(runner: CommandRunner, concurrency = DEFAULT_PROBE_CONCURRENCY): CommandBatch {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('probe concurrency must be a positive integer');
  const results = new Map<string, Promise<CommandOutput>>();
  const started: string[] = [];
  const waiting: (() => void)[] = [];
  let running = 0;

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
    run(name, options) {
      const key = `${options.sudo === true ? 'sudo:' : ''}${name}`;
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
  };
}
