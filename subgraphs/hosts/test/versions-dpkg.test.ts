import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cleanEnv } from '../../../test/support/clean-env.js';
import {
  type DpkgVersion,
  InvalidVersionError,
  compareDpkgVersions,
  compareParsedDpkgVersions,
  compareVersions,
  isValidVersion,
  matchesVersionRange,
  parseDpkgVersion,
  schemeForPackageManager,
  validateVersion,
} from '../src/versions/index.js';
import type { Ordering } from '../src/versions/index.js';

const neg = (o: Ordering): Ordering => (o === 0 ? 0 : o === 1 ? -1 : 1);

/** cmp(a, b) = expected, cmp(b, a) = -expected, and both are equal to themselves. */
function expectOrdered(cmp: (a: string, b: string) => Ordering, a: string, b: string, expected: Ordering): void {
  expect(cmp(a, b), `${a} vs ${b}`).toBe(expected);
  expect(cmp(b, a), `${b} vs ${a}`).toBe(neg(expected));
  expect(cmp(a, a), `${a} vs itself`).toBe(0);
  expect(cmp(b, b), `${b} vs itself`).toBe(0);
}

const obj = (epoch: number, upstream: string, revision: string): DpkgVersion => ({ epoch, upstream, revision });

/*
 * dpkg's own unit test: lib/dpkg/t/t-version.c in guillemj/dpkg (the dpkg maintainer's tree),
 * commit 84c9328e8fd5e5bf8f10ba1c778eb053fec1af5c. DPKG_VERSION_OBJECT(epoch, version, revision)
 * becomes obj(...), compared with compareParsedDpkgVersions (dpkg_version_compare).
 */
describe('dpkg lib/dpkg/t/t-version.c', () => {
  // test_version_compare: [a, b, expected sign]; the C test asserts only "!= 0" for the first three.
  const compareVectors: readonly [DpkgVersion, DpkgVersion, Ordering][] = [
    [obj(1, '', ''), obj(2, '', ''), -1],
    [obj(0, '1', '1'), obj(0, '2', '1'), -1],
    [obj(0, '1', '1'), obj(0, '1', '2'), -1],
    [obj(0, '0', '0'), obj(0, '0', '0'), 0],
    [obj(0, '0', '00'), obj(0, '00', '0'), 0],
    [obj(1, '2', '3'), obj(1, '2', '3'), 0],
    [obj(0, '0', '0'), obj(1, '0', '0'), -1],
    [obj(0, 'a', '0'), obj(0, 'b', '0'), -1],
    [obj(0, '0', 'a'), obj(0, '0', 'b'), -1],
    // test_version_relate
    [obj(0, '1', '1'), obj(0, '1', '1'), 0],
    [obj(0, '1', '1'), obj(0, '2', '1'), -1],
    [obj(0, '2', '1'), obj(0, '1', '1'), 1],
  ];
  it.each(compareVectors)('compare %o %o → %i (both ways, reflexive)', (a, b, expected) => {
    expect(compareParsedDpkgVersions(a, b)).toBe(expected);
    expect(compareParsedDpkgVersions(b, a)).toBe(neg(expected));
    expect(compareParsedDpkgVersions(a, a)).toBe(0);
    expect(compareParsedDpkgVersions(b, b)).toBe(0);
  });

  // test_version_parse: string → the object it must compare equal to.
  const parseVectors: readonly [string, DpkgVersion][] = [
    ['0', obj(0, '0', '')],
    ['0:0', obj(0, '0', '')],
    ['0:0-0', obj(0, '0', '0')],
    ['0:0.0-0.0', obj(0, '0.0', '0.0')],
    ['1:0', obj(1, '0', '')],
    ['5:1', obj(5, '1', '')],
    ['0:0-0-0', obj(0, '0-0', '0')],
    ['0:0-0-0-0', obj(0, '0-0-0', '0')],
    ['0:0:0-0', obj(0, '0:0', '0')],
    ['0:0:0:0-0', obj(0, '0:0:0', '0')],
    ['0:0:0-0-0', obj(0, '0:0-0', '0')],
    ['0:0-0:0-0', obj(0, '0-0:0', '0')],
    ['0:09azAZ.-+~:-0', obj(0, '09azAZ.-+~:', '0')],
    ['0:0-azAZ09.+~', obj(0, '0', 'azAZ09.+~')],
    ['  \t0:0-1', obj(0, '0', '1')],
    ['0:0-1\t  ', obj(0, '0', '1')],
    ['\t  0:0-1  \t', obj(0, '0', '1')],
  ];
  it.each(parseVectors)('parses %j', (input, expected) => {
    const parsed = parseDpkgVersion(input);
    expect(parsed).toEqual(expected);
    expect(compareParsedDpkgVersions(parsed, expected)).toBe(0);
  });

  // test_error: dpkg refuses these outright, so even the lax parse (and the comparator) throws.
  const errors: readonly [string, RegExp][] = [
    ['', /version string is empty/],
    ['  ', /version string is empty/],
    ['0:', /nothing after colon/],
    [':1.0', /epoch in version is empty/],
    ['1.0-', /revision number is empty/],
    ['0:0 0-1', /embedded spaces/],
    ['-1:0-1', /epoch in version is negative/],
    ['999999999999999999999999:0-1', /epoch in version is too big/],
    ['a:0-0', /epoch in version is empty/],
    ['A:0-0', /epoch in version is empty/],
    ['-0', /version number is empty/],
    ['0:-0', /version number is empty/],
  ];
  it.each(errors)('rejects %j (%s)', (input, message) => {
    expect(() => parseDpkgVersion(input, { lax: true })).toThrow(message);
    expect(() => parseDpkgVersion(input)).toThrow(InvalidVersionError);
    expect(() => compareDpkgVersions(input, '1.0')).toThrow(message);
  });

  // test_warn: dpkg only warns; the strict (policy) parse rejects them, the lax one accepts them.
  const warnings: [string, RegExp][] = [['0:abc3-0', /does not start with digit/], ['0:0-0:0', /invalid character ":" in revision/]];
  for (const ch of "!#@$%&/|\\<>()[]{};,_=*^'") warnings.push([`0:0${ch}-0`, /invalid character .* in version number/]);
  for (const ch of "!#@$%&/|\\<>()[]{}:;,_=*^'") warnings.push([`0:0-${ch}`, /invalid character .* in revision number/]);
  it.each(warnings)('warns about %j: strict parse throws %s, lax parse accepts', (input, message) => {
    expect(() => parseDpkgVersion(input)).toThrow(message);
    expect(() => parseDpkgVersion(input, { lax: true })).not.toThrow();
  });
});

