import { isRecord } from '@vigil/lib/is-record';

/**
 * Narrowing for parsed YAML and JSON in tests (compose file, Kubernetes manifests, integration
 * snippets): each throws naming what was expected where, so a failing check reads as a finding.
 */
export type Rec = Record<string, unknown>;

export { isRecord };

export function rec(value: unknown, what: string): Rec {
  if (!isRecord(value)) throw new Error(`${what}: expected a mapping, got ${JSON.stringify(value)}`);
  return value;
}

export function str(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what}: expected a string, got ${JSON.stringify(value)}`);
  return value;
}

export function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${what}: expected a list, got ${JSON.stringify(value)}`);
  return value;
}

/** A list that may be left out (Kubernetes omits empty ones): absent is empty. */
export function listOrEmpty(value: unknown, what: string): unknown[] {
  return value === undefined ? [] : list(value, what);
}
