import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { isRecord } from './is-record.js';
import { basePortDefaults } from './http-ports.js';
import type { z } from 'zod';

/**
 * Configuration: one YAML file (path in VIGIL_CONFIG) plus environment overrides, parsed once at
 * start. Every problem is reported at once with its path, then the process exits 1. Nothing else in
 * Vigil reads process.env.
 */

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** An environment variable that overrides one config path. '' counts as unset. */
export interface EnvOverride {
  env: string;
  path: readonly string[];
  /** How the string becomes a value; numbers and booleans are parsed by the schema's coercion. */
  parse?: (raw: string) => unknown;
}

export interface LoadOptions<S extends z.ZodType> {
  schema: S;
  env: Readonly<Record<string, string | undefined>>;
  overrides: readonly EnvOverride[];
  /** Overrides the VIGIL_CONFIG lookup (tests). */
  file?: string;
  /** Inline document (tests, embedded stack). Merged under file and env. */
  defaults?: Record<string, unknown>;
}

export function loadConfig<S extends z.ZodType>(options: LoadOptions<S>): Readonly<z.infer<S>> {
  const problems: string[] = [];
  const file = options.file ?? blankToUndefined(options.env['VIGIL_CONFIG']);
  let fromFile: Record<string, unknown> = {};
  if (file) {
    try {
      fromFile = readYamlObject(file);
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
    }
  }
  let defaults = options.defaults ?? {};
  const basePort = blankToUndefined(options.env['VIGIL_BASE_PORT']);
  if (basePort !== undefined) {
    const fromBase = basePortDefaults(basePort);
    if ('problem' in fromBase) problems.push(fromBase.problem);
    else defaults = deepMerge(defaults, fromBase.defaults);
  }
  const merged = deepMerge(defaults, fromFile);
  for (const override of options.overrides) {
    const raw = blankToUndefined(options.env[override.env]);
    if (raw === undefined) continue;
    setPath(merged, override.path, override.parse ? override.parse(raw) : raw);
  }
  const result = options.schema.safeParse(merged);
  if (!result.success) {
    for (const issue of result.error.issues) problems.push(describeIssue(issue, options.overrides));
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return deepFreeze(result.data) as Readonly<z.infer<S>>;
}

function readYamlObject(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new Error(`VIGIL_CONFIG: cannot read ${file} (${code})`, { cause: error });
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new Error(`${file}: YAML syntax: ${doc.errors.map((e) => e.message.split('\n')[0]).join('; ')}`);
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${file}: the top level must be a mapping`);
  return value as Record<string, unknown>;
}

function describeIssue(issue: z.core.$ZodIssue, overrides: readonly EnvOverride[]): string {
  const path = issue.path.map(String);
  const where = path.length > 0 ? path.join('.') : '(top level)';
  const fromEnv = overrides.find((o) => o.path.join('.') === where);
  const envNote = fromEnv ? ` (or env ${fromEnv.env})` : '';
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => (path.length > 0 ? `${where}.${k}` : k));
    return `${keys.join(', ')}: unknown key${keys.length > 1 ? 's' : ''}`;
  }
  return `${where}${envNote}: ${issue.message}`;
}

function blankToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isRecord(current) && isRecord(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  path.forEach((key, index) => {
    if (index === path.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    if (!isRecord(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

export { isRecord };

/** Parses "true"/"false"/"1"/"0" for boolean env overrides; anything else is left for zod to reject. */
export function parseBooleanEnv(raw: string): unknown {
  const lowered = raw.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(lowered)) return true;
  if (['false', '0', 'no'].includes(lowered)) return false;
  return raw;
}
