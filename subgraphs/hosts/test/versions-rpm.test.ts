import { describe, expect, it } from 'vitest';
import { InvalidVersionError, compareRpmVersions, compareVersions, matchesVersionRange, parseRpmVersion, rpmvercmp } from '../src/versions/index.js';
import type { Ordering } from '../src/versions/index.js';

const neg = (o: Ordering): Ordering => (o === 0 ? 0 : o === 1 ? -1 : 1);

/*
 * rpm's own comparison vectors: tests/rpmvercmp.at in rpm-software-management/rpm, commit
 * 7f3fdf6868d72fbdef3386345ff39b3744fa4b14 (the version with the caret tests), copied verbatim
 * from its AT_BANNER on. Each RPMVERCMP(a, b, result) runs `rpm.vercmp("a", "b")`. The
 * `dnl`-commented block ("oddities") is disabled upstream but documents rpm's current behaviour,
 * so it is checked too, separately.
 */
const RPMVERCMP_AT = `
AT_BANNER([RPM version comparison])

RPMVERCMP(1.0, 1.0, 0)
RPMVERCMP(1.0, 2.0, -1)
RPMVERCMP(2.0, 1.0, 1)

RPMVERCMP(2.0.1, 2.0.1, 0)
RPMVERCMP(2.0, 2.0.1, -1)
RPMVERCMP(2.0.1, 2.0, 1)

RPMVERCMP(2.0.1a, 2.0.1a, 0)
RPMVERCMP(2.0.1a, 2.0.1, 1)
RPMVERCMP(2.0.1, 2.0.1a, -1)

RPMVERCMP(5.5p1, 5.5p1, 0)
RPMVERCMP(5.5p1, 5.5p2, -1)
RPMVERCMP(5.5p2, 5.5p1, 1)

RPMVERCMP(5.5p10, 5.5p10, 0)
RPMVERCMP(5.5p1, 5.5p10, -1)
RPMVERCMP(5.5p10, 5.5p1, 1)

RPMVERCMP(10xyz, 10.1xyz, -1)
RPMVERCMP(10.1xyz, 10xyz, 1)

RPMVERCMP(xyz10, xyz10, 0)
RPMVERCMP(xyz10, xyz10.1, -1)
RPMVERCMP(xyz10.1, xyz10, 1)

RPMVERCMP(xyz.4, xyz.4, 0)
RPMVERCMP(xyz.4, 8, -1)
RPMVERCMP(8, xyz.4, 1)
RPMVERCMP(xyz.4, 2, -1)
RPMVERCMP(2, xyz.4, 1)

RPMVERCMP(5.5p2, 5.6p1, -1)
RPMVERCMP(5.6p1, 5.5p2, 1)

RPMVERCMP(5.6p1, 6.5p1, -1)
RPMVERCMP(6.5p1, 5.6p1, 1)

RPMVERCMP(6.0.rc1, 6.0, 1)
RPMVERCMP(6.0, 6.0.rc1, -1)

RPMVERCMP(10b2, 10a1, 1)
RPMVERCMP(10a2, 10b2, -1)

RPMVERCMP(1.0aa, 1.0aa, 0)
RPMVERCMP(1.0a, 1.0aa, -1)
RPMVERCMP(1.0aa, 1.0a, 1)

RPMVERCMP(10.0001, 10.0001, 0)
RPMVERCMP(10.0001, 10.1, 0)
RPMVERCMP(10.1, 10.0001, 0)
RPMVERCMP(10.0001, 10.0039, -1)
RPMVERCMP(10.0039, 10.0001, 1)

RPMVERCMP(4.999.9, 5.0, -1)
RPMVERCMP(5.0, 4.999.9, 1)

RPMVERCMP(20101121, 20101121, 0)
RPMVERCMP(20101121, 20101122, -1)
RPMVERCMP(20101122, 20101121, 1)

RPMVERCMP(2_0, 2_0, 0)
RPMVERCMP(2.0, 2_0, 0)
RPMVERCMP(2_0, 2.0, 0)

dnl RhBug:178798 case
RPMVERCMP(a, a, 0)
RPMVERCMP(a+, a+, 0)
RPMVERCMP(a+, a_, 0)
RPMVERCMP(a_, a+, 0)
RPMVERCMP(+a, +a, 0)
RPMVERCMP(+a, _a, 0)
RPMVERCMP(_a, +a, 0)
RPMVERCMP(+_, +_, 0)
RPMVERCMP(_+, +_, 0)
RPMVERCMP(_+, _+, 0)
RPMVERCMP(+, _, 0)
RPMVERCMP(_, +, 0)

dnl Basic testcases for tilde sorting
RPMVERCMP(1.0~rc1, 1.0~rc1, 0)
RPMVERCMP(1.0~rc1, 1.0, -1)
RPMVERCMP(1.0, 1.0~rc1, 1)
RPMVERCMP(1.0~rc1, 1.0~rc2, -1)
RPMVERCMP(1.0~rc2, 1.0~rc1, 1)
RPMVERCMP(1.0~rc1~git123, 1.0~rc1~git123, 0)
RPMVERCMP(1.0~rc1~git123, 1.0~rc1, -1)
RPMVERCMP(1.0~rc1, 1.0~rc1~git123, 1)

dnl Basic testcases for caret sorting
RPMVERCMP(1.0^, 1.0^, 0)
RPMVERCMP(1.0^, 1.0, 1)
RPMVERCMP(1.0, 1.0^, -1)
RPMVERCMP(1.0^git1, 1.0^git1, 0)
RPMVERCMP(1.0^git1, 1.0, 1)
RPMVERCMP(1.0, 1.0^git1, -1)
RPMVERCMP(1.0^git1, 1.0^git2, -1)
RPMVERCMP(1.0^git2, 1.0^git1, 1)
RPMVERCMP(1.0^git1, 1.01, -1)
RPMVERCMP(1.01, 1.0^git1, 1)
RPMVERCMP(1.0^20160101, 1.0^20160101, 0)
RPMVERCMP(1.0^20160101, 1.0.1, -1)
RPMVERCMP(1.0.1, 1.0^20160101, 1)
RPMVERCMP(1.0^20160101^git1, 1.0^20160101^git1, 0)
RPMVERCMP(1.0^20160102, 1.0^20160101^git1, 1)
RPMVERCMP(1.0^20160101^git1, 1.0^20160102, -1)

dnl Basic testcases for tilde and caret sorting
RPMVERCMP(1.0~rc1^git1, 1.0~rc1^git1, 0)
RPMVERCMP(1.0~rc1^git1, 1.0~rc1, 1)
RPMVERCMP(1.0~rc1, 1.0~rc1^git1, -1)
RPMVERCMP(1.0^git1~pre, 1.0^git1~pre, 0)
RPMVERCMP(1.0^git1, 1.0^git1~pre, 1)
RPMVERCMP(1.0^git1~pre, 1.0^git1, -1)

dnl These are included here to document current, arguably buggy behaviors
dnl for reference purposes and for easy checking against  unintended
dnl behavior changes.
dnl
dnl AT_BANNER([RPM version comparison oddities])
dnl RhBug:811992 case
dnl RPMVERCMP(1b.fc17, 1b.fc17, 0)
dnl RPMVERCMP(1b.fc17, 1.fc17, -1)
dnl RPMVERCMP(1.fc17, 1b.fc17, 1)
dnl RPMVERCMP(1g.fc17, 1g.fc17, 0)
dnl RPMVERCMP(1g.fc17, 1.fc17, 1)
dnl RPMVERCMP(1.fc17, 1g.fc17, -1)

dnl Non-ascii characters are considered equal so these are all the same, eh...
dnl RPMVERCMP(1.1.α, 1.1.α, 0)
dnl RPMVERCMP(1.1.α, 1.1.β, 0)
dnl RPMVERCMP(1.1.β, 1.1.α, 0)
dnl RPMVERCMP(1.1.αα, 1.1.α, 0)
dnl RPMVERCMP(1.1.α, 1.1.ββ, 0)
dnl RPMVERCMP(1.1.ββ, 1.1.αα, 0)
`;

