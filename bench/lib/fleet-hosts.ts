import { writeFileSync } from 'node:fs';
import type { InventoryHost } from '@vigil/subgraph-hosts/inventory/build-inventory';
import { fleetFault, hostUser, type FleetDoublePorts, type FleetFault } from './ssh-fleet-double.js';

export interface FleetHostsOptions {
  hosts: number;
  userPrefix: string;
  /** Must be the double's faultShare, so targets and double agree which hosts are faulty. */
  faultShare: number;
  ports: FleetDoublePorts;
  /** The fleet's host public key, `ssh-ed25519 AAAA…`: what known_hosts pins for every port. */
  hostPublicKey: string;
  clientKeyPath: string;
  knownHostsPath: string;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
}

export interface FleetHost extends InventoryHost {
  fault: FleetFault | null;
}

/**
 * The inventory of the simulated fleet, and its known_hosts file (written to knownHostsPath): one
 * line per host, as a real fleet's file has. Slow-banner and changed-key hosts point at the double's
 * other listeners; known_hosts pins the fleet's key for those ports too, so a changed-key host
 * presents a key that differs from the listed one, which is a mismatch, not an unknown host.
 */
export function fleetHosts(options: FleetHostsOptions): FleetHost[] {
  const [keyType, keyBase64] = options.hostPublicKey.trim().split(/\s+/);
  const hosts = Array.from({ length: options.hosts }, (_, i): FleetHost => {
    const user = hostUser(options.userPrefix, i + 1);
    const fault = fleetFault(i + 1, options.faultShare);
    const port = fault === 'slow-banner' ? options.ports.slowBannerPort : fault === 'changed-host-key' ? options.ports.changedKeyPort : options.ports.port;
    return {
      id: user,
      transport: 'SSH',
      address: '127.0.0.1',
      labels: {},
      fault,
      target: {
        id: user,
        transport: 'ssh',
        address: '127.0.0.1',
        port,
        user,
        privateKeyPath: options.clientKeyPath,
        knownHostsPath: options.knownHostsPath,
        connectTimeoutMs: options.connectTimeoutMs,
        commandTimeoutMs: options.commandTimeoutMs,
      },
    };
  });
  writeFileSync(
    options.knownHostsPath,
    hosts.map((host) => `[127.0.0.1]:${host.target.transport === 'ssh' ? host.target.port : 22} ${keyType} ${keyBase64} ${host.id}\n`).join(''),
  );
  return hosts;
}
