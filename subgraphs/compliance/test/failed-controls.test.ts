import { describe, expect, it } from 'vitest';
import type { Identity } from '@vigil/lib/identity';
import { tenantFilter } from '@vigil/lib/tenancy';
import { loadCatalogue } from '../src/catalogue.js';
import { ResultIndex } from '../src/result-index.js';
import { hostSubject, nodeSubject, type StoredResult } from '../src/results.js';
import { ResultsView } from '../src/view.js';
import { result, T } from './store.contract.js';

// Host.failedControls answers from the per-host index built when results are written: the evaluated
// controls with a stored FAIL for the host, and the mappings onto them, after waivers and tenants.

const catalogue = loadCatalogue();
const ALL: Identity = { subject: 'a', kind: 'user', roles: ['viewer'], tenants: null, expiresAt: null };
const STAGING: Identity = { subject: 'b', kind: 'user', roles: ['viewer'], tenants: [{ name: 'staging', clusters: ['staging'], hostLabels: { env: 'staging' }, victoriaLogs: null }], expiresAt: null };

const results: StoredResult[] = [
  result('CM-8', 'web-1', 'FAIL', T(0)),
  result('CM-8', 'web-2', 'PASS', T(0)),
  { ...result('AC-6', 'web-2', 'FAIL', T(0)), subject: hostSubject('web-2', { env: 'staging' }) },
  { ...result('4.2.1', 'x', 'FAIL', T(0)), framework: 'CIS_KUBERNETES', controlTitle: 'kubelet', subject: nodeSubject('prod', 'web-1') },
];
const index = new ResultIndex(results);
const noWaivers = () => null;
const ids = (view: ResultsView, host: string) => view.failedControlsOf(host).map((c) => `${c.framework}/${c.id}`);

describe('failed controls per host', () => {
  it('the index holds each host’s failing evaluated controls (host and node results), nothing for a passing host', () => {
    expect([...index.failingControlsOf('web-1')].sort()).toEqual(['CIS_KUBERNETES/4.2.1', 'NIST_800_53/CM-8']);
    expect([...index.failingControlsOf('web-2')]).toEqual(['NIST_800_53/AC-6']);
    expect([...index.failingControlsOf('web-9')]).toEqual([]);
  });

  it('lists the failing controls and every mapping onto them, and no control that passes for the host', () => {
    const view = new ResultsView(catalogue, index, tenantFilter(ALL), noWaivers, T(0));
    const failing = ids(view, 'web-1');
    expect(failing).toEqual(expect.arrayContaining(['NIST_800_53/CM-8', 'ISO_27001/A.5.9', 'ISO_27001/A.8.1', 'FEDRAMP_MODERATE/CM-8', 'CMMC_L2/3.12.4', 'CIS_KUBERNETES/4.2.1']));
    expect(failing).not.toContain('NIST_800_53/AC-6');
    expect(ids(view, 'web-2')).toContain('NIST_800_53/AC-6');
    expect(ids(view, 'web-2')).not.toContain('NIST_800_53/CM-8');
  });

  it('a waived failure is not a failed control; another tenant’s host shows none', () => {
    const waived = new ResultsView(catalogue, index, tenantFilter(ALL), (framework, controlId, subject) => (framework === 'NIST_800_53' && controlId === 'CM-8' && subject === 'host:web-1' ? 'w-1' : null), T(0));
    expect(ids(waived, 'web-1')).toEqual(['CIS_KUBERNETES/4.2.1']);
    const staging = new ResultsView(catalogue, index, tenantFilter(STAGING), noWaivers, T(0));
    expect(ids(staging, 'web-1')).toEqual([]);
    expect(ids(staging, 'web-2')).toContain('NIST_800_53/AC-6');
  });
});
