import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MemoryHostDirectory, type HostIdentity } from '@vigil/lib/host-directory';
import { toKubeObject } from '../src/kube/kube-object.js';
import { matchNodesToHosts } from '../src/nodes/node-host-match.js';
import { NodeHostIndex } from '../src/nodes/node-host-index.js';
import { NodeRegistry, parseNode, type NodeRecord } from '../src/nodes/node-record.js';

// Node ↔ Host by evidence: the pure parts. Fixture: fixtures/kube/README.md (node_v1_api_reference.json).
function fixtureNode(): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL('./fixtures/kube/node_v1_api_reference.json', import.meta.url), 'utf8')) as Record<string, unknown>;
}

function node(overrides: Partial<NodeRecord> & { name: string }): NodeRecord {
  return { cluster: 'prod', addresses: [], osImage: null, kernelVersion: null, kubeletVersion: null, containerRuntimeVersion: null, architecture: null, systemUuid: null, machineId: null, ...overrides };
}

function host(overrides: Partial<HostIdentity> & { hostId: string }): HostIdentity {
  return { labels: {}, machineId: null, systemUuid: null, hostname: null, addresses: [], ...overrides };
}

describe('parseNode', () => {
  it('keeps the identity and version evidence of a Node object as the API server returns it', () => {
    // The API server assigns uid and resourceVersion; the fixture leaves them out.
    const object = toKubeObject({ ...fixtureNode(), metadata: { ...(fixtureNode()['metadata'] as object), uid: 'u1', resourceVersion: '7' } }, { group: '', version: 'v1', kind: 'Node' });
    if (!object) throw new Error('fixture did not decode');
    expect(parseNode('prod', object)).toEqual({
      cluster: 'prod',
      name: 'ip-10-0-0-11.ec2.internal',
      addresses: [
        { type: 'InternalIP', address: '10.0.0.11' },
        { type: 'InternalDNS', address: 'ip-10-0-0-11.ec2.internal' },
        { type: 'Hostname', address: 'ip-10-0-0-11.ec2.internal' },
      ],
      osImage: 'Amazon Linux 2023.5.20241001',
      kernelVersion: '6.1.112-122.189.amzn2023.x86_64',
      kubeletVersion: 'v1.30.4-eks-a737599',
      containerRuntimeVersion: 'containerd://1.7.22',
      architecture: 'amd64',
      // The firmware's upper case, lowered: hosts read product_uuid in lower case.
      systemUuid: 'ec2a7d5e-0f4b-4c1e-9d3a-2b1c0f9e8d7c',
      machineId: 'ec2a7d5e0f4b4c1e9d3a2b1c0f9e8d7c',
    });
  });

  it('yields nulls, not a failure, for a Node the kubelet has not reported on yet', () => {
    const object = toKubeObject({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'fresh', uid: 'u2', resourceVersion: '1' } }, { group: '', version: 'v1', kind: 'Node' });
    if (!object) throw new Error('did not decode');
    expect(parseNode('prod', object)).toMatchObject({ name: 'fresh', addresses: [], machineId: null, systemUuid: null, osImage: null });
  });
});