/*
 * dpkg's Perl test vectors: the __DATA__ table of scripts/t/Dpkg_Version.t in guillemj/dpkg,
 * commit dd0f24f2edd15342fbd5fedbfd2c269c71406315 (checked there against Dpkg::Version AND the
 * real `dpkg --compare-versions`). Verbatim, one "a b expected" per line.
 */
const DPKG_VERSION_T_DATA = `
1.0-1 2.0-2 -1
2.2~rc-4 2.2-1 -1
2.2-1 2.2~rc-4 1
1.0000-1 1.0-1 0
1 0:1 0
0 0:0-0 0
2:2.5 1:7.5 1
1:0foo 0foo 1
0:0foo 0foo 0
0foo 0foo 0
0foo- 0foo 0
0foo- 0foo-0 0
0foo 0fo 1
0foo- 0foo+ -1
0foo~1 0foo -1
0foo~foo+Bar 0foo~foo+bar -1
0foo~~ 0foo~ -1
1~ 1 -1
12345+that-really-is-some-ver-0 12345+that-really-is-some-ver-10 -1
0foo-0 0foo-01 -1
0foo.bar 0foobar 1
0foo.bar 0foo1bar 1
0foo.bar 0foo0bar 1
0foo1bar-1 0foobar-1 -1
0foo2.0 0foo2 1
0foo2.0.0 0foo2.10.0 -1
0foo2.0 0foo2.0.0 -1
0foo2.0 0foo2.10 -1
0foo2.1 0foo2.10 -1
1.09 1.9 0
1.0.8+nmu1 1.0.8 1
3.11 3.10+nmu1 1
0.9j-20080306-4 0.9i-20070324-2 1
1.2.0~b7-1 1.2.0~b6-1 1
1.011-1 1.06-2 1
0.0.9+dfsg1-1 0.0.8+dfsg1-3 1
4.6.99+svn6582-1 4.6.99+svn6496-1 1
53 52 1
0.9.9~pre122-1 0.9.9~pre111-1 1
2:2.3.2-2+lenny2 2:2.3.2-2 1
1:3.8.1-1 3.8.GA-1 1
1.0.1+gpl-1 1.0.1-2 1
1a 1000a -1
-0.6.5 0.9.1 -1
`;

function parseTable(text: string): [string, string, Ordering][] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [a, b, r] = line.split(' ');
      return [a!, b!, Number(r) as Ordering];
    });
}