type Vector = { a: string; b: string; expected: Ordering; line: number };

function rpmvercmpLines(disabled: boolean): Vector[] {
  const out: Vector[] = [];
  RPMVERCMP_AT.split('\n').forEach((text, index) => {
    const m = /^(dnl )?RPMVERCMP\(([^,]*), ([^,]*), (-1|0|1)\)$/.exec(text);
    if (m && (m[1] !== undefined) === disabled) out.push({ a: m[2]!, b: m[3]!, expected: Number(m[4]) as Ordering, line: index });
  });
  return out;
}

function expectOrdered(cmp: (a: string, b: string) => Ordering, { a, b, expected }: Vector): void {
  expect(cmp(a, b), `${a} vs ${b}`).toBe(expected);
  expect(cmp(b, a), `${b} vs ${a}`).toBe(neg(expected));
  expect(cmp(a, a), `${a} vs itself`).toBe(0);
  expect(cmp(b, b), `${b} vs itself`).toBe(0);
}

describe('rpm tests/rpmvercmp.at', () => {
  const active = rpmvercmpLines(false);
  const oddities = rpmvercmpLines(true);

  it('ports every RPMVERCMP line (91 active, 12 disabled)', () => {
    expect(active).toHaveLength(91);
    expect(oddities).toHaveLength(12);
  });

  it.each(active)('RPMVERCMP($a, $b, $expected): rpmvercmp and the EVR comparator', (vector) => {
    expectOrdered(rpmvercmp, vector);
    // rpm.vercmp parses each side as an EVR; none of these has an epoch or a release.
    expectOrdered(compareRpmVersions, vector);
  });

  it.each(oddities)('dnl RPMVERCMP($a, $b, $expected): documented rpm behaviour', (vector) => {
    expectOrdered(rpmvercmp, vector);
    expectOrdered(compareRpmVersions, vector);
  });
});

