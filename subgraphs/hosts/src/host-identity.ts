import type { HostIdentityUpdate } from '@vigil/lib/host-directory';
import type { ProbeReport } from './facts/types.js';
import type { InventoryHost } from './inventory/build-inventory.js';

/**
 * What the inventory alone says about a host: its labels and the address it is probed at. Published
 * at start, so a host can be matched to its Node by address before its first probe.
 */
export function inventoryIdentity(host: InventoryHost): HostIdentityUpdate {
  return { hostId: host.id, labels: { ...host.labels }, addresses: host.address === null ? [] : [host.address] };
}

/**
 * The identifying evidence a probe brought: machine ID, system UUID and host name from the os
 * collector, global addresses from the interfaces collector. A collector that did not succeed
 * contributes nothing, so what an earlier probe found stays published.
 */
export function probedIdentity(host: InventoryHost, report: ProbeReport): HostIdentityUpdate | null {
  const os = report.facts.os?.[0];
  const interfaces = report.facts.interfaces;
  if (!os && !interfaces) return null;
  return {
    hostId: host.id,
    labels: { ...host.labels },
    ...(os ? { machineId: os.machineId ?? null, systemUuid: os.systemUuid ?? null, hostname: os.hostname ?? null } : {}),
    ...(interfaces ? { addresses: addressesOf(host, interfaces) } : {}),
  };
}

/**
 * The inventory address first, then every global-scope interface address. Loopback and link-local
 * addresses are on every machine and would match any node, so they are not evidence.
 */
function addressesOf(host: InventoryHost, interfaces: NonNullable<ProbeReport['facts']['interfaces']>): string[] {
  const found = interfaces.flatMap((i) => i.addresses.filter((a) => a.scope === null || a.scope === 'global').map((a) => a.address));
  return [...new Set([...(host.address === null ? [] : [host.address]), ...found])];
}
