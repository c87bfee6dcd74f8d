/**
 * A synthetic but realistic fleet of dpkg hosts for the package-index benchmark: deterministic (one
 * seed), about `packagesPerHost` packages per host drawn from a pool of real package names (what
 * dpkg-query lists on this machine, with their real versions and architectures) and generated ones
 * in Debian's naming styles. Most real packages are on most hosts, generated ones on a few; versions
 * differ across hosts (a current one on most, older patch levels on the rest), so version-range
 * queries select subsets.
 *
 * Three packages are fixed whatever the machine: openssl on ~97% of the hosts in six versions
 * (35% older than 3.0.14), and telnetd on ~0.8% (a rare package).
 */
import { execFileSync } from 'node:child_process';
import type { ProbeReport } from '@vigil/subgraph-hosts/facts/types';
import type { InstalledPackage, OsInfo } from '@vigil/subgraph-hosts/sources/probe/types';

export const WIDESPREAD_PACKAGE = 'openssl';
export const RARE_PACKAGE = 'telnetd';
export const VERSION_BOUND = '3.0.14';

/** openssl's versions across the fleet (bookworm's security updates) and the share of hosts on each. */
const OPENSSL_VERSIONS: readonly { version: string; share: number; belowBound: boolean }[] = [
  { version: '3.0.11-1~deb12u2', share: 0.2, belowBound: true },
  { version: '3.0.13-1~deb12u1', share: 0.15, belowBound: true },
  { version: '3.0.14-1~deb12u2', share: 0.15, belowBound: false },
  { version: '3.0.15-1~deb12u1', share: 0.2, belowBound: false },
  { version: '3.0.17-1~deb12u2', share: 0.15, belowBound: false },
  { version: '3.0.19-1~deb12u2', share: 0.15, belowBound: false },
];
/** The openssl versions `version: { lt: VERSION_BOUND }` must select (dpkg order, checked by hand). */
export const OPENSSL_BELOW_BOUND: ReadonlySet<string> = new Set(OPENSSL_VERSIONS.filter((v) => v.belowBound).map((v) => v.version));

interface PoolPackage {
  name: string;
  arch: string | null;
  versions: string[];
  /** Cumulative shares of `versions`, last = 1. */
  cumulative: number[];
  /** Probability that a host has it (after scaling to packagesPerHost). */
  popularity: number;
}

export interface FleetOptions {
  hosts: number;
  packagesPerHost: number;
  /** @default 1 */
  seed?: number;
  /** finishedAt of every report. @default an hour ago */
  reportTime?: Date;
}

export interface PackageFleet {
  hostIds: string[];
  /** Names in the pool: real (from dpkg-query on this machine) and generated. */
  pool: { real: number; generated: number };
  /** The report host i's (only) probe produced: os and packages collected, both OK. */
  report(index: number): ProbeReport;
}

