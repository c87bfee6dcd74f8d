/** Words for bad-input messages: what a value is, and the article a zod type name takes. */

/** `an object`, `a string`, `an array`, `null`: what the sender sent, without echoing it. */
export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'a string';
  return `a ${typeof value}`;
}

/** zod's expected type with its article: `a string`, `an array`, `an object` (for record too). */
export function article(expected: string): string {
  if (expected === 'record' || expected === 'object') return 'an object';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}
