import { gzipSync } from 'node:zlib';

/**
 * What Fluent Bit sends to VictoriaLogs when it ships the API server's audit log the way the Talos
 * audit-logging policy sets it up: `tail` of the log file, a JSON parser (each line becomes the record,
 * its keys and values as the API server wrote them), a `modify` filter adding keys (`stream`, and in
 * some setups `cluster`), and the `http` output with `Format json_lines`, `compress gzip` and
 * `Header AccountID/ProjectID`, to `/insert/jsonline` with the stream fields in the URI.
 *
 * Built from Fluent Bit's source (fluent/fluent-bit), so a test fills VictoriaLogs byte for byte as
 * Fluent Bit would, without running it:
 * - src/flb_pack.c, flb_pack_msgpack_to_json_format: each record is one JSON object per line, the date
 *   key first (`json_date_key`, default `date`), then the record's keys in order; the default
 *   `json_date_format double` is the record's timestamp as seconds, `%.16g` (`%.1f` for a whole
 *   second), a JSON number: microseconds survive (a double near 1.7e9 is exact to ~2.4e-7 s).
 * - The record's timestamp is what the parser took from its `Time_Key`, or, when the line has no such
 *   key (the stock `json` parser's `Time_Key time`: audit events have none), when the line was read.
 * - plugins/out_http/http.c: `Content-Type: application/x-ndjson`, `User-Agent: Fluent-Bit`,
 *   `Content-Encoding: gzip` with `compress gzip`, and the configured headers.
 * - Strings are escaped as flb_utils_write_str does with escape_unicode on: non-ASCII as \uXXXX. The
 *   escaping changes no value (VictoriaLogs decodes the JSON), only the bytes on the wire.
 */

export type FluentBitRecord = { record: Record<string, unknown>; readAtNanos: bigint };

export type FluentBitOutput = {
  /** `/insert/jsonline?...` as in the output's `URI`. */
  uri: string;
  /** `Header` entries. */
  headers: Record<string, string>;
  /** Keys the `modify` filter adds (`Add key value`): appended, unless the record has the key already. */
  add?: Record<string, string>;
  /** `json_date_key`. @default date */
  dateKey?: string;
};

/** Fluent Bit's `json_date_format double`: seconds as a double, printed `%.16g`, or `%.1f` when whole. */
export function fluentBitDouble(nanos: bigint): string {
  const seconds = nanos / 1_000_000_000n;
  const fraction = nanos - seconds * 1_000_000_000n;
  // flb_time_to_double: (double) tv_sec + ((double) tv_nsec / 1e9)
  const value = Number(seconds) + Number(fraction) / 1e9;
  if (Number.isInteger(value)) return value.toFixed(1);
  // %.16g: 16 significant digits, trailing zeros (and a bare point) dropped; no exponent below 1e16.
  const fixed = value.toPrecision(16);
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}

/** One `json_lines` line as flb_pack writes it. */
export function fluentBitJsonLine(entry: FluentBitRecord, output: Pick<FluentBitOutput, 'add' | 'dateKey'>): string {
  const record: Record<string, unknown> = { ...entry.record };
  for (const [key, value] of Object.entries(output.add ?? {})) if (!Object.hasOwn(record, key)) record[key] = value;
  const body = escapeNonAscii(JSON.stringify(record));
  const date = `${escapeNonAscii(JSON.stringify(output.dateKey ?? 'date'))}:${fluentBitDouble(entry.readAtNanos)}`;
  return body === '{}' ? `{${date}}` : `{${date},${body.slice(1)}`;
}

function escapeNonAscii(json: string): string {
  return json.replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** POSTs `entries` to VictoriaLogs as one flush of Fluent Bit's `http` output. */
export async function shipLikeFluentBit(victoriaLogsUrl: string, entries: readonly FluentBitRecord[], output: FluentBitOutput): Promise<void> {
  const body = entries.map((entry) => `${fluentBitJsonLine(entry, output)}\n`).join('');
  const response = await fetch(new URL(output.uri, victoriaLogsUrl), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-ndjson', 'Content-Encoding': 'gzip', 'User-Agent': 'Fluent-Bit', ...output.headers },
    body: gzipSync(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`VictoriaLogs refused the Fluent Bit flush: HTTP ${String(response.status)} ${text}`);
}
