import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostsConfig } from '../src/config.js';
import { buildInventory } from '../src/inventory/build-inventory.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-inventory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function inventoryFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('buildInventory', () => {
  it('joins the local machine, inline hosts and an Ansible inventory, sorted by id, groups as labels', () => {
    const path = inventoryFile(
      'hosts.ini',
      ['[web]', 'web-1 ansible_host=10.0.0.11', 'web-2 ansible_host=10.0.0.12 ansible_port=2222', '', '[db]', 'db-1 ansible_host=10.0.1.5 ansible_user=postgres', ''].join('\n'),
    );
    const config = hostsConfig.parse({
      local: { id: 'vigil-box' },
      inventory: [{ id: 'bastion', address: 'bastion.example', user: 'ops', privateKeyPath: '/keys/ops' }],
      ansibleInventory: { path, user: 'vigil', privateKeyPath: '/keys/vigil', knownHostsPath: '/etc/vigil/known_hosts' },
    });
    const hosts = buildInventory(config);
    expect(hosts.map((h) => [h.id, h.transport, h.address])).toEqual([
      ['bastion', 'SSH', 'bastion.example'],
      ['db-1', 'SSH', '10.0.1.5'],
      ['vigil-box', 'LOCAL', null],
      ['web-1', 'SSH', '10.0.0.11'],
      ['web-2', 'SSH', '10.0.0.12'],
    ]);
    const web2 = hosts.find((h) => h.id === 'web-2');
    expect(web2?.labels).toEqual({ 'group.web': 'true' });
    expect(web2?.target).toMatchObject({ transport: 'ssh', port: 2222, user: 'vigil', privateKeyPath: '/keys/vigil', knownHostsPath: '/etc/vigil/known_hosts' });
    expect(hosts.find((h) => h.id === 'db-1')?.target).toMatchObject({ user: 'postgres' });
  });

  it('refuses a host id defined both inline and in the Ansible inventory, naming both places', () => {
    const path = inventoryFile('dup.yml', 'all:\n  hosts:\n    bastion:\n      ansible_host: 10.0.0.1\n');
    const config = hostsConfig.parse({
      local: { enabled: false },
      inventory: [{ id: 'bastion', address: 'bastion.example', user: 'ops', privateKeyPath: '/keys/ops' }],
      ansibleInventory: { path, user: 'vigil', privateKeyPath: '/keys/vigil' },
    });
    expect(() => buildInventory(config)).toThrow(`host id bastion is defined twice: in hosts.inventory and in ${path}`);
  });

  it('reports skipped secrets as warnings, never their values', () => {
    const path = inventoryFile('secret.ini', '[web]\nweb-1 ansible_host=10.0.0.11 ansible_password=hunter2\n');
    const warnings: string[] = [];
    const config = hostsConfig.parse({ local: { enabled: false }, ansibleInventory: { path, user: 'vigil', privateKeyPath: '/keys/vigil' } });
    const hosts = buildInventory(config, warnings);
    expect(hosts.map((h) => h.id)).toEqual(['web-1']);
    expect(warnings.join('\n')).toContain('ansible_password');
    expect(warnings.join('\n')).not.toContain('hunter2');
    expect(JSON.stringify(hosts)).not.toContain('hunter2');
  });
});
