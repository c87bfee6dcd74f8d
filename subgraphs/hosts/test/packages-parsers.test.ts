import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AllowedCommandName } from '../src/sources/probe/allowlist.js';
import { collectPackages, parseApkInfo, parseDpkgQuery, parseRpmQa } from '../src/sources/probe/collectors/packages.js';
import type { CommandOutput, CommandRunner } from '../src/sources/probe/transport.js';

// Real command output; provenance in test/fixtures/README.md.
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('parseDpkgQuery', () => {
  const text = fixture('dpkg-query_debian-12.tsv');

  it('reads every row of a real Debian 12 capture, epochs and +/~ versions intact', () => {
    const packages = parseDpkgQuery(text);
    expect(packages).toHaveLength(text.trim().split('\n').length);
    expect(packages[0]).toEqual({ name: 'adduser', version: '3.134', arch: 'all' });
    expect(packages).toContainEqual({ name: 'openssh-client', version: '1:9.2p1-2+deb12u6', arch: 'amd64' });
    expect(packages).toContainEqual({ name: 'libssl3', version: '3.0.19-1~deb12u2', arch: 'amd64' });
    expect(packages).toContainEqual({ name: 'zlib1g', version: '1:1.2.13.dfsg-1', arch: 'amd64' });
  });

  it('keeps installed rows whatever the want flag, drops removed, half-installed and broken ones', () => {
    const rows = [
      'held\t1.0\tamd64\thold ok installed',
      'leaving\t2.0\tamd64\tdeinstall ok installed',
      'triggered\t3.0\tall\tinstall ok triggers-pending',
      'removed\t4.0\tamd64\tdeinstall ok config-files',
      'half\t5.0\tamd64\tinstall reinstreq half-installed',
      'unpacked\t6.0\tamd64\tinstall ok unpacked',
      'gone\t\t\tunknown ok not-installed',
      'truncated\t7.0',
      '',
    ].join('\n');
    expect(parseDpkgQuery(rows).map((p) => p.name)).toEqual(['held', 'leaving', 'triggered']);
  });
});

describe('parseRpmQa', () => {
  it('reads a real CBL-Mariner 2.0 rpmdb listing, ignoring the extra INSTALLTIME column', () => {
    const text = fixture('rpm-qa_cbl-mariner-2.0.tsv');
    const packages = parseRpmQa(text);
    expect(packages).toHaveLength(text.trim().split('\n').length);
    expect(packages[0]).toEqual({ name: 'mariner-release', version: '2.0-4.cm2', arch: 'noarch' });
    expect(packages).toContainEqual({ name: 'openssl', version: '1.1.1k-7.cm2', arch: 'x86_64' });
    expect(packages).toContainEqual({ name: 'sudo', version: '1.9.5p2-3.cm2', arch: 'x86_64' });
  });

  it('drops an epoch of 0, keeps other epochs, and maps the (none) arch to null', () => {
    // Shapes rpm prints for the allow-listed format: Epoch: 0 declared, Epoch: 1, no epoch, gpg-pubkey.
    const rows = ['bash\t0:5.1.8-6.el9\tx86_64', 'openssl\t1:3.0.7-27.el9\tx86_64', 'tzdata\t2024a-1.el9\tnoarch', 'gpg-pubkey\tfd431d51-4ae0493b\t(none)', 'legacy\t(none):1.0-1\ti686'];
    expect(parseRpmQa(rows.join('\n'))).toEqual([
      { name: 'bash', version: '5.1.8-6.el9', arch: 'x86_64' },
      { name: 'openssl', version: '1:3.0.7-27.el9', arch: 'x86_64' },
      { name: 'tzdata', version: '2024a-1.el9', arch: 'noarch' },
      { name: 'gpg-pubkey', version: 'fd431d51-4ae0493b', arch: null },
      { name: 'legacy', version: '1.0-1', arch: 'i686' },
    ]);
  });
});

describe('parseApkInfo', () => {
  // apk package names are `name-version-rN` (APKBUILD pkgname-pkgver-r<pkgrel>); the split follows
  // apk-tools' apk_pkg_parse_name. Inline literals: no real `apk info -v` capture is in the fixture set.
  it('splits names that themselves contain dashes and digits', () => {
    const text = ['musl-1.2.4-r2', 'py3-foo-bar-1.0-r0', 'font-adobe-100dpi-1.0.4-r2', 'libcrypto3-3.1.4-r5', 'ca-certificates-bundle-20240226-r0', 'busybox-1.36.1-r15', ''].join('\n');
    expect(parseApkInfo(text)).toEqual([
      { name: 'musl', version: '1.2.4-r2', arch: null },
      { name: 'py3-foo-bar', version: '1.0-r0', arch: null },
      { name: 'font-adobe-100dpi', version: '1.0.4-r2', arch: null },
      { name: 'libcrypto3', version: '3.1.4-r5', arch: null },
      { name: 'ca-certificates-bundle', version: '20240226-r0', arch: null },
      { name: 'busybox', version: '1.36.1-r15', arch: null },
    ]);
  });

  it('skips lines that are not name-version', () => {
    expect(parseApkInfo('WARNING: something\nnoversion\n-1.0-r0\n')).toEqual([]);
  });
});

describe('collectPackages detection order', () => {
  const notFound: CommandOutput = { stdout: '', stderr: 'sh: 1: dpkg-query: not found', exitCode: 127 };
  function scripted(outputs: Partial<Record<AllowedCommandName, CommandOutput>>) {
    const ran: AllowedCommandName[] = [];
    const runner: CommandRunner = {
      run: async (name) => {
        ran.push(name);
        return outputs[name] ?? notFound;
      },
      close: async () => undefined,
    };
    return { runner, ran };
  }

  it('uses dpkg when dpkg-query exists and asks nothing else', async () => {
    const { runner, ran } = scripted({ dpkgPackages: { stdout: 'bash\t5.2\tamd64\tinstall ok installed\n', stderr: '', exitCode: 0 } });
    expect(await collectPackages(runner)).toEqual({ manager: 'dpkg', packages: [{ name: 'bash', version: '5.2', arch: 'amd64' }] });
    expect(ran).toEqual(['dpkgPackages']);
  });

  it('moves on to rpm, then apk, only when the previous one is not installed (exit 127)', async () => {
    const { runner, ran } = scripted({ apkPackages: { stdout: 'musl-1.2.4-r2\n', stderr: '', exitCode: 0 } });
    expect(await collectPackages(runner)).toEqual({ manager: 'apk', packages: [{ name: 'musl', version: '1.2.4-r2', arch: null }] });
    expect(ran).toEqual(['dpkgPackages', 'rpmPackages', 'apkPackages']);
  });

  it('returns null when no package manager is installed', async () => {
    expect(await collectPackages(scripted({}).runner)).toBeNull();
  });

  it('fails instead of falling through when a present package manager errors', async () => {
    const { runner, ran } = scripted({ dpkgPackages: { stdout: '', stderr: 'dpkg-query: error: failed to open package info file\nmore', exitCode: 2 } });
    await expect(collectPackages(runner)).rejects.toThrow('dpkg-query exited with 2: dpkg-query: error: failed to open package info file');
    expect(ran).toEqual(['dpkgPackages']);
  });
});
