/** The version-ordering rules of one package manager family. */
export type VersionScheme = 'dpkg' | 'rpm' | 'apk';

/** A comparator result, normalised to its sign. */
export type Ordering = -1 | 0 | 1;

/**
 * A version string that a scheme cannot accept. `subject` says which argument it was (for example
 * `installed` or `range.lt`) when the caller named one; `reason` names the offending part.
 */
export class InvalidVersionError extends Error {
  override readonly name = 'InvalidVersionError';

  constructor(
    readonly scheme: VersionScheme,
    readonly version: string,
    readonly reason: string,
    readonly subject?: string,
  ) {
    super(`${subject === undefined ? '' : `${subject}: `}${JSON.stringify(version)} is not a valid ${scheme} version: ${reason}`);
  }

  /** The same error, attributed to a named argument. */
  withSubject(subject: string): InvalidVersionError {
    return new InvalidVersionError(this.scheme, this.version, this.reason, subject);
  }
}

export const sign = (n: number): Ordering => (n < 0 ? -1 : n > 0 ? 1 : 0);

export const isAsciiDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
export const isAsciiAlpha = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/** Quotes one character for an error message, escaping the invisible ones. */
export const quoteChar = (ch: string): string => JSON.stringify(ch);
