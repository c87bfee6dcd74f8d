import { AnsibleInventoryError, isSecretVariable, isTemplated, isVaultPayload, parsePort } from './ansible-syntax.js';

/** One host of an Ansible inventory, its variables flattened the way Ansible flattens them. */
export interface AnsibleHost {
  /** The inventory name (`inventory_hostname`). */
  name: string;
  /** `ansible_host` (or the old `ansible_ssh_host`), else the inventory name. */
  address: string;
  /** `ansible_port` / `ansible_ssh_port` / `name:port`; null when not set (SSH's 22). */
  port: number | null;
  /** `ansible_user` / `ansible_ssh_user`. */
  user: string | null;
  /** `ansible_ssh_private_key_file` / `ansible_private_key_file`. */
  privateKeyPath: string | null;
  /** Every group the host is in, sorted: parents of its groups included, always `all`, `ungrouped` when in no other group. */
  groups: string[];
  /** Host and group variables merged (secrets removed), values as text. */
  vars: Record<string, string>;
}

export interface ParsedAnsibleInventory {
  /** Sorted by name. */
  hosts: AnsibleHost[];
  /** What was dropped or ignored: secret variable names (never values), skipped YAML keys, alias conflicts. */
  warnings: string[];
}

interface Value {
  value: string;
  where: string;
}

interface Group {
  name: string;
  vars: Map<string, Value>;
  children: Set<string>;
  parents: Set<string>;
  priority: number;
}

interface Host {
  name: string;
  vars: Map<string, Value>;
  groups: Set<string>;
}

/**
 * Ansible's in-memory inventory (`inventory/data.py`, `group.py`, `host.py`) reduced to what the
 * readers need: groups with vars, children and priority; hosts with vars and direct groups.
 * `build()` flattens it the way Ansible does before a play runs.
 */
export class InventoryBuilder {
  private readonly groups = new Map<string, Group>();
  private readonly hosts = new Map<string, Host>();
  private readonly warnings: string[] = [];
  private readonly warned = new Set<string>();

  constructor() {
    this.addGroup('all');
    this.addGroup('ungrouped');
  }

  hasGroup(name: string): boolean {
    return this.groups.has(name);
  }

  addGroup(name: string): void {
    if (!this.groups.has(name)) this.groups.set(name, { name, vars: new Map(), children: new Set(), parents: new Set(), priority: 1 });
  }

  warn(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.warnings.push(message);
  }

  addChild(parent: string, child: string, where: string): void {
    this.addGroup(parent);
    this.addGroup(child);
    if (child === 'all') throw new AnsibleInventoryError(where, `group "all" cannot be a child of "${parent}"`);
    if (child === parent || this.isAncestor(child, parent)) {
      throw new AnsibleInventoryError(where, `making "${child}" a child of "${parent}" creates a loop of groups`);
    }
    this.group(parent).children.add(child);
    this.group(child).parents.add(parent);
  }

  addHost(name: string, group: string, where: string, port: number | null): void {
    this.addGroup(group);
    let host = this.hosts.get(name);
    if (!host) {
      host = { name, vars: new Map(), groups: new Set() };
      this.hosts.set(name, host);
    }
    host.groups.add(group);
    if (port !== null) host.vars.set('ansible_port', { value: String(port), where });
  }

  /** `pattern` names the host in warnings: a range line warns once, not once per host. */
  setHostVar(name: string, key: string, value: string, where: string, options: { vault?: boolean; pattern?: string } = {}): void {
    const host = this.hosts.get(name);
    if (!host) throw new Error(`setHostVar before addHost(${name})`);
    if (this.keep(key, value, where, `host ${options.pattern ?? name}`, options.vault ?? false)) host.vars.set(key, { value, where });
  }

  setGroupVar(name: string, key: string, value: string, where: string, vault = false): void {
    this.addGroup(name);
    if (key === 'ansible_group_priority') {
      // Ansible keeps this one out of the variables: it orders groups of the same depth.
      const priority = /^-?[0-9]+$/.test(value.trim()) ? Number(value) : Number.NaN;
      if (!Number.isSafeInteger(priority)) throw new AnsibleInventoryError(where, `ansible_group_priority "${value}" of group "${name}" is not an integer`);
      this.group(name).priority = priority;
      return;
    }
    if (this.keep(key, value, where, `group ${name}`, vault)) this.group(name).vars.set(key, { value, where });
  }

