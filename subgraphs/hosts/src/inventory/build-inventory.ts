import { hostname } from 'node:os';
import type { HostsConfig } from '../config.js';
import type { HostTarget } from '../sources/probe/types.js';
import { loadAnsibleInventory, toInventoryEntries, type AnsibleInventoryEntry } from './ansible.js';

/** A host as the inventory describes it: identity, how to reach it, labels. Probe results live in the store. */
export interface InventoryHost {
  id: string;
  transport: 'LOCAL' | 'SSH';
  address: string | null;
  labels: Record<string, string>;
  target: HostTarget;
}

/**
 * The inventory: the local machine (unless disabled), the inline SSH hosts, and the hosts of an
 * Ansible inventory file when configured. Reads that file, so it runs once at start; a host id
 * given twice is an error naming both places. `warnings` receives what the import skipped.
 */
export function buildInventory(config: HostsConfig, warnings: string[] = []): InventoryHost[] {
  const hosts: InventoryHost[] = [];
  if (config.local.enabled) {
    const id = config.local.id ?? sanitiseHostname(hostname());
    hosts.push({ id, transport: 'LOCAL', address: null, labels: config.local.labels, target: { id, transport: 'local', commandTimeoutMs: config.probe.commandTimeoutMs } });
  }
  const imported: AnsibleInventoryEntry[] = [];
  if (config.ansibleInventory) {
    const { path, user, privateKeyPath, useAgent, knownHostsPath } = config.ansibleInventory;
    const parsed = loadAnsibleInventory(path);
    warnings.push(...parsed.warnings);
    imported.push(
      ...toInventoryEntries(
        parsed.hosts,
        { knownHostsPath, useAgent, ...(user ? { user } : {}), ...(privateKeyPath ? { privateKeyPath } : {}) },
        warnings,
      ),
    );
  }
  const seen = new Map(hosts.map((host) => [host.id, 'the local machine']));
  for (const [entry, origin] of [
    ...config.inventory.map((e) => [e, 'hosts.inventory'] as const),
    ...imported.map((e) => [e, config.ansibleInventory?.path ?? 'ansible inventory'] as const),
  ]) {
    const previous = seen.get(entry.id);
    if (previous) throw new Error(`host id ${entry.id} is defined twice: in ${previous} and in ${origin}`);
    seen.set(entry.id, origin);
    hosts.push({
      id: entry.id,
      transport: 'SSH',
      address: entry.address,
      labels: entry.labels,
      target: {
        id: entry.id,
        transport: 'ssh',
        address: entry.address,
        port: entry.port,
        user: entry.user,
        ...(entry.privateKeyPath ? { privateKeyPath: entry.privateKeyPath } : {}),
        useAgent: entry.useAgent,
        ...(entry.useAgent && config.sshAgentSocket ? { agentSocket: config.sshAgentSocket } : {}),
        knownHostsPath: entry.knownHostsPath,
        connectTimeoutMs: config.probe.connectTimeoutMs,
        commandTimeoutMs: config.probe.commandTimeoutMs,
      },
    });
  }
  return hosts.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function sanitiseHostname(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return cleaned.slice(0, 128) || 'localhost';
}
