import { describe, expect, it } from 'vitest';
import { executeSubgraph } from '../../../test/support/execute-subgraph.js';
import { olderThanFix, sameDistribution } from '../src/correlation.js';
import { MemoryFactStore } from '../src/facts/memory-fact-store.js';
import type { ProbeReport } from '../src/facts/types.js';
import type { InventoryHost } from '../src/inventory/build-inventory.js';
import { createHostsSubgraph } from '../src/server.js';
import type { OsInfo, PackageManager } from '../src/sources/probe/types.js';

const os = (id: string, idLike: string[] = []): OsInfo => ({ id, idLike, name: id, prettyName: id, version: null, versionId: null, kernel: null, arch: null });

describe('distribution matching', () => {
  it('matches Trivy OS families to the same distribution only', () => {
    expect(sameDistribution('debian', os('debian'))).toBe(true);
    expect(sameDistribution('ubuntu', os('debian'))).toBe(false);
    expect(sameDistribution('debian', os('ubuntu', ['debian']))).toBe(false);
    expect(sameDistribution('redhat', os('rhel', ['fedora']))).toBe(true);
    expect(sameDistribution('amazon', os('amzn', ['fedora']))).toBe(true);
    expect(sameDistribution('alpine', os('alpine'))).toBe(true);
  });
});

describe('older than the fixed version, by the distribution rules', () => {
  it('compares by dpkg rules, including epochs and tildes', () => {
    expect(olderThanFix('dpkg', '3.0.11-1~deb12u1', '3.0.11-1~deb12u2')).toEqual({ affected: true, fixedVersion: '3.0.11-1~deb12u2' });
    expect(olderThanFix('dpkg', '3.0.11-1~deb12u2', '3.0.11-1~deb12u2').affected).toBe(false);
    expect(olderThanFix('dpkg', '1:1.2.13', '1.2.14').affected).toBe(false);
  });
  it('picks the fix of the installed branch when several are listed', () => {
    expect(olderThanFix('rpm', '1.3.0-1', '1.2.5-1, 1.3.2-1')).toEqual({ affected: true, fixedVersion: '1.3.2-1' });
    expect(olderThanFix('rpm', '1.2.7-1', '1.2.5-1, 1.3.2-1')).toEqual({ affected: false, fixedVersion: '1.2.5-1' });
    expect(olderThanFix('apk', '1.1.0-r0', '1.2.5-r0, 1.3.2-r0')).toEqual({ affected: true, fixedVersion: '1.2.5-r0' });
  });
  it('never matches versions it cannot order', () => {
    expect(olderThanFix('dpkg', 'not a version!', '1.0').affected).toBe(false);
    expect(olderThanFix('dpkg', '1.0', '').affected).toBe(false);
  });
});

describe('Vulnerability.affectedHosts through _entities (as the gateway calls it)', () => {
  it('lists hosts of the same distribution whose package is older than the fix', async () => {
    const store = new MemoryFactStore();
    const report = (hostId: string, osInfo: OsInfo, manager: PackageManager, packages: [string, string][]): ProbeReport => ({
      hostId,
      status: 'OK',
      message: null,
      startedAt: '2026-11-22T10:00:00.000Z',
      finishedAt: '2026-11-22T10:00:00.000Z',
      packageManager: manager,
      collectors: { os: { status: 'OK', message: null }, packages: { status: 'OK', message: null } },
      facts: { os: [osInfo], packages: packages.map(([name, version]) => ({ name, version, arch: 'amd64' })) },
      metrics: null,
    });
    await store.saveReport(report('deb-old', os('debian'), 'dpkg', [['openssl', '3.0.11-1~deb12u1']]));
    await store.saveReport(report('deb-new', os('debian'), 'dpkg', [['openssl', '3.0.15-1~deb12u1']]));
    await store.saveReport(report('ubuntu', os('ubuntu', ['debian']), 'dpkg', [['openssl', '3.0.2-0ubuntu1']]));
    await store.saveReport(report('alpine', os('alpine'), 'apk', [['openssl', '3.0.1-r0']]));
    const host = (id: string): InventoryHost => ({ id, transport: 'SSH', address: id, labels: {}, target: { id, transport: 'local' } });
    const definition = createHostsSubgraph({
      inventory: ['alpine', 'deb-new', 'deb-old', 'ubuntu'].map(host),
      store,
      scheduler: { refresh: async () => ({ status: 'QUEUED', message: '' }) },
    });
    const result = await executeSubgraph(
      definition,
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Vulnerability { id affectedHosts { totalCount edges { node { host { id } package { name version } fixedVersion } } } } } }',
      {
        r: [
          {
            __typename: 'Vulnerability',
            id: 'CVE-2024-0001',
            packages: [
              { name: 'openssl', fixedVersion: '3.0.13-1~deb12u1', osFamily: 'debian' },
              { name: 'openssl', fixedVersion: '3.0.8-r0', osFamily: 'alpine' },
              { name: 'libgo', fixedVersion: '1.2.3', osFamily: null },
            ],
          },
        ],
      },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      _entities: [
        {
          id: 'CVE-2024-0001',
          affectedHosts: {
            totalCount: 2,
            // By host id, whichever package entry matched it.
            edges: [
              { node: { host: { id: 'alpine' }, package: { name: 'openssl', version: '3.0.1-r0' }, fixedVersion: '3.0.8-r0' } },
              { node: { host: { id: 'deb-old' }, package: { name: 'openssl', version: '3.0.11-1~deb12u1' }, fixedVersion: '3.0.13-1~deb12u1' } },
            ],
          },
        },
      ],
    });

    // No fix yet (Trivy lists the package without fixedVersion): every host of that distribution with
    // the package is affected, marked UNFIXED, whatever its version; other distributions are not.
    const unfixed = await executeSubgraph(
      definition,
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Vulnerability { affectedHosts { edges { node { host { id } package { version } fixedVersion status } } } } } }',
      {
        r: [
          {
            __typename: 'Vulnerability',
            id: 'CVE-2024-0002',
            packages: [
              { name: 'openssl', fixedVersion: null, osFamily: 'debian' },
              // A fix on Alpine only: Alpine hosts are compared with it as before.
              { name: 'openssl', fixedVersion: '3.0.8-r0', osFamily: 'alpine' },
            ],
          },
        ],
      },
    );
    expect(unfixed.errors).toBeUndefined();
    expect(unfixed.data).toEqual({
      _entities: [
        {
          affectedHosts: {
            edges: [
              { node: { host: { id: 'alpine' }, package: { version: '3.0.1-r0' }, fixedVersion: '3.0.8-r0', status: 'OLDER_THAN_FIX' } },
              { node: { host: { id: 'deb-new' }, package: { version: '3.0.15-1~deb12u1' }, fixedVersion: null, status: 'UNFIXED' } },
              { node: { host: { id: 'deb-old' }, package: { version: '3.0.11-1~deb12u1' }, fixedVersion: null, status: 'UNFIXED' } },
            ],
          },
        },
      ],
    });
  });
});