export function createPackageFleet(options: FleetOptions): PackageFleet {
  const seed = options.seed ?? 1;
  const random = mulberry32(seed);
  const real = realPackages();
  const fixed = new Map<string, PoolPackage>([
    [WIDESPREAD_PACKAGE, poolPackage(WIDESPREAD_PACKAGE, 'amd64', OPENSSL_VERSIONS.map((v) => v.version), OPENSSL_VERSIONS.map((v) => v.share), 0.97)],
    [RARE_PACKAGE, poolPackage(RARE_PACKAGE, 'amd64', ['0.17+2.4-2+deb12u1', '0.17+2.4-2'], [0.7, 0.3], 0.008)],
  ]);
  const taken = new Set([...fixed.keys(), ...real.map((p) => p.name)]);
  const pool: PoolPackage[] = [];
  for (const pkg of real) {
    if (fixed.has(pkg.name)) continue;
    pool.push(withVersions(pkg.name, pkg.arch, pkg.version, 0.7 + 0.3 * random(), random));
  }
  const realCount = pool.length;
  // Twice the per-host count in all, the rest generated: a fleet has more names than any one host.
  const generatedTarget = Math.max(0, 2 * options.packagesPerHost - realCount);
  for (let attempts = 0; pool.length - realCount < generatedTarget && attempts < generatedTarget * 20; attempts++) {
    const generated = generatedPackage(random);
    if (taken.has(generated.name)) continue;
    taken.add(generated.name);
    pool.push(withVersions(generated.name, generated.arch, generated.version, 0.35 * random() ** 2, random));
  }
  scalePopularity(pool, options.packagesPerHost - [...fixed.values()].reduce((sum, p) => sum + p.popularity, 0));
  pool.push(...fixed.values());
  pool.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const width = String(options.hosts).length;
  const hostIds = Array.from({ length: options.hosts }, (_, i) => `host-${String(i + 1).padStart(width, '0')}`);
  const finishedAt = (options.reportTime ?? new Date(Date.now() - 3_600_000)).toISOString();
  const startedAt = new Date(Date.parse(finishedAt) - 1_500).toISOString();
  return {
    hostIds,
    pool: { real: realCount, generated: pool.length - realCount - fixed.size },
    report(index) {
      const hostId = hostIds[index];
      if (hostId === undefined) throw new RangeError(`no host ${index}`);
      const hostRandom = mulberry32(seed * 1_000_003 + index + 1);
      const packages: InstalledPackage[] = [];
      for (const pkg of pool) {
        if (hostRandom() >= pkg.popularity) continue;
        const pick = hostRandom();
        const version = pkg.versions[pkg.cumulative.findIndex((c) => pick < c)] ?? pkg.versions.at(-1) ?? '0';
        packages.push({ name: pkg.name, version, arch: pkg.arch });
      }
      return {
        hostId,
        status: 'OK',
        message: null,
        startedAt,
        finishedAt,
        packageManager: 'dpkg',
        collectors: { os: { status: 'OK', message: null }, packages: { status: 'OK', message: null } },
        facts: { os: [osOf(hostRandom)], packages },
        metrics: null,
      };
    },
  };
}

function poolPackage(name: string, arch: string | null, versions: string[], shares: number[], popularity: number): PoolPackage {
  const total = shares.reduce((sum, share) => sum + share, 0);
  let running = 0;
  const cumulative = shares.map((share) => (running += share / total));
  cumulative[cumulative.length - 1] = 1;
  return { name, arch, versions, cumulative, popularity };
}

/** The current version on most hosts; up to three older patch levels on fewer and fewer. */
function withVersions(name: string, arch: string | null, current: string, popularity: number, random: () => number): PoolPackage {
  const count = 1 + Math.floor(random() ** 1.5 * 4);
  const versions = [...new Set(Array.from({ length: count }, (_, k) => (k === 0 ? current : older(current, k))))];
  return poolPackage(name, arch, versions, versions.map((_, k) => versions.length - k), popularity);
}

/** An older dpkg version: the last number in the version that is at least k, lowered by k (or `~oldk`). */
function older(version: string, k: number): string {
  const runs = [...version.matchAll(/\d+/g)];
  for (let i = runs.length - 1; i >= 0; i--) {
    const run = runs[i];
    if (run?.index === undefined) continue;
    const value = Number(run[0]);
    if (value >= k) return `${version.slice(0, run.index)}${value - k}${version.slice(run.index + run[0].length)}`;
  }
  return `${version}~old${k}`;
}

/** Scales every popularity by one factor, capped at 1, so that they sum to `target` (hosts' expected package count). */
function scalePopularity(pool: PoolPackage[], target: number): void {
  for (let pass = 0; pass < 8; pass++) {
    const sum = pool.reduce((total, p) => total + p.popularity, 0);
    if (sum <= 0 || Math.abs(sum - target) < 0.5) return;
    const factor = target / sum;
    for (const p of pool) p.popularity = Math.min(1, p.popularity * factor);
  }
}

