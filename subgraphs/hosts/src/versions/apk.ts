/**
 * Alpine (apk) version ordering, ported from apk-tools src/version.c (the token-state
 * implementation of apk-tools v3 / 2.14+), so results match `apk version -t`.
 *
 * Grammar (Gentoo-derived): `digit{.digit}...{letter}{_suffix{#}}...{~hash}{-r#}`
 * - dotted numeric components: the first compares numerically; a later one compares as a string
 *   when either side starts with `0` (`1.02` < `1.1`, `8.2.0015` < `8.2.002`), else numerically;
 * - one optional lower-case letter (`1.2a`);
 * - any number of suffixes, each optionally numbered: `_alpha _beta _pre _rc` sort before the
 *   plain release, `_cvs _svn _git _hg _p` after it, in that order;
 * - an optional `~` commit hash (lower-case hex), compared as a string;
 * - an optional `-rN` package revision (absent = lowest).
 * When one version runs out of components first, it is newer only if the other continues with a
 * pre-release suffix; otherwise the one that continues is newer.
 *
 * Like apk, compareApkVersions also orders strings that do not follow the grammar (apk's own test
 * data does: `23_foo` > `4_beta`); validateApkVersion is apk_version_validate.
 */
import { InvalidVersionError, type Ordering, isAsciiDigit } from './common.js';

const T_INITIAL_DIGIT = 0;
const T_DIGIT = 1;
const T_LETTER = 2;
const T_SUFFIX = 3;
const T_SUFFIX_NO = 4;
const T_COMMIT_HASH = 5;
const T_REVISION_NO = 6;
const T_END = 7;
const T_INVALID = 8;

const SUFFIX_INVALID = 0;
const SUFFIX_NONE = 5;
/** Suffix ranks; those below SUFFIX_NONE are pre-releases. */
const SUFFIXES: ReadonlyMap<string, number> = new Map([
  ['alpha', 1],
  ['beta', 2],
  ['pre', 3],
  ['rc', 4],
  ['cvs', 6],
  ['svn', 7],
  ['git', 8],
  ['hg', 9],
  ['p', 10],
]);

const utf8 = new TextEncoder();
const isLower = (c: number): boolean => c >= 0x61 && c <= 0x7a;
const isLowerHex = (c: number): boolean => isAsciiDigit(c) || (c >= 0x61 && c <= 0x66);
/** apk_blob_spn treats bytes >= 0x80 as members of every class. */
const inSuffixClass = (c: number): boolean => c >= 0x80 || isLower(c);
const inHexClass = (c: number): boolean => c >= 0x80 || isLowerHex(c);

/** Bytes as one char each (no spread: a version can be arbitrarily long). */
function latin1(bytes: Uint8Array, start: number, end: number): string {
  let text = '';
  for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i]!);
  return text;
}

/** A cursor over one version's bytes: apk's `struct token_state` plus the blob being consumed. */
class Tokens {
  token = T_INITIAL_DIGIT;
  suffix = SUFFIX_INVALID;
  number = 0n;
  valueStart = 0;
  valueEnd = 0;
  pos = 0;
  /** Where the current token starts, and why it became T_INVALID: for error messages. */
  tokenStart = 0;
  problem = '';

  constructor(private readonly bytes: Uint8Array) {
    if (!this.parseDigits()) this.invalid('must start with a digit');
  }

  get value(): Uint8Array {
    return this.bytes.subarray(this.valueStart, this.valueEnd);
  }

  private invalid(problem: string): void {
    this.token = T_INVALID;
    this.problem = problem;
  }

  private span(inClass: (c: number) => boolean): void {
    this.valueStart = this.pos;
    while (this.pos < this.bytes.length && inClass(this.bytes[this.pos]!)) this.pos++;
    this.valueEnd = this.pos;
  }

  /**
   * token_parse_digits: an unsigned 64-bit number (wrapping, like apk_blob_pull_uint). False when
   * there are no digits (the token is then invalid).
   */
  private parseDigits(): boolean {
    this.span(isAsciiDigit);
    if (this.valueEnd === this.valueStart) return false;
    this.number = BigInt.asUintN(64, BigInt(latin1(this.bytes, this.valueStart, this.valueEnd)));
    return true;
  }

