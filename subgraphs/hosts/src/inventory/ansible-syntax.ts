/**
 * The small pieces of Ansible's inventory syntax shared by the INI and YAML readers: host patterns
 * (`name`, `name:port`, `[v6]:port`, `www[01:50:2].example.com`, `db-[a:f]`), the shlex-style
 * splitting of INI host lines, and the Python-literal reading of INI values.
 *
 * Behaviour follows ansible-core: `plugins/inventory/__init__.py` (`expand_hostname_range`),
 * `parsing/utils/addresses.py` (`parse_address`), `plugins/inventory/ini.py` (`shlex_split`,
 * `_parse_value`). Deliberate differences are marked "Stricter than Ansible".
 */

/** A problem in the inventory text. `where` is `line N` (INI) or a key path (YAML). */
export class AnsibleInventoryError extends Error {
  constructor(
    readonly where: string,
    readonly problem: string,
    readonly file?: string,
  ) {
    super(`${file ? `${file}: ` : ''}${where}: ${problem}`);
    this.name = 'AnsibleInventoryError';
  }

  withFile(file: string): AnsibleInventoryError {
    return new AnsibleInventoryError(this.where, this.problem, file);
  }
}

/** One range pattern expands to at most this many hosts (`www[0:99999999]` is a typo, not a fleet). */
export const MAX_RANGE_HOSTS = 10_000;

const ASCII_LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * Expands every `[begin:end]` / `[begin:end:step]` range in a host pattern, left to right, as
 * Ansible's `expand_hostname_range` does: numeric ranges keep a leading-zero width
 * (`[01:03]` → 01 02 03, begin and end then of equal length), an empty begin is 0, alphabetic
 * ranges run over a-z then A-Z, ranges are inclusive. Throws a plain Error with the problem.
 * Stricter than Ansible: a numeric begin above end (Ansible silently yields no host) and a
 * non-positive step are errors; more than MAX_RANGE_HOSTS names is an error.
 */
export function expandHostRange(pattern: string): string[] {
  const out: string[] = [];
  const expand = (name: string): void => {
    const open = name.indexOf('[');
    if (open < 0) {
      if (name.includes(']')) throw new Error(`malformed range in "${pattern}": "]" without "["`);
      out.push(name);
      if (out.length > MAX_RANGE_HOSTS) throw new Error(`range "${pattern}" expands to more than ${MAX_RANGE_HOSTS} hosts`);
      return;
    }
    const close = name.indexOf(']', open);
    if (close < 0) throw new Error(`malformed range in "${pattern}": "[" without "]"`);
    const head = name.slice(0, open);
    if (head.includes(']')) throw new Error(`malformed range in "${pattern}": "]" without "["`);
    const tail = name.slice(close + 1);
    const bounds = name.slice(open + 1, close).split(':');
    if (bounds.length !== 2 && bounds.length !== 3) {
      throw new Error(`malformed range in "${pattern}": a range is [begin:end] or [begin:end:step]`);
    }
    const begin = bounds[0] || '0';
    const end = bounds[1] ?? '';
    const stepText = bounds[2] ?? '1';
    if (!end) throw new Error(`malformed range in "${pattern}": no end value`);
    if (!/^[0-9]+$/.test(stepText) || Number(stepText) < 1) {
      throw new Error(`malformed range in "${pattern}": step "${stepText}" is not a positive integer`);
    }
    const step = Number(stepText);
    let items: string[];
    if (/^[A-Za-z]$/.test(begin) && /^[A-Za-z]$/.test(end)) {
      const from = ASCII_LETTERS.indexOf(begin);
      const to = ASCII_LETTERS.indexOf(end);
      if (from > to) throw new Error(`malformed range in "${pattern}": begin "${begin}" comes after end "${end}"`);
      items = [];
      for (let i = from; i <= to; i += step) items.push(ASCII_LETTERS.charAt(i));
    } else if (/^[0-9]+$/.test(begin) && /^[0-9]+$/.test(end)) {
      const width = begin.length > 1 && begin.startsWith('0') ? begin.length : 0;
      if (width && end.length !== width) {
        throw new Error(`malformed range in "${pattern}": a zero-padded begin ("${begin}") needs an end of the same length`);
      }
      const from = Number(begin);
      const to = Number(end);
      if (from > to) throw new Error(`malformed range in "${pattern}": begin ${begin} is greater than end ${end}`);
      if ((to - from) / step >= MAX_RANGE_HOSTS) throw new Error(`range "${pattern}" expands to more than ${MAX_RANGE_HOSTS} hosts`);
      items = [];
      for (let i = from; i <= to; i += step) items.push(String(i).padStart(width, '0'));
    } else {
      throw new Error(`malformed range in "${pattern}": [${bounds.join(':')}] is neither numeric nor one letter to one letter`);
    }
    for (const item of items) expand(`${head}${item}${tail}`);
  };
  expand(pattern);
  return out;
}

/** Looks like an IPv6 address (possibly with ranges): only hex digits, dots, colons, at least two colons. */
function looksLikeIpv6(host: string): boolean {
  const withoutRanges = host.replace(/\[[0-9:]*\]/g, '0');
  return /^[0-9a-f:.]+$/i.test(withoutRanges) && (withoutRanges.match(/:/g) ?? []).length >= 2;
}

/** Parses a port number: a decimal integer 1-65535 (a number, or a string of digits). */
export function parsePort(value: string): number | null {
  const text = value.trim();
  if (!/^[0-9]{1,5}$/.test(text)) return null;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : null;
}