describe('dpkg scripts/t/Dpkg_Version.t', () => {
  const rows = parseTable(DPKG_VERSION_T_DATA);
  // Rows whose strings current dpkg (>= 1.17.x; 1.21 here) rejects with "revision number is
  // empty" / "version number is empty", though the old table still records their ordering.
  const rejectedNow = (v: string): boolean => v.endsWith('-') || v.startsWith('-');

  it('has all 44 rows', () => expect(rows).toHaveLength(44));

  it.each(rows.filter(([a, b]) => !rejectedNow(a) && !rejectedNow(b)))('%s vs %s → %i', (a, b, expected) => {
    expectOrdered(compareDpkgVersions, a, b, expected);
  });

  it.each(rows.filter(([a, b]) => rejectedNow(a) || rejectedNow(b)))('%s vs %s: now rejected, yet the parts still order as %i', (a, b, expected) => {
    const bad = rejectedNow(a) ? a : b;
    expect(() => compareDpkgVersions(a, b)).toThrow(InvalidVersionError);
    expect(() => compareDpkgVersions(bad, bad)).toThrow(/(revision|version) number is empty/);
    // Split as the old dpkg did (an empty revision / upstream) and compare the parts.
    const split = (v: string): DpkgVersion => {
      const h = v.lastIndexOf('-');
      return h < 0 ? obj(0, v, '') : obj(0, v.slice(0, h), v.slice(h + 1));
    };
    expect(compareParsedDpkgVersions(split(a), split(b))).toBe(expected);
    expect(compareParsedDpkgVersions(split(b), split(a))).toBe(neg(expected));
  });
});

/*
 * Debian Policy §5.6.12 (and deb-version(5)): "a tilde sorts before anything, even the end of a
 * part. For example, the following parts are in sorted order from earliest to latest: ~~, ~~a, ~,
 * the empty part, a", with the footnote "1.0~beta1~svn1245 sorts earlier than 1.0~beta1, which
 * sorts earlier than 1.0"; plus the classic cases: pre-release, binNMU, epoch, absent epoch and
 * revision.
 */
describe('Debian Policy examples', () => {
  const ascending = (versions: string[]) => {
    for (let i = 0; i < versions.length; i++) {
      for (let j = i + 1; j < versions.length; j++) expectOrdered(compareDpkgVersions, versions[i]!, versions[j]!, -1);
    }
  };
  it('~~ < ~~a < ~ < (empty) < a, as upstream parts and as revisions', () => {
    ascending(['1~~', '1~~a', '1~', '1', '1a']);
    ascending(['1-1~~', '1-1~~a', '1-1~', '1-1', '1-1a']);
  });
  it('1.0~beta1~svn1245 < 1.0~beta1 < 1.0', () => ascending(['1.0~beta1~svn1245', '1.0~beta1', '1.0']));
  it('letters sort before non-letters; digit runs compare numerically', () => {
    ascending(['1.0a', '1.0+', '1.0.']);
    ascending(['1.9', '1.10', '1.010.1']);
  });
  it.each([
    ['1.0~rc1', '1.0', -1],
    ['1.0', '1.0+b1', -1],
    ['1:0.9', '2.0', 1],
    ['1.0', '0:1.0', 0],
    ['1.0', '1.0-0', 0],
    ['1.0-1', '1.0', 1],
    ['1.0.0', '1.0', 1],
    ['1.00', '1.0', 0],
    ['2:1.0', '10:0.1', -1],
  ] as const)('%s vs %s → %i', (a, b, expected) => expectOrdered(compareDpkgVersions, a, b, expected));
});