  /** token_next. */
  next(): void {
    const { bytes } = this;
    if (this.pos >= bytes.length) {
      this.token = T_END;
      return;
    }
    this.tokenStart = this.pos;
    const c = bytes[this.pos]!;
    if (isLower(c)) {
      if (this.token > T_DIGIT) return this.invalid('a letter may only follow a number component');
      this.valueStart = this.pos;
      this.valueEnd = ++this.pos;
      this.token = T_LETTER;
    } else if (c === 0x2e /* . */ || isAsciiDigit(c)) {
      if (c === 0x2e) {
        if (this.token > T_DIGIT) return this.invalid('"." may only follow a number component');
        this.pos++;
      }
      if (this.token === T_INITIAL_DIGIT || this.token === T_DIGIT) this.token = T_DIGIT;
      else if (this.token === T_SUFFIX) this.token = T_SUFFIX_NO;
      else return this.invalid('digits may not follow a letter, a suffix number, a ~hash or a -r revision');
      if (!this.parseDigits()) this.invalid('"." must be followed by digits');
    } else if (c === 0x5f /* _ */) {
      if (this.token > T_SUFFIX_NO) return this.invalid('a _suffix may not follow a ~hash or a -r revision');
      this.pos++;
      this.span(inSuffixClass);
      this.suffix = SUFFIXES.get(latin1(bytes, this.valueStart, this.valueEnd)) ?? SUFFIX_INVALID;
      if (this.suffix === SUFFIX_INVALID) {
        return this.invalid(`unknown suffix "_${latin1(bytes, this.valueStart, this.valueEnd)}" (expected one of ${[...SUFFIXES.keys()].map((s) => `_${s}`).join(' ')})`);
      }
      this.token = T_SUFFIX;
    } else if (c === 0x7e /* ~ */) {
      if (this.token >= T_COMMIT_HASH) return this.invalid('a ~hash may not follow another ~hash or a -r revision');
      this.pos++;
      this.span(inHexClass);
      if (this.valueEnd === this.valueStart) return this.invalid('"~" must be followed by a lower-case hex commit hash');
      this.token = T_COMMIT_HASH;
    } else if (c === 0x2d /* - */) {
      if (this.token >= T_REVISION_NO) return this.invalid('only one -r revision is allowed');
      if (bytes[this.pos + 1] !== 0x72 /* r */) return this.invalid('"-" may only start a -rN package revision');
      this.pos += 2;
      this.token = T_REVISION_NO;
      if (!this.parseDigits()) this.invalid('"-r" must be followed by digits');
    } else {
      this.invalid('character not allowed in an apk version');
    }
  }
}

/** apk_blob_sort: bytewise, then shorter first. */
function blobSort(a: Uint8Array, b: Uint8Array): Ordering {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** token_cmp, for two tokens of the same type. */
function tokenCmp(ta: Tokens, tb: Tokens): Ordering {
  let x: bigint;
  let y: bigint;
  switch (ta.token) {
    case T_DIGIT:
      // A leading zero makes it a fraction-like component: raw string comparison (Gentoo rule).
      if (ta.value[0] === 0x30 || tb.value[0] === 0x30) return blobSort(ta.value, tb.value);
      x = ta.number;
      y = tb.number;
      break;
    case T_INITIAL_DIGIT:
    case T_SUFFIX_NO:
    case T_REVISION_NO:
      x = ta.number;
      y = tb.number;
      break;
    case T_LETTER:
      x = BigInt(ta.value[0]!);
      y = BigInt(tb.value[0]!);
      break;
    case T_SUFFIX:
      x = BigInt(ta.suffix);
      y = BigInt(tb.suffix);
      break;
    default:
      return blobSort(ta.value, tb.value);
  }
  return x < y ? -1 : x > y ? 1 : 0;
}

/** apk_version_compare (without fuzzy matching). */
export function compareApkVersions(a: string, b: string): Ordering {
  const ta = new Tokens(utf8.encode(a));
  const tb = new Tokens(utf8.encode(b));
  while (ta.token === tb.token && ta.token < T_END) {
    const r = tokenCmp(ta, tb);
    if (r !== 0) return r;
    ta.next();
    tb.next();
  }
  // Both ended, or both hit an invalid part at the same place.
  if (ta.token === tb.token) return 0;
  // Equal so far: the one that continues is newer, unless it continues with a pre-release suffix.
  if (ta.token === T_SUFFIX && ta.suffix < SUFFIX_NONE) return -1;
  if (tb.token === T_SUFFIX && tb.suffix < SUFFIX_NONE) return 1;
  if (ta.token > tb.token) return -1;
  if (tb.token > ta.token) return 1;
  return 0;
}

/** apk_version_validate, throwing InvalidVersionError that names the offending part. */
export function validateApkVersion(version: string): void {
  if (version.includes('\0')) throw new InvalidVersionError('apk', version, 'version string contains a NUL character');
  const bytes = utf8.encode(version);
  const t = new Tokens(bytes);
  while (t.token < T_END) t.next();
  if (t.token === T_END) return;
  if (bytes.length === 0) throw new InvalidVersionError('apk', version, 'version string is empty');
  const decode = (part: Uint8Array): string => new TextDecoder().decode(part);
  const where =
    t.tokenStart === 0
      ? 'at the start'
      : `at ${JSON.stringify(decode(bytes.subarray(t.tokenStart)))} (after ${JSON.stringify(decode(bytes.subarray(0, t.tokenStart)))})`;
  throw new InvalidVersionError('apk', version, `${t.problem}, ${where}`);
}

export function isValidApkVersion(version: string): boolean {
  try {
    validateApkVersion(version);
    return true;
  } catch {
    return false;
  }
}