describe('matchNodesToHosts', () => {
  it('matches in order of trust: machine ID, system UUID, address, host name', () => {
    const nodes = [
      node({ name: 'n-machine', machineId: 'aa'.repeat(16), addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] }),
      node({ name: 'n-uuid', systemUuid: 'uuid-2' }),
      node({ name: 'n-address', addresses: [{ type: 'InternalIP', address: '10.0.0.3' }] }),
      node({ name: 'db-1.example.internal' }),
    ];
    const hosts = [
      // Its address also names n-machine, but the machine ID is the stronger evidence and is decided first.
      host({ hostId: 'web-1', machineId: 'aa'.repeat(16), addresses: ['10.0.0.1'] }),
      host({ hostId: 'web-2', systemUuid: 'uuid-2' }),
      host({ hostId: 'web-3', addresses: ['web-3.example.internal', '10.0.0.3'] }),
      host({ hostId: 'inventory-db', hostname: 'db-1' }),
    ];
    expect(matchNodesToHosts(nodes, hosts).map((m) => [m.nodeName, m.hostId, m.matchedBy, m.value])).toEqual([
      ['n-machine', 'web-1', 'MACHINE_ID', 'aa'.repeat(16)],
      ['n-uuid', 'web-2', 'SYSTEM_UUID', 'uuid-2'],
      ['n-address', 'web-3', 'ADDRESS', '10.0.0.3'],
      // The short kernel host name matches the node's fully qualified name.
      ['db-1.example.internal', 'inventory-db', 'HOSTNAME', 'db-1'],
    ]);
  });

  it('finds an inventory host whose name differs from the node name (the case the old rule missed)', () => {
    const [match] = matchNodesToHosts([node({ name: 'ip-10-0-0-11', machineId: 'bb'.repeat(16) })], [host({ hostId: 'web-1', machineId: 'BB'.repeat(16) })]);
    expect(match).toMatchObject({ nodeName: 'ip-10-0-0-11', hostId: 'web-1', matchedBy: 'MACHINE_ID' });
  });

  it('never matches on ambiguous evidence, and falls back to weaker unique evidence instead', () => {
    const cloned = 'cc'.repeat(16);
    const nodes = [node({ name: 'a', machineId: cloned, addresses: [{ type: 'InternalIP', address: '10.0.1.1' }] }), node({ name: 'b', machineId: cloned })];
    const hosts = [host({ hostId: 'h-a', machineId: cloned, addresses: ['10.0.1.1'] }), host({ hostId: 'h-b', machineId: cloned })];
    // A cloned machine ID names two hosts: neither node matches by it; 'a' still matches by its unique address.
    expect(matchNodesToHosts(nodes, hosts).map((m) => [m.nodeName, m.hostId, m.matchedBy])).toEqual([['a', 'h-a', 'ADDRESS']]);
  });

  it('never gives one host two nodes, even across clusters', () => {
    const nodes = [node({ name: 'worker', cluster: 'prod' }), node({ name: 'worker', cluster: 'staging' })];
    expect(matchNodesToHosts(nodes, [host({ hostId: 'worker' })])).toEqual([]);
  });

  it('does not treat an address shared by several hosts as evidence', () => {
    const nodes = [node({ name: 'n1', addresses: [{ type: 'InternalIP', address: '172.17.0.1' }] })];
    const hosts = [host({ hostId: 'h1', addresses: ['172.17.0.1'] }), host({ hostId: 'h2', addresses: ['172.17.0.1'] })];
    expect(matchNodesToHosts(nodes, hosts)).toEqual([]);
  });
});

describe('NodeRegistry and NodeHostIndex', () => {
  it('a Node rewritten with the same evidence (a kubelet status update) does not change the revision', () => {
    const registry = new NodeRegistry();
    registry.upsert(node({ name: 'n1', machineId: 'aa'.repeat(16) }));
    const before = registry.revision;
    registry.upsert(node({ name: 'n1', machineId: 'aa'.repeat(16) }));
    expect(registry.revision).toBe(before);
    registry.upsert(node({ name: 'n1', machineId: 'bb'.repeat(16) }));
    expect(registry.revision).toBe(before + 1);
    registry.delete('prod', 'n1');
    registry.delete('prod', 'n1');
    expect(registry.revision).toBe(before + 2);
  });

  it('reads the host directory at most once per TTL of the injected clock, then sees what was published', async () => {
    let now = Date.parse('2031-01-01T00:00:00.000Z');
    const registry = new NodeRegistry();
    registry.upsert(node({ name: 'ip-10-0-0-11', machineId: 'cc'.repeat(16) }));
    const directory = new MemoryHostDirectory();
    let reads = 0;
    const counting = { ...directory, publish: directory.publish.bind(directory), retain: directory.retain.bind(directory), close: directory.close.bind(directory), list: () => ((reads += 1), directory.list()) };
    const index = new NodeHostIndex({ nodes: registry, directory: counting, clock: () => new Date(now), directoryTtlMs: 5000 });
    expect(await index.hostOfNode('prod', 'ip-10-0-0-11')).toBeNull();
    await directory.publish({ hostId: 'web-1', machineId: 'cc'.repeat(16), labels: { team: 'a' } });
    now += 4999;
    expect(await index.hostOfNode('prod', 'ip-10-0-0-11')).toBeNull();
    expect(reads).toBe(1);
    now += 1;
    expect(await index.hostOfNode('prod', 'ip-10-0-0-11')).toMatchObject({ hostId: 'web-1', labels: { team: 'a' } });
    expect(reads).toBe(2);
  });
});
