import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fleetHosts } from './fleet-hosts.js';

const ports = { port: 40_001, slowBannerPort: 40_002, changedKeyPort: 40_003 };
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function build(hosts: number, faultShare: number) {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-fleet-hosts-'));
  dirs.push(dir);
  const knownHostsPath = join(dir, 'known_hosts');
  const built = fleetHosts({ hosts, userPrefix: 'h', faultShare, ports, hostPublicKey: 'ssh-ed25519 AAAAkey comment\n', clientKeyPath: '/k', knownHostsPath, connectTimeoutMs: 1, commandTimeoutMs: 2 });
  return { built, knownHosts: readFileSync(knownHostsPath, 'utf8') };
}

describe('fleetHosts', () => {
  it('without faults: every host on the one port, and a known_hosts line per host pinning the fleet key', () => {
    const { built, knownHosts } = build(3, 0);
    expect(built.map((host) => [host.id, host.fault, host.target.transport === 'ssh' ? host.target.port : null])).toEqual([
      ['h0001', null, 40_001],
      ['h0002', null, 40_001],
      ['h0003', null, 40_001],
    ]);
    expect(knownHosts).toBe('[127.0.0.1]:40001 ssh-ed25519 AAAAkey h0001\n[127.0.0.1]:40001 ssh-ed25519 AAAAkey h0002\n[127.0.0.1]:40001 ssh-ed25519 AAAAkey h0003\n');
  });

  it('with faults: slow-banner and changed-key hosts point at their listeners, which known_hosts pins too', () => {
    const { built, knownHosts } = build(80, 0.05);
    const byFault = (fault: string) => built.filter((host) => host.fault === fault).map((host) => (host.target.transport === 'ssh' ? host.target.port : null));
    expect(byFault('slow-banner')).toEqual([40_002]);
    expect(byFault('changed-host-key')).toEqual([40_003]);
    expect(built.filter((host) => host.fault === null)).toHaveLength(76);
    expect(knownHosts).toContain('[127.0.0.1]:40003 ssh-ed25519 AAAAkey h0080\n');
    expect(knownHosts.trim().split('\n')).toHaveLength(80);
  });
});
