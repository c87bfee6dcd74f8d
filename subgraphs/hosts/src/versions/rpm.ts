/**
 * RPM version ordering, ported from rpm: `rpmvercmp` (rpmio/rpmvercmp.c, with `~` pre-release and
 * rpm >= 4.15 `^` post-release handling) and EVR splitting (`parseEVR` in rpmio/rpmver.c).
 *
 * Format: `[epoch:]version[-release]`. The epoch is the leading run of digits when a colon follows
 * it; the release is everything after the LAST hyphen.
 *
 * rpmvercmp: separators (anything but ASCII letters, digits, `~`, `^`) only split segments and are
 * otherwise ignored (`2.0` = `2_0`); digit segments compare numerically ignoring leading zeros
 * (`1.01` = `1.1`); letter segments compare by ASCII; a digit segment is newer than a letter one;
 * `~` sorts before anything, even the end of the string (`1.0~rc1` < `1.0`); `^` sorts after the
 * end of the string but before any further segment (`1.0` < `1.0^git1` < `1.0.1`).
 *
 * EVR comparison — a documented choice: the epoch (absent = 0) is compared first, then the
 * version, and the release ONLY WHEN BOTH SIDES HAVE ONE. That is how rpm matches a
 * dependency or query range against a version without a release (`rpmverOverlap` /
 * `rpmdsCompare`: `foo >= 1.2` is satisfied by `1.2-5`, and `foo = 1.2` matches every release of
 * 1.2), which is what `hostsWithPackage(version: {eq: "1.2"})` and "installed older than fixed
 * 1.2" mean. rpm's total order (`rpmverCmp`, used by `rpm.vercmp`) instead ranks a version with a
 * release above the same version without one. Consequence: with mixed inputs this is not a total
 * order (`1.2-1` = `1.2` = `1.2-2` but `1.2-1` < `1.2-2`), so do not use it to sort versions some
 * of which lack a release.
 */
import { InvalidVersionError, type Ordering, isAsciiAlpha, isAsciiDigit, quoteChar } from './common.js';

export interface RpmVersion {
  /** null when the string has no `epoch:` prefix (compared as 0). */
  readonly epoch: string | null;
  readonly version: string;
  /** null when the string has no `-release`. */
  readonly release: string | null;
}

export interface RpmParseOptions {
  /**
   * Split like rpm's parseEVR, accepting any non-empty string (what `rpm.vercmp` accepts).
   * Default false: also enforce what rpmbuild allows in Epoch, Version and Release.
   */
  readonly lax?: boolean;
}

/** rpmbuild's ALLOWED_CHARS_VERREL, minus the macro characters `%{}` that never survive a build. */
const VERREL_EXTRA = '._+~^';

function fail(input: string, reason: string): never {
  throw new InvalidVersionError('rpm', input, reason);
}

export function parseRpmVersion(input: string, options: RpmParseOptions = {}): RpmVersion {
  if (input === '') fail(input, 'version string is empty');
  // rpm reads C strings; a NUL could never reach it, so refuse rather than guess.
  if (input.includes('\0')) fail(input, 'version string contains a NUL character');

  let k = 0;
  while (k < input.length && isAsciiDigit(input.charCodeAt(k))) k++;
  const hasEpoch = input[k] === ':';
  const epoch = hasEpoch ? input.slice(0, k) || '0' : null;
  const rest = hasEpoch ? input.slice(k + 1) : input;
  const hyphen = rest.lastIndexOf('-');
  const version = hyphen >= 0 ? rest.slice(0, hyphen) : rest;
  const release = hyphen >= 0 ? rest.slice(hyphen + 1) : null;

  if (!options.lax) {
    if (hasEpoch && k === 0) fail(input, 'epoch is empty (nothing before ":")');
    if (!hasEpoch && input.includes(':')) {
      fail(input, `epoch ${JSON.stringify(input.slice(0, input.indexOf(':')))} is not a non-negative integer`);
    }
    checkPart(input, 'version', version);
    if (release !== null) checkPart(input, 'release', release);
  }
  return { epoch, version, release };
}

