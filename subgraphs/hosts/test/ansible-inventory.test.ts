import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostsConfig } from '../src/config.js';
import {
  AnsibleInventoryError,
  ansibleHostId,
  detectAnsibleFormat,
  isSecretVariable,
  loadAnsibleInventory,
  parseAnsibleInventory,
  toInventoryEntries,
  type AnsibleHost,
  type AnsibleInventoryFormat,
} from '../src/inventory/ansible.js';

// Fixtures: Ansible's own documentation and plugin examples, plus one handwritten inventory;
// ansible-inventory-list/ holds what the real ansible-inventory made of each. Provenance in
// test/fixtures/ansible/README.md.
const FIXTURES = new URL('./fixtures/ansible/', import.meta.url);
const fixturePath = (name: string) => new URL(name, FIXTURES).pathname;
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');
const formatOf = (name: string): AnsibleInventoryFormat => (name.endsWith('.ini') ? 'ini' : 'yaml');
const parseFixture = (name: string) => parseAnsibleInventory(fixture(name), formatOf(name));
const byName = (hosts: AnsibleHost[]) => Object.fromEntries(hosts.map((h) => [h.name, h]));
const host = (hosts: AnsibleHost[], name: string): AnsibleHost => {
  const found = hosts.find((h) => h.name === name);
  if (!found) throw new Error(`no host ${name} in ${hosts.map((h) => h.name).join(', ')}`);
  return found;
};
const ini = (text: string) => parseAnsibleInventory(text, 'ini');
const yaml = (text: string) => parseAnsibleInventory(text, 'yaml');
/** The error a parse throws, for asserting on where and what. */
function failure(run: () => unknown): AnsibleInventoryError {
  try {
    run();
  } catch (error) {
    if (error instanceof AnsibleInventoryError) return error;
    throw error;
  }
  throw new Error('expected an AnsibleInventoryError');
}

interface AnsibleList {
  _meta: { hostvars: Record<string, Record<string, unknown>> };
  [group: string]: { hosts?: string[]; children?: string[] } | AnsibleList['_meta'];
}

