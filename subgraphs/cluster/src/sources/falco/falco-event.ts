import { article, describeJson } from '../json-words.js';
import { z } from 'zod';

/**
 * Falco's JSON alert as http_output posts it (falco `userspace/engine/formats.cpp`) and as
 * falcosidekick forwards it (`types/types.go` FalcoPayload: same snake_case keys plus `uuid`).
 * See test/fixtures/falco/README.md for the samples this model was checked against.
 */

/** Falco's priority names, most severe first (falco_common.cpp `priority_names`, the enum order). */
export const FALCO_PRIORITIES = ['Emergency', 'Alert', 'Critical', 'Error', 'Warning', 'Notice', 'Informational', 'Debug'] as const;
export type FalcoPriority = (typeof FALCO_PRIORITIES)[number];

/** The rule Falco uses for its own periodic metrics records (`metrics.output_rule`): not a security event. */
export const FALCO_METRICS_RULE = 'Falco internal: metrics snapshot';

type FalcoScalar = string | number | boolean | null;
/**
 * Falco renders most fields as strings or integers and unavailable ones as null; list-typed plugin
 * fields can be rendered as JSON arrays, so those are accepted too rather than losing the alert.
 * Integers beyond 2^53 (e.g. `evt.time` in ns) are kept as their decimal string: a JS number would
 * silently round them.
 */
export type FalcoFieldValue = FalcoScalar | FalcoScalar[];

// Falco: `%FT%T.%09luZ`; falcosidekick: Go RFC 3339 with nanoseconds, trailing zeros (and the dot) dropped,
// and an offset instead of Z if its input had one.
const TIME_PATTERN = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch for a Falco `time`, or NaN. Truncates ns: Date has ms precision. */
export function falcoTimeToMillis(time: string): number {
  const match = TIME_PATTERN.exec(time);
  if (!match) return Number.NaN;
  const [, seconds, fraction = '', zone] = match;
  return Date.parse(`${seconds}${fraction.slice(0, 4)}${zone}`);
}

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

// Loose: keys this model does not know (e.g. `message` with json_include_message_property) are kept,
// so the stored raw record is the alert as Falco sent it.
export const falcoEventSchema = z.looseObject({
  time: z.string().refine((t) => !Number.isNaN(falcoTimeToMillis(t)), {
    error: 'must be an ISO 8601 UTC timestamp such as 2023-05-25T13:44:05.478445995Z',
  }),
  rule: z.string().refine((r) => r.trim() !== '', { error: 'must not be empty' }),
  priority: z.enum(FALCO_PRIORITIES, { error: `must be one of ${FALCO_PRIORITIES.join(', ')}` }),
  // Optional because Falco omits them when json_include_output_property / _output_fields_property are off.
  output: z.string().optional(),
  output_fields: z.record(z.string(), z.union([scalar, z.array(scalar)])).optional(),
  // Absent before Falco ~0.31 (see contact_k8s_api_server_from_container_v029.json).
  source: z.string().optional(),
  tags: z.array(z.string()).optional(),
  hostname: z.string().optional(),
  // Added by falcosidekick (random per forward, so never part of a dedup key).
  uuid: z.string().optional(),
});
export type FalcoEvent = z.infer<typeof falcoEventSchema>;

/** The typed Falco part of a SecurityEvent. */
export interface FalcoDetails {
  priority: FalcoPriority;
  rule: string;
  output: string | null;
  source: string | null;
  tags: string[];
  outputFields: Record<string, FalcoFieldValue>;
  /** The Falco time as sent, with its full nanosecond precision. */
  time: string;
  /** The host of the Falco instance that reported the event (for k8s_audit: the plugin's pod, not an affected host). */
  hostname: string | null;
  containerId: string | null;
  containerImage: string | null;
  /** falcosidekick's per-forward id, when the event came through falcosidekick. */
  uuid: string | null;
}

export type FalcoParseResult = { ok: true; events: FalcoEvent[] } | { ok: false; reason: string };

export type FalcoMediaType = 'json' | 'text' | 'missing' | 'unsupported';

/**
 * Falco sends `application/json` (json_output: true) or `text/plain`; falcosidekick adds `; charset=utf-8`.
 * `application/x-ndjson` is accepted for batches of newline-delimited alerts (e.g. replaying a Falco log).
 */