/**
 * Splits a host pattern into host names and the port given after a colon, as Ansible's
 * `parse_address(allow_ranges=True)` + `expand_hostname_range`: `host:2222`, `[2001:db8::1]:2222`,
 * `web[1:3]:2222`; an IPv6 address without brackets takes no port. Throws a plain Error.
 * Stricter than Ansible: a colon suffix that is not a valid port is an error (Ansible takes the
 * whole text as the host name), and so is a host name containing `=` (a `key=value` written
 * where a host belongs).
 */
export function expandHostPattern(pattern: string): { names: string[]; port: number | null } {
  let host = pattern;
  let portText: string | null = null;
  const bracketed = /^\[([^\]]+)\]:(.*)$/.exec(pattern);
  if (bracketed && !/^[0-9]*:[0-9]*(:[0-9]*)?$/.test(bracketed[1] ?? '')) {
    host = bracketed[1] ?? '';
    portText = bracketed[2] ?? '';
  } else if (!looksLikeIpv6(pattern)) {
    // The last colon outside [ranges] separates the port.
    let depth = 0;
    let colon = -1;
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i];
      if (c === '[') depth++;
      else if (c === ']') depth = Math.max(0, depth - 1);
      else if (c === ':' && depth === 0) colon = i;
    }
    if (colon >= 0) {
      host = pattern.slice(0, colon);
      portText = pattern.slice(colon + 1);
    }
  }
  let port: number | null = null;
  if (portText !== null) {
    port = parsePort(portText);
    if (port === null) throw new Error(`invalid port "${portText}" in host "${pattern}": expected an integer 1-65535`);
  }
  if (!host) throw new Error(`host pattern "${pattern}" has no host name`);
  if (host.includes('=')) throw new Error(`"${pattern}" is not a host name (a key=value outside a host line or a [group:vars] section?)`);
  if (host.trim() === '---') throw new Error(`host "${pattern}" is a YAML document marker: is this a YAML inventory?`);
  const names = host.includes('[') || host.includes(']') ? expandHostRange(host) : [host];
  return { names, port };
}

/**
 * Splits an INI host line like Python's `shlex.split(line, comments=True)` (POSIX mode): spaces
 * separate words, `'…'` quotes verbatim, `"…"` quotes with `\"` and `\\` escapes, a backslash
 * outside quotes escapes the next character, `#` starts a comment (even inside a word).
 */
export function shlexSplit(line: string): string[] {
  const tokens: string[] = [];
  let token = '';
  let inToken = false;
  let i = 0;
  const end = () => {
    if (inToken) tokens.push(token);
    token = '';
    inToken = false;
  };
  while (i < line.length) {
    const c = line.charAt(i);
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      end();
      i++;
    } else if (c === '#') {
      break;
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new Error('no escaped character after a trailing backslash');
      token += line.charAt(i + 1);
      inToken = true;
      i += 2;
    } else if (c === "'") {
      const close = line.indexOf("'", i + 1);
      if (close < 0) throw new Error('no closing quotation');
      token += line.slice(i + 1, close);
      inToken = true;
      i = close + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new Error('no closing quotation');
        const d = line.charAt(i);
        if (d === '"') break;
        if (d === '\\' && i + 1 < line.length) {
          const next = line.charAt(i + 1);
          token += next === '"' || next === '\\' ? next : `\\${next}`;
          i += 2;
        } else {
          token += d;
          i++;
        }
      }
      inToken = true;
      i++;
    } else {
      token += c;
      inToken = true;
      i++;
    }
  }
  end();
  return tokens;
}

const PY_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };

/**
 * Reads an INI value the way Ansible's `ast.literal_eval` step leaves it, as text: a quoted Python
 * string loses its quotes (`'03#pa33w0rd'` → `03#pa33w0rd`), a number/True/False/None keeps its
 * text and loses a trailing `# comment`, anything else is kept verbatim.
 */
export function readIniValue(raw: string): string {
  const text = raw.trim();
  const quote = text.charAt(0);
  if (quote === "'" || quote === '"') {
    let value = '';
    for (let i = 1; i < text.length; i++) {
      const c = text.charAt(i);
      if (c === quote) {
        return /^\s*(#.*)?$/.test(text.slice(i + 1)) ? value : text;
      }
      if (c === '\\' && i + 1 < text.length) {
        const next = text.charAt(i + 1);
        value += PY_ESCAPES[next] ?? `\\${next}`;
        i++;
      } else {
        value += c;
      }
    }
    return text;
  }
  const literal = /^([-+]?(?:[0-9][0-9_]*(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|True|False|None))\s*(?:#.*)?$/.exec(text);
  return literal?.[1] ?? text;
}

/** A `{{ … }}` or `{% … %}` Jinja template, which only Ansible can render. */
export function isTemplated(value: string): boolean {
  return value.includes('{{') || value.includes('{%');
}

/**
 * Variables never imported: passwords and other secrets (`ansible_password`, `ansible_ssh_pass`,
 * `ansible_become_pass`/`_password`, `ansible_sudo_pass`, key passphrases, tokens, API keys and
 * anything named *secret*). Over-matching only drops a harmless variable, with a warning.
 */
const SECRET_VARIABLE = /pass(?:word|wd|phrase)?(?:_|$)|secret|token|credential|private_key(?!_file$)|(?:^|_)api_?key(?:_|$)/i;

export function isSecretVariable(name: string): boolean {
  return SECRET_VARIABLE.test(name);
}

/** An Ansible Vault ciphertext (`!vault |` in YAML, or the raw `$ANSIBLE_VAULT;` payload). */
export function isVaultPayload(value: string): boolean {
  return value.trimStart().startsWith('$ANSIBLE_VAULT;');
}