describe('parseDpkgVersion', () => {
  it('splits the epoch at the first colon and the revision at the last hyphen', () => {
    expect(parseDpkgVersion('2:1.2-3-4ubuntu1')).toEqual(obj(2, '1.2-3', '4ubuntu1'));
    expect(parseDpkgVersion('1.2.3')).toEqual(obj(0, '1.2.3', ''));
    expect(parseDpkgVersion('+1:2')).toEqual(obj(1, '2', '')); // strtol() takes a sign, as dpkg does
    expect(parseDpkgVersion('2147483647:1').epoch).toBe(2_147_483_647);
  });
  it('names the bad part in the error', () => {
    expect(() => parseDpkgVersion('1.0_1')).toThrow('invalid character "_" in version number "1.0_1"');
    expect(() => parseDpkgVersion('1.0-a_b')).toThrow('invalid character "_" in revision number "a_b"');
    expect(() => parseDpkgVersion('x1:1.0')).toThrow('epoch in version is empty (epoch "x1" has no digits)');
    expect(() => parseDpkgVersion('1x:1.0')).toThrow('epoch in version is not number (epoch "1x")');
    expect(() => parseDpkgVersion('2147483648:1')).toThrow(/too big/);
    expect(() => parseDpkgVersion('abc')).toThrow('version number does not start with digit (upstream version "abc")');
    const error = (() => {
      try {
        parseDpkgVersion('1.0-');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidVersionError);
    expect(error).toMatchObject({ scheme: 'dpkg', version: '1.0-' });
  });
});

describe('checked API with the dpkg scheme', () => {
  it('maps package managers to schemes', () => {
    expect(schemeForPackageManager('dpkg')).toBe('dpkg');
    expect(schemeForPackageManager('rpm')).toBe('rpm');
    expect(schemeForPackageManager('apk')).toBe('apk');
  });

  it('compareVersions compares by the scheme and enforces the policy syntax', () => {
    expect(compareVersions('dpkg', '1.0', '0:1.0')).toBe(0);
    expect(compareVersions('dpkg', '1:0.9', '2.0')).toBe(1);
    // dpkg only warns about this one, so the raw comparator takes it; the checked one does not.
    expect(compareDpkgVersions('abc', '1')).toBe(1);
    expect(() => compareVersions('dpkg', 'abc', '1')).toThrow(InvalidVersionError);
    expect(() => compareVersions('dpkg', '1', '1.0_1')).toThrow('"1.0_1" is not a valid dpkg version');
    expect(isValidVersion('dpkg', '1:2.3-4')).toBe(true);
    expect(isValidVersion('dpkg', '1:2.3-')).toBe(false);
    expect(() => validateVersion('dpkg', 'x', 'fixedVersion')).toThrow(/^fixedVersion: "x" is not a valid dpkg version/);
  });

  it.each([
    ['1.0', {}, true],
    ['1.0', { eq: '0:1.0' }, true],
    ['1.0', { eq: '1.0-0' }, true],
    ['1.0-1', { eq: '1.0' }, false],
    ['1.0~rc1', { lt: '1.0' }, true],
    ['1.0+b1', { gt: '1.0' }, true],
    ['1.0', { lte: '1.0', gte: '1.0' }, true],
    ['1.5-1', { gte: '1.0', lt: '2.0' }, true],
    ['2.0~rc1', { gte: '1.0', lt: '2.0' }, true],
    ['2.0', { gte: '1.0', lt: '2.0' }, false],
    ['1:0.9', { gte: '1.0', lt: '2.0' }, false],
    ['1:0.9', { gt: '2.0' }, true],
    // vulnerability correlation: installed older than the fixed version
    ['2.36-9+deb12u3', { lt: '2.36-9+deb12u4' }, true],
    ['2.36-9+deb12u4', { lt: '2.36-9+deb12u4' }, false],
    ['1.0', { lt: undefined, eq: '1.0' }, true],
  ] as const)('%s in %o → %s', (installed, range, expected) => {
    expect(matchesVersionRange('dpkg', installed, range)).toBe(expected);
  });

  it('names the invalid argument, checking the bounds first', () => {
    const thrown = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return error;
      }
      throw new Error('did not throw');
    };
    const badBound = thrown(() => matchesVersionRange('dpkg', '1.0', { gte: '1.0', lt: '1.0-' }));
    expect(badBound).toBeInstanceOf(InvalidVersionError);
    expect(badBound).toMatchObject({ subject: 'range.lt', version: '1.0-', scheme: 'dpkg' });
    expect((badBound as Error).message).toBe('range.lt: "1.0-" is not a valid dpkg version: revision number is empty (nothing after the last "-")');
    expect(thrown(() => matchesVersionRange('dpkg', 'x1.0', { lt: '2.0' }))).toMatchObject({ subject: 'installed', version: 'x1.0' });
    expect(thrown(() => matchesVersionRange('dpkg', 'x1.0', { eq: 'y' }))).toMatchObject({ subject: 'range.eq' });
  });
});

/*
 * Cross-check against the real dpkg on this machine: ~200 generated valid pairs (a fixed seed, so
 * the run is reproducible), a few dpkg only warns about, and some it rejects.
 */
