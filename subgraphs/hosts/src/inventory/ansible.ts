import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { extname } from 'node:path';
import { parseAnsibleIni } from './ansible-ini.js';
import type { AnsibleHost, ParsedAnsibleInventory } from './ansible-model.js';
import { AnsibleInventoryError } from './ansible-syntax.js';
import { parseAnsibleYaml } from './ansible-yaml.js';

/**
 * Importing hosts from an Ansible inventory file (INI or YAML) into `hosts.inventory` entries.
 *
 * - `parseAnsibleInventory(text, format)`: pure parsing into {@link AnsibleHost}s, Ansible's own
 *   semantics (groups, `:children`, `:vars`, ranges, variable precedence), plus warnings.
 * - `loadAnsibleInventory(path)`: reads a file, picks the format, names the file in errors.
 * - `toInventoryEntries(hosts, defaults)`: the config's inventory entry shape.
 *
 * Secrets never come through: password-like variables (`ansible_password`, `ansible_ssh_pass`,
 * `ansible_become_pass`, …) and vault-encrypted values are dropped at parse time, and only their
 * names and places are reported in `warnings`.
 */

export type { AnsibleHost, ParsedAnsibleInventory } from './ansible-model.js';
export { AnsibleInventoryError, isSecretVariable } from './ansible-syntax.js';

export type AnsibleInventoryFormat = 'ini' | 'yaml';

/** Parses an inventory's text. Throws AnsibleInventoryError naming the line (INI) or key path (YAML). */
export function parseAnsibleInventory(text: string, format: AnsibleInventoryFormat): ParsedAnsibleInventory {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  return format === 'yaml' ? parseAnsibleYaml(body) : parseAnsibleIni(body);
}

/**
 * The format of an inventory file: `.yml`/`.yaml`/`.json` are YAML (JSON is YAML, and Ansible's
 * YAML plugin takes it), `.ini` is INI; anything else (`hosts`, `inventory`, `.cfg`) by its first
 * meaningful line: `---`, `{` or a `key:` opening a mapping is YAML, else INI.
 */
export function detectAnsibleFormat(path: string, text: string): AnsibleInventoryFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.yml' || ext === '.yaml' || ext === '.json') return 'yaml';
  if (ext === '.ini') return 'ini';
  for (const raw of text.split(/\r\n|\n|\r/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    return line.startsWith('---') || line.startsWith('{') || /^[^\s[=;#]+:(\s|$)/.test(line) ? 'yaml' : 'ini';
  }
  return 'ini';
}

/** Reads and parses an inventory file; every error names the file. */
export function loadAnsibleInventory(path: string): ParsedAnsibleInventory {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new AnsibleInventoryError('(file)', `cannot read the Ansible inventory (${code})`, path);
  }
  try {
    return parseAnsibleInventory(text, detectAnsibleFormat(path, text));
  } catch (error) {
    if (error instanceof AnsibleInventoryError) throw error.withFile(path);
    throw error;
  }
}

export interface AnsibleImportDefaults {
  /** For hosts whose inventory sets no ansible_user (host or group). */
  user?: string;
  /** For hosts whose inventory sets no ansible_ssh_private_key_file. */
  privateKeyPath?: string;
  /** Authenticate with the ssh-agent (every imported host). @default false */
  useAgent?: boolean;
  knownHostsPath: string;
  /** What a leading `~` in a key path stands for, as Ansible expands it. @default os.homedir() */
  homeDir?: string;
}

/** One `hosts.inventory` entry (the shape `hostsConfig` validates). */
export interface AnsibleInventoryEntry {
  id: string;
  address: string;
  port: number;
  user: string;
  privateKeyPath?: string;
  useAgent: boolean;
  knownHostsPath: string;
  labels: Record<string, string>;
}

const HOST_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const LABEL_KEY = /^[A-Za-z0-9._/-]{1,63}$/;
/** Ansible connection plugins that speak SSH; a host without ansible_connection uses SSH too. */
const SSH_CONNECTIONS = new Set(['ssh', 'smart', 'paramiko', 'paramiko_ssh', 'ansible.builtin.ssh', 'ansible.builtin.paramiko_ssh', 'ansible.legacy.ssh']);

/** The host id for an inventory name: characters outside [A-Za-z0-9._-] become `-`, a leading non-alphanumeric run is dropped. */
export function ansibleHostId(name: string): string | null {
  const id = name.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return HOST_ID.test(id) ? id : null;
}

/**
 * Turns parsed hosts into inventory entries.
 * - id: the inventory name made safe ({@link ansibleHostId}); an error when nothing is left, when it
 *   is longer than 128 characters, or when two names give the same id.
 * - labels: `group.<name>: "true"` for each group, except `all` (every host) and `ungrouped` (the
 *   absence of a group); a group name that cannot be a label key is an error.
 * - user: the host's (or its groups') ansible_user, else `defaults.user`, else an error naming the host.
 * - key: the host's ansible_ssh_private_key_file, else `defaults.privateKeyPath`; with neither and
 *   no `useAgent`, an error (Vigil takes no passwords).
 * - Hosts whose ansible_connection is not SSH (`local`, `docker`, `winrm`, …) are skipped, each with
 *   a line in `warnings` when given.
 */
export function toInventoryEntries(hosts: readonly AnsibleHost[], defaults: AnsibleImportDefaults, warnings?: string[]): AnsibleInventoryEntry[] {
  const home = defaults.homeDir ?? homedir();
  const expandHome = (path: string): string => (path === '~' ? home : path.startsWith('~/') ? `${home}${path.slice(1)}` : path);
  const byId = new Map<string, string>();
  const entries: AnsibleInventoryEntry[] = [];
  for (const host of hosts) {
    const where = `host "${host.name}"`;
    const connection = host.vars['ansible_connection'];
    if (connection !== undefined && connection !== 'None' && !SSH_CONNECTIONS.has(connection)) {
      warnings?.push(`${where}: skipped, ansible_connection=${connection} is not SSH`);
      continue;
    }
    const id = ansibleHostId(host.name);
    if (id === null) throw new AnsibleInventoryError(where, `cannot make a host id from the name: ids are 1-128 letters, digits, . _ - starting with a letter or digit`);
    const clash = byId.get(id);
    if (clash !== undefined) throw new AnsibleInventoryError(where, `its host id "${id}" is also the id of host "${clash}"`);
    byId.set(id, host.name);
    const user = host.user ?? defaults.user;
    if (!user) throw new AnsibleInventoryError(where, 'no SSH user: set ansible_user on the host or one of its groups, or give a default user');
    const key = host.privateKeyPath ?? defaults.privateKeyPath;
    const useAgent = defaults.useAgent ?? false;
    if (!key && !useAgent) {
      throw new AnsibleInventoryError(where, 'no SSH key: set ansible_ssh_private_key_file on the host or one of its groups, give a default privateKeyPath, or use the agent');
    }
    const labels: Record<string, string> = {};
    for (const group of host.groups) {
      if (group === 'all' || group === 'ungrouped') continue;
      const label = `group.${group}`;
      if (!LABEL_KEY.test(label)) throw new AnsibleInventoryError(where, `group "${group}" cannot be a label key (${label}: at most 63 letters, digits, . _ / -)`);
      labels[label] = 'true';
    }
    entries.push({
      id,
      address: host.address,
      port: host.port ?? 22,
      user,
      ...(key ? { privateKeyPath: expandHome(key) } : {}),
      useAgent,
      knownHostsPath: defaults.knownHostsPath,
      labels,
    });
  }
  return entries;
}
