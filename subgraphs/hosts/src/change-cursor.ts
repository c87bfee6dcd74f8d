import { badInput } from '@vigil/lib/errors';
import { decodeCursor, encodeCursor } from '@vigil/lib/cursor';
import { changePosition, type ChangePosition } from './facts/fact-store.js';
import { FACT_TYPES, type FactChange, type FactType } from './facts/types.js';

const NOT_A_CURSOR = 'after: not a cursor returned by this API';

/** A change's position as an opaque cursor: time, fact type and key, the order Host.changes pages in. */
export function encodeChangeCursor(change: FactChange): string {
  const { ms, type, key } = changePosition(change);
  return encodeCursor(JSON.stringify(['c1', ms, type, key]));
}

/** Throws BAD_USER_INPUT naming `after` for anything encodeChangeCursor did not produce. */
export function decodeChangeCursor(cursor: string): ChangePosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decodeCursor(cursor));
  } catch {
    throw badInput(NOT_A_CURSOR);
  }
  if (!Array.isArray(parsed) || parsed.length !== 4) throw badInput(NOT_A_CURSOR);
  const [version, ms, type, key] = parsed as unknown[];
  if (version !== 'c1' || !Number.isSafeInteger(ms) || typeof key !== 'string' || !isFactType(type)) throw badInput(NOT_A_CURSOR);
  return { ms: ms as number, type, key };
}

function isFactType(value: unknown): value is FactType {
  return typeof value === 'string' && (FACT_TYPES as readonly string[]).includes(value);
}
