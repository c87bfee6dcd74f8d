import { InventoryBuilder, type ParsedAnsibleInventory } from './ansible-model.js';
import { AnsibleInventoryError, expandHostPattern, readIniValue, shlexSplit } from './ansible-syntax.js';

/**
 * Ansible's INI inventory, read as ansible-core's `plugins/inventory/ini.py` reads it: one pass,
 * lines before any section are `ungrouped` hosts, `[g]` host lines `name key=value …` (shlex
 * quoting, `#` comments), `[g:children]` one group per line, `[g:vars]` one `key=value` per line;
 * `[g]` or `[g:children]` declares a group, and a `:children` entry or `:vars` section naming a
 * group never declared anywhere in the file is an error (forward references are fine).
 */
export function parseAnsibleIni(text: string): ParsedAnsibleInventory {
  const builder = new InventoryBuilder();
  /** Ansible's `inventory.groups` while parsing: declared by any section header. */
  const known = new Set(['all', 'ungrouped']);
  const pending = new Map<string, { state: 'vars'; line: number } | { state: 'children'; line: number; parents: Array<{ parent: string; line: number }> }>();
  const resolvePendingChildren = (group: string): void => {
    const declaration = pending.get(group);
    if (declaration?.state !== 'children') return;
    pending.delete(group);
    for (const { parent, line } of declaration.parents) builder.addChild(parent, group, `line ${line}`);
  };

  let group = 'ungrouped';
  let state: 'hosts' | 'children' | 'vars' = 'hosts';
  const lines = text.split(/\r\n|\n|\r/);
  lines.forEach((raw, index) => {
    const lineNumber = index + 1;
    const where = `line ${lineNumber}`;
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) return;

    const section = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/.exec(line);
    if (section) {
      group = section[1] ?? '';
      const kind = section[2] ?? 'hosts';
      if (kind !== 'hosts' && kind !== 'children' && kind !== 'vars') {
        throw new AnsibleInventoryError(where, `section [${group}:${kind}] has unknown type "${kind}" (expected :children or :vars)`);
      }
      state = kind;
      if (!known.has(group)) {
        if (state === 'vars' && !pending.has(group)) pending.set(group, { state: 'vars', line: lineNumber });
        known.add(group);
        builder.addGroup(group);
      }
      if (state !== 'vars') {
        if (pending.get(group)?.state === 'vars') pending.delete(group);
        else resolvePendingChildren(group);
      }
      return;
    }
    if (line.startsWith('[') && line.endsWith(']')) {
      throw new AnsibleInventoryError(where, `invalid section header ${line}: a group name has no spaces or ":" and the only suffixes are :children and :vars`);
    }

    switch (state) {
      case 'hosts': {
        let tokens: string[];
        let names: string[];
        let port: number | null;
        try {
          tokens = shlexSplit(line);
          ({ names, port } = expandHostPattern(tokens[0] ?? ''));
        } catch (error) {
          throw new AnsibleInventoryError(where, `host line "${line}": ${error instanceof Error ? error.message : String(error)}`);
        }
        const variables: Array<[string, string]> = [];
        for (const token of tokens.slice(1)) {
          const eq = token.indexOf('=');
          if (eq < 0) throw new AnsibleInventoryError(where, `expected key=value after the host name, got "${token}"`);
          variables.push([token.slice(0, eq), readIniValue(token.slice(eq + 1))]);
        }
        for (const name of names) {
          builder.addHost(name, group, where, port);
          for (const [key, value] of variables) builder.setHostVar(name, key, value, where, { pattern: tokens[0] });
        }
        return;
      }
      case 'vars': {
        const eq = line.indexOf('=');
        if (eq < 0) throw new AnsibleInventoryError(where, `expected key=value in [${group}:vars], got "${line}"`);
        builder.setGroupVar(group, line.slice(0, eq).trim(), readIniValue(line.slice(eq + 1)), where);
        return;
      }
      case 'children': {
        const child = /^([^:\]\s]+)\s*(?:#.*)?$/.exec(line)?.[1];
        if (!child) throw new AnsibleInventoryError(where, `expected a group name in [${group}:children], got "${line}"`);
        if (known.has(child)) {
          builder.addChild(group, child, where);
        } else {
          const declaration = pending.get(child);
          if (declaration?.state === 'children') declaration.parents.push({ parent: group, line: lineNumber });
          else pending.set(child, { state: 'children', line: lineNumber, parents: [{ parent: group, line: lineNumber }] });
        }
        return;
      }
    }
  });

  for (const [name, declaration] of pending) {
    if (declaration.state === 'vars') {
      throw new AnsibleInventoryError(`line ${declaration.line}`, `section [${name}:vars] is for group "${name}", which is never defined (no [${name}] or [${name}:children] section)`);
    }
    const first = declaration.parents[0];
    throw new AnsibleInventoryError(`line ${first?.line ?? declaration.line}`, `[${first?.parent ?? '?'}:children] names group "${name}", which is never defined in this inventory`);
  }
  return builder.build();
}
