import { LineCounter, isAlias, isCollection, isMap, isScalar, isSeq, parseDocument, type Document, type Node, type Pair } from 'yaml';
import { InventoryBuilder, type ParsedAnsibleInventory } from './ansible-model.js';
import { AnsibleInventoryError, expandHostPattern } from './ansible-syntax.js';

/**
 * Ansible's YAML inventory, read as ansible-core's `plugins/inventory/yaml.py` reads it: top-level
 * keys are groups (normally just `all`); a group is null or a mapping of `hosts` (host pattern →
 * null or variables), `children` (group name → group, to any depth) and `vars`. A host listed in
 * several groups is one host in all of them. YAML 1.1, as PyYAML reads it (`yes` is a boolean,
 * `<<` merge keys work). Values become text as Python prints them (`True`, `False`, `None`);
 * mappings and lists as JSON.
 *
 * Stricter than Ansible: a group, `hosts`, `children`, `vars` or host entry that is neither null nor
 * a mapping is an error (Ansible skips it with a warning), and so is a duplicate key (PyYAML keeps
 * the last one, losing the hosts of the first); keys other than hosts/children/vars in a
 * group are skipped with a warning, as Ansible does.
 */
export function parseAnsibleYaml(text: string): ParsedAnsibleInventory {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, version: '1.1', uniqueKeys: false, prettyErrors: false });
  const firstError = doc.errors[0];
  if (firstError) throw new AnsibleInventoryError(`line ${lines.linePos(firstError.pos[0]).line}`, `invalid YAML: ${firstError.message}`);
  const reader = new YamlReader(doc, lines);
  return reader.read();
}

type Path = readonly string[];