/** Groups and vars per host as `ansible-inventory --list` printed them, secrets removed as Vigil removes them. */
function fromAnsibleList(list: AnsibleList): Record<string, { groups: string[]; vars: Record<string, string> }> {
  const groups = Object.entries(list).filter(([name]) => name !== '_meta') as Array<[string, { hosts?: string[]; children?: string[] }]>;
  const parents = new Map<string, string[]>();
  for (const [name, group] of groups) for (const child of group.children ?? []) parents.set(child, [...(parents.get(child) ?? []), name]);
  const out: Record<string, { groups: string[]; vars: Record<string, string> }> = {};
  for (const [name, group] of groups) {
    for (const hostName of group.hosts ?? []) {
      const entry = (out[hostName] ??= { groups: [], vars: {} });
      const add = (g: string): void => {
        if (entry.groups.includes(g)) return;
        entry.groups.push(g);
        for (const parent of parents.get(g) ?? []) add(parent);
      };
      add(name);
      add('all');
    }
  }
  const python = (v: unknown): string => (v === true ? 'True' : v === false ? 'False' : v === null ? 'None' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  for (const [hostName, vars] of Object.entries(list._meta.hostvars)) {
    for (const [key, value] of Object.entries(vars)) {
      const vaulted = typeof value === 'object' && value !== null && '__ansible_vault' in value;
      const entry = out[hostName];
      if (entry && !vaulted && !isSecretVariable(key)) entry.vars[key] = python(value);
    }
  }
  for (const entry of Object.values(out)) entry.groups.sort();
  return out;
}

describe('against the real ansible-inventory', () => {
  const lists = readdirSync(new URL('ansible-inventory-list/', FIXTURES)).filter((f) => f.endsWith('.json'));

  it('has a recorded ansible-inventory --list for every loadable fixture', () => {
    expect(lists.length).toBe(17);
  });

  it.each(lists)('%s: same hosts, groups (parents included) and merged variables', (listName) => {
    const source = listName.replace(/\.json$/, '');
    const list = JSON.parse(fixture(`ansible-inventory-list/${listName}`)) as AnsibleList;
    const { hosts } = parseFixture(source);
    const mine = Object.fromEntries(hosts.map((h) => [h.name, { groups: h.groups, vars: h.vars }]));
    expect(mine).toEqual(fromAnsibleList(list));
  });
});

describe('INI and YAML versions of the same inventory give the same hosts', () => {
  it.each([
    ['docs-basic.ini', 'docs-basic.yml'],
    ['docs-parent-groups.ini', 'docs-parent-groups.yml'],
    ['docs-ranges.ini', 'docs-ranges.yml'],
    ['docs-variables.ini', 'docs-variables.yml'],
    ['docs-southeast-declared.ini', 'docs-southeast.yml'],
    ['fleet.ini', 'fleet.yml'],
  ])('%s = %s', (iniName, yamlName) => {
    const fromIni = parseFixture(iniName);
    const fromYaml = parseFixture(yamlName);
    expect(fromIni.hosts.length).toBeGreaterThan(0);
    expect(fromIni.hosts).toEqual(fromYaml.hosts);
    // The same secrets are dropped either way; only the place differs (line vs key path).
    const names = (warnings: string[]) => warnings.map((w) => /dropped (?:secret|vault-encrypted) variable (\S+) of (.*)$/.exec(w)?.slice(1).join(' ')).sort();
    expect(names(fromIni.warnings)).toEqual(names(fromYaml.warnings));
  });
});

describe('the documentation examples ("How to build your inventory")', () => {
  it('basic inventory: a host outside any section is ungrouped, every host is in all', () => {
    const hosts = byName(parseFixture('docs-basic.ini').hosts);
    expect(Object.keys(hosts)).toEqual(['bar.example.com', 'foo.example.com', 'mail.example.com', 'one.example.com', 'three.example.com', 'two.example.com']);
    expect(hosts['mail.example.com']).toEqual({ name: 'mail.example.com', address: 'mail.example.com', port: null, user: null, privateKeyPath: null, groups: ['all', 'ungrouped'], vars: {} });
    expect(hosts['two.example.com']?.groups).toEqual(['all', 'dbservers']);
  });

  it('hosts in multiple groups: one host, the union of its groups', () => {
    const { hosts } = parseFixture('docs-multiple-groups.yml');
    expect(hosts).toHaveLength(6);
    expect(host(hosts, 'one.example.com').groups).toEqual(['all', 'dbservers', 'east', 'prod']);
  });

  it('parent/child groups: members of a child group are members of the parent', () => {
    const { hosts } = parseFixture('docs-parent-groups.yml');
    expect(host(hosts, 'foo.example.com').groups).toEqual(['all', 'east', 'prod', 'webservers']);
    expect(host(hosts, 'three.example.com').groups).toEqual(['all', 'dbservers', 'test', 'west']);
  });

  it('ranges: www[01:50] keeps the zero padding, [01:50:2] strides, db-[a:f] is alphabetic', () => {
    const { hosts } = parseFixture('docs-ranges.ini');
    const inGroup = (g: string) => hosts.filter((h) => h.groups.includes(g)).map((h) => h.name);
    const web = inGroup('webservers');
    expect(web).toHaveLength(50);
    expect(web[0]).toBe('www01.example.com');
    expect(web.at(-1)).toBe('www50.example.com');
    const stride = inGroup('webservers_stride');
    expect(stride).toHaveLength(25);
    expect(stride.slice(0, 3)).toEqual(['www01.example.com', 'www03.example.com', 'www05.example.com']);
    expect(stride).not.toContain('www50.example.com');
    expect(stride.at(-1)).toBe('www49.example.com');
    expect(inGroup('databases')).toEqual(['db-a.example.com', 'db-b.example.com', 'db-c.example.com', 'db-d.example.com', 'db-e.example.com', 'db-f.example.com']);
  });

  it('aliases: jumper connects to 192.0.2.50:5555; badwolf.example.com:5309 sets the port', () => {
    for (const name of ['docs-variables.ini', 'docs-variables.yml']) {
      const { hosts } = parseFixture(name);
      expect(host(hosts, 'jumper')).toMatchObject({ address: '192.0.2.50', port: 5555, groups: ['all', 'ungrouped'] });
      expect(host(hosts, 'badwolf.example.com')).toMatchObject({ address: 'badwolf.example.com', port: 5309 });
    }
  });

  it('host and group variables: atlanta vars reach both hosts, host vars stay on their host', () => {
    const { hosts } = parseFixture('docs-variables.ini');
    expect(host(hosts, 'host1').vars).toEqual({ http_port: '80', maxRequestsPerChild: '808', ntp_server: 'ntp.atlanta.example.com', proxy: 'proxy.atlanta.example.com' });
    expect(host(hosts, 'host2').vars['http_port']).toBe('303');
  });

  it('groups of groups: southeast vars reach atlanta and raleigh hosts; usa contains them', () => {
    const { hosts } = parseFixture('docs-southeast.yml');
    expect(hosts.map((h) => h.name)).toEqual(['host1', 'host2', 'host3']);
    expect(host(hosts, 'host2').groups).toEqual(['all', 'atlanta', 'raleigh', 'southeast', 'usa']);
    expect(host(hosts, 'host3').vars).toEqual({ some_server: 'foo.southeast.example.com', halon_system_timeout: '30', self_destruct_countdown: '60', escape_pods: '2' });
  });

  it('the INI groups-of-groups snippet, verbatim, fails as it does in Ansible: [usa:children] names undefined groups', () => {
    // ansible-inventory 2.14.18: "docs-southeast.ini:21: Section [usa:children] includes undefined group: northeast"
    const error = failure(() => parseFixture('docs-southeast.ini'));
    expect(error.where).toBe('line 21');
    expect(error.message).toBe('line 21: [usa:children] names group "northeast", which is never defined in this inventory');
  });

  it('connection variables (behavioral inventory parameters)', () => {
    const { hosts } = parseFixture('docs-connection-params.ini');
    expect(host(hosts, 'other1.example.com')).toMatchObject({ user: 'myuser', port: null, vars: { ansible_connection: 'ssh', ansible_user: 'myuser' } });
    expect(host(hosts, 'some_host')).toMatchObject({ port: 2222, user: 'manager' });
    expect(host(hosts, 'aws_host').privateKeyPath).toBe('/home/example/.ssh/aws.pem');
    expect(host(hosts, 'localhost').vars['ansible_connection']).toBe('local');
  });
});

describe('the ini and yaml inventory plugins\' own examples', () => {
  it('ini Example 1: host vars beat child-group vars beat parent vars beat all; trailing comments; secrets dropped', () => {
    const { hosts, warnings } = parseFixture('ini-plugin-example1.ini');
    const h = byName(hosts);
    expect(h['host2']).toMatchObject({ port: 222, groups: ['all', 'web'] });
    expect(h['host1']?.vars).toEqual({ has_java: 'False', http_port: '8080', myvar: '23' });
    expect(h['tomcat1']?.groups).toEqual(['all', 'apache', 'web']);
    expect(h['tomcat1']?.vars['myvar']).toBe('23');
    expect(h['tomcat2']?.vars['myvar']).toBe('34');
    expect(h['jenkins1']?.vars['has_java']).toBe('True');
    expect(h['tomcat3']?.vars).not.toHaveProperty('mysecret');
    expect(warnings).toEqual(['line 16: dropped secret variable mysecret of host tomcat3']);
  });

  it('ini Example 2: same address on two ports; one host in two groups', () => {
    const h = byName(parseFixture('ini-plugin-example2.ini').hosts);
    expect(h['host2']).toMatchObject({ address: '127.0.0.1', port: 44, groups: ['all', 'ungrouped'] });
    expect(h['host3']).toMatchObject({ address: '127.0.0.1', port: 45 });
    expect(h['host4']?.groups).toEqual(['all', 'g1', 'g2']);
  });

  it('yaml example: a bare string under hosts is one host; all vars reach every host', () => {
    const h = byName(parseFixture('yaml-plugin-example.yml').hosts);
    expect(Object.keys(h)).toEqual(['test1', 'test2', 'test4', 'test5', 'test6']);
    expect(h['test5']?.groups).toEqual(['all', 'group_x', 'other_group']);
    expect(h['test1']).toMatchObject({ groups: ['all', 'last_group'], vars: { group_all_var: 'value', group_last_var: 'value' } });
    expect(h['test4']).toMatchObject({ address: '127.0.0.1', vars: { ansible_host: '127.0.0.1', g2_var2: 'value3', group_all_var: 'value' } });
  });
});

describe('connection variables', () => {
  it('reads the old ansible_ssh_* spellings', () => {
    const { hosts } = parseFixture('fleet.ini');
    expect(host(hosts, 'bastion')).toMatchObject({ address: '192.0.2.10', port: 2200, user: 'ops' });
    expect(host(hosts, 'web-canary.example.com')).toMatchObject({ address: '2001:db8::7', port: 2222, user: 'deploy', privateKeyPath: '~/.ssh/web_ed25519' });
    expect(host(hosts, 'db-a.example.com')).toMatchObject({ user: 'postgres', privateKeyPath: null, groups: ['all', 'db', 'prod'] });
  });

  it('lets ansible_ssh_* win over ansible_* when both are set, as Ansible does, with a warning', () => {
    const { hosts, warnings } = ini('h ansible_host=10.0.0.1 ansible_ssh_host=10.0.0.2 ansible_user=a ansible_ssh_user=a');
    expect(host(hosts, 'h')).toMatchObject({ address: '10.0.0.2', user: 'a' });
    expect(warnings).toEqual(['host "h": ansible_ssh_host (line 1) and ansible_host (line 1) differ; ansible_ssh_host wins, as in Ansible']);
  });

  it('reads ansible_private_key_file too, and treats an empty value as unset', () => {
    const { hosts } = yaml('all:\n  hosts:\n    a:\n      ansible_private_key_file: /k\n      ansible_user:\n      ansible_host: ""\n');
    expect(host(hosts, 'a')).toMatchObject({ address: 'a', user: null, privateKeyPath: '/k' });
  });

  it('orders same-depth groups by ansible_group_priority, then name (the documented a_group/b_group example)', () => {
    const text = 'all:\n  hosts:\n    h:\n  children:\n    a_group:\n      hosts: {h: }\n      vars: {testvar: a, ansible_group_priority: 10}\n    b_group:\n      hosts: {h: }\n      vars: {testvar: b}\n';
    const h = host(yaml(text).hosts, 'h');
    expect(h.vars).toEqual({ testvar: 'a' });
    expect(host(yaml(text.replace(', ansible_group_priority: 10', '')).hosts, 'h').vars).toEqual({ testvar: 'b' });
  });

  it('keeps quoted values whole and unquotes Python string literals on INI host lines', () => {
    const h = host(ini(`h motd="hello world" path='/a b' lit="'x#y'" n=5 # comment`).hosts, 'h');
    expect(h.vars).toEqual({ motd: 'hello world', path: '/a b', lit: 'x#y', n: '5' });
  });

  it('renders YAML values as Ansible (Python) would print them; YAML 1.1 booleans', () => {
    const h = host(yaml('all:\n  hosts:\n    h:\n      a: yes\n      b: false\n      c:\n      d: [1, 2]\n      e: {k: v}\n').hosts, 'h');
    expect(h.vars).toEqual({ a: 'True', b: 'False', c: 'None', d: '[1,2]', e: '{"k":"v"}' });
  });
});

describe('secrets never come through', () => {
  it('drops password variables from hosts and groups, reporting names and places but no values', () => {
    for (const name of ['fleet.ini', 'fleet.yml']) {
      const result = parseFixture(name);
      const serialised = JSON.stringify(result);
      for (const secret of ['hunter2', 's3cret', 'pw with spaces', 'ANSIBLE_VAULT', '6338386466']) expect(serialised).not.toContain(secret);
      for (const h of result.hosts) for (const key of Object.keys(h.vars)) expect(isSecretVariable(key)).toBe(false);
      expect(result.warnings.map((w) => /variable (\S+) of (\S+ \S+)$/.exec(w)?.slice(1).join(' '))).toEqual([
        'ansible_ssh_pass host web[1:3].example.com',
        'ansible_become_pass group web',
        'ansible_password host db-[a:b].example.com',
      ]);
    }
    expect(parseFixture('fleet.ini').warnings[0]).toBe('line 6: dropped secret variable ansible_ssh_pass of host web[1:3].example.com');
    expect(parseFixture('fleet.yml').warnings[1]).toBe('all.children.prod.children.web.vars.ansible_become_pass (line 23): dropped secret variable ansible_become_pass of group web');
  });

  it('recognises the password variables Ansible documents, and leaves key paths alone', () => {
    for (const name of ['ansible_password', 'ansible_ssh_pass', 'ansible_ssh_password', 'ansible_become_pass', 'ansible_become_password', 'ansible_sudo_pass', 'ansible_su_password', 'ansible_ssh_private_key_passphrase', 'ansible_httpapi_pass', 'mysecret', 'api_token', 'vault_api_key']) {
      expect(isSecretVariable(name), name).toBe(true);
    }
    for (const name of ['ansible_ssh_private_key_file', 'ansible_private_key_file', 'ansible_user', 'ansible_port', 'passenger_port', 'http_port']) {
      expect(isSecretVariable(name), name).toBe(false);
    }
  });

  it('drops vault-encrypted values whatever their name, and structured values with secret keys inside', () => {
    const { hosts, warnings } = yaml('all:\n  vars:\n    db_conn: !vault |\n      $ANSIBLE_VAULT;1.1;AES256\n      3132\n    mysql: {user: app, root_password: x}\n    plain: ok\n  hosts:\n    h:\n');
    expect(host(hosts, 'h').vars).toEqual({ plain: 'ok' });
    expect(warnings).toEqual([
      'all.vars.db_conn (line 3): dropped vault-encrypted variable db_conn of group all',
      'all.vars.mysql (line 6): dropped variable mysql of group all: it holds a secret-named key',
    ]);
    expect(ini(`h cfg="{'api_token': 'x'}"`).hosts[0]?.vars).toEqual({});
  });
});

describe('errors name the line (INI) or key path (YAML) and the problem', () => {
  it.each([
    ['invalid port in a host variable', 'h ansible_port=abc', 'line 1: invalid port "abc" for host "h": expected an integer 1-65535'],
    ['invalid port from a group variable names the vars line', '[g]\nh\n[g:vars]\nansible_port=70000', 'line 4: invalid port "70000" for host "h": expected an integer 1-65535'],
    ['invalid port after a colon', '[g]\nh:99999', 'line 2: host line "h:99999": invalid port "99999" in host "h:99999": expected an integer 1-65535'],
    ['a host ending in a colon', 'h:', 'line 1: host line "h:": invalid port "" in host "h:": expected an integer 1-65535'],
    ['range: unequal zero-padded bounds', 'www[01:5].x', 'line 1: host line "www[01:5].x": malformed range in "www[01:5].x": a zero-padded begin ("01") needs an end of the same length'],
    ['range: begin after end', 'web[3:1]', 'line 1: host line "web[3:1]": malformed range in "web[3:1]": begin 3 is greater than end 1'],
    ['range: no closing bracket', 'web[1:3', 'line 1: host line "web[1:3": malformed range in "web[1:3": "[" without "]"'],
    ['range: four parts', 'web[1:2:3:4]', 'line 1: host line "web[1:2:3:4]": malformed range in "web[1:2:3:4]": a range is [begin:end] or [begin:end:step]'],
    ['range: no end', 'web[1:]', 'line 1: host line "web[1:]": malformed range in "web[1:]": no end value'],
    ['range: letter to digit', 'web[a:5]', 'line 1: host line "web[a:5]": malformed range in "web[a:5]": [a:5] is neither numeric nor one letter to one letter'],
    ['range: zero step', 'web[1:5:0]', 'line 1: host line "web[1:5:0]": malformed range in "web[1:5:0]": step "0" is not a positive integer'],
    ['range: too many hosts', 'web[0:99999]', 'line 1: host line "web[0:99999]": range "web[0:99999]" expands to more than 10000 hosts'],
    ['a bracketed IPv6 address without a port (a section header to Ansible too)', '[2001:db8::1]', 'line 1: invalid section header [2001:db8::1]: a group name has no spaces or ":" and the only suffixes are :children and :vars'],
    [':children naming a group never defined', '[web]\nw1\n[prod:children]\nweb\ndbs\n', 'line 5: [prod:children] names group "dbs", which is never defined in this inventory'],
    [':vars for a group never defined', '[web]\nw1\n[dbs:vars]\nx=1\n', 'line 3: section [dbs:vars] is for group "dbs", which is never defined (no [dbs] or [dbs:children] section)'],
    ['an unknown section type', '[web:bogus]\nw1', 'line 1: section [web:bogus] has unknown type "bogus" (expected :children or :vars)'],
    ['a section header with a space', '[web servers]\nw1', 'line 1: invalid section header [web servers]: a group name has no spaces or ":" and the only suffixes are :children and :vars'],
    ['a :vars line without =', '[all:vars]\nansible_user deploy', 'line 2: expected key=value in [all:vars], got "ansible_user deploy"'],
    ['a host variable without =', 'h ansible_user deploy', 'line 1: expected key=value after the host name, got "ansible_user"'],
    ['an unclosed quote', 'h motd="hello', 'line 1: host line "h motd="hello": no closing quotation'],
    ['a key=value where a host belongs', '[web]\nansible_user=deploy', 'line 2: host line "ansible_user=deploy": "ansible_user=deploy" is not a host name (a key=value outside a host line or a [group:vars] section?)'],
    ['a YAML document read as INI', '---\nall:', 'line 1: host line "---": host "---" is a YAML document marker: is this a YAML inventory?'],
    ['a loop of groups', '[a:children]\nb\n[b:children]\na\n', 'line 4: making "a" a child of "b" creates a loop of groups'],
    ['a group that is its own child', '[a:children]\na\n', 'line 2: making "a" a child of "a" creates a loop of groups'],
    ['all as a child group', '[a:children]\nall\n', 'line 2: group "all" cannot be a child of "a"'],
    ['a non-integer ansible_group_priority', '[a]\nh\n[a:vars]\nansible_group_priority=high', 'line 4: ansible_group_priority "high" of group "a" is not an integer'],
    ['a Jinja template in ansible_host', 'h ansible_host="{{ inventory_hostname }}.lan"', 'line 1: address of host "h" is a Jinja template ("{{ inventory_hostname }}.lan"), which only Ansible can render'],
  ])('INI: %s', (_name, text, message) => {
    const error = failure(() => ini(text));
    expect(error.message).toBe(message);
    expect(error.where).toMatch(/^line \d+$/);
  });

  it('INI: forward references in :children are fine', () => {
    const { hosts } = ini('[prod:children]\nweb\n[web]\nw1\n');
    expect(host(hosts, 'w1').groups).toEqual(['all', 'prod', 'web']);
  });

  it.each([
    ['invalid YAML', 'all:\n  hosts: [a\n', 'line 3: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    ['a duplicate key', 'all:\n  hosts:\n    a:\n  hosts:\n    b:\n', 'all.hosts (line 4): duplicate key "hosts" (Ansible would silently keep only the last one)'],
    ['an empty document', '# nothing\n', '(document): empty YAML inventory'],
    ['not a mapping', '- all\n', '(document) (line 1): a YAML inventory is a mapping of group names (usually just "all")'],
    ['an inventory plugin configuration', 'plugin: amazon.aws.aws_ec2\nregions: [eu-west-1]\n', 'plugin (line 1): this is an inventory plugin configuration, not a static inventory: Vigil reads only static host lists'],
    ['a group written as a list', 'all:\n  children:\n    web:\n      - a\n', 'all.children.web (line 4): group "web" must be a mapping of hosts, children and vars, not a list'],
    ['hosts written as a list', 'all:\n  hosts:\n    - a\n    - b\n', 'all.hosts (line 3): "hosts" of group "all" must be a mapping, not a list'],
    ['a host mapped to a list', 'all:\n  hosts:\n    a: [x]\n', 'all.hosts.a (line 3): host "a" must map to its variables (or nothing), not a list'],
    ['vars written as a string', 'all:\n  vars: x=1\n', 'all.vars (line 2): "vars" of group "all" must be a mapping, not the value "x=1"'],
    ['an invalid port', 'all:\n  children:\n    web:\n      hosts:\n        w1.example.com:\n          ansible_port: 0\n', 'all.children.web.hosts["w1.example.com"].ansible_port (line 6): invalid port "0" for host "w1.example.com": expected an integer 1-65535'],
    ['a malformed range', 'all:\n  hosts:\n    web[9:1].example.com:\n', 'all.hosts["web[9:1].example.com"] (line 3): malformed range in "web[9:1].example.com": begin 9 is greater than end 1'],
    ['a bracketed IPv6 address without a port', 'all:\n  hosts:\n    "[2001:db8::1]":\n', 'all.hosts["[2001:db8::1]"] (line 3): malformed range in "[2001:db8::1]": a range is [begin:end] or [begin:end:step]'],
    ['an invalid port after a colon', 'all:\n  hosts:\n    web.example.com:ssh:\n', 'all.hosts["web.example.com:ssh"] (line 3): invalid port "ssh" in host "web.example.com:ssh": expected an integer 1-65535'],
    ['a loop of groups', 'all:\n  children:\n    a:\n      children:\n        b:\n          children:\n            a:\n', 'all.children.a.children.b (line 5): making "b" a child of "a" creates a loop of groups'],
    ['all as a child group', 'web:\n  children:\n    all:\n', 'web.children.all (line 3): group "all" cannot be a child of "web"'],
  ])('YAML: %s', (_name, text, message) => {
    expect(failure(() => yaml(text)).message).toBe(message);
  });

  it('YAML: keys other than hosts/children/vars are skipped with a warning, as Ansible skips them', () => {
    const { hosts, warnings } = yaml('all:\n  children:\n    web:\n      foo.example.com:\n      hosts:\n        w1:\n');
    expect(hosts.map((h) => h.name)).toEqual(['w1']);
    expect(warnings).toEqual(['all.children.web["foo.example.com"] (line 4): skipped key "foo.example.com" of group "web": only hosts, children and vars are valid (a host needs a "hosts:" level)']);
  });

  it('YAML: merge keys and anchors work as in PyYAML', () => {
    const { hosts } = yaml('x-common: &common\n  ansible_user: deploy\n  ansible_port: 2222\nall:\n  hosts:\n    a:\n      <<: *common\n      ansible_port: 22\n');
    expect(host(hosts, 'a')).toMatchObject({ user: 'deploy', port: 22 });
  });
});

describe('loadAnsibleInventory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ansible-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('picks the format by extension', () => {
    expect(loadAnsibleInventory(fixturePath('docs-basic.yml')).hosts).toEqual(loadAnsibleInventory(fixturePath('docs-basic.ini')).hosts);
    expect(loadAnsibleInventory(write('inv.json', '{"all": {"hosts": {"a": {"ansible_port": 2200}}}}')).hosts[0]).toMatchObject({ name: 'a', port: 2200 });
  });

  it('sniffs the content of a file without a telling extension', () => {
    expect(detectAnsibleFormat('/etc/ansible/hosts', fixture('docs-basic.yml'))).toBe('yaml');
    expect(detectAnsibleFormat('/etc/ansible/hosts', fixture('docs-basic.ini'))).toBe('ini');
    expect(detectAnsibleFormat('inventory', '# comment\n---\nall:\n')).toBe('yaml');
    expect(detectAnsibleFormat('inventory', 'badwolf.example.com:5309\n')).toBe('ini');
    expect(detectAnsibleFormat('inventory.txt', 'all:\n  hosts:\n')).toBe('yaml');
    expect(detectAnsibleFormat('inventory.ini', 'all:\n')).toBe('ini');
    expect(loadAnsibleInventory(write('hosts', fixture('yaml-plugin-example.yml'))).hosts).toHaveLength(5);
    expect(loadAnsibleInventory(write('production', fixture('docs-variables.ini'))).hosts).toHaveLength(4);
    expect(loadAnsibleInventory(write('bom.ini', `\uFEFF${fixture('docs-basic.ini')}`)).hosts).toEqual(parseFixture('docs-basic.ini').hosts);
  });

  it('names the file in every error', () => {
    const path = write('broken.ini', '[web]\nw1 ansible_port=http\n');
    expect(() => loadAnsibleInventory(path)).toThrow(`${path}: line 2: invalid port "http" for host "w1": expected an integer 1-65535`);
    const missing = join(dir, 'missing.yml');
    expect(() => loadAnsibleInventory(missing)).toThrow(`${missing}: (file): cannot read the Ansible inventory (ENOENT)`);
    const error = failure(() => loadAnsibleInventory(path));
    expect(error).toMatchObject({ file: path, where: 'line 2' });
  });
});