const hasDpkg = spawnSync('dpkg', ['--version'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!hasDpkg)(`cross-check with \`dpkg --compare-versions\`${hasDpkg ? '' : ' (skipped: dpkg is not installed)'}`, () => {
  /** mulberry32: a tiny deterministic PRNG. */
  function rng(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const random = rng(0x5eed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const digits = () => pick(['0', '1', '2', '9', '10', '01', '007', '99', '100', '20240101']);
  const part = (extra: readonly string[], length: number) => {
    let text = '';
    for (let i = 0; i < length; i++) text += pick([digits(), digits(), 'a', 'b', 'z', 'A', 'Z', 'rc', ...extra]);
    return text;
  };
  const generate = (): string => {
    const epoch = random() < 0.25 ? `${pick(['0', '1', '2', '00', '10'])}:` : '';
    const hasRevision = random() < 0.6;
    const upstreamExtra = ['.', '.', '+', '~', ...(hasRevision ? ['-'] : []), ...(epoch ? [':'] : [])];
    const upstream = digits() + part(upstreamExtra, Math.floor(random() * 5));
    const revision = hasRevision ? `-${pick(['0', '1', 'a', '~', '+'])}${part(['.', '+', '~'], Math.floor(random() * 3))}` : '';
    return `${epoch}${upstream}${revision}`;
  };
  const mutate = (v: string): string =>
    pick([
      () => `${v}~`,
      () => `${v}~1`,
      () => `${v}+b1`,
      () => `${v}.0`,
      () => `${v}0`,
      () => `${v}a`,
      () => (v.includes(':') ? v : `0:${v}`),
      () => (v.includes('-') ? v : `${v}-0`),
      () => v.replace(/\d+/, (d) => `0${d}`),
      () => v.replace(/\d+$/, (d) => String(Number(d) + 1)),
      () => v.replace('.', '~'),
      () => v.replace('~', '.'),
      () => v,
    ])();

  const pairs: [string, string][] = [];
  for (let i = 0; i < 200; i++) {
    const a = generate();
    pairs.push([a, random() < 0.5 ? generate() : mutate(a)]);
  }
  // Accepted by dpkg with a warning only (so compared by the lax parse), including non-ASCII bytes.
  const laxPairs: [string, string][] = [
    ['1.0é', '1.0z'],
    ['1.0é', '1.0+'],
    ['1.0é', '1.0~'],
    ['1.0_1', '1.0.1'],
    ['abc', '1'],
    ['1-a_b', '1'],
    ['1.0@', '1.0#'],
  ];
  const rejected = ['1.0-', ':1', 'a:1', '1:', '2147483648:1', '-0.6.5', '0:-0', '1 2'];

  /** One shell loop for all pairs: -1, 0 or 1 per pair, or E when dpkg refuses a version. */
  function dpkgCompare(list: readonly [string, string][]): string[] {
    const script = [
      'while IFS="$(printf "\\t")" read -r a b; do',
      '  dpkg --compare-versions -- "$a" lt "$b" 2>/dev/null; r=$?',
      '  if [ $r -eq 0 ]; then echo -1',
      '  elif [ $r -eq 1 ]; then if dpkg --compare-versions -- "$a" eq "$b" 2>/dev/null; then echo 0; else echo 1; fi',
      '  else echo E; fi',
      'done',
    ].join('\n');
    const result = spawnSync('sh', ['-c', script], {
      input: list.map(([a, b]) => `${a}\t${b}\n`).join(''),
      encoding: 'utf8',
      env: cleanEnv({ LC_ALL: 'C' }),
    });
    expect(result.status, result.stderr).toBe(0);
    return result.stdout.trim().split('\n');
  }

  it('agrees on 200 generated valid pairs', () => {
    for (const [a, b] of pairs) {
      expect(() => parseDpkgVersion(a), a).not.toThrow();
      expect(() => parseDpkgVersion(b), b).not.toThrow();
    }
    const expected = dpkgCompare(pairs);
    expect(expected).toHaveLength(pairs.length);
    const ours = pairs.map(([a, b]) => String(compareDpkgVersions(a, b)));
    const disagreements = pairs.flatMap(([a, b], i) => (ours[i] === expected[i] ? [] : [`${a} vs ${b}: dpkg ${expected[i]}, ours ${ours[i]}`]));
    expect(disagreements).toEqual([]);
    // The generator must exercise all three outcomes, not just "different".
    expect(new Set(expected)).toEqual(new Set(['-1', '0', '1']));
  });

  it('agrees on versions dpkg only warns about', () => {
    const expected = dpkgCompare(laxPairs);
    expect(laxPairs.map(([a, b]) => String(compareDpkgVersions(a, b)))).toEqual(expected);
  });

  it('rejects what dpkg rejects', () => {
    expect(dpkgCompare(rejected.map((v) => [v, '1']))).toEqual(rejected.map(() => 'E'));
    for (const v of rejected) expect(() => compareDpkgVersions(v, '1'), v).toThrow(InvalidVersionError);
  });
});
