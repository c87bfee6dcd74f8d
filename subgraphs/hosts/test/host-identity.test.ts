import { describe, expect, it } from 'vitest';
import type { ProbeReport } from '../src/facts/types.js';
import { inventoryIdentity, probedIdentity } from '../src/host-identity.js';
import type { InventoryHost } from '../src/inventory/build-inventory.js';
import { ALLOWED_COMMANDS, type AllowedCommandName } from '../src/sources/probe/allowlist.js';
import type { CommandOutput } from '../src/sources/probe/transport.js';
import { parseIpAddr } from '../src/sources/probe/collectors/network.js';
import { collectOs, parseMachineId, parseSystemUuid } from '../src/sources/probe/collectors/os.js';
import { captured, fixtureText, ok } from './collector-harness.js';

// The evidence a host publishes for Node ↔ Host matching: machine ID, system UUID, host name, addresses.

describe('the identifiers the os collector reads', () => {
  it('reads them with fixed, allow-listed commands', () => {
    expect(ALLOWED_COMMANDS.machineId).toEqual(['cat', '/etc/machine-id']);
    expect(ALLOWED_COMMANDS.systemUuid).toEqual(['cat', '/sys/class/dmi/id/product_uuid']);
    expect(ALLOWED_COMMANDS.hostName).toEqual(['uname', '-n']);
  });

  it('accepts a machine ID only in machine-id(5) form, and never a placeholder', () => {
    expect(parseMachineId('3d1219c7c4c5404aaa1f6d2a48adfda4\n')).toBe('3d1219c7c4c5404aaa1f6d2a48adfda4');
    expect(parseMachineId('3D1219C7C4C5404AAA1F6D2A48ADFDA4')).toBe('3d1219c7c4c5404aaa1f6d2a48adfda4');
    // First boot writes "uninitialized"; some images ship an empty or zeroed file.
    expect(parseMachineId('uninitialized')).toBeNull();
    expect(parseMachineId('0'.repeat(32))).toBeNull();
    expect(parseMachineId('')).toBeNull();
    expect(parseMachineId(null)).toBeNull();
  });

  it('accepts a system UUID in the kernel’s form, lowercased, and never a firmware placeholder', () => {
    expect(parseSystemUuid('EC2A7D5E-0F4B-4C1E-9D3A-2B1C0F9E8D7C\n')).toBe('ec2a7d5e-0f4b-4c1e-9d3a-2b1c0f9e8d7c');
    expect(parseSystemUuid('00000000-0000-0000-0000-000000000000')).toBeNull();
    expect(parseSystemUuid('FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF')).toBeNull();
    expect(parseSystemUuid('Not Settable')).toBeNull();
  });

  it('collectOs returns them beside os-release; an unreadable product_uuid (not root) is null, not a failure', async () => {
    const outputs: Partial<Record<AllowedCommandName, CommandOutput>> = {
      osRelease: ok(fixtureText('os-release_debian12_captured')),
      kernelRelease: ok('6.18.44-fc-v669\n'),
      machineArch: ok('x86_64\n'),
      machineId: ok('3d1219c7c4c5404aaa1f6d2a48adfda4\n'),
      systemUuid: { stdout: '', stderr: 'cat: /sys/class/dmi/id/product_uuid: Permission denied\n', exitCode: 1 },
      // The second word of the captured `uname -a` ("Linux vm 6.18.44-fc-v669 …").
      hostName: ok('vm\n'),
    };
    const os = await collectOs({ run: async (name) => outputs[name] ?? { stdout: '', stderr: 'not scripted', exitCode: 1 } });
    expect(os).toMatchObject({ id: 'debian', machineId: '3d1219c7c4c5404aaa1f6d2a48adfda4', systemUuid: null, hostname: 'vm' });
  });
});

describe('what the hosts subgraph publishes', () => {
  const host: InventoryHost = {
    id: 'web-1',
    transport: 'SSH',
    address: 'web-1.example.internal',
    labels: { env: 'prod' },
    target: { id: 'web-1', transport: 'ssh', address: 'web-1.example.internal', port: 22, user: 'vigil', knownHostsPath: '/dev/null', connectTimeoutMs: 1000, commandTimeoutMs: 1000 },
  };
  const report = (facts: ProbeReport['facts']): ProbeReport => ({
    hostId: 'web-1',
    status: 'OK',
    message: null,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    packageManager: null,
    collectors: {},
    facts,
    metrics: null,
  });

  it('before any probe: the labels and the inventory address', () => {
    expect(inventoryIdentity(host)).toEqual({ hostId: 'web-1', labels: { env: 'prod' }, addresses: ['web-1.example.internal'] });
  });

  it('after a probe: the identifiers, and the global addresses of the captured Debian machine (no loopback, no link-local)', () => {
    const interfaces = parseIpAddr(captured('ip_-j_addr.json'));
    const os = { id: 'debian', idLike: [], name: 'Debian GNU/Linux', prettyName: 'Debian GNU/Linux 12 (bookworm)', version: null, versionId: '12', kernel: null, arch: null, machineId: 'ab'.repeat(16), systemUuid: null, hostname: 'vm' };
    const identity = probedIdentity(host, report({ os: [os], interfaces }));
    expect(identity).toMatchObject({ hostId: 'web-1', machineId: 'ab'.repeat(16), systemUuid: null, hostname: 'vm' });
    const expected = interfaces.flatMap((i) => i.addresses.filter((a) => a.scope === 'global').map((a) => a.address));
    expect(expected.length).toBeGreaterThan(0);
    expect(identity?.addresses).toEqual(['web-1.example.internal', ...expected]);
    expect(identity?.addresses).not.toContain('127.0.0.1');
    expect(identity?.addresses).not.toContain('::1');
  });

  it('a probe whose collectors all failed publishes nothing, so earlier evidence stays', () => {
    expect(probedIdentity(host, report({}))).toBeNull();
  });
});