class YamlReader {
  private readonly builder = new InventoryBuilder();

  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  read(): ParsedAnsibleInventory {
    const root = this.resolve(this.doc.contents);
    if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) {
      throw new AnsibleInventoryError('(document)', 'empty YAML inventory');
    }
    if (!isMap(root)) throw new AnsibleInventoryError(this.where([], root), 'a YAML inventory is a mapping of group names (usually just "all")');
    const entries = this.entries(root, []);
    const plugin = entries.find(([key]) => key === 'plugin');
    if (plugin) {
      throw new AnsibleInventoryError(this.where(['plugin'], plugin[2]), 'this is an inventory plugin configuration, not a static inventory: Vigil reads only static host lists');
    }
    for (const [name, value, keyNode] of entries) this.group(name, value, [name], keyNode);
    return this.builder.build();
  }

  private group(name: string, node: Node | null, path: Path, keyNode: Node | null): void {
    if (!name) throw new AnsibleInventoryError(this.where(path, keyNode), 'empty group name');
    this.builder.addGroup(name);
    if (this.isNull(node)) return;
    if (!isMap(node)) throw new AnsibleInventoryError(this.where(path, node), `group "${name}" must be a mapping of hosts, children and vars, not ${describe(node)}`);
    for (const [key, value, keyAt] of this.entries(node, path)) {
      const at = [...path, key];
      if (key !== 'hosts' && key !== 'children' && key !== 'vars') {
        this.builder.warn(`${this.where(at, keyAt)}: skipped key "${key}" of group "${name}": only hosts, children and vars are valid (a host needs a "hosts:" level)`);
        continue;
      }
      if (this.isNull(value)) continue;
      // Ansible accepts a single name as a string: `hosts: test5` is `hosts: {test5: null}`.
      const items: Array<[string, Node | null, Node | null]> =
        isScalar(value) && key !== 'vars' ? [[String(value.value), null, value]] : isMap(value) ? this.entries(value, at) : [];
      if (!isMap(value) && !(isScalar(value) && key !== 'vars')) {
        throw new AnsibleInventoryError(this.where(at, value), `"${key}" of group "${name}" must be a mapping, not ${describe(value)}`);
      }
      for (const [itemName, itemValue, itemKey] of items) {
        const itemPath = [...at, itemName];
        const where = this.where(itemPath, itemKey);
        switch (key) {
          case 'vars':
            this.setVar((k, v, vault) => this.builder.setGroupVar(name, k, v, where, vault), itemName, itemValue);
            break;
          case 'children':
            this.group(itemName, itemValue, itemPath, itemKey);
            this.builder.addChild(name, itemName, where);
            break;
          case 'hosts':
            this.hosts(name, itemName, itemValue, itemPath, where);
            break;
        }
      }
    }
  }

  private hosts(group: string, pattern: string, node: Node | null, path: Path, where: string): void {
    let expanded: { names: string[]; port: number | null };
    try {
      expanded = expandHostPattern(pattern);
    } catch (error) {
      throw new AnsibleInventoryError(where, error instanceof Error ? error.message : String(error));
    }
    if (!this.isNull(node) && !isMap(node)) {
      throw new AnsibleInventoryError(this.where(path, node), `host "${pattern}" must map to its variables (or nothing), not ${describe(node)}`);
    }
    const variables = isMap(node) ? this.entries(node, path) : [];
    for (const name of expanded.names) {
      this.builder.addHost(name, group, where, expanded.port);
      for (const [key, value, keyNode] of variables) {
        const at = this.where([...path, key], keyNode);
        this.setVar((k, v, vault) => this.builder.setHostVar(name, k, v, at, { vault, pattern }), key, value);
      }
    }
  }

  private setVar(set: (key: string, value: string, vault: boolean) => void, key: string, node: Node | null): void {
    const resolved = this.resolve(node);
    set(key, this.text(resolved), this.hasVault(resolved));
  }

  /** A variable's value as text, as Python would print a scalar; collections as JSON. */
  private text(node: Node | null): string {
    if (node === null) return 'None';
    if (isScalar(node)) {
      const value: unknown = node.value;
      if (value === null || value === undefined) return 'None';
      if (value === true) return 'True';
      if (value === false) return 'False';
      if (value instanceof Date) return value.toISOString();
      return String(value);
    }
    return JSON.stringify(node.toJS(this.doc));
  }

  private hasVault(node: Node | null): boolean {
    if (node === null) return false;
    if (isScalar(node)) return node.tag === '!vault';
    if (isMap(node)) return node.items.some((pair) => this.hasVault(this.resolve(pair.value as Node | null)));
    if (isSeq(node)) return node.items.some((item) => this.hasVault(this.resolve(item as Node | null)));
    return false;
  }

  /** The pairs of a mapping as [key, value, key node], `<<` merge keys applied (explicit keys win). */
  private entries(map: Node, path: Path): Array<[string, Node | null, Node | null]> {
    const out = new Map<string, [string, Node | null, Node | null]>();
    const merged = new Map<string, [string, Node | null, Node | null]>();
    if (!isMap(map)) return [];
    for (const pair of map.items as Array<Pair<unknown, unknown>>) {
      const keyNode = pair.key as Node | null;
      const value = this.resolve(pair.value as Node | null);
      if (isScalar(keyNode) && typeof keyNode.value === 'symbol') {
        const sources = isSeq(value) ? value.items.map((item) => this.resolve(item as Node | null)) : [value];
        for (const source of sources) {
          if (!isMap(source)) throw new AnsibleInventoryError(this.where(path, keyNode), 'a "<<" merge key needs a mapping or a list of mappings');
          for (const entry of this.entries(source, path)) if (!merged.has(entry[0])) merged.set(entry[0], entry);
        }
        continue;
      }
      if (!isScalar(keyNode) || keyNode.value === null || keyNode.value === undefined || keyNode.value === '') {
        throw new AnsibleInventoryError(this.where(path, keyNode ?? map), `empty or non-scalar key in ${path.length ? formatPath(path) : 'the document'}`);
      }
      const key = this.text(keyNode);
      if (out.has(key)) {
        throw new AnsibleInventoryError(this.where([...path, key], keyNode), `duplicate key "${key}" (Ansible would silently keep only the last one)`);
      }
      out.set(key, [key, value, keyNode]);
    }
    for (const [key, entry] of merged) if (!out.has(key)) out.set(key, entry);
    return [...out.values()];
  }

  private resolve(node: unknown): Node | null {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? null;
    return isScalar(node) || isCollection(node) ? node : null;
  }

  private isNull(node: Node | null): boolean {
    return node === null || (isScalar(node) && (node.value === null || node.value === undefined));
  }

  private where(path: Path, node: Node | null): string {
    const offset = node?.range?.[0];
    const line = offset === undefined ? '' : ` (line ${this.lines.linePos(offset).line})`;
    return `${path.length ? formatPath(path) : '(document)'}${line}`;
  }
}

/** `all.children.webservers.hosts["foo.example.com"]`: plain keys dotted, others quoted. */
export function formatPath(path: Path): string {
  return path.map((key, i) => (/^[A-Za-z0-9_-]+$/.test(key) ? `${i ? '.' : ''}${key}` : `[${JSON.stringify(key)}]`)).join('');
}

function describe(node: Node | null): string {
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) return `the value ${JSON.stringify(node.value)}`;
  return 'this value';
}
