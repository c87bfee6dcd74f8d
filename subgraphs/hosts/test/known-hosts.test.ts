import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fingerprintSha256,
  knownHostName,
  knownKeyTypesFor,
  parseKnownHosts,
  verifyHostKey,
} from '../src/sources/probe/known-hosts.js';
import { hostKeyAlgorithmsFor } from '../src/sources/probe/ssh-transport.js';

// Keys and hashed names come from OpenSSH's own ssh-keygen, so the checks run against the reference
// implementation rather than against lines this code wrote.
let dir: string;
interface Key {
  line: string;
  blob: Buffer;
  path: string;
}
let ed: Key;
let edOther: Key;
let ecdsa: Key;

function keygen(name: string, type: 'ed25519' | 'ecdsa'): Key {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', '', '-f', path]);
  const [keyType, base64] = readFileSync(`${path}.pub`, 'utf8').trim().split(/\s+/);
  return { line: `${keyType} ${base64}`, blob: Buffer.from(base64 ?? '', 'base64'), path };
}

/** `ssh-keygen -H`: OpenSSH's HMAC-SHA1 hashing of the host name field. */
function hashed(line: string): string {
  const path = join(dir, `to-hash-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, `${line}\n`);
  execFileSync('ssh-keygen', ['-q', '-H', '-f', path], { stdio: 'pipe' });
  const out = readFileSync(path, 'utf8').trim();
  expect(out).toMatch(/^\|1\|[A-Za-z0-9+/]+=*\|[A-Za-z0-9+/]+=* /);
  return out;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-known-hosts-'));
  ed = keygen('ed', 'ed25519');
  edOther = keygen('ed-other', 'ed25519');
  ecdsa = keygen('ecdsa', 'ecdsa');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const verify = (lines: string[], host: string, port: number, key: Buffer) => verifyHostKey(parseKnownHosts(lines.join('\n')), host, port, key);

describe('host names', () => {
  it('uses the bare name on port 22 and [host]:port elsewhere, lower-cased', () => {
    expect(knownHostName('Web-1.Example.com', 22)).toBe('web-1.example.com');
    expect(knownHostName('10.0.0.5', 2222)).toBe('[10.0.0.5]:2222');
  });
});

describe('verifyHostKey: plain entries', () => {
  it('trusts the listed key for the listed host', () => {
    expect(verify([`web.example.com ${ed.line}`], 'web.example.com', 22, ed.blob)).toEqual({ kind: 'trusted' });
  });

  it('matches host names case-insensitively, as ssh does', () => {
    expect(verify([`web.example.com ${ed.line}`], 'WEB.Example.COM', 22, ed.blob).kind).toBe('trusted');
  });

  it('does not let a port-22 entry vouch for another port, nor the reverse', () => {
    expect(verify([`10.0.0.5 ${ed.line}`], '10.0.0.5', 2222, ed.blob)).toEqual({ kind: 'unknown' });
    expect(verify([`[10.0.0.5]:2222 ${ed.line}`], '10.0.0.5', 2222, ed.blob)).toEqual({ kind: 'trusted' });
    expect(verify([`[10.0.0.5]:2222 ${ed.line}`], '10.0.0.5', 22, ed.blob)).toEqual({ kind: 'unknown' });
    expect(verify([`[10.0.0.5]:2222 ${ed.line}`], '10.0.0.5', 2223, ed.blob)).toEqual({ kind: 'unknown' });
  });

  it('handles pattern lists, wildcards and negation', () => {
    const lines = [`alpha.example.com,[beta.example.com]:2200 ${ed.line}`, `!evil.example.net,*.example.net ${ecdsa.line}`];
    expect(verify(lines, 'beta.example.com', 2200, ed.blob).kind).toBe('trusted');
    expect(verify(lines, 'alpha.example.com', 22, ed.blob).kind).toBe('trusted');
    expect(verify(lines, 'db.example.net', 22, ecdsa.blob).kind).toBe('trusted');
    expect(verify(lines, 'evil.example.net', 22, ecdsa.blob)).toEqual({ kind: 'unknown' });
    // `?` is one character, and a dot is literal.
    expect(verify([`web?.example.com ${ed.line}`], 'web1.example.com', 22, ed.blob).kind).toBe('trusted');
    expect(verify([`web?.example.com ${ed.line}`], 'web12.example.com', 22, ed.blob).kind).toBe('unknown');
    expect(verify([`web.example.com ${ed.line}`], 'webxexample.com', 22, ed.blob).kind).toBe('unknown');
  });

  it('skips comments, blank and malformed lines, and lines whose key type contradicts the key', () => {
    const lines = ['# a comment', '', 'only-a-host', `web.example.com ssh-rsa ${ed.line.split(' ')[1]}`, `web.example.com ssh-ed25519 !!notbase64!!`];
    expect(parseKnownHosts(lines.join('\n')).entries).toEqual([]);
    expect(verify(lines, 'web.example.com', 22, ed.blob)).toEqual({ kind: 'unknown' });
  });

  it('reads CRLF files and comments after the key', () => {
    expect(verify([`web.example.com ${ed.line} root@web\r`, ''], 'web.example.com', 22, ed.blob).kind).toBe('trusted');
  });
});

describe('verifyHostKey: hashed entries (ssh-keygen -H)', () => {
  it('trusts a hashed port-22 name and a hashed [host]:port name', () => {
    expect(verify([hashed(`web.example.com ${ed.line}`)], 'web.example.com', 22, ed.blob).kind).toBe('trusted');
    expect(verify([hashed(`[127.0.0.1]:2222 ${ed.line}`)], '127.0.0.1', 2222, ed.blob).kind).toBe('trusted');
  });

  it('does not match a hashed name for another host or port', () => {
    const line = hashed(`[127.0.0.1]:2222 ${ed.line}`);
    expect(verify([line], '127.0.0.1', 2223, ed.blob)).toEqual({ kind: 'unknown' });
    expect(verify([line], '127.0.0.1', 22, ed.blob)).toEqual({ kind: 'unknown' });
    expect(verify([line], '127.0.0.2', 2222, ed.blob)).toEqual({ kind: 'unknown' });
  });

  it('reports a mismatch when the hashed entry holds another key', () => {
    expect(verify([hashed(`[127.0.0.1]:2222 ${edOther.line}`)], '127.0.0.1', 2222, ed.blob)).toEqual({
      kind: 'mismatch',
      knownKeyTypes: ['ssh-ed25519'],
    });
  });
});

describe('verifyHostKey: mismatch, unknown, rotation, revocation', () => {
  it('calls a different key of the same type a mismatch', () => {
    expect(verify([`web.example.com ${edOther.line}`], 'web.example.com', 22, ed.blob)).toEqual({
      kind: 'mismatch',
      knownKeyTypes: ['ssh-ed25519'],
    });
  });

  it('calls a key of a type not listed for a known host a mismatch too', () => {
    expect(verify([`web.example.com ${ecdsa.line}`], 'web.example.com', 22, ed.blob)).toEqual({
      kind: 'mismatch',
      knownKeyTypes: ['ecdsa-sha2-nistp256'],
    });
  });

  it('calls a host with no entry unknown, even when its key is listed for another host', () => {
    expect(verify([`other.example.com ${ed.line}`], 'web.example.com', 22, ed.blob)).toEqual({ kind: 'unknown' });
    expect(verify([], 'web.example.com', 22, ed.blob)).toEqual({ kind: 'unknown' });
  });

  it('trusts any of several listed keys (rotation)', () => {
    expect(verify([`web.example.com ${edOther.line}`, `web.example.com ${ed.line}`], 'web.example.com', 22, ed.blob).kind).toBe('trusted');
  });

  it('refuses a @revoked key even when it is also listed, and ignores @cert-authority lines', () => {
    const lines = [`web.example.com ${ed.line}`, `@revoked * ${ed.line}`];
    expect(verify(lines, 'web.example.com', 22, ed.blob)).toEqual({ kind: 'revoked' });
    expect(verify([`@cert-authority *.example.com ${ed.line}`], 'web.example.com', 22, ed.blob)).toEqual({ kind: 'unknown' });
  });
});

describe('lookups by name agree with OpenSSH (ssh-keygen -F)', () => {
  it('finds the same lines for literal, listed, wildcard, negated, hashed and [host]:port entries, in file order', () => {
    const lines = [
      `web.example.com ${ed.line}`,
      `*.example.com,!bad.example.com ${ed.line}`,
      `[10.0.0.5]:2222 ${ecdsa.line}`,
      `Web.Example.COM ${edOther.line}`,
      `bad.example.com ${ed.line}`,
      `db?.example.com ${ecdsa.line}`,
      `app1,app2,10.0.0.7 ${ed.line}`,
      `app2 ${edOther.line}`,
      `# a comment`,
      hashed(`10.0.0.9 ${ed.line}`),
      hashed(`[web.example.com]:2222 ${ecdsa.line}`),
      `@revoked app1 ${edOther.line}`,
    ];
    const path = join(dir, 'oracle_known_hosts');
    writeFileSync(path, `${lines.join('\n')}\n`);
    const file = parseKnownHosts(lines.join('\n'));
    const names = ['web.example.com', 'bad.example.com', 'db1.example.com', 'dbx.example.com', '[10.0.0.5]:2222', '10.0.0.9', 'app1', 'app2', '10.0.0.7', '[web.example.com]:2222', 'other.org', 'example.com'];
    for (const name of names) {
      // ssh-keygen exits 1 when nothing matches, with nothing printed.
      let listed = '';
      try {
        listed = execFileSync('ssh-keygen', ['-F', name, '-f', path], { encoding: 'utf8' });
      } catch (error) {
        if ((error as { status?: number }).status !== 1) throw error;
      }
      const expected = [...listed.matchAll(/^# Host .* found: line (\d+)/gm)].map((m) => Number(m[1]));
      expect({ name, lines: file.forName(name).map((entry) => entry.line) }).toEqual({ name, lines: expected });
      // The answer is kept: asking again gives the same lines.
      expect(file.forName(name).map((entry) => entry.line)).toEqual(expected);
    }
  });

  it('a large fleet file of one line per host answers each host with its own line', () => {
    const fleet = Array.from({ length: 2000 }, (_, i) => `[10.1.${i >> 8}.${i & 255}]:22${i % 10} ${i % 2 === 0 ? ed.line : ecdsa.line}`);
    const file = parseKnownHosts(fleet.join('\n'));
    for (const i of [0, 1, 255, 256, 1999]) {
      const found = file.forName(knownHostName(`10.1.${i >> 8}.${i & 255}`, 220 + (i % 10)));
      expect(found.map((entry) => entry.line)).toEqual([i + 1]);
    }
    expect(verifyHostKey(file, '10.1.0.1', 221, ecdsa.blob).kind).toBe('trusted');
    expect(verifyHostKey(file, '10.1.0.1', 221, ed.blob)).toEqual({ kind: 'mismatch', knownKeyTypes: ['ecdsa-sha2-nistp256'] });
    expect(verifyHostKey(file, '10.1.0.1', 222, ed.blob).kind).toBe('unknown');
  });
});

describe('host key algorithm preference', () => {
  it('asks first for the key types known_hosts lists for the host', () => {
    const entries = parseKnownHosts(`[10.0.0.5]:2222 ${ecdsa.line}\n`);
    expect(knownKeyTypesFor(entries, '10.0.0.5', 2222)).toEqual(['ecdsa-sha2-nistp256']);
    expect(hostKeyAlgorithmsFor(['ecdsa-sha2-nistp256'])[0]).toBe('ecdsa-sha2-nistp256');
    expect(hostKeyAlgorithmsFor(['ssh-rsa']).slice(0, 2)).toEqual(['rsa-sha2-512', 'rsa-sha2-256']);
    expect(hostKeyAlgorithmsFor([])[0]).toBe('ssh-ed25519');
    // SHA-1 host key signatures are never offered.
    expect(hostKeyAlgorithmsFor(['ssh-rsa'])).not.toContain('ssh-rsa');
  });
});

describe('fingerprintSha256', () => {
  it('matches ssh-keygen -l', () => {
    const listed = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${ed.path}.pub`], { encoding: 'utf8' });
    expect(listed).toContain(fingerprintSha256(ed.blob));
  });
});