function checkPart(input: string, part: 'version' | 'release', text: string): void {
  if (text === '') fail(input, part === 'version' ? 'version is empty' : 'release is empty (nothing after the last "-")');
  for (const ch of text) {
    const c = ch.charCodeAt(0);
    if (ch.length === 1 && (isAsciiDigit(c) || isAsciiAlpha(c) || VERREL_EXTRA.includes(ch))) continue;
    const why = ch === '-' ? ' ("-" only separates version from release)' : '';
    fail(input, `illegal character ${quoteChar(ch)} in ${part} ${JSON.stringify(text)}${why} (allowed: A-Za-z0-9 and ${VERREL_EXTRA})`);
  }
  if (text.includes('..')) fail(input, `illegal sequence ".." in ${part} ${JSON.stringify(text)}`);
}

const isAlnumAt = (s: string, i: number): boolean => isAsciiDigit(s.charCodeAt(i)) || isAsciiAlpha(s.charCodeAt(i));

/** rpmvercmp on one field (epoch, version or release). */
export function rpmvercmp(a: string, b: string): Ordering {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnumAt(a, i) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isAlnumAt(b, j) && b[j] !== '~' && b[j] !== '^') j++;
    const ca = a[i];
    const cb = b[j];

    // The tilde separator sorts before everything else.
    if (ca === '~' || cb === '~') {
      if (ca !== '~') return 1;
      if (cb !== '~') return -1;
      i++;
      j++;
      continue;
    }
    // The caret is like the tilde, except that when one string has ended (the base version), the
    // other one is the higher version.
    if (ca === '^' || cb === '^') {
      if (ca === undefined) return -1;
      if (cb === undefined) return 1;
      if (ca !== '^') return 1;
      if (cb !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (ca === undefined || cb === undefined) break;

    // Take a completely numeric or completely alphabetic segment from each.
    const isnum = isAsciiDigit(a.charCodeAt(i));
    const inSegment = isnum ? isAsciiDigit : isAsciiAlpha;
    let ei = i;
    let ej = j;
    while (ei < a.length && inSegment(a.charCodeAt(ei))) ei++;
    while (ej < b.length && inSegment(b.charCodeAt(ej))) ej++;
    // The segments are of different types: numeric segments are newer than alphabetic ones.
    if (ej === j) return isnum ? 1 : -1;

    let sa = a.slice(i, ei);
    let sb = b.slice(j, ej);
    if (isnum) {
      sa = sa.replace(/^0+/, '');
      sb = sb.replace(/^0+/, '');
      if (sa.length !== sb.length) return sa.length > sb.length ? 1 : -1;
    }
    if (sa !== sb) return sa < sb ? -1 : 1;
    i = ei;
    j = ej;
  }
  // Every segment compared equal; only separators may differ.
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

/** EVR comparison of parsed versions; see the module comment for the missing-release rule. */
export function compareParsedRpmVersions(a: RpmVersion, b: RpmVersion): Ordering {
  const byEpoch = rpmvercmp(a.epoch ?? '0', b.epoch ?? '0');
  if (byEpoch !== 0) return byEpoch;
  const byVersion = rpmvercmp(a.version, b.version);
  if (byVersion !== 0) return byVersion;
  // An empty release ("1.0-") counts as none, as in rpmverOverlap.
  if (a.release && b.release) return rpmvercmp(a.release, b.release);
  return 0;
}

/**
 * Orders two `[epoch:]version[-release]` strings by rpm's rules. Accepts any non-empty string, as
 * rpm does (use parseRpmVersion for rpmbuild's syntax check).
 */
export function compareRpmVersions(a: string, b: string): Ordering {
  return compareParsedRpmVersions(parseRpmVersion(a, { lax: true }), parseRpmVersion(b, { lax: true }));
}
