import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { collectOs, parseOsRelease } from '../src/sources/probe/collectors/os.js';
import type { CommandOutput, CommandRunner } from '../src/sources/probe/transport.js';
import type { AllowedCommandName } from '../src/sources/probe/allowlist.js';

// Real os-release files; provenance in test/fixtures/README.md.
const fixture = (name: string) => readFileSync(new URL(`./fixtures/os-release_${name}`, import.meta.url), 'utf8');

describe('parseOsRelease on real os-release files', () => {
  it.each([
    ['ubuntu24', { id: 'ubuntu', idLike: ['debian'], name: 'Ubuntu', prettyName: 'Ubuntu 24.04.3 LTS', version: '24.04.3 LTS (Noble Numbat)', versionId: '24.04' }],
    ['rhel9', { id: 'rhel', idLike: ['fedora'], name: 'Red Hat Enterprise Linux', prettyName: 'Red Hat Enterprise Linux 9.6 (Plow)', version: '9.6 (Plow)', versionId: '9.6' }],
    ['rocky9', { id: 'rocky', idLike: ['rhel', 'centos', 'fedora'], name: 'Rocky Linux', prettyName: 'Rocky Linux 9.3 (Blue Onyx)', version: '9.3 (Blue Onyx)', versionId: '9.3' }],
    // Alpine sets no VERSION and no ID_LIKE.
    ['alpine', { id: 'alpine', idLike: [], name: 'Alpine Linux', prettyName: 'Alpine Linux v3.23', version: null, versionId: '3.23.2' }],
    ['debian13', { id: 'debian', idLike: [], name: 'Debian GNU/Linux', prettyName: 'Debian GNU/Linux 13 (trixie)', version: '13 (trixie)', versionId: '13' }],
    ['amazon2023', { id: 'amzn', idLike: ['fedora'], name: 'Amazon Linux', prettyName: 'Amazon Linux 2023', version: '2023', versionId: '2023' }],
    ['debian12_captured', { id: 'debian', idLike: [], name: 'Debian GNU/Linux', prettyName: 'Debian GNU/Linux 12 (bookworm)', version: '12 (bookworm)', versionId: '12' }],
  ])('%s', (name, expected) => {
    expect(parseOsRelease(fixture(name))).toEqual(expected);
  });
});

describe('parseOsRelease quoting (os-release(5) shell-compatible assignments)', () => {
  it('unescapes double-quoted values and keeps single-quoted ones literal', () => {
    const parsed = parseOsRelease(
      ['# comment', '', 'NAME="Foo \\"Bar\\" \\$HOME \\\\ OS"', "PRETTY_NAME='Foo $x \\n'", 'ID=foo', 'VERSION_ID=1.0 # trailing'].join('\n'),
    );
    expect(parsed.name).toBe('Foo "Bar" $HOME \\ OS');
    expect(parsed.prettyName).toBe('Foo $x \\n');
    expect(parsed.id).toBe('foo');
    expect(parsed.versionId).toBe('1.0');
  });

  it('applies the defaults os-release(5) gives when fields are missing', () => {
    expect(parseOsRelease('VERSION_ID=""\r\n')).toEqual({
      id: 'linux',
      idLike: [],
      name: 'Linux',
      prettyName: 'Linux',
      version: null,
      versionId: null,
    });
  });
});

describe('collectOs', () => {
  function runner(outputs: Partial<Record<AllowedCommandName, CommandOutput>>, ran: AllowedCommandName[] = []): CommandRunner {
    return {
      run: async (name) => {
        ran.push(name);
        return outputs[name] ?? { stdout: '', stderr: 'not scripted', exitCode: 1 };
      },
      close: async () => undefined,
    };
  }
  const ok = (stdout: string): CommandOutput => ({ stdout, stderr: '', exitCode: 0 });

  it('falls back to /usr/lib/os-release and trims uname output', async () => {
    const ran: AllowedCommandName[] = [];
    const os = await collectOs(
      runner(
        {
          osRelease: { stdout: '', stderr: 'cat: /etc/os-release: No such file or directory', exitCode: 1 },
          osReleaseFallback: ok(fixture('rocky9')),
          kernelRelease: ok('5.14.0-362.8.1.el9_3.x86_64\n'),
          machineArch: ok('x86_64\n'),
        },
        ran,
      ),
    );
    expect(ran).toContain('osReleaseFallback');
    expect(os).toMatchObject({ id: 'rocky', versionId: '9.3', kernel: '5.14.0-362.8.1.el9_3.x86_64', arch: 'x86_64' });
  });

  it('does not read the fallback when /etc/os-release exists', async () => {
    const ran: AllowedCommandName[] = [];
    await collectOs(runner({ osRelease: ok(fixture('alpine')), kernelRelease: ok('6.6.0\n'), machineArch: ok('aarch64\n') }, ran));
    expect(ran).not.toContain('osReleaseFallback');
  });

  it('reports a failure when neither os-release file is readable, and null kernel/arch when uname fails', async () => {
    await expect(collectOs(runner({}))).rejects.toThrow(/neither \/etc\/os-release nor \/usr\/lib\/os-release/);
    const os = await collectOs(runner({ osRelease: ok(fixture('alpine')) }));
    expect(os.kernel).toBeNull();
    expect(os.arch).toBeNull();
  });
});