describe('toInventoryEntries', () => {
  const defaults = { knownHostsPath: '/etc/vigil/known_hosts', homeDir: '/home/vigil' };

  it('makes config entries: groups as labels, ports, users, keys (~ expanded); the config schema accepts them', () => {
    const warnings: string[] = [];
    const entries = toInventoryEntries(parseFixture('fleet.yml').hosts, { ...defaults, privateKeyPath: '/keys/default' }, warnings);
    expect(warnings).toEqual([]);
    expect(entries.map((e) => e.id)).toEqual(['bastion', 'db-a.example.com', 'db-b.example.com', 'web-canary.example.com', 'web1.example.com', 'web2.example.com', 'web3.example.com']);
    expect(entries[0]).toEqual({ id: 'bastion', address: '192.0.2.10', port: 2200, user: 'ops', privateKeyPath: '/keys/default', useAgent: false, knownHostsPath: '/etc/vigil/known_hosts', labels: {} });
    expect(entries.find((e) => e.id === 'web-canary.example.com')).toEqual({
      id: 'web-canary.example.com',
      address: '2001:db8::7',
      port: 2222,
      user: 'deploy',
      privateKeyPath: '/home/vigil/.ssh/web_ed25519',
      useAgent: false,
      knownHostsPath: '/etc/vigil/known_hosts',
      labels: { 'group.prod': 'true', 'group.web': 'true' },
    });
    expect(entries.find((e) => e.id === 'db-a.example.com')).toMatchObject({ user: 'postgres', privateKeyPath: '/keys/default', labels: { 'group.db': 'true', 'group.prod': 'true' } });
    const config = hostsConfig.parse({ inventory: entries });
    expect(config.inventory).toHaveLength(7);
  });

  it('uses the default user and the agent when the inventory sets neither', () => {
    const entries = toInventoryEntries(parseFixture('docs-basic.ini').hosts, { ...defaults, user: 'vigil', useAgent: true });
    expect(entries.find((e) => e.id === 'mail.example.com')).toEqual({ id: 'mail.example.com', address: 'mail.example.com', port: 22, user: 'vigil', useAgent: true, knownHostsPath: '/etc/vigil/known_hosts', labels: {} });
    expect(entries.find((e) => e.id === 'two.example.com')?.labels).toEqual({ 'group.dbservers': 'true' });
    expect(hostsConfig.parse({ inventory: entries, sshAgentSocket: '/run/agent.sock' }).inventory).toHaveLength(6);
  });

  it('skips hosts Ansible does not reach over SSH, saying so', () => {
    const warnings: string[] = [];
    const entries = toInventoryEntries(parseFixture('docs-connection-params.ini').hosts, { ...defaults, user: 'vigil', useAgent: true }, warnings);
    expect(entries.map((e) => e.id)).not.toContain('localhost');
    expect(entries.find((e) => e.id === 'other1.example.com')?.user).toBe('myuser');
    expect(warnings).toEqual(['host "localhost": skipped, ansible_connection=local is not SSH']);
  });

  it('needs a user: from the host, a group or the defaults', () => {
    const hosts = ini('[web]\nw1\nw2 ansible_user=me\n').hosts;
    expect(() => toInventoryEntries(hosts, { ...defaults, useAgent: true })).toThrow('host "w1": no SSH user: set ansible_user on the host or one of its groups, or give a default user');
    expect(toInventoryEntries(ini('[web]\nw1\n[web:vars]\nansible_user=grp\n').hosts, { ...defaults, useAgent: true })[0]?.user).toBe('grp');
  });

  it('needs a key or the agent', () => {
    expect(() => toInventoryEntries(ini('w1 ansible_user=me').hosts, defaults)).toThrow('host "w1": no SSH key: set ansible_ssh_private_key_file on the host or one of its groups, give a default privateKeyPath, or use the agent');
  });

  it('makes host ids from inventory names, and refuses impossible or clashing ones', () => {
    expect(ansibleHostId('www01.example.com')).toBe('www01.example.com');
    expect(ansibleHostId('2001:db8::1')).toBe('2001-db8--1');
    expect(ansibleHostId('_private')).toBe('private');
    expect(ansibleHostId('__')).toBeNull();
    expect(ansibleHostId('x'.repeat(129))).toBeNull();
    const base = { ...defaults, user: 'u', useAgent: true };
    expect(toInventoryEntries(ini('2001:db8::1').hosts, base)[0]).toMatchObject({ id: '2001-db8--1', address: '2001:db8::1' });
    expect(() => toInventoryEntries(ini('__').hosts, base)).toThrow('host "__": cannot make a host id from the name');
    expect(() => toInventoryEntries(ini('a:b:c:d\na-b-c-d').hosts, base)).toThrow('host "a:b:c:d": its host id "a-b-c-d" is also the id of host "a-b-c-d"');
  });

  it('refuses a group name that cannot be a label key', () => {
    const long = 'g'.repeat(60);
    expect(() => toInventoryEntries(ini(`[${long}]\nh`).hosts, { ...defaults, user: 'u', useAgent: true })).toThrow(`host "h": group "${long}" cannot be a label key`);
  });
});
