import { beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@vigil/lib/logger';
import { entitiesOf, executeSubgraph } from '../../../test/support/execute-subgraph.js';
import { loadCatalogue } from '../src/catalogue.js';
import type { HostProbeEvidence } from '../src/evaluators/inventory-probed.js';
import type { EvidenceSource } from '../src/evidence-source.js';
import { createComplianceSubgraph } from '../src/server.js';

// CONVENTIONS §11 for the compliance subgraph: Host.failedControls for N hosts plus Control
// references in the same request gather host evidence once, however many controls and hosts ask.

const NOW = new Date('2026-03-01T12:00:00.000Z');
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000).toISOString();

/** A port double: the evidence the graph would return, and how often it was asked. */
class FakeEvidence implements EvidenceSource {
  calls = 0;
  constructor(private readonly hosts: HostProbeEvidence[] | Error) {}
  async hostProbeEvidence(): Promise<HostProbeEvidence[]> {
    this.calls++;
    if (this.hosts instanceof Error) throw this.hosts;
    return this.hosts;
  }
}

const fresh = (id: string): HostProbeEvidence => ({ id, probeState: 'OK', message: null, lastAttemptAt: hoursAgo(1), lastSuccessAt: hoursAgo(1), labels: {} });
const stale = (id: string): HostProbeEvidence => ({ id, probeState: 'TIMEOUT', message: 'no answer', lastAttemptAt: hoursAgo(1), lastSuccessAt: hoursAgo(48), labels: {} });

const QUERY = `
  query ($representations: [_Any!]!) {
    _entities(representations: $representations) {
      __typename
      ... on Host { id failedControls { framework id status failingHosts { id } } }
      ... on Control { framework id title status evaluatedAt evidence { satisfied host { id } } relatedControls { framework id } }
    }
  }
`;

type Entity =
  | { __typename: 'Host'; id: string; failedControls: { framework: string; id: string; status: string; failingHosts: { id: string }[] }[] }
  | { __typename: 'Control'; framework: string; id: string; title: string; status: string; evaluatedAt: string | null; evidence: { satisfied: boolean; host: { id: string } | null }[]; relatedControls: { framework: string; id: string }[] }
  | null;

let evidence: FakeEvidence;

function subgraph(source: FakeEvidence) {
  return createComplianceSubgraph({ catalogue: loadCatalogue(), evidence: source, maxProbeAgeHours: 24, logger: createLogger('compliance-test', { level: 'silent' }), now: () => NOW });
}

beforeEach(() => {
  evidence = new FakeEvidence([fresh('web-1'), stale('db-1'), fresh('web-2'), stale('db-2')]);
});

describe('compliance _entities', () => {
  it('N hosts and several controls in one request fetch evidence once', async () => {
    const representations = [
      { __typename: 'Host', id: 'web-1' },
      { __typename: 'Host', id: 'db-1' },
      { __typename: 'Control', framework: 'NIST_800_53', id: 'CM-8' },
      { __typename: 'Host', id: 'db-2' },
      { __typename: 'Control', framework: 'ISO_27001', id: 'A.8.1' },
      { __typename: 'Control', framework: 'NIST_800_53', id: 'RA-5' },
      { __typename: 'Control', framework: 'NIST_800_53', id: 'NO-SUCH' },
      { __typename: 'Host', id: 'not-in-inventory' },
    ];
    const result = await executeSubgraph(subgraph(evidence), QUERY, { representations });
    const [web1, db1, cm8, db2, a81, ra5, missing, unknownHost] = entitiesOf<Entity>(result);

    expect(evidence.calls).toBe(1);

    expect(web1).toEqual({ __typename: 'Host', id: 'web-1', failedControls: [] });
    const failing = [
      { framework: 'NIST_800_53', id: 'CM-8', status: 'FAIL', failingHosts: [{ id: 'db-1' }, { id: 'db-2' }] },
      { framework: 'ISO_27001', id: 'A.8.1', status: 'FAIL', failingHosts: [{ id: 'db-1' }, { id: 'db-2' }] },
    ];
    expect(db1).toEqual({ __typename: 'Host', id: 'db-1', failedControls: failing });
    expect(db2).toEqual({ __typename: 'Host', id: 'db-2', failedControls: failing });
    // Compliance answers for any host reference; one the evidence does not list fails nothing.
    expect(unknownHost).toEqual({ __typename: 'Host', id: 'not-in-inventory', failedControls: [] });

    expect(cm8).toMatchObject({ __typename: 'Control', id: 'CM-8', status: 'FAIL', evaluatedAt: NOW.toISOString(), relatedControls: [{ framework: 'ISO_27001', id: 'A.8.1' }] });
    if (cm8?.__typename !== 'Control') throw new Error('CM-8 did not resolve');
    expect(cm8.evidence.map((e) => [e.host?.id, e.satisfied])).toEqual([
      ['web-1', true],
      ['db-1', false],
      ['web-2', true],
      ['db-2', false],
    ]);
    expect(a81).toMatchObject({ __typename: 'Control', id: 'A.8.1', status: 'FAIL' });
    expect(ra5).toMatchObject({ __typename: 'Control', id: 'RA-5', status: 'NOT_EVALUATED', evaluatedAt: null, evidence: [] });
    expect(missing).toBeNull();
  });

  it('evidence is per request, not cached across requests', async () => {
    const definition = subgraph(evidence);
    const representations = [{ __typename: 'Host', id: 'db-1' }];
    await executeSubgraph(definition, QUERY, { representations });
    await executeSubgraph(definition, QUERY, { representations });
    expect(evidence.calls).toBe(2);
  });

  it('references that need no evaluation do not fetch evidence', async () => {
    const result = await executeSubgraph(subgraph(evidence), QUERY, {
      representations: [
        { __typename: 'Control', framework: 'NIST_800_53', id: 'RA-5' },
        { __typename: 'Control', framework: 'CIS_KUBERNETES', id: '4.2.1' },
      ],
    });
    expect(entitiesOf<Entity>(result).map((e) => (e?.__typename === 'Control' ? e.status : null))).toEqual(['NOT_EVALUATED', 'NOT_EVALUATED']);
    expect(evidence.calls).toBe(0);
  });

  it('evidence that cannot be fetched is ERROR on the control, once, and fails no host', async () => {
    const broken = new FakeEvidence(new Error('gateway answered 503 without data'));
    const result = await executeSubgraph(subgraph(broken), QUERY, {
      representations: [
        { __typename: 'Control', framework: 'NIST_800_53', id: 'CM-8' },
        { __typename: 'Host', id: 'db-1' },
        { __typename: 'Host', id: 'web-1' },
      ],
    });
    const [cm8, db1] = entitiesOf<Entity>(result);
    expect(broken.calls).toBe(1);
    expect(cm8).toMatchObject({ status: 'ERROR', evidence: [{ satisfied: false, host: null }] });
    expect(db1).toEqual({ __typename: 'Host', id: 'db-1', failedControls: [] });
  });
});
