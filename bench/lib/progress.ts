/** Progress lines on stderr, so stdout carries only the result tables. */
export type Progress = (message: string) => void;

export function progress(prefix: string): Progress {
  const started = performance.now();
  return (message) => {
    const elapsed = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
    process.stderr.write(`[${elapsed}s] ${prefix}: ${message}\n`);
  };
}