describe('compareRpmVersions: [epoch:]version[-release]', () => {
  it.each([
    // epoch first (absent = 0), numerically
    ['1:1.0-1', '2.0-1', 1],
    ['0:1.0-1', '1.0-1', 0],
    ['00:1.0', '0:1.0', 0],
    ['10:1', '9:2', 1],
    // then version, then release
    ['1.0-2', '1.0-10', -1],
    ['1.0-1.el9', '1.0-1.el8', 1],
    ['1.0-1.el9_2', '1.0-1.el9_10', -1],
    ['2.0-1', '1.0-9', 1],
    // the release is split at the last hyphen
    ['1.0-1-2', '1.0-1-10', -1],
    // rpm equality by the scheme
    ['1.01', '1.1', 0],
    ['1.0-01', '1.0-1', 0],
    ['1.0~rc1-1', '1.0-1', -1],
    ['1.0^git1-1', '1.0-1', 1],
    // a release on only one side is ignored (documented choice: rpmverOverlap/rpmdsCompare)
    ['1.0', '1.0-5', 0],
    ['1.0-', '1.0-5', 0],
    ['1.0', '1.1-5', -1],
    ['1:1.0', '1.0-5', 1],
  ] as const)('%s vs %s → %i', (a, b, expected) => {
    expectOrdered(compareRpmVersions, { a, b, expected, line: 0 });
  });

  it('rejects only the empty string, as rpm.vercmp does', () => {
    expect(() => compareRpmVersions('', '1')).toThrow(InvalidVersionError);
    expect(compareRpmVersions('1.0 beta', '1.0.beta')).toBe(0);
  });
});

