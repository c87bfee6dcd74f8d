/**
 * Debian version ordering: Debian Policy §5.6.12 and deb-version(5), ported from dpkg's own
 * implementation (lib/dpkg/parsehelp.c `parseversion`, lib/dpkg/version.c `verrevcmp` /
 * `dpkg_version_compare`) so that results match `dpkg --compare-versions`.
 *
 * Format: `[epoch:]upstream_version[-debian_revision]`.
 * - The epoch is the text before the FIRST colon, an integer 0..INT_MAX (default 0), compared
 *   numerically first.
 * - The LAST hyphen splits off the revision; an absent revision is the empty string, and
 *   compares equal to "0" (`1.0` = `1.0-0`) because verrevcmp skips leading zeros.
 * - upstream and revision compare with the alternating non-digit/digit algorithm: in a non-digit
 *   run `~` sorts before everything (even the end of the string), then the end of the string,
 *   then letters (by ASCII), then every other character (ASCII + 256); digit runs compare
 *   numerically (leading zeros ignored, no length limit).
 */
import { InvalidVersionError, type Ordering, isAsciiAlpha, isAsciiDigit, quoteChar, sign } from './common.js';

export interface DpkgVersion {
  readonly epoch: number;
  readonly upstream: string;
  /** `''` when the version has no `-revision`. */
  readonly revision: string;
}

export interface DpkgParseOptions {
  /**
   * Accept what dpkg accepts with only a warning (an upstream version that does not start with a
   * digit, characters outside the policy's sets), as `dpkg --compare-versions` does. Default
   * false: the policy's syntax is enforced.
   */
  readonly lax?: boolean;
}

const INT_MAX = 2_147_483_647;
const isBlank = (ch: string): boolean => ch === ' ' || ch === '\t';
/** C isspace() in the C locale: what strtol() skips before the number. */
const isCSpace = (ch: string): boolean => ch === ' ' || (ch >= '\t' && ch <= '\r');
const UPSTREAM_EXTRA = '.-+~:';
const REVISION_EXTRA = '.+~';

function fail(input: string, reason: string): never {
  throw new InvalidVersionError('dpkg', input, reason);
}

/**
 * Parses a Debian version, throwing InvalidVersionError whose reason carries dpkg's own message
 * plus the offending part. Leading and trailing blanks are ignored, as dpkg does.
 */
export function parseDpkgVersion(input: string, options: DpkgParseOptions = {}): DpkgVersion {
  // dpkg reads C strings; a NUL could never reach it, so refuse rather than guess.
  if (input.includes('\0')) fail(input, 'version string contains a NUL character');

  let start = 0;
  while (start < input.length && isBlank(input[start]!)) start++;
  if (start === input.length) fail(input, 'version string is empty');
  let end = start;
  while (end < input.length && !isBlank(input[end]!)) end++;
  let after = end;
  while (after < input.length && isBlank(input[after]!)) after++;
  if (after < input.length) fail(input, 'version string has embedded spaces');

  let text = input.slice(start, end);
  let epoch = 0;
  const colon = text.indexOf(':');
  if (colon >= 0) {
    epoch = parseEpoch(input, text.slice(0, colon));
    text = text.slice(colon + 1);
    if (text === '') fail(input, 'nothing after colon in version number');
  }

  let upstream = text;
  let revision = '';
  const hyphen = text.lastIndexOf('-');
  if (hyphen >= 0) {
    upstream = text.slice(0, hyphen);
    revision = text.slice(hyphen + 1);
    if (revision === '') fail(input, 'revision number is empty (nothing after the last "-")');
  }
  if (upstream === '') fail(input, 'version number is empty');

  if (!options.lax) {
    if (!isAsciiDigit(upstream.charCodeAt(0))) {
      fail(input, `version number does not start with digit (upstream version ${JSON.stringify(upstream)})`);
    }
    const badUpstream = [...upstream].find((ch) => !isPolicyChar(ch, UPSTREAM_EXTRA));
    if (badUpstream !== undefined) {
      fail(input, `invalid character ${quoteChar(badUpstream)} in version number ${JSON.stringify(upstream)} (allowed: A-Za-z0-9 and ${UPSTREAM_EXTRA})`);
    }
    const badRevision = [...revision].find((ch) => !isPolicyChar(ch, REVISION_EXTRA));
    if (badRevision !== undefined) {
      fail(input, `invalid character ${quoteChar(badRevision)} in revision number ${JSON.stringify(revision)} (allowed: A-Za-z0-9 and ${REVISION_EXTRA})`);
    }
  }
  return { epoch, upstream, revision };
}

