/**
 * Things a benchmark starts that must not outlive the runner (stack processes, redis-server,
 * sshd): stopped when the benchmark ends, killed from the runner's exit and signal handlers.
 */
export interface BenchResource {
  stop(): Promise<void>;
  /** Synchronous: called from process exit handlers, so it must send its signal before returning. */
  kill(): void;
}

export type Register = (resource: BenchResource) => void;

/**
 * A server from test/support (redis-server, sshd): their stop() sends SIGTERM synchronously, before
 * its first await, so calling it from an exit handler is enough to end the process.
 */
export function serverResource(server: { stop(): Promise<void> }): BenchResource {
  let stopped: Promise<void> | null = null;
  const stop = () => (stopped ??= server.stop().catch(() => undefined));
  return {
    stop,
    kill: () => {
      void stop();
    },
  };
}
