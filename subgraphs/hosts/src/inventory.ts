import { hostname } from 'node:os';
import type { HostTarget } from './sources/probe/types.js';
import type { HostsConfig } from './config.js';

/** A host as the inventory describes it: identity, how to reach it, labels. Probe results live in the store. */
export interface InventoryHost {
  id: string;
  transport: 'LOCAL' | 'SSH';
  address: string | null;
  labels: Record<string, string>;
  target: HostTarget;
}

export function buildInventory(config: HostsConfig): InventoryHost[] {
  const hosts: InventoryHost[] = [];
  if (config.local.enabled) {
    const id = config.local.id ?? sanitiseHostname(hostname());
    hosts.push({ id, transport: 'LOCAL', address: null, labels: config.local.labels, target: { id, transport: 'local', commandTimeoutMs: config.probe.commandTimeoutMs } });
  }
  for (const entry of config.inventory) {
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