interface RealPackage {
  name: string;
  version: string;
  arch: string | null;
}

/** Every package dpkg knows on this machine (name, version, architecture); none where dpkg-query is missing. */
function realPackages(): RealPackage[] {
  let listing: string;
  try {
    listing = execFileSync('dpkg-query', ['-W', '-f=${Package}\\t${Version}\\t${Architecture}\\n'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return [];
  }
  const byName = new Map<string, RealPackage>();
  for (const line of listing.split('\n')) {
    const [name, version, arch] = line.split('\t');
    if (!name || !version || byName.has(name)) continue;
    byName.set(name, { name, version, arch: arch || null });
  }
  return [...byName.values()];
}

const SYLLABLES = ['ac', 'al', 'an', 'ar', 'be', 'bi', 'bo', 'ca', 'co', 'cu', 'da', 'de', 'di', 'el', 'en', 'ex', 'fa', 'fi', 'ga', 'ge', 'gl', 'ha', 'in', 'jo', 'ka', 'la', 'li', 'lo', 'ma', 'me', 'mo', 'na', 'ne', 'no', 'or', 'pa', 'pe', 'po', 'ra', 're', 'ri', 'sa', 'se', 'so', 'ta', 'te', 'to', 'un', 'va', 've', 'xe', 'zo'];
const STYLES: readonly ((stem: string, random: () => number) => { name: string; arch: string })[] = [
  (stem, random) => ({ name: `lib${stem}${Math.floor(random() * 10)}`, arch: 'amd64' }),
  (stem, random) => ({ name: `lib${stem}${Math.floor(random() * 4)}t64`, arch: 'amd64' }),
  (stem) => ({ name: `lib${stem}-dev`, arch: 'amd64' }),
  (stem) => ({ name: `python3-${stem}`, arch: 'all' }),
  (stem) => ({ name: `node-${stem}`, arch: 'all' }),
  (stem) => ({ name: `golang-github-${stem}-dev`, arch: 'all' }),
  (stem) => ({ name: `ruby-${stem}`, arch: 'all' }),
  (stem) => ({ name: `fonts-${stem}`, arch: 'all' }),
  (stem) => ({ name: `${stem}-common`, arch: 'all' }),
  (stem) => ({ name: `r-cran-${stem}`, arch: 'amd64' }),
  (stem) => ({ name: stem, arch: 'amd64' }),
];

function generatedPackage(random: () => number): RealPackage {
  const syllables = 2 + Math.floor(random() * 3);
  const stem = Array.from({ length: syllables }, () => SYLLABLES[Math.floor(random() * SYLLABLES.length)] ?? 'x').join('');
  const style = STYLES[Math.floor(random() * STYLES.length)] ?? STYLES[0];
  if (!style) throw new Error('unreachable: no package name styles');
  const { name, arch } = style(stem, random);
  const upstream = `${Math.floor(random() * 10)}.${Math.floor(random() * 30)}.${Math.floor(random() * 20)}`;
  const suffix = random() < 0.2 ? `+deb12u${1 + Math.floor(random() * 3)}` : '';
  return { name, arch, version: `${upstream}-${1 + Math.floor(random() * 5)}${suffix}` };
}

const DEBIAN: OsInfo = { id: 'debian', idLike: [], name: 'Debian GNU/Linux', prettyName: 'Debian GNU/Linux 12 (bookworm)', version: '12 (bookworm)', versionId: '12', kernel: null, arch: 'x86_64' };
const KERNELS = ['6.1.0-25-amd64', '6.1.0-28-amd64', '6.1.0-31-amd64', '6.1.0-37-amd64'];

function osOf(random: () => number): OsInfo {
  return { ...DEBIAN, kernel: KERNELS[Math.floor(random() * KERNELS.length)] ?? null };
}

/** A small, fast, seedable PRNG (mulberry32): the same seed gives the same fleet everywhere. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