function isPolicyChar(ch: string, extra: string): boolean {
  const c = ch.charCodeAt(0);
  return ch.length === 1 && (isAsciiDigit(c) || isAsciiAlpha(c) || extra.includes(ch));
}

/** dpkg parses the epoch with strtol(): optional space and sign, then digits up to the colon. */
function parseEpoch(input: string, text: string): number {
  let i = 0;
  while (i < text.length && isCSpace(text[i]!)) i++;
  let negative = false;
  if (text[i] === '+' || text[i] === '-') negative = text[i++] === '-';
  const digitsStart = i;
  while (i < text.length && isAsciiDigit(text.charCodeAt(i))) i++;
  const epochPart = `epoch ${JSON.stringify(text)}`;
  if (i === digitsStart) fail(input, `epoch in version is empty (${epochPart} has no digits)`);
  if (i !== text.length) fail(input, `epoch in version is not number (${epochPart})`);
  const magnitude = BigInt(text.slice(digitsStart));
  if (negative && magnitude !== 0n) fail(input, `epoch in version is negative (${epochPart})`);
  if (magnitude > BigInt(INT_MAX)) fail(input, `epoch in version is too big (${epochPart}; maximum ${INT_MAX})`);
  return Number(magnitude);
}

const utf8 = new TextEncoder();

/**
 * dpkg's character weight. dpkg indexes a plain `char`, which is signed on amd64 and i386: bytes
 * 0x80..0xFF (non-ASCII, only reachable in lax mode) are negative there and land at 128..255,
 * between letters and punctuation. (On unsigned-char ABIs such as arm64 they would sort with
 * punctuation instead; we follow amd64, which is what the cross-check test runs against.)
 */
function order(c: number): number {
  if (isAsciiDigit(c)) return 0;
  if (isAsciiAlpha(c)) return c;
  if (c === 0x7e /* ~ */) return -1;
  if (c === 0) return 0;
  return c >= 0x80 ? c : c + 256;
}

/** Byte at i, or 0 (the C string terminator) past the end. */
const at = (s: Uint8Array, i: number): number => (i < s.length ? s[i]! : 0);

/** dpkg's verrevcmp, over the UTF-8 bytes dpkg would see. */
function verrevcmp(aText: string, bText: string): number {
  const a = utf8.encode(aText);
  const b = utf8.encode(bText);
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isAsciiDigit(a[i]!)) || (j < b.length && !isAsciiDigit(b[j]!))) {
      const ac = order(at(a, i));
      const bc = order(at(b, j));
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (at(a, i) === 0x30) i++;
    while (at(b, j) === 0x30) j++;
    while (isAsciiDigit(at(a, i)) && isAsciiDigit(at(b, j))) {
      if (!firstDiff) firstDiff = at(a, i) - at(b, j);
      i++;
      j++;
    }
    if (isAsciiDigit(at(a, i))) return 1;
    if (isAsciiDigit(at(b, j))) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}

/** dpkg_version_compare on parsed versions. */
export function compareParsedDpkgVersions(a: DpkgVersion, b: DpkgVersion): Ordering {
  if (a.epoch !== b.epoch) return a.epoch > b.epoch ? 1 : -1;
  return sign(verrevcmp(a.upstream, b.upstream) || verrevcmp(a.revision, b.revision));
}

/**
 * Orders two Debian versions exactly as `dpkg --compare-versions` does: versions dpkg rejects
 * outright throw InvalidVersionError; versions it accepts with a warning are compared (use
 * parseDpkgVersion for the strict policy check).
 */
export function compareDpkgVersions(a: string, b: string): Ordering {
  return compareParsedDpkgVersions(parseDpkgVersion(a, { lax: true }), parseDpkgVersion(b, { lax: true }));
}
