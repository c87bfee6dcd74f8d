import { createHash } from 'node:crypto';
import { FACT_KEYS, FACT_TYPES, type FactChange, type FactItems, type FactType } from './types.js';

/**
 * Pure helpers both fact stores share, so that "the same item", "a change" and the order of the
 * history mean exactly the same thing in memory and in Redis.
 */

/**
 * JSON with object keys sorted, so that equal items always serialise to equal strings: a parser that
 * builds its objects in a different field order must not turn every item into a CHANGED entry.
 * Array order is kept: it is part of the value (a parser that wants order-insensitive lists sorts them).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v: unknown) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => compareStrings(a, b));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One reported item: its FACT_KEYS key and its canonical JSON. */
export interface CanonicalItem {
  key: string;
  json: string;
}

/** A report's items of one type, identical items collapsed, sorted by key then JSON. */
export function canonicalItems<T extends FactType>(type: T, items: readonly FactItems[T][]): CanonicalItem[] {
  const keyOf = FACT_KEYS[type];
  const unique = new Map<string, CanonicalItem>();
  for (const item of items) {
    const key = keyOf(item);
    const json = canonicalJson(item);
    unique.set(JSON.stringify([key, json]), { key, json });
  }
  return [...unique.values()].sort((a, b) => compareStrings(a.key, b.key) || compareStrings(a.json, b.json));
}

/**
 * A digest of what a report holds for one type, independent of how keys are assigned: equal
 * digests mean nothing changed, so the stored items need not even be read.
 */
export function digestItems(items: readonly CanonicalItem[]): string {
  const hash = createHash('sha256');
  for (const { key, json } of items) hash.update(`${JSON.stringify(key)}:${json}\n`);
  return hash.digest('hex');
}

/**
 * The items by stored key → canonical JSON. The stored key is the FACT_KEYS key, except when several
 * different items share it (rpm keeps several kernels of one name and arch installed; ss lists a
 * line per SO_REUSEPORT listener). Then one keeps the plain key and the others get
 * `<key>#<12 hex of their content hash>`, so none is dropped. An item already stored keeps the key it
 * has, so installing a second kernel is one ADDED and removing the old one one REMOVED; the plain
 * key goes to an item stored under none (the usual in-place upgrade: one CHANGED).
 */
export function assignKeys(items: readonly CanonicalItem[], stored: ReadonlyMap<string, string>): Map<string, string> {
  const keyed = new Map<string, string>();
  const unplaced: CanonicalItem[] = [];
  for (const item of items) {
    const alternate = alternateKey(item);
    if (stored.get(item.key) === item.json) keyed.set(item.key, item.json);
    else if (stored.get(alternate) === item.json) keyed.set(alternate, item.json);
    else unplaced.push(item);
  }
  for (const item of unplaced) keyed.set(keyed.has(item.key) ? alternateKey(item) : item.key, item.json);
  return keyed;
}

function alternateKey(item: CanonicalItem): string {
  return `${item.key}#${createHash('sha256').update(item.json).digest('hex').slice(0, 12)}`;
}

/** A FactChange whose before/after are known to be items of its type. */
export interface TypedChange<T extends FactType> extends FactChange {
  type: T;
  before: FactItems[T] | null;
  after: FactItems[T] | null;
}

/** What changed between two keyed item sets, sorted by key. Equal JSON means unchanged. */
export function diffItems<T extends FactType>(
  type: T,
  before: ReadonlyMap<string, string>,
  after: ReadonlyMap<string, string>,
  at: string,
): TypedChange<T>[] {
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort(compareStrings);
  const changes: TypedChange<T>[] = [];
  for (const key of keys) {
    const old = before.get(key);
    const next = after.get(key);
    if (old === next) continue;
    changes.push({
      type,
      key,
      change: old === undefined ? 'ADDED' : next === undefined ? 'REMOVED' : 'CHANGED',
      before: old === undefined ? null : parseItem<T>(old),
      after: next === undefined ? null : parseItem<T>(next),
      at,
    });
  }
  return changes;
}

export function parseItem<T extends FactType>(json: string): FactItems[T] {
  return JSON.parse(json) as FactItems[T];
}

/** Items sorted by their stored key. */
export function sortedItems<T extends FactType>(keyed: Iterable<[string, string]>): FactItems[T][] {
  return [...keyed].sort(([a], [b]) => compareStrings(a, b)).map(([, json]) => parseItem<T>(json));
}

/** Undoes changes (newest first) on a copy of the current items: the items as they were before them. */
export function undoChanges(current: ReadonlyMap<string, string>, newestFirst: readonly FactChange[]): Map<string, string> {
  const items = new Map(current);
  for (const change of newestFirst) {
    switch (change.change) {
      case 'ADDED':
        items.delete(change.key);
        break;
      case 'REMOVED':
      case 'CHANGED':
        items.set(change.key, canonicalJson(change.before));
        break;
    }
  }
  return items;
}

/**
 * History entries are stored as `<8 digits>:<canonical JSON of the FactChange>`, scored by time.
 * The digits are 99999999 minus the change's position in its report, so that a newest-first read
 * (score descending, member descending, as ZRANGE REV returns ties) lists one report's changes in
 * the order saveReport returned them.
 */
const MAX_INDEX = 99_999_999;

export interface HistoryEntry {
  member: string;
  ms: number;
  index: number;
  change: FactChange;
}

export function encodeHistoryMember(index: number, change: FactChange): string {
  if (index > MAX_INDEX) throw new RangeError(`more than ${MAX_INDEX} changes of one fact type in one report`);
  return `${String(MAX_INDEX - index).padStart(8, '0')}:${canonicalJson(change)}`;
}

export function decodeHistoryMember(member: string): HistoryEntry {
  const change = JSON.parse(member.slice(9)) as FactChange;
  return { member, ms: timeMs(change.at, 'change time'), index: MAX_INDEX - Number(member.slice(0, 8)), change };
}

const TYPE_ORDER = new Map<FactType, number>(FACT_TYPES.map((type, i) => [type, i]));

/** Newest first; within one time, fact type order then position in the report (as saveReport returned them). */
export function compareNewestFirst(a: HistoryEntry, b: HistoryEntry): number {
  return (
    b.ms - a.ms ||
    (TYPE_ORDER.get(a.change.type) ?? 0) - (TYPE_ORDER.get(b.change.type) ?? 0) ||
    a.index - b.index ||
    compareStrings(b.member, a.member)
  );
}

export function timeMs(iso: string, what: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new RangeError(`${what} is not a valid time: ${JSON.stringify(iso)}`);
  return ms;
}
