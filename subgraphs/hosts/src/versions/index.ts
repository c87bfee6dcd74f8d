/**
 * Package version ordering by each distribution's own rules (pure code, no I/O).
 *
 * The scheme-specific comparators (compareDpkgVersions, compareRpmVersions, compareApkVersions)
 * are faithful ports that accept whatever the real tool accepts. The functions here are the
 * checked entry points: every version must first be valid for its scheme (dpkg: Debian Policy
 * syntax, including what dpkg only warns about; rpm: rpmbuild's Epoch/Version/Release syntax; apk:
 * apk_version_validate), else they throw InvalidVersionError naming the argument.
 */
import { compareApkVersions, validateApkVersion } from './apk.js';
import { InvalidVersionError, type Ordering, type VersionScheme } from './common.js';
import { compareDpkgVersions, parseDpkgVersion } from './dpkg.js';
import { compareRpmVersions, parseRpmVersion } from './rpm.js';

export { InvalidVersionError, type Ordering, type VersionScheme } from './common.js';
export { compareDpkgVersions, compareParsedDpkgVersions, parseDpkgVersion, type DpkgParseOptions, type DpkgVersion } from './dpkg.js';
export { compareParsedRpmVersions, compareRpmVersions, parseRpmVersion, rpmvercmp, type RpmParseOptions, type RpmVersion } from './rpm.js';
export { compareApkVersions, isValidApkVersion, validateApkVersion } from './apk.js';

export type PackageManagerName = 'dpkg' | 'rpm' | 'apk';

/** Bounds a version must satisfy; every bound given must hold. */
export type VersionRange = { lt?: string; lte?: string; eq?: string; gte?: string; gt?: string };

export function schemeForPackageManager(pm: PackageManagerName): VersionScheme {
  switch (pm) {
    case 'dpkg':
      return 'dpkg';
    case 'rpm':
      return 'rpm';
    case 'apk':
      return 'apk';
  }
}

/**
 * Throws InvalidVersionError unless `version` is valid for `scheme`; `subject` (for example
 * `installed` or `range.lt`) is put in the error to say which argument it was.
 */
export function validateVersion(scheme: VersionScheme, version: string, subject?: string): void {
  try {
    switch (scheme) {
      case 'dpkg':
        parseDpkgVersion(version);
        return;
      case 'rpm':
        parseRpmVersion(version);
        return;
      case 'apk':
        validateApkVersion(version);
        return;
    }
  } catch (error) {
    throw error instanceof InvalidVersionError && subject !== undefined ? error.withSubject(subject) : error;
  }
}

export function isValidVersion(scheme: VersionScheme, version: string): boolean {
  try {
    validateVersion(scheme, version);
    return true;
  } catch (error) {
    if (error instanceof InvalidVersionError) return false;
    throw error;
  }
}

/** The scheme's comparator, without the syntax check. */
function compareUnchecked(scheme: VersionScheme, a: string, b: string): Ordering {
  switch (scheme) {
    case 'dpkg':
      return compareDpkgVersions(a, b);
    case 'rpm':
      return compareRpmVersions(a, b);
    case 'apk':
      return compareApkVersions(a, b);
  }
}

/**
 * Orders two versions by the scheme's rules: -1 if a is older, 0 if the scheme considers them
 * equal (dpkg `1.0` = `0:1.0`, rpm `1.01` = `1.1`), 1 if a is newer. Throws InvalidVersionError if
 * either is not valid for the scheme.
 */
export function compareVersions(scheme: VersionScheme, a: string, b: string): Ordering {
  validateVersion(scheme, a);
  validateVersion(scheme, b);
  return compareUnchecked(scheme, a, b);
}

const BOUNDS = ['lt', 'lte', 'eq', 'gte', 'gt'] as const;

/**
 * Whether `installed` satisfies every bound given in `range` (an empty range matches anything),
 * by the scheme's ordering, so equality is the scheme's (rpm `eq: "1.2"` matches `1.2-5`: see
 * rpm.ts). Throws InvalidVersionError naming the bad argument (`range.lt` … or `installed`);
 * the bounds are checked first, so a bad bound is reported whatever is installed.
 */
export function matchesVersionRange(scheme: VersionScheme, installed: string, range: VersionRange): boolean {
  const bounds = BOUNDS.flatMap((bound) => {
    const value = range[bound];
    return value === undefined ? [] : [{ bound, value }];
  });
  for (const { bound, value } of bounds) validateVersion(scheme, value, `range.${bound}`);
  validateVersion(scheme, installed, 'installed');
  return bounds.every(({ bound, value }) => {
    const order = compareUnchecked(scheme, installed, value);
    switch (bound) {
      case 'lt':
        return order < 0;
      case 'lte':
        return order <= 0;
      case 'eq':
        return order === 0;
      case 'gte':
        return order >= 0;
      case 'gt':
        return order > 0;
    }
  });
}
