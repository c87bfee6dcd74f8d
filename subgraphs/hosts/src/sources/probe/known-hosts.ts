import { createHash, createHmac } from 'node:crypto';

/**
 * OpenSSH known_hosts, as sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT" describes it:
 * `[@marker] hostpatterns keytype base64-key [comment]`, host patterns either a comma-separated list
 * (with `*`, `?` and `!` negation) or one hashed name `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`.
 */
export interface KnownHostEntry {
  readonly marker: 'revoked' | 'cert-authority' | null;
  readonly hosts: HostField;
  readonly keyType: string;
  readonly key: Buffer;
  /** 1-based, for messages. */
  readonly line: number;
}

type HostField =
  | { readonly kind: 'patterns'; readonly patterns: readonly string[] }
  | { readonly kind: 'hashed'; readonly salt: Buffer; readonly hash: Buffer };

export type HostKeyVerdict =
  | { readonly kind: 'trusted' }
  | { readonly kind: 'revoked' }
  /** The host is listed, but not with this key. */
  | { readonly kind: 'mismatch'; readonly knownKeyTypes: readonly string[] }
  /** The host is not listed at all. */
  | { readonly kind: 'unknown' };

/** Lines that are not entries (comments, blanks, malformed) are skipped, as OpenSSH does. */
export function parseKnownHosts(text: string): KnownHosts {
  const entries: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const entry = parseLine(raw, index + 1);
    if (entry !== null) entries.push(entry);
  });
  return new KnownHosts(entries);
}

/**
 * A parsed known_hosts file with its lookups by host name. A fleet's file has a line per host, and a
 * probe looks its host up twice per connection (the key types to ask for, then the key presented):
 * scanning every line with a pattern compiled per lookup made a 10,000-host fleet spend most of its
 * probing CPU here. So lines whose names are all literal are found through a map; only hashed lines
 * and lines with wildcards or negations are scanned (their patterns compiled once), and each name's
 * answer is kept for as long as this file is (a changed file is parsed anew, see ssh-transport.ts).
 */
export class KnownHosts {
  private readonly literal = new Map<string, KnownHostEntry[]>();
  private readonly scanned: { entry: KnownHostEntry; matches: (name: string) => boolean }[] = [];
  private readonly answers = new Map<string, readonly KnownHostEntry[]>();

  constructor(readonly entries: readonly KnownHostEntry[]) {
    for (const entry of entries) {
      const { hosts } = entry;
      if (hosts.kind === 'patterns' && hosts.patterns.every(isLiteralPattern)) {
        for (const name of new Set(hosts.patterns.map((pattern) => pattern.toLowerCase()))) {
          const listed = this.literal.get(name);
          if (listed) listed.push(entry);
          else this.literal.set(name, [entry]);
        }
      } else {
        this.scanned.push({ entry, matches: hostMatcher(hosts) });
      }
    }
  }

  /** The lines that apply to `name` (as knownHostName builds it), in file order. */
  forName(name: string): readonly KnownHostEntry[] {
    const known = this.answers.get(name);
    if (known) return known;
    const found = [...(this.literal.get(name) ?? []), ...this.scanned.filter(({ matches }) => matches(name)).map(({ entry }) => entry)].sort((a, b) => a.line - b.line);
    this.answers.set(name, found);
    return found;
  }
}

const isLiteralPattern = (pattern: string) => !/[*?!]/.test(pattern);

function parseLine(raw: string, line: number): KnownHostEntry | null {
  const trimmed = raw.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return null;
  const fields = trimmed.split(/\s+/);
  let marker: KnownHostEntry['marker'] = null;
  if (fields[0]?.startsWith('@')) {
    const name = fields.shift();
    if (name === '@revoked') marker = 'revoked';
    else if (name === '@cert-authority') marker = 'cert-authority';
    else return null;
  }
  const [hostText, keyType, keyText] = fields;
  if (hostText === undefined || keyType === undefined || keyText === undefined) return null;
  const hosts = parseHostField(hostText);
  const key = decodeBase64Strict(keyText);
  if (hosts === null || key === null || publicKeyType(key) !== keyType) return null;
  return { marker, hosts, keyType, key, line };
}

function parseHostField(text: string): HostField | null {
  if (!text.startsWith('|')) return { kind: 'patterns', patterns: text.split(',').filter((p) => p !== '') };
  const [, magic, saltText, hashText] = text.split('|');
  if (magic !== '1' || saltText === undefined || hashText === undefined) return null;
  const salt = decodeBase64Strict(saltText);
  const hash = decodeBase64Strict(hashText);
  if (salt === null || hash === null) return null;
  return { kind: 'hashed', salt, hash };
}

function decodeBase64Strict(text: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === 0 ? null : bytes;
}

/** The name OpenSSH looks up: the bare host for port 22, `[host]:port` otherwise. Lower-cased, as ssh(1) does. */
export function knownHostName(host: string, port: number): string {
  const name = host.toLowerCase();
  return port === 22 ? name : `[${name}]:${port}`;
}

function hostMatcher(field: HostField): (name: string) => boolean {
  if (field.kind === 'hashed') return (name) => createHmac('sha1', field.salt).update(name).digest().equals(field.hash);
  const patterns = field.patterns.map((pattern) => {
    const negated = pattern.startsWith('!');
    return { negated, glob: globPattern(negated ? pattern.slice(1) : pattern) };
  });
  // OpenSSH match_hostname: a matching negated pattern vetoes the line whatever else matches.
  return (name) => {
    let matched = false;
    for (const { negated, glob } of patterns) {
      if (!glob.test(name)) continue;
      if (negated) return false;
      matched = true;
    }
    return matched;
  };
}

/** `*` and `?` are the only wildcards in OpenSSH patterns; everything else, `[` included, is literal. */
function globPattern(pattern: string): RegExp {
  const source = pattern
    .toLowerCase()
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 's');
}

/** The key type an SSH wire-format public key blob names in its first string, or null if malformed. */
export function publicKeyType(blob: Buffer): string | null {
  if (blob.length < 4) return null;
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || blob.length < 4 + length) return null;
  return blob.subarray(4, 4 + length).toString('latin1');
}

/** ssh-keygen -l style fingerprint: public, safe for messages. */
export function fingerprintSha256(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * Strict checking, never trust on first use: only a listed key for this exact host name (and port)
 * is trusted. @cert-authority lines are ignored because host certificates are not supported.
 */
export function verifyHostKey(knownHosts: KnownHosts, host: string, port: number, presented: Buffer): HostKeyVerdict {
  const forHost = knownHosts.forName(knownHostName(host, port));
  const type = publicKeyType(presented);
  const same = (entry: KnownHostEntry) => entry.keyType === type && entry.key.equals(presented);
  if (forHost.some((entry) => entry.marker === 'revoked' && same(entry))) return { kind: 'revoked' };
  const plain = forHost.filter((entry) => entry.marker === null);
  if (plain.some(same)) return { kind: 'trusted' };
  if (plain.length > 0) return { kind: 'mismatch', knownKeyTypes: [...new Set(plain.map((entry) => entry.keyType))] };
  return { kind: 'unknown' };
}

/** Key types listed for the host, so the client can ask the server for a key it can check. */
export function knownKeyTypesFor(knownHosts: KnownHosts, host: string, port: number): string[] {
  const types = knownHosts
    .forName(knownHostName(host, port))
    .filter((entry) => entry.marker === null)
    .map((entry) => entry.keyType);
  return [...new Set(types)];
}
