import { describe, expect, it } from 'vitest';
import { collectListeningPorts, parseSs, processNames, splitSocketAddress } from '../src/sources/probe/collectors/ports.js';
import { captured, exited, ok, outcome, scripted } from './collector-harness.js';

const plain = captured('ss_-H_-tuln.txt');
const withProcesses = captured('ss_-H_-tulpn.txt');

const expectedPorts = [
  { protocol: 'udp', address: '127.0.0.53%lo', port: 53 },
  { protocol: 'udp', address: '0.0.0.0', port: 514 },
  { protocol: 'udp', address: '*', port: 161 },
  { protocol: 'tcp', address: '0.0.0.0', port: 8080 },
  { protocol: 'tcp', address: '127.0.0.1', port: 5432 },
  { protocol: 'tcp', address: '127.0.0.53%lo', port: 53 },
  { protocol: 'tcp', address: '*', port: 9100 },
  { protocol: 'tcp', address: '::1', port: 6379 },
];

describe('splitSocketAddress', () => {
  it('reads every address form ss prints', () => {
    expect(splitSocketAddress('0.0.0.0:22')).toEqual({ address: '0.0.0.0', port: 22 });
    expect(splitSocketAddress('[::]:22')).toEqual({ address: '::', port: 22 });
    expect(splitSocketAddress('*:68')).toEqual({ address: '*', port: 68 });
    expect(splitSocketAddress('127.0.0.53%lo:53')).toEqual({ address: '127.0.0.53%lo', port: 53 });
    expect(splitSocketAddress('[::1]:5432')).toEqual({ address: '::1', port: 5432 });
    // ss.c sock_addr_print puts the interface after the bracketed IPv6 address.
    expect(splitSocketAddress('[fe80::1]%eth0:123')).toEqual({ address: 'fe80::1%eth0', port: 123 });
    expect(splitSocketAddress('0.0.0.0:*')).toBeNull();
    expect(splitSocketAddress('[::1]:70000')).toBeNull();
  });
});

describe('parseSs', () => {
  it('reads the plain listing, trailing spaces and all, with no process names', () => {
    expect(parseSs(plain, false)).toEqual(expectedPorts.map((port) => ({ ...port, process: null })));
  });

  it('reads process names, and only names, from -p output', () => {
    const ports = parseSs(withProcesses, true);
    expect(ports.map(({ process: _process, ...rest }) => rest)).toEqual(expectedPorts);
    expect(ports.map((port) => port.process)).toEqual(['python3', 'python3', 'python3', 'python3', 'postgres', 'python3', 'python3', 'python3']);
    expect(JSON.stringify(ports)).not.toMatch(/pid|fd=|users:/);
  });

  it('drops names from -p output when not asked for them', () => {
    expect(parseSs(withProcesses, false)).toEqual(parseSs(plain, false));
  });

  it('merges SO_REUSEPORT duplicates and several owners of one socket into one port', () => {
    const text = [
      'tcp LISTEN 0 511 0.0.0.0:80 0.0.0.0:* users:(("nginx",pid=12,fd=6),("nginx",pid=11,fd=6))',
      'tcp LISTEN 0 511 0.0.0.0:80 0.0.0.0:* users:(("nginx",pid=13,fd=6))',
      'tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=1,fd=3),("systemd",pid=1,fd=40))',
      'Netid State Recv-Q Send-Q Local Address:Port Peer Address:Port Process',
    ].join('\n');
    expect(parseSs(text, true)).toEqual([
      { protocol: 'tcp', address: '0.0.0.0', port: 80, process: 'nginx' },
      { protocol: 'tcp', address: '0.0.0.0', port: 22, process: 'sshd,systemd' },
    ]);
    expect(processNames('users:(("a b",pid=1,fd=2),("c",pid=3,fd=4))')).toEqual(['a b', 'c']);
  });
});

describe('collectListeningPorts: -p only when privileged', () => {
  it('runs ss -tulpn when the probe user is uid 0', async () => {
    const { context, ran } = scripted({ effectiveUid: ok('0\n'), listeningSocketsWithProcesses: ok(withProcesses) });
    const ports = await collectListeningPorts(context);
    expect(ran).toEqual(['effectiveUid', 'listeningSocketsWithProcesses']);
    expect(ports[4]).toEqual({ protocol: 'tcp', address: '127.0.0.1', port: 5432, process: 'postgres' });
  });

  it('runs ss -tuln for any other user, and when id itself fails', async () => {
    for (const uid of [ok('1000\n'), exited(1, 'id: cannot find name for user ID 1000\n')]) {
      const { context, ran } = scripted({ effectiveUid: uid, listeningSockets: ok(plain) });
      expect((await collectListeningPorts(context)).every((port) => port.process === null)).toBe(true);
      expect(ran).toEqual(['effectiveUid', 'listeningSockets']);
    }
  });

  it('runs ss -tulpn under sudo without asking id', async () => {
    const { context, ran } = scripted({ listeningSocketsWithProcesses: ok(withProcesses) }, true);
    expect((await collectListeningPorts(context))[0]?.process).toBe('python3');
    expect(ran).toEqual(['listeningSocketsWithProcesses']);
  });

  it('is DENIED when sudo wants a password', async () => {
    const { context } = scripted({ listeningSocketsWithProcesses: exited(1, 'sudo: a password is required\n') }, true);
    expect(await outcome(collectListeningPorts(context))).toEqual({ status: 'DENIED', message: 'sudo -n ss -H -tulpn was denied: sudo: a password is required' });
  });
});