describe('parseRpmVersion', () => {
  it('splits like rpm parseEVR', () => {
    expect(parseRpmVersion('3:1.2.3-4.el9_2')).toEqual({ epoch: '3', version: '1.2.3', release: '4.el9_2' });
    expect(parseRpmVersion('1.2.3')).toEqual({ epoch: null, version: '1.2.3', release: null });
    expect(parseRpmVersion(':1.0', { lax: true })).toEqual({ epoch: '0', version: '1.0', release: null });
    expect(parseRpmVersion('a:1.0', { lax: true })).toEqual({ epoch: null, version: 'a:1.0', release: null });
  });

  it.each([
    ['', /version string is empty/],
    [':1.0', /epoch is empty/],
    ['a:1.0', /epoch "a" is not a non-negative integer/],
    ['1:2:3', /illegal character ":" in version "2:3"/],
    ['-1', /version is empty/],
    ['1.0-', /release is empty/],
    ['1.0-1-2', /illegal character "-" in version "1.0-1"/],
    ['1.0 beta', /illegal character " " in version "1.0 beta"/],
    ['1.0-1@2', /illegal character "@" in release "1@2"/],
    ['1..0', /illegal sequence "\.\." in version "1\.\.0"/],
  ])('strict: rejects %j with %s', (input, message) => {
    expect(() => parseRpmVersion(input)).toThrow(message);
  });

  it('strict: accepts what rpmbuild accepts', () => {
    for (const v of ['1.0', '0:1.0-1', '1.0~rc1^git2+abc_1-0.1.fc40', 'xyz.4', '+a', '_']) expect(() => parseRpmVersion(v), v).not.toThrow();
  });
});

describe('checked API with the rpm scheme', () => {
  it('compares by the scheme (rpm 1.01 = 1.1) and enforces rpmbuild syntax', () => {
    expect(compareVersions('rpm', '1.01', '1.1')).toBe(0);
    expect(compareVersions('rpm', '1:1.0-1.el9', '2.0-1.el9')).toBe(1);
    expect(compareRpmVersions('1.0-1-2', '1.0-1-2')).toBe(0);
    expect(() => compareVersions('rpm', '1.0-1-2', '1.0')).toThrow(/illegal character "-" in version/);
  });

  it.each([
    ['1.2-5.el9', {}, true],
    ['1.2-5.el9', { eq: '1.2' }, true],
    ['1.2-5.el9', { eq: '1.2-5.el9' }, true],
    ['1.2-5.el9', { eq: '1.2-6.el9' }, false],
    ['1.2-5.el9', { lt: '1.2' }, false],
    ['1.2-5.el9', { lt: '1.2-6.el9' }, true],
    ['1.2-5.el9', { gte: '1.2', lt: '1.3' }, true],
    ['1.2-5.el9', { gte: '1:1.0' }, false],
    ['0:1.2-5.el9', { eq: '1.2-5.el9' }, true],
    ['1.2~rc1-1', { lt: '1.2' }, true],
    ['1.2^git1-1', { gt: '1.2', lt: '1.2.1' }, true],
    // vulnerability correlation: installed older than the fixed version
    ['3.0.7-24.el9', { lt: '1:3.0.7-25.el9' }, true],
    ['1:3.0.7-25.el9', { lt: '1:3.0.7-25.el9' }, false],
  ] as const)('%s in %o → %s', (installed, range, expected) => {
    expect(matchesVersionRange('rpm', installed, range)).toBe(expected);
  });

  it('names the invalid argument', () => {
    expect(() => matchesVersionRange('rpm', '1.0', { gte: 'a:1' })).toThrow(/^range\.gte: "a:1" is not a valid rpm version: epoch "a"/);
    expect(() => matchesVersionRange('rpm', '', { gte: '1' })).toThrow(/^installed: "" is not a valid rpm version/);
    expect(() => matchesVersionRange('rpm', '1', { gte: '1..2' })).toThrow(InvalidVersionError);
  });
});
