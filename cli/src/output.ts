/** Where commands write: results to stdout (one line each, or JSON lines), notes to stderr. */
export interface Output {
  json: boolean;
  /** A result: `text` as a line, or `value` as one JSON line with --json. */
  result(text: string, value: unknown): void;
  /** Progress and notices, never mixed into results. */
  note(text: string): void;
  /** True when stderr is a terminal (progress bars then; plain lines otherwise). */
  interactive: boolean;
  stderr: NodeJS.WritableStream;
}

export function processOutput(json: boolean): Output {
  return {
    json,
    result: (text, value) => process.stdout.write(`${json ? JSON.stringify(value) : text}\n`),
    note: (text) => process.stderr.write(`vigil: ${text}\n`),
    interactive: Boolean(process.stderr.isTTY),
    stderr: process.stderr,
  };
}

/** Columns padded to the widest cell, for small tables (hosts, controls). */
export function columns(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '));
}