  build(): ParsedAnsibleInventory {
    const depth = this.depths();
    const hosts: AnsibleHost[] = [];
    for (const host of this.hosts.values()) {
      const direct = new Set(host.groups);
      const named = [...direct].filter((g) => g !== 'all' && g !== 'ungrouped');
      // Ansible's reconcile_inventory: a host in no other group than `all` is `ungrouped`, and an
      // `ungrouped` entry is dropped once the host is in a real group.
      if (named.length === 0) direct.add('ungrouped');
      else direct.delete('ungrouped');
      const member = new Set<string>();
      const visit = (g: string): void => {
        if (member.has(g)) return;
        member.add(g);
        for (const parent of this.group(g).parents) visit(parent);
      };
      for (const g of direct) visit(g);
      member.add('all');
      // Variable precedence: all < parent group < child group (same depth: ansible_group_priority,
      // then name) < host — inventory/helpers.py sort_groups and vars/hostvars.
      const ordered = [...member].map((g) => this.group(g)).sort((a, b) => (depth.get(a.name) ?? 0) - (depth.get(b.name) ?? 0) || a.priority - b.priority || compare(a.name, b.name));
      const vars = new Map<string, Value>();
      for (const group of ordered) for (const [k, v] of group.vars) vars.set(k, v);
      for (const [k, v] of host.vars) vars.set(k, v);
      hosts.push(this.resolve(host.name, vars, [...member].sort(compare)));
    }
    hosts.sort((a, b) => compare(a.name, b.name));
    return { hosts, warnings: [...this.warnings] };
  }

  private resolve(name: string, vars: Map<string, Value>, groups: string[]): AnsibleHost {
    // Ansible's MAGIC_VARIABLE_MAPPING reads the ansible_ssh_* spelling first, so it wins when both are set.
    const pick = (field: string, keys: [string, string]): Value | null => {
      const [old, current] = keys.map((k) => vars.get(k));
      if (old && current && old.value !== current.value) {
        this.warn(`host "${name}": ${keys[0]} (${old.where}) and ${keys[1]} (${current.where}) differ; ${keys[0]} wins, as in Ansible`);
      }
      const chosen = old ?? current ?? null;
      if (chosen && isTemplated(chosen.value)) {
        throw new AnsibleInventoryError(chosen.where, `${field} of host "${name}" is a Jinja template ("${chosen.value}"), which only Ansible can render`);
      }
      return chosen && chosen.value.trim() !== '' && chosen.value !== 'None' ? chosen : null;
    };
    const address = pick('address', ['ansible_ssh_host', 'ansible_host']);
    const portValue = pick('port', ['ansible_ssh_port', 'ansible_port']);
    const user = pick('user', ['ansible_ssh_user', 'ansible_user']);
    const key = pick('private key path', ['ansible_ssh_private_key_file', 'ansible_private_key_file']);
    let port: number | null = null;
    if (portValue) {
      port = parsePort(portValue.value);
      if (port === null) throw new AnsibleInventoryError(portValue.where, `invalid port "${portValue.value}" for host "${name}": expected an integer 1-65535`);
    }
    return {
      name,
      address: address?.value.trim() ?? name,
      port,
      user: user?.value.trim() ?? null,
      privateKeyPath: key?.value.trim() ?? null,
      groups,
      vars: Object.fromEntries([...vars].sort(([a], [b]) => compare(a, b)).map(([k, v]) => [k, v.value])),
    };
  }

  /** Drops secrets, reporting the variable name and where it was, never the value. */
  private keep(key: string, value: string, where: string, owner: string, vault: boolean): boolean {
    if (!key) throw new AnsibleInventoryError(where, `empty variable name for ${owner}`);
    if (isSecretVariable(key)) {
      this.warn(`${where}: dropped secret variable ${key} of ${owner}`);
      return false;
    }
    if (vault || isVaultPayload(value)) {
      this.warn(`${where}: dropped vault-encrypted variable ${key} of ${owner}`);
      return false;
    }
    // A dict/list value (`{'root_password': …}`) with a secret-named key inside goes too.
    if (/^\s*[[{]/.test(value) && [...value.matchAll(/([A-Za-z0-9_]+)["']?\s*:/g)].some((m) => isSecretVariable(m[1] ?? ''))) {
      this.warn(`${where}: dropped variable ${key} of ${owner}: it holds a secret-named key`);
      return false;
    }
    return true;
  }

  private group(name: string): Group {
    const group = this.groups.get(name);
    if (!group) throw new Error(`unknown group ${name}`);
    return group;
  }

  private isAncestor(candidate: string, of: string): boolean {
    const seen = new Set<string>();
    const stack = [of];
    for (let g = stack.pop(); g !== undefined; g = stack.pop()) {
      if (g === candidate) return true;
      if (seen.has(g)) continue;
      seen.add(g);
      stack.push(...this.group(g).parents);
    }
    return false;
  }

  /** Group depth as Ansible counts it: `all` 0, a group without parents 1, else 1 + its deepest parent. */
  private depths(): Map<string, number> {
    const depth = new Map<string, number>([['all', 0]]);
    const of = (name: string): number => {
      const known = depth.get(name);
      if (known !== undefined) return known;
      const parents = [...this.group(name).parents].filter((p) => p !== 'all');
      const d = 1 + Math.max(0, ...parents.map(of));
      depth.set(name, d);
      return d;
    };
    for (const name of this.groups.keys()) of(name);
    return depth;
  }
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