export function falcoMediaType(contentType: string | undefined): FalcoMediaType {
  if (contentType === undefined || contentType.trim() === '') return 'missing';
  const media = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (media === 'application/json' || media === 'application/x-ndjson') return 'json';
  if (media === 'text/plain') return 'text';
  return 'unsupported';
}

export const TEXT_OUTPUT_REASON = 'text output is not supported: enable json_output in falco.yaml';

// Falco's text alert line: `<%evt.time or %evt.time.iso8601>: <Priority> <message>` (formats.cpp prefix).
const TEXT_ALERT = /^(\d{2}:\d{2}:\d{2}\.\d+|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+[+-]\d{4}): (Emergency|Alert|Critical|Error|Warning|Notice|Informational|Info|Debug) /;

/**
 * Parses an http_output request body: one JSON object (what Falco sends: one alert per request),
 * a JSON array of them, or newline-delimited objects. All or nothing: one invalid alert rejects the
 * whole body, with a reason naming the alert and the problem.
 */
export function parseFalcoBody(body: string, contentType: string | undefined): FalcoParseResult {
  const media = falcoMediaType(contentType);
  const text = body.replace(/^\uFEFF/, '').trim();
  if (media === 'unsupported') {
    return fail(`unsupported Content-Type "${contentType ?? ''}": send application/json`);
  }
  if (text === '') return fail('body is empty');
  const looksLikeText = TEXT_ALERT.test(text);
  if (media === 'text') {
    return fail(looksLikeText ? TEXT_OUTPUT_REASON : 'Content-Type text/plain is not supported: send application/json');
  }
  if (looksLikeText) return fail(TEXT_OUTPUT_REASON);

  const whole = parseJson(text);
  if (whole.ok) {
    if (Array.isArray(whole.value)) {
      if (whole.value.length === 0) return fail('body contains no events');
      return validateAll(whole.value.map((value, i) => ({ label: `item ${i + 1}: `, value })));
    }
    return validateAll([{ label: '', value: whole.value }]);
  }
  const lines = text.split(/\r?\n/);
  if (lines.length === 1) return fail('body is not JSON');
  const items: { label: string; value: unknown }[] = [];
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const parsed = parseJson(line);
    if (!parsed.ok) return fail(`line ${i + 1} is not JSON`);
    items.push({ label: `line ${i + 1}: `, value: parsed.value });
  }
  return validateAll(items);
}

function validateAll(items: { label: string; value: unknown }[]): FalcoParseResult {
  const events: FalcoEvent[] = [];
  for (const { label, value } of items) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return fail(`${label}expected a Falco alert object, got ${describeJson(value)}`);
    }
    const result = falcoEventSchema.safeParse(value, { reportInput: true });
    if (!result.success) {
      const [first, ...rest] = result.error.issues;
      const problem = first ? describeIssue(first) : 'invalid Falco alert';
      return fail(`${label}${problem}${rest.length > 0 ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : ''}`);
    }
    events.push(result.data);
  }
  return { ok: true, events };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = formatPath(issue.path);
  if (issue.input === undefined) return `${path} is required`;
  if (issue.code === 'invalid_type') return `${path} must be ${article(issue.expected)}, got ${describeJson(issue.input)}`;
  if (issue.code === 'invalid_union') {
    return `${path} must be a string, number, boolean, null or a list of those, got ${describeJson(issue.input)}`;
  }
  // Our own messages (priority, time, rule) read as the rest of the sentence.
  return `${path} ${issue.message}`;
}

/** `"priority"`, `"output_fields"["proc.name"]`: quoted, because Falco field names contain dots. */
function formatPath(path: readonly PropertyKey[]): string {
  const [head, ...rest] = path;
  return `"${String(head)}"${rest.map((p) => (typeof p === 'number' ? `[${p}]` : `["${String(p)}"]`)).join('')}`;
}

function fail(reason: string): FalcoParseResult {
  return { ok: false, reason };
}

type JsonResult = { ok: true; value: unknown } | { ok: false };

function parseJson(text: string): JsonResult {
  try {
    return { ok: true, value: JSON.parse(text, keepUnsafeIntegers) };
  } catch {
    return { ok: false };
  }
}

/** JSON.parse reviver (source-text access, Node ≥ 21): integers a double cannot hold stay exact, as strings. */
function keepUnsafeIntegers(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) {
    const source = context?.source;
    if (source !== undefined && /^-?\d+$/.test(source)) return source;
  }
  return value;
}
