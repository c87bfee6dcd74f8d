/**
 * Waits `ms`, or less when `signal` aborts; never rejects, so a loop that retries with backoff ends
 * by checking `signal.aborted` after it. The abort listener is removed either way: loops that sleep
 * on one long-lived signal would otherwise pile listeners on it.
 */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
